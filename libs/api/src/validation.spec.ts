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
    const fields = (spec: Record<string, unknown>) => errorsOf(pod(spec)).map((e) => e.field);
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

  it('refuses a refused field by its path, in pods and in templates', () => {
    expect(errorsOf(pod({ subdomain: 'web' })).map((e) => e.field)).toEqual(['spec.subdomain']);
  });
});
