import { applyDefaults } from './defaults';
import type { FieldError } from './errors';
import { EXAMPLE_MANIFESTS, POD_EXAMPLE } from './examples';
import { ConfigMap, Pod, Secret, Service } from './gen';
import { intOrString } from './int-or-string';
import { kindFor, unwrap, type KubeObject } from './kinds';
import { objectFromManifest } from './manifest';
import { MAX_OBJECT_BYTES, objectSizeError, validateObject } from './validation';

/** Manifest -> defaulted object, as the apiserver sees it. */
function load(manifest: Record<string, unknown>): { kind: string; object: KubeObject } {
  const { info, object } = unwrap(objectFromManifest(structuredClone(manifest)));
  applyDefaults(info, object);
  return { kind: info.kind, object };
}

function errorsOf(manifest: Record<string, unknown>, old?: Record<string, unknown>): FieldError[] {
  const { kind, object } = load(manifest);
  return validateObject(kindFor(kind), object, old ? load(old).object : undefined);
}

const NOT_IMPLEMENTED = /^Forbidden: .* is not implemented by Skiff yet$/;

/**
 * The errors of this file's own rules: defaults as if every field were implemented, and the
 * field table's refusals of fields Skiff does not implement yet left out (pod-field-support.spec
 * tests those), so the rules below stay tested while the table's rows flip one by one.
 */
function ownErrorsOf(manifest: Record<string, unknown>, old?: Record<string, unknown>): FieldError[] {
  const loadAll = (m: Record<string, unknown>) => {
    const { info, object } = unwrap(objectFromManifest(structuredClone(m)));
    applyDefaults(info, object, () => true);
    return { info, object };
  };
  const { info, object } = loadAll(manifest);
  return validateObject(info, object, old ? loadAll(old).object : undefined).filter((e) => !NOT_IMPLEMENTED.test(e.detail));
}

function patch(base: Record<string, unknown>, change: (m: any) => void): Record<string, unknown> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const m = structuredClone(base);
  change(m);
  return m;
}

const pod = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', ...meta },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

describe('validateObject', () => {
  it.each(Object.entries(EXAMPLE_MANIFESTS))('accepts the %s example', (_kind, manifest) => {
    expect(errorsOf(manifest)).toEqual([]);
  });

  it('accepts each example as an unchanged update of itself', () => {
    for (const manifest of Object.values(EXAMPLE_MANIFESTS)) expect(errorsOf(manifest, manifest)).toEqual([]);
  });

  it('names the field and says required, as the issue shows', () => {
    expect(errorsOf(pod({ containers: [{ name: 'c' }] }))).toEqual([{ field: 'spec.containers[0].image', detail: 'required' }]);
  });

  it('checks names per kind', () => {
    const long = 'a'.repeat(64);
    expect(errorsOf(pod({}, { name: long })).map((e) => e.field)).toEqual([]);
    expect(errorsOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: long } })[0]).toMatchObject({ field: 'metadata.name', detail: 'Invalid value: "' + long + '": must be no more than 63 characters' });
    expect(errorsOf(pod({}, { name: 'Web' }))[0].detail).toMatch(/^Invalid value: "Web": a lowercase RFC 1123 subdomain/);
    expect(errorsOf(pod({}, { name: '' }))[0].field).toBe('metadata.name');
    expect(errorsOf(pod({}, { name: '', generateName: 'web-' }))).toEqual([]);
    expect(errorsOf(pod({}, { namespace: '' }))[0]).toEqual({ field: 'metadata.namespace', detail: 'required' });
    expect(errorsOf({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', namespace: 'default' } })[0].field).toBe('metadata.namespace');
    expect(errorsOf({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'a.b', namespace: 'default' }, spec: { ports: [{ port: 80 }] } })[0].field).toBe('metadata.name');
  });

  it('checks labels, annotations, finalizers and owner references', () => {
    const fields = (meta: Record<string, unknown>) => errorsOf(pod({}, meta)).map((e) => e.field);
    expect(fields({ labels: { 'bad key': 'x' } })).toEqual(['metadata.labels']);
    expect(fields({ labels: { app: '-x' } })).toEqual(['metadata.labels']);
    expect(fields({ labels: { 'example.com/app': 'x', 'a.b/c_d.e': 'F-g.H_1' } })).toEqual([]);
    expect(fields({ annotations: { 'a/b/c': 'x' } })).toEqual(['metadata.annotations']);
    expect(fields({ annotations: { big: 'x'.repeat(300 * 1024) } })).toEqual(['metadata.annotations']);
    expect(fields({ finalizers: ['bad/fin/alizer'] })).toEqual(['metadata.finalizers[0]']);
    expect(fields({ ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'n' }] })).toEqual(['metadata.ownerReferences[0].uid']);
    expect(fields({ ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'a', uid: '1', controller: true }, { apiVersion: 'v1', kind: 'X', name: 'b', uid: '2', controller: true }] })).toEqual(['metadata.ownerReferences']);
  });

  it('checks pod specs in depth', () => {
    const fields = (spec: Record<string, unknown>) => ownErrorsOf(pod(spec)).map((e) => e.field);
    expect(fields({ containers: [] })).toEqual(['spec.containers']);
    expect(fields({ containers: [{ name: 'c', image: 'a' }, { name: 'c', image: 'b' }] })).toEqual(['spec.containers[1].name']);
    expect(fields({ containers: [{ name: 'c', image: 'a', ports: [{ containerPort: 70000 }, { containerPort: 80, hostPort: -1 }, { containerPort: 81, protocol: 'SCTP' }] }] })).toEqual([
      'spec.containers[0].ports[0].containerPort',
      'spec.containers[0].ports[1].hostPort',
      'spec.containers[0].ports[2].protocol',
    ]);
    expect(fields({ containers: [{ name: 'c', image: 'a', ports: [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }] }] })).toEqual(['spec.containers[0].ports[1].name']);
    expect(fields({ containers: [{ name: 'c', image: 'a', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] })).toEqual(['spec.containers[0].resources.requests[cpu]']);
    expect(fields({ containers: [{ name: 'c', image: 'a', resources: { limits: { gpu: '1', 'example.com/gpu': '1', memory: 'lots' } } }] })).toEqual([
      'spec.containers[0].resources.limits[gpu]',
      'spec.containers[0].resources.limits[memory]',
      // defaulting copied the limits into requests, as Kubernetes does, so they are reported there too
      'spec.containers[0].resources.requests[gpu]',
      'spec.containers[0].resources.requests[memory]',
    ]);
    expect(fields({ containers: [{ name: 'c', image: 'a', livenessProbe: { periodSeconds: 5 } }] })).toEqual(['spec.containers[0].livenessProbe']);
    expect(fields({ containers: [{ name: 'c', image: 'a', livenessProbe: { tcpSocket: { port: 80 }, exec: { command: ['x'] } } }] })).toEqual(['spec.containers[0].livenessProbe.tcpSocket']);
    expect(fields({ containers: [{ name: 'c', image: 'a', readinessProbe: { httpGet: { port: 0 } } }] })).toEqual(['spec.containers[0].readinessProbe.httpGet.port']);
    expect(fields({ containers: [{ name: 'c', image: 'a', livenessProbe: { exec: { command: ['x'] }, successThreshold: 2 } }] })).toEqual(['spec.containers[0].livenessProbe.successThreshold']);
    expect(fields({ containers: [{ name: 'c', image: 'a', startupProbe: { exec: { command: ['x'] }, successThreshold: 2 }, readinessProbe: { exec: { command: ['x'] }, successThreshold: 2 } }] })).toEqual(['spec.containers[0].startupProbe.successThreshold']);
    expect(fields({ containers: [{ name: 'c', image: 'a', readinessProbe: { exec: { command: ['x'] }, terminationGracePeriodSeconds: 5 }, livenessProbe: { exec: { command: ['x'] }, terminationGracePeriodSeconds: 0 } }] })).toEqual([
      'spec.containers[0].livenessProbe.terminationGracePeriodSeconds',
      'spec.containers[0].readinessProbe.terminationGracePeriodSeconds',
    ]);
    expect(fields({ containers: [{ name: 'c', image: 'a', livenessProbe: { exec: { command: ['x'] }, periodSeconds: -1, timeoutSeconds: -1 } }] })).toEqual(['spec.containers[0].livenessProbe.timeoutSeconds', 'spec.containers[0].livenessProbe.periodSeconds']);
    expect(fields({ containers: [{ name: 'c', image: 'a', env: [{ name: '1X' }, { name: 'A', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }] })).toEqual([
      'spec.containers[0].env[0].name',
      'spec.containers[0].env[1].valueFrom',
    ]);
    expect(fields({ restartPolicy: 'Sometimes' })).toEqual(['spec.restartPolicy']);
    expect(fields({ terminationGracePeriodSeconds: -1 })).toEqual(['spec.terminationGracePeriodSeconds']);
    expect(fields({ nodeSelector: { 'bad key': 'x' } })).toEqual(['spec.nodeSelector']);
    expect(fields({ tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }, { key: 'k', effect: 'Sometimes' }, { operator: 'Equal' }] })).toEqual([
      'spec.tolerations[0].value',
      'spec.tolerations[1].effect',
      'spec.tolerations[2].operator',
    ]);
    expect(
      fields({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Near', values: ['x'] }, { key: 'b', operator: 'In' }] }] },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 101, preference: {} }],
          },
        },
      }),
    ).toEqual([
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator',
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].values',
      'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight',
    ]);
    expect(fields({ containers: [{ name: 'c', image: 'a', volumeMounts: [{ name: 'missing', mountPath: '/x' }] }] })).toEqual(['spec.containers[0].volumeMounts[0].name']);
  });

  it('checks dnsPolicy and dnsConfig as Kubernetes does', () => {
    const errs = (spec: Record<string, unknown>) => errorsOf(pod(spec));
    const fields = (spec: Record<string, unknown>) => errs(spec).map((e) => e.field);
    for (const dnsPolicy of ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default']) expect(fields({ dnsPolicy })).toEqual([]);
    expect(errs({ dnsPolicy: 'Google' })).toEqual([
      { field: 'spec.dnsPolicy', detail: 'Unsupported value: "Google": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"' },
    ]);
    // None: the pod's resolv.conf is exactly dnsConfig, so it needs one with a nameserver.
    expect(errs({ dnsPolicy: 'None' })).toEqual([{ field: 'spec.dnsConfig', detail: 'required: must provide `dnsConfig` when `dnsPolicy` is None' }]);
    expect(errs({ dnsPolicy: 'None', dnsConfig: { searches: ['a.example'] } })).toEqual([
      { field: 'spec.dnsConfig.nameservers', detail: 'required: must provide at least one DNS nameserver when `dnsPolicy` is None' },
    ]);
    const full = { nameservers: ['10.0.0.53', '2001:db8::53'], searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix.', '_tcp.example.com', '.'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] };
    expect(fields({ dnsPolicy: 'None', dnsConfig: full })).toEqual([]);
    // Any policy may add settings; without a policy the default (ClusterFirst) applies.
    expect(fields({ dnsConfig: { searches: ['corp.example'] } })).toEqual([]);
    expect(fields({ dnsPolicy: 'Default', dnsConfig: { options: [{ name: 'single-request-reopen' }] } })).toEqual([]);

    expect(errs({ dnsConfig: { nameservers: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'] } })).toEqual([
      { field: 'spec.dnsConfig.nameservers', detail: 'Invalid value: ["10.0.0.1","10.0.0.2","10.0.0.3","10.0.0.4"]: must not have more than 3 nameservers' },
    ]);
    expect(errs({ dnsConfig: { nameservers: ['dns.example.com', '10.0.0.256', 'fe80::1%eth0', '10.0.0.1'] } }).map((e) => e.field)).toEqual([
      'spec.dnsConfig.nameservers',
      'spec.dnsConfig.nameservers[0]',
      'spec.dnsConfig.nameservers[1]',
      'spec.dnsConfig.nameservers[2]',
    ]);
    expect(errs({ dnsPolicy: 'None', dnsConfig: { nameservers: ['dns.example.com'] } })).toEqual([
      { field: 'spec.dnsConfig.nameservers[0]', detail: 'Invalid value: "dns.example.com": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' },
    ]);
    const searchErrs = errs({ dnsConfig: { searches: ['Corp.Example', 'a..b', '-x.example', 'ok.example.'] } });
    expect(searchErrs.map((e) => e.field)).toEqual(['spec.dnsConfig.searches[0]', 'spec.dnsConfig.searches[1]', 'spec.dnsConfig.searches[2]']);
    expect(searchErrs[0].detail).toMatch(/^Invalid value: "Corp.Example": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-', '_' or '.'/);
    expect(fields({ dnsConfig: { searches: ['x'.repeat(254)] } })).toEqual(['spec.dnsConfig.searches[0]']);
    // At most 32 search domains, and 2048 characters with the spaces between them.
    const many = Array.from({ length: 33 }, (_, i) => `d${i}.example`);
    expect(errs({ dnsConfig: { searches: many } })).toEqual([
      { field: 'spec.dnsConfig.searches', detail: expect.stringMatching(/^Invalid value: \["d0.example",.*: must not have more than 32 search paths$/) },
    ]);
    const label = 'a'.repeat(63);
    const long = `${label}.${label}.${label}.${label.slice(0, 61)}`; // 253 characters, the longest domain
    expect(fields({ dnsConfig: { searches: Array.from({ length: 8 }, () => long) } })).toEqual([]); // 8 * 253 + 7 = 2031
    expect(errs({ dnsConfig: { searches: Array.from({ length: 9 }, () => long) } })).toEqual([
      { field: 'spec.dnsConfig.searches', detail: expect.stringMatching(/must not have more than 2048 characters \(including spaces\) in the search list$/) },
    ]);
    expect(errs({ dnsConfig: { options: [{ name: 'ndots', value: '1' }, { value: '2' }] } })).toEqual([{ field: 'spec.dnsConfig.options[1]', detail: 'required: must not be empty' }]);

    // Pod templates get the same rules under their own path.
    const deploy = EXAMPLE_MANIFESTS['Deployment'];
    expect(errorsOf(patch(deploy, (m) => (m.spec.template.spec.dnsPolicy = 'None'))).map((e) => e.field)).toEqual(['spec.template.spec.dnsConfig']);
    expect(errorsOf(patch(deploy, (m) => (m.spec.template.spec.dnsConfig = { nameservers: ['nope'] }))).map((e) => e.field)).toEqual(['spec.template.spec.dnsConfig.nameservers[0]']);
    expect(errorsOf(patch(deploy, (m) => (m.spec.template.spec = { ...m.spec.template.spec, dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.0.53'] } })))).toEqual([]);
  });

  it('checks services', () => {
    const svc = (spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec });
    const fields = (spec: Record<string, unknown>) => errorsOf(svc(spec)).map((e) => e.field);
    expect(fields({ ports: [{ port: 80 }] })).toEqual([]);
    expect(fields({})).toEqual(['spec.ports']);
    expect(fields({ ports: [{ port: 80 }, { port: 81 }] })).toEqual(['spec.ports[0].name', 'spec.ports[1].name']);
    expect(fields({ ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] })).toEqual(['spec.ports[1].name']);
    expect(fields({ ports: [{ port: 0 }] })).toEqual(['spec.ports[0].port']);
    expect(fields({ ports: [{ port: 80, targetPort: 'Not_A_Name' }] })).toEqual(['spec.ports[0].targetPort']);
    expect(fields({ ports: [{ port: 80, targetPort: 70000 }] })).toEqual(['spec.ports[0].targetPort']);
    expect(fields({ ports: [{ port: 80, nodePort: 30001 }] })).toEqual(['spec.ports[0].nodePort']);
    expect(fields({ type: 'NodePort', ports: [{ port: 80, nodePort: 70000 }] })).toEqual(['spec.ports[0].nodePort']);
    expect(fields({ type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] })).toEqual([]); // the range is the apiserver's (a flag)
    expect(fields({ type: 'LoadBalancer', ports: [{ port: 80 }] })).toEqual(['spec.type']);
    expect(fields({ clusterIP: '10.96.0.300', ports: [{ port: 80 }] })).toEqual(['spec.clusterIP']);
    expect(fields({ clusterIP: 'None', ports: [{ port: 80 }] })).toEqual([]);
    expect(fields({ sessionAffinity: 'Sticky', ports: [{ port: 80 }] })).toEqual(['spec.sessionAffinity']);
    expect(fields({ selector: { app: 'no spaces' }, ports: [{ port: 80 }] })).toEqual(['spec.selector']);
  });

  it('checks deployments and replica sets', () => {
    const deploy = EXAMPLE_MANIFESTS['Deployment'];
    const fields = (change: (m: any) => void) => errorsOf(patch(deploy, change)).map((e) => e.field); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(fields((m) => (m.spec.replicas = -1))).toEqual(['spec.replicas']);
    expect(fields((m) => delete m.spec.selector)).toEqual(['spec.selector']);
    expect(fields((m) => (m.spec.selector = {}))).toEqual(['spec.selector']);
    expect(fields((m) => (m.spec.selector = { matchLabels: { app: 'other' } }))).toEqual(['spec.template.metadata.labels']);
    expect(fields((m) => (m.spec.template.spec.containers[0].image = ''))).toEqual(['spec.template.spec.containers[0].image']);
    expect(fields((m) => (m.spec.template.spec.restartPolicy = 'Never'))).toEqual(['spec.template.spec.restartPolicy']);
    expect(fields((m) => (m.spec.strategy = { type: 'Blue' }))).toEqual(['spec.strategy.type']);
    expect(fields((m) => (m.spec.strategy.rollingUpdate = { maxSurge: 0, maxUnavailable: 0 }))).toEqual(['spec.strategy.rollingUpdate.maxUnavailable']);
    expect(fields((m) => (m.spec.strategy.rollingUpdate = { maxSurge: 'ten', maxUnavailable: '120%' }))).toEqual([
      'spec.strategy.rollingUpdate.maxSurge',
      'spec.strategy.rollingUpdate.maxUnavailable',
    ]);
    expect(fields((m) => (m.spec.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }))).toEqual(['spec.strategy.rollingUpdate']);
    expect(fields((m) => (m.spec.revisionHistoryLimit = -1))).toEqual(['spec.revisionHistoryLimit']);
    expect(fields((m) => (m.spec.progressDeadlineSeconds = 5))).toEqual(['spec.progressDeadlineSeconds']);
    const rs = EXAMPLE_MANIFESTS['ReplicaSet'];
    expect(errorsOf(patch(rs, (m) => (m.spec.selector.matchExpressions[0].operator = 'Is'))).map((e) => e.field)).toEqual(['spec.selector.matchExpressions[0].operator']);
  });

  it('checks the other kinds', () => {
    const fields = (base: string, change: (m: any) => void) => errorsOf(patch(EXAMPLE_MANIFESTS[base], change)).map((e) => e.field); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(fields('Node', (m) => (m.spec.taints[0].effect = 'Maybe'))).toEqual(['spec.taints[0].effect']);
    expect(fields('Node', (m) => (m.status.capacity.cpu = 'four'))).toEqual(['status.capacity[cpu]']);
    expect(fields('Lease', (m) => (m.spec.leaseDurationSeconds = 0))).toEqual(['spec.leaseDurationSeconds']);
    expect(fields('Event', (m) => delete m.involvedObject.name)).toEqual(['involvedObject.name']);
    expect(fields('Event', (m) => (m.involvedObject.namespace = 'other'))).toEqual(['involvedObject.namespace']);
    expect(fields('ConfigMap', (m) => (m.data['bad key'] = 'x'))).toEqual(['data[bad key]']);
    expect(fields('ConfigMap', (m) => (m.data['big'] = 'x'.repeat(MAX_OBJECT_BYTES)))).toEqual(['data']); // size: objectSizeError
    expect(fields('Secret', (m) => (m.data['bad/key'] = 'eA=='))).toEqual(['data[bad/key]']);
    expect(fields('Secret', (m) => (m.type = 'kubernetes.io/tls'))).toEqual(['data[tls.crt]']);
    expect(fields('HorizontalPodAutoscaler', (m) => (m.spec.minReplicas = 0))).toEqual(['spec.minReplicas']);
    expect(fields('HorizontalPodAutoscaler', (m) => (m.spec.maxReplicas = 1))).toEqual(['spec.maxReplicas']);
    expect(fields('HorizontalPodAutoscaler', (m) => delete m.spec.scaleTargetRef.kind)).toEqual(['spec.scaleTargetRef.kind']);
    expect(fields('HorizontalPodAutoscaler', (m) => (m.spec.metrics[0].resource.name = 'disk'))).toEqual(['spec.metrics[0].resource.name']);
    expect(fields('HorizontalPodAutoscaler', (m) => (m.spec.metrics[0].type = 'Pods'))).toEqual(['spec.metrics[0].type']);
    expect(fields('HorizontalPodAutoscaler', (m) => delete m.spec.metrics[0].resource.target.averageUtilization)).toEqual(['spec.metrics[0].resource.target.averageUtilization']);
    // A Resource metric is an average over the pods: a plain Value target is refused, as Kubernetes.
    expect(fields('HorizontalPodAutoscaler', (m) => (m.spec.metrics[0].resource.target = { type: 'Value', value: '1' }))).toEqual(['spec.metrics[0].resource.target.averageUtilization']);
    expect(fields('Namespace', (m) => (m.status.phase = 'Sleeping'))).toEqual(['status.phase']);
    expect(fields('Endpoints', (m) => (m.subsets[0].addresses[0].ip = 'ten'))).toEqual(['subsets[0].addresses[0].ip']);
  });
});

describe('validateObject on update', () => {
  const base = pod({}, { uid: 'u1' });

  it('keeps metadata identity immutable', () => {
    expect(errorsOf(patch(base, (m) => (m.metadata.uid = 'u2')), base).map((e) => e.field)).toEqual(['metadata.uid']);
    expect(errorsOf(patch(base, (m) => (m.metadata.labels = { a: 'b' })), base)).toEqual([]);
  });

  it('allows only image changes, toleration additions and binding in a pod spec', () => {
    expect(errorsOf(patch(base, (m) => (m.spec.containers[0].image = 'busybox:latest')), base)).toEqual([]);
    expect(errorsOf(patch(base, (m) => (m.spec.tolerations = [{ key: 'a', operator: 'Exists' }])), base)).toEqual([]);
    expect(errorsOf(patch(base, (m) => (m.spec.nodeName = 'node-1')), base)).toEqual([]);
    const bound = patch(base, (m) => (m.spec.nodeName = 'node-1'));
    expect(errorsOf(patch(base, (m) => (m.spec.nodeName = 'node-2')), bound).map((e) => e.field)).toEqual(['spec.nodeName']);
    expect(errorsOf(patch(base, (m) => (m.spec.restartPolicy = 'Never')), base).map((e) => e.field)).toEqual(['spec']);
    expect(errorsOf(patch(base, (m) => m.spec.containers.push({ name: 'd', image: 'x' })), base).map((e) => e.field)).toEqual(['spec']);
    expect(errorsOf(patch(base, (m) => (m.spec.dnsConfig = { searches: ['corp.example'] })), base).map((e) => e.field)).toEqual(['spec']);
  });

  it('keeps selectors, cluster IPs, secret types and immutable data', () => {
    const deploy = EXAMPLE_MANIFESTS['Deployment'];
    const moved = patch(deploy, (m) => {
      m.spec.selector.matchLabels = { app: 'web', tier: 'frontend' };
    });
    expect(errorsOf(moved, deploy).map((e) => e.field)).toEqual(['spec.selector']);
    const svc = EXAMPLE_MANIFESTS['Service'];
    expect(errorsOf(patch(svc, (m) => ((m.spec.clusterIP = '10.96.0.21'), (m.spec.clusterIPs = ['10.96.0.21']))), svc).map((e) => e.field)).toEqual(['spec.clusterIP']);
    const secret = EXAMPLE_MANIFESTS['Secret'];
    expect(errorsOf(patch(secret, (m) => (m.data.token = 'bmV3')), secret).map((e) => e.field)).toEqual(['data']);
    expect(errorsOf(patch(secret, (m) => (m.type = 'example.com/x')), secret).map((e) => e.field)).toEqual(['type']);
  });
});

describe('objectSizeError', () => {
  it('measures the encoded object', () => {
    const info = kindFor('pod');
    const { object } = unwrap(objectFromManifest(structuredClone(POD_EXAMPLE)));
    expect(objectSizeError(info, object)).toBeUndefined();
    const big = Pod.fromPartial({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i', args: ['x'.repeat(MAX_OBJECT_BYTES)] }] } });
    expect(objectSizeError(info, big)).toMatchObject({ field: 'object' });
    expect(validateObject(info, big).map((e) => e.field)).toEqual(['metadata.namespace']); // content only: no second encoding
  });

  it('never throws on odd objects', () => {
    expect(() => validateObject(kindFor('svc'), Service.fromPartial({}))).not.toThrow();
    expect(() => validateObject(kindFor('cm'), ConfigMap.fromPartial({}))).not.toThrow();
    expect(() => validateObject(kindFor('secret'), Secret.fromPartial({}))).not.toThrow();
    expect(validateObject(kindFor('pod'), { metadata: undefined }).map((e) => e.field)).toEqual(['metadata.name', 'metadata.namespace', 'spec']);
    expect(intOrString(1)).toEqual({ value: { $case: 'intVal', value: 1 } });
  });
});

describe('pod fields Skiff does not implement', () => {
  it('refuses a priority given in the spec, as the Priority admission does without a PriorityClass', () => {
    expect(errorsOf(pod({ priority: 10 }))).toEqual([
      { field: 'spec.priority', detail: 'Forbidden: the integer value of priority (10) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name' },
    ]);
    expect(errorsOf(pod({ priority: 0 }))).toEqual([]);
  });

  it('accepts spec.subdomain, refused until headless-Service DNS implemented it (no pod field is refused now)', () => {
    expect(errorsOf(pod({ subdomain: 'web' }))).toEqual([]);
    expect(errorsOf(pod({ subdomain: 'Web_1' })).map((e) => e.field)).toEqual(['spec.subdomain']);
  });
});

describe('pod fields of issue 11, validated as Kubernetes', () => {
  const c = (extra: Record<string, unknown> = {}) => ({ name: 'c', image: 'busybox', ...extra });
  const errs = (spec: Record<string, unknown>) => ownErrorsOf(pod(spec));
  const fields = (spec: Record<string, unknown>) => errs(spec).map((e) => e.field);
  const vol = (v: Record<string, unknown>) => ({ volumes: [{ name: 'v', ...v }] });
  const MODE = 'must be a number between 0 and 0777 (octal), both inclusive';

  it('accepts every source, mounted, with items, modes and subPaths', () => {
    const spec = {
      containers: [
        c({
          volumeMounts: [
            { name: 'scratch', mountPath: '/scratch' },
            { name: 'config', mountPath: '/etc/app', readOnly: true },
            { name: 'config', mountPath: '/etc/app.conf', subPath: 'app.conf' },
            { name: 'creds', mountPath: '/creds' },
            { name: 'host', mountPath: '/host' },
            { name: 'info', mountPath: '/info' },
            { name: 'all', mountPath: '/all' },
          ],
        }),
      ],
      volumes: [
        { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        { name: 'config', configMap: { name: 'app', items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o400 }], defaultMode: 0o644, optional: true } },
        { name: 'creds', secret: { secretName: 'db', defaultMode: 0o400 } },
        { name: 'host', hostPath: { path: '/var/log', type: 'DirectoryOrCreate' } },
        {
          name: 'info',
          downwardAPI: {
            items: [
              { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              { path: 'tier', fieldRef: { fieldPath: "metadata.labels['tier']" } },
              { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
            ],
          },
        },
        {
          name: 'all',
          projected: {
            sources: [
              { configMap: { name: 'app', items: [{ key: 'a', path: 'a' }] } },
              { secret: { name: 'db', items: [{ key: 'b', path: 'b' }] } },
              { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
            ],
          },
        },
      ],
    };
    expect(errs(spec)).toEqual([]);
  });

  it('checks volume names and that each volume has exactly one source', () => {
    expect(fields(vol({}))).toEqual(['spec.volumes[0]']);
    expect(errs(vol({ emptyDir: {}, hostPath: { path: '/x' } }))).toEqual([{ field: 'spec.volumes[0].hostPath', detail: 'Forbidden: may not specify more than 1 volume type' }]);
    expect(fields({ volumes: [{ name: 'Data', emptyDir: {} }, { name: '', emptyDir: {} }] })).toEqual(['spec.volumes[0].name', 'spec.volumes[1].name']);
    expect(fields({ volumes: [{ name: 'd', emptyDir: {} }, { name: 'd', emptyDir: {} }] })).toEqual(['spec.volumes[1].name']);
    expect(errs(vol({ persistentVolumeClaim: { claimName: '' } }))).toEqual([{ field: 'spec.volumes[0].persistentVolumeClaim.claimName', detail: 'required' }]);
    expect(errs(vol({ persistentVolumeClaim: { claimName: 'data', readOnly: true } }))).toEqual([]);
  });

  it('checks emptyDir, hostPath, configMap and secret sources', () => {
    expect(errs(vol({ emptyDir: { medium: 'HugePages' } }))).toEqual([{ field: 'spec.volumes[0].emptyDir.medium', detail: 'Unsupported value: "HugePages": supported values: "", "Memory"' }]);
    expect(fields(vol({ emptyDir: { sizeLimit: '-1Gi' } }))).toEqual(['spec.volumes[0].emptyDir.sizeLimit']);
    expect(fields(vol({ emptyDir: { sizeLimit: 'lots' } }))).toEqual(['spec.volumes[0].emptyDir.sizeLimit']);
    expect(fields(vol({ hostPath: { path: '' } }))).toEqual(['spec.volumes[0].hostPath.path']);
    expect(fields(vol({ hostPath: { path: '/var/../etc' } }))).toEqual(['spec.volumes[0].hostPath.path']);
    expect(errs(vol({ hostPath: { path: '/x', type: 'Pipe' } }))[0].detail).toBe(
      'Unsupported value: "Pipe": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
    );
    expect(fields(vol({ configMap: {} }))).toEqual(['spec.volumes[0].configMap.name']);
    expect(fields(vol({ secret: {} }))).toEqual(['spec.volumes[0].secret.secretName']);
    expect(errs(vol({ secret: { secretName: 's', defaultMode: 0o1000 } }))).toEqual([{ field: 'spec.volumes[0].secret.defaultMode', detail: `Invalid value: 512: ${MODE}` }]);
    expect(fields(vol({ configMap: { name: 'c', defaultMode: -1 } }))).toEqual(['spec.volumes[0].configMap.defaultMode']);
  });

  it('checks items: key, relative path without .., not starting with .., mode, one item per path', () => {
    const items = (list: unknown[]) => fields(vol({ configMap: { name: 'c', items: list } }));
    expect(items([{ key: '', path: '' }])).toEqual(['spec.volumes[0].configMap.items[0].key', 'spec.volumes[0].configMap.items[0].path']);
    expect(errs(vol({ secret: { secretName: 's', items: [{ key: 'k', path: '/etc/k' }] } }))).toEqual([
      { field: 'spec.volumes[0].secret.items[0].path', detail: 'Invalid value: "/etc/k": must be a relative path' },
    ]);
    expect(errs(vol({ secret: { secretName: 's', items: [{ key: 'k', path: 'a/../../k' }] } }))[0].detail).toBe('Invalid value: "a/../../k": must not contain \'..\'');
    expect(errs(vol({ secret: { secretName: 's', items: [{ key: 'k', path: '..data' }] } }))[0].detail).toBe('Invalid value: "..data": must not start with \'..\'');
    expect(items([{ key: 'k', path: 'k', mode: 0o1777 }])).toEqual(['spec.volumes[0].configMap.items[0].mode']);
    expect(items([{ key: 'a', path: 'same' }, { key: 'b', path: 'same' }])).toEqual(['spec.volumes[0].configMap.items[1].path']);
  });

  it('checks downward API files: one of fieldRef and resourceFieldRef, the paths a volume may show, a known container', () => {
    const files = (items: unknown[]) => errs(vol({ downwardAPI: { items } }));
    expect(files([{ path: 'x' }])).toEqual([{ field: 'spec.volumes[0].downwardAPI.items[0]', detail: 'required: one of fieldRef and resourceFieldRef is required' }]);
    expect(files([{ path: 'x', fieldRef: { fieldPath: 'metadata.name' }, resourceFieldRef: { containerName: 'c', resource: 'limits.cpu' } }])).toEqual([
      { field: 'spec.volumes[0].downwardAPI.items[0]', detail: 'Invalid value: "resource": fieldRef and resourceFieldRef can not be specified simultaneously' },
    ]);
    expect(files([{ path: 'x', fieldRef: { fieldPath: 'spec.nodeName' } }])).toEqual([
      {
        field: 'spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath',
        detail: 'Unsupported value: "spec.nodeName": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
      },
    ]);
    expect(files([{ path: 'x', fieldRef: { fieldPath: "metadata.name['a']" } }])[0]).toEqual({ field: 'spec.volumes[0].downwardAPI.items[0].fieldRef', detail: 'Invalid value: "metadata.name": does not support subscript' });
    expect(files([{ path: 'x', fieldRef: { fieldPath: "metadata.labels['bad key']" } }])[0].field).toBe('spec.volumes[0].downwardAPI.items[0].fieldRef');
    expect(files([{ path: 'x', resourceFieldRef: { resource: 'limits.cpu' } }])).toEqual([{ field: 'spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName', detail: 'required' }]);
    expect(files([{ path: 'x', resourceFieldRef: { containerName: 'other', resource: 'limits.cpu' } }])).toEqual([
      { field: 'spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName', detail: 'Not found: "other"' },
    ]);
    expect(files([{ path: '../x', fieldRef: { fieldPath: 'metadata.uid' } }]).map((e) => e.field)).toEqual(['spec.volumes[0].downwardAPI.items[0].path']);
    expect(files([{ path: 'x', fieldRef: { fieldPath: 'metadata.uid' } }, { path: 'x', fieldRef: { fieldPath: 'metadata.name' } }])).toEqual([
      { field: 'spec.volumes[0].downwardAPI.items', detail: 'Invalid value: "x": conflicting duplicate paths' },
    ]);
  });

  it('checks projected sources: one kind each, no two files at one path', () => {
    const sources = (list: unknown[]) => errs(vol({ projected: { sources: list } }));
    expect(sources([{ configMap: { name: 'a' }, secret: { name: 'b' } }])).toEqual([{ field: 'spec.volumes[0].projected.sources[0]', detail: 'Forbidden: may not specify more than 1 volume type per source' }]);
    expect(sources([{ secret: {} }]).map((e) => e.field)).toEqual(['spec.volumes[0].projected.sources[0].secret.name']);
    expect(sources([{ configMap: { name: 'a', items: [{ key: 'k', path: 'p' }] } }, { secret: { name: 'b', items: [{ key: 'k', path: 'p' }] } }])).toEqual([
      { field: 'spec.volumes[0].projected', detail: 'Invalid value: "b": conflicting duplicate paths' },
    ]);
    expect(fields(vol({ projected: { sources: [], defaultMode: 0o777 + 1 } }))).toEqual(['spec.volumes[0].projected.defaultMode']);
  });

  it('checks volumeMounts: an existing volume, a unique absolute mountPath without ":", a relative subPath', () => {
    const mounts = (list: unknown[]) => errs({ containers: [c({ volumeMounts: list })], volumes: [{ name: 'v', emptyDir: {} }] });
    expect(mounts([{ name: 'w', mountPath: '/w' }])).toEqual([{ field: 'spec.containers[0].volumeMounts[0].name', detail: 'Not found: "w"' }]);
    expect(mounts([{ name: 'v' }]).map((e) => e.field)).toEqual(['spec.containers[0].volumeMounts[0].mountPath']);
    expect(mounts([{ name: 'v', mountPath: '/a' }, { name: 'v', mountPath: '/a' }])).toEqual([{ field: 'spec.containers[0].volumeMounts[1].mountPath', detail: 'Invalid value: "/a": must be unique' }]);
    expect(mounts([{ name: 'v', mountPath: 'rel' }, { name: 'v', mountPath: '/a:b' }]).map((e) => e.detail)).toEqual(['Invalid value: "rel": must be an absolute path', 'Invalid value: "/a:b": must not contain \':\'']);
    expect(mounts([{ name: 'v', mountPath: '/a', subPath: '/abs' }, { name: 'v', mountPath: '/b', subPath: 'x/../..' }]).map((e) => e.field)).toEqual([
      'spec.containers[0].volumeMounts[0].subPath',
      'spec.containers[0].volumeMounts[1].subPath',
    ]);
    // A mount of a volume that is itself invalid is not found either, as Kubernetes.
    expect(fields({ containers: [c({ volumeMounts: [{ name: 'v', mountPath: '/v' }] })], volumes: [{ name: 'v' }] })).toEqual(['spec.volumes[0]', 'spec.containers[0].volumeMounts[0].name']);
  });

  it('checks env valueFrom: one source, key selectors, fieldRef paths, resourceFieldRef resource, divisor and container', () => {
    const env = (valueFrom: Record<string, unknown>, extra: Record<string, unknown> = {}) => errs({ containers: [c({ env: [{ name: 'V', valueFrom, ...extra }] })] });
    const at = 'spec.containers[0].env[0].valueFrom';
    expect(env({})).toEqual([{ field: at, detail: 'Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`' }]);
    expect(env({ fieldRef: { fieldPath: 'metadata.name' }, configMapKeyRef: { name: 'a', key: 'b' } })).toEqual([{ field: at, detail: 'Invalid value: "": may not have more than one field specified at a time' }]);
    expect(env({ fieldRef: { fieldPath: 'metadata.name' } }, { value: 'x' })).toEqual([{ field: at, detail: 'Invalid value: "": may not be specified when `value` is not empty' }]);
    expect(env({ configMapKeyRef: { name: 'Bad_Name', key: 'bad key' } }).map((e) => e.field)).toEqual([`${at}.configMapKeyRef.name`, `${at}.configMapKeyRef.key`]);
    expect(env({ secretKeyRef: { name: 's' } })).toEqual([{ field: `${at}.secretKeyRef.key`, detail: 'required' }]);
    expect(env({ fieldRef: { fieldPath: 'status.podIP' } })).toEqual([]);
    expect(env({ fieldRef: { fieldPath: "metadata.annotations['example.com/x']" } })).toEqual([]);
    expect(env({ fieldRef: { fieldPath: 'spec.containers' } }).map((e) => e.field)).toEqual([`${at}.fieldRef.fieldPath`]);
    expect(env({ resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } })).toEqual([]);
    expect(env({ resourceFieldRef: { resource: 'requests.cpu', divisor: '1000m' } })).toEqual([]); // 1000m is 1
    expect(env({ resourceFieldRef: { resource: 'limits.cpu', divisor: '2' } })).toEqual([
      { field: `${at}.resourceFieldRef.divisor`, detail: 'Invalid value: "limits.cpu": only divisor\'s values 1m and 1 are supported with the cpu resource' },
    ]);
    expect(env({ resourceFieldRef: { resource: 'limits.memory', divisor: '3Mi' } }).map((e) => e.field)).toEqual([`${at}.resourceFieldRef.divisor`]);
    expect(env({ resourceFieldRef: { resource: 'limits.gpu' } })[0].detail).toMatch(/^Unsupported value: "limits.gpu": supported values: "limits.cpu"/);
    expect(env({ resourceFieldRef: {} })).toEqual([{ field: `${at}.resourceFieldRef.resource`, detail: 'required' }]);
    expect(env({ resourceFieldRef: { containerName: 'nope', resource: 'limits.cpu' } })).toEqual([{ field: `${at}.resourceFieldRef.containerName`, detail: 'Not found: "nope"' }]);
  });

  it('checks envFrom: exactly one of configMapRef and secretRef, a name, a prefix that is a variable name', () => {
    const from = (list: unknown[]) => errs({ containers: [c({ envFrom: list })] });
    expect(from([{ configMapRef: { name: 'a' }, prefix: 'APP_' }, { secretRef: { name: 'b' } }])).toEqual([]);
    expect(from([{ prefix: 'X' }])).toEqual([{ field: 'spec.containers[0].envFrom', detail: 'Invalid value: "": must specify one of: `configMapRef` or `secretRef`' }]);
    expect(from([{ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }])).toEqual([{ field: 'spec.containers[0].envFrom', detail: 'Invalid value: "": may not have more than one field specified at a time' }]);
    expect(from([{ configMapRef: {} }]).map((e) => e.field)).toEqual(['spec.containers[0].envFrom[0].configMapRef.name']);
    expect(from([{ secretRef: { name: 'b' }, prefix: '1X' }]).map((e) => e.field)).toEqual(['spec.containers[0].envFrom[0].prefix']);
  });

  it('checks init containers: the container rules, names unique across all containers, restartPolicy Always only, probes and hooks only on sidecars', () => {
    const init = (list: unknown[]) => errs({ initContainers: list });
    expect(init([{ name: 'setup', image: 'busybox', command: ['true'] }, { name: 'proxy', image: 'busybox', restartPolicy: 'Always', readinessProbe: { exec: { command: ['true'] } }, lifecycle: { preStop: { sleep: { seconds: 5 } } } }])).toEqual([]);
    expect(init([{ name: 'c', image: 'busybox' }])).toEqual([{ field: 'spec.initContainers[0].name', detail: 'Duplicate value: "c"' }]);
    expect(init([{ name: 'i', image: 'busybox' }, { name: 'i', image: 'busybox' }]).map((e) => e.field)).toEqual(['spec.initContainers[1].name']);
    expect(init([{ name: 'i' }]).map((e) => e.field)).toEqual(['spec.initContainers[0].image']);
    expect(init([{ name: 'i', image: 'busybox', restartPolicy: 'OnFailure' }])).toEqual([{ field: 'spec.initContainers[0].restartPolicy', detail: 'Unsupported value: "OnFailure": supported values: "Always"' }]);
    expect(init([{ name: 'i', image: 'busybox', livenessProbe: { exec: { command: ['x'] } }, lifecycle: { postStart: { exec: { command: ['x'] } } } }])).toEqual([
      { field: 'spec.initContainers[0].lifecycle', detail: 'Forbidden: may not be set for init containers without restartPolicy=Always' },
      { field: 'spec.initContainers[0].livenessProbe', detail: 'Forbidden: may not be set for init containers without restartPolicy=Always' },
    ]);
    expect(init([{ name: 'i', image: 'busybox', restartPolicy: 'Always', livenessProbe: { exec: { command: ['x'] }, successThreshold: 2 } }]).map((e) => e.field)).toEqual(['spec.initContainers[0].livenessProbe.successThreshold']);
    expect(fields({ containers: [c({ restartPolicy: 'Always' })] })).toEqual(['spec.containers[0].restartPolicy']);
    // Init containers run one at a time: they may reuse a port name or host port.
    expect(init([{ name: 'a', image: 'x', ports: [{ name: 'p', containerPort: 1, hostPort: 9000 }] }, { name: 'b', image: 'x', ports: [{ name: 'p', containerPort: 1, hostPort: 9000 }] }])).toEqual([]);
    // Their images change on update, as the app containers' do.
    const withInit = pod({ initContainers: [{ name: 'i', image: 'busybox:1' }] }, { uid: 'u' });
    expect(ownErrorsOf(patch(withInit, (m) => (m.spec.initContainers[0].image = 'busybox:2')), withInit)).toEqual([]);
    expect(ownErrorsOf(patch(withInit, (m) => (m.spec.initContainers[0].command = ['x'])), withInit).map((e) => e.field)).toEqual(['spec']);
    expect(ownErrorsOf(patch(withInit, (m) => m.spec.initContainers.push({ name: 'j', image: 'x' })), withInit).map((e) => e.field)).toEqual(['spec']);
  });

  it('checks lifecycle hooks: exactly one handler, sleep within the grace period', () => {
    const hook = (preStop: Record<string, unknown>, grace?: number) => errs({ containers: [c({ lifecycle: { preStop } })], ...(grace === undefined ? {} : { terminationGracePeriodSeconds: grace }) });
    expect(hook({ exec: { command: ['x'] } })).toEqual([]);
    expect(hook({ httpGet: { port: 8080 } })).toEqual([]);
    expect(hook({})).toEqual([{ field: 'spec.containers[0].lifecycle.preStop', detail: 'required: must specify a handler type' }]);
    expect(hook({ exec: { command: ['x'] }, sleep: { seconds: 1 } })).toEqual([{ field: 'spec.containers[0].lifecycle.preStop.sleep', detail: 'Forbidden: may not specify more than 1 handler type' }]);
    expect(hook({ exec: {} }).map((e) => e.field)).toEqual(['spec.containers[0].lifecycle.preStop.exec.command']);
    expect(hook({ httpGet: { port: 0 } }).map((e) => e.field)).toEqual(['spec.containers[0].lifecycle.preStop.httpGet.port']);
    expect(hook({ sleep: { seconds: 0 } })).toEqual([
      { field: 'spec.containers[0].lifecycle.preStop.sleep.seconds', detail: 'Invalid value: 0: must be greater than 0 and less than terminationGracePeriodSeconds (30)' },
    ]);
    expect(hook({ sleep: { seconds: 31 } }).map((e) => e.field)).toEqual(['spec.containers[0].lifecycle.preStop.sleep.seconds']);
    expect(hook({ sleep: { seconds: 10 } }, 5).map((e) => e.field)).toEqual(['spec.containers[0].lifecycle.preStop.sleep.seconds']);
  });

  it('checks security contexts: ids, procMount, capabilities, privileged without escalation', () => {
    expect(errs({ securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000], runAsNonRoot: true } })).toEqual([]);
    expect(fields({ securityContext: { runAsUser: -1, runAsGroup: -1, fsGroup: -2, supplementalGroups: [1, -1] } })).toEqual([
      'spec.securityContext.fsGroup',
      'spec.securityContext.runAsUser',
      'spec.securityContext.runAsGroup',
      'spec.securityContext.supplementalGroups[1]',
    ]);
    const sc = (securityContext: Record<string, unknown>) => errs({ containers: [c({ securityContext })] });
    const at = 'spec.containers[0].securityContext';
    expect(sc({ runAsUser: 0, capabilities: { add: ['NET_ADMIN', 'CAP_SYS_TIME'], drop: ['ALL'] }, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, procMount: 'Default' })).toEqual([]);
    expect(sc({ runAsUser: 2147483648 })).toEqual([{ field: `${at}.runAsUser`, detail: 'Invalid value: 2147483648: must be between 0 and 2147483647, inclusive' }]);
    expect(sc({ runAsGroup: -5 }).map((e) => e.field)).toEqual([`${at}.runAsGroup`]);
    expect(sc({ procMount: 'Unmasked' })).toEqual([{ field: `${at}.procMount`, detail: 'Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`' }]);
    expect(sc({ procMount: 'Other' })).toEqual([{ field: `${at}.procMount`, detail: 'Unsupported value: "Other": supported values: "Default", "Unmasked"' }]);
    expect(sc({ capabilities: { add: ['NET_FLY'] } }).map((e) => e.field)).toEqual([`${at}.capabilities.add[0]`]);
    const both = sc({ privileged: true, allowPrivilegeEscalation: false });
    expect(both.map((e) => e.field)).toEqual([at]);
    expect(both[0].detail).toMatch(/: cannot set `allowPrivilegeEscalation` to false and `privileged` to true$/);
  });

  it('checks terminationMessagePolicy, imagePullSecrets and serviceAccountName', () => {
    expect(errs({ containers: [c({ terminationMessagePolicy: 'FallbackToLogsOnError', terminationMessagePath: '/tmp/msg' })] })).toEqual([]);
    expect(errs({ containers: [c({ terminationMessagePolicy: 'Logs' })] })).toEqual([
      { field: 'spec.containers[0].terminationMessagePolicy', detail: 'Unsupported value: "Logs": supported values: "FallbackToLogsOnError", "File"' },
    ]);
    expect(errs({ imagePullSecrets: [{ name: 'regcred' }], serviceAccountName: 'build-robot' })).toEqual([]);
    expect(fields({ imagePullSecrets: [{ name: '' }, { name: 'Bad' }] })).toEqual(['spec.imagePullSecrets[0].name', 'spec.imagePullSecrets[1].name']);
    expect(fields({ serviceAccountName: 'Robot' })).toEqual(['spec.serviceAccountName']);
  });
});

describe('ServiceAccount', () => {
  const sa = (meta: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: 'default', ...meta }, ...extra });

  it('is a namespaced kind named by a DNS subdomain, with image pull secrets', () => {
    expect(kindFor('sa')).toMatchObject({ kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true, hasStatus: false, hasSpec: false, apiVersion: 'v1' });
    expect(errorsOf(sa({ name: 'build.robot-1' }, { imagePullSecrets: [{ name: 'regcred' }] }))).toEqual([]);
    expect(errorsOf(sa({ name: 'Robot' })).map((e) => e.field)).toEqual(['metadata.name']);
    expect(errorsOf(sa({ name: 'robot', namespace: '' })).map((e) => e.field)).toEqual(['metadata.namespace']);
  });
});

describe('StorageClass', () => {
  it('refuses parameters for the built-in local-path provisioner (it reads none), keeps another provisioner\'s', () => {
    expect(ownErrorsOf(patch(EXAMPLE_MANIFESTS.StorageClass, (m) => (m.parameters = { nodePath: '/data' })))).toEqual([
      { field: 'parameters', detail: 'Forbidden: the skiff.io/local-path provisioner takes no parameters' },
    ]);
    expect(ownErrorsOf(patch(EXAMPLE_MANIFESTS.StorageClass, (m) => ((m.provisioner = 'example.com/nfs'), (m.parameters = { server: 'nfs-1' }))))).toEqual([]);
  });
});
