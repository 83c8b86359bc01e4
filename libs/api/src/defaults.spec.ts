import { applyDefaults, defaultPullPolicy, implementedPodField, mergeSecretStringData } from './defaults';
import { EXAMPLE_MANIFESTS } from './examples';
import { Deployment, HorizontalPodAutoscaler, Namespace, Pod, ReplicaSet, Secret, Service } from './gen';
import { intOrString, scaledValue } from './int-or-string';
import { kindFor, unwrap } from './kinds';
import { manifestFromObject, objectFromManifest } from './manifest';

describe('defaultPullPolicy', () => {
  it.each([
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['busybox:1.36', 'IfNotPresent'],
    ['127.0.0.1:5000/busybox', 'Always'],
    ['127.0.0.1:5000/busybox:1.36', 'IfNotPresent'],
    ['127.0.0.1:5000/busybox:latest', 'Always'],
    ['busybox@sha256:abcd', 'IfNotPresent'],
  ])('%s -> %s', (image, policy) => expect(defaultPullPolicy(image)).toBe(policy));
});

describe('applyDefaults', () => {
  it('defaults a minimal pod as Kubernetes', () => {
    const pod = Pod.fromPartial({
      metadata: { name: 'a' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            ports: [{ containerPort: 80 }],
            resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } },
            livenessProbe: { httpGet: { port: intOrString(80) } },
            readinessProbe: { tcpSocket: { port: intOrString(80) }, periodSeconds: 3 },
            env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          },
        ],
      },
    });
    applyDefaults(kindFor('pod'), pod);
    const spec = pod.spec!;
    expect(spec.restartPolicy).toBe('Always');
    expect(spec.dnsPolicy).toBe('ClusterFirst');
    expect(spec.terminationGracePeriodSeconds).toBe(30);
    expect(spec.schedulerName).toBe('default-scheduler');
    expect(spec.enableServiceLinks).toBe(true);
    const c = spec.containers[0];
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.ports[0].protocol).toBe('TCP');
    expect(c.resources!.requests).toEqual({ cpu: '500m', memory: '1Gi' });
    expect(c.livenessProbe).toMatchObject({ timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, httpGet: { path: '/', scheme: 'HTTP' } });
    expect(c.readinessProbe).toMatchObject({ periodSeconds: 3, timeoutSeconds: 1 });
    expect(c.env[0].valueFrom!.fieldRef!.apiVersion).toBe('v1');
  });

  it('keeps what is set, including a zero grace period', () => {
    const pod = Pod.fromPartial({ spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'x:1', imagePullPolicy: 'Never' }] } });
    applyDefaults(kindFor('pod'), pod);
    expect(pod.spec!.restartPolicy).toBe('Never');
    expect(pod.spec!.terminationGracePeriodSeconds).toBe(0);
    expect(pod.spec!.containers[0].imagePullPolicy).toBe('Never');
  });

  it('defaults services: type, affinity, protocol and targetPort = port', () => {
    const svc = Service.fromPartial({ spec: { ports: [{ port: 80 }, { port: 81, targetPort: intOrString('http') }] } });
    applyDefaults(kindFor('svc'), svc);
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None' });
    expect(svc.spec!.ports.map((p) => [p.protocol, p.targetPort])).toEqual([
      ['TCP', intOrString(80)],
      ['TCP', intOrString('http')],
    ]);
  });

  it('defaults replica sets and their template', () => {
    const rs = ReplicaSet.fromPartial({ spec: { template: { spec: { containers: [{ name: 'c', image: 'x:2' }] } } } });
    applyDefaults(kindFor('rs'), rs);
    expect(rs.spec!.replicas).toBe(1);
    expect(rs.spec!.template!.spec!.restartPolicy).toBe('Always');
    expect(rs.spec!.template!.spec!.containers[0].imagePullPolicy).toBe('IfNotPresent');
    const zero = ReplicaSet.fromPartial({ spec: { replicas: 0 } });
    applyDefaults(kindFor('rs'), zero);
    expect(zero.spec!.replicas).toBe(0);
  });

  it('defaults deployments: RollingUpdate 25%/25%, history 10, deadline 600', () => {
    const d = Deployment.fromPartial({ spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } });
    applyDefaults(kindFor('deploy'), d);
    expect(d.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
    expect(d.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: intOrString('25%'), maxSurge: intOrString('25%') } });
    const recreate = Deployment.fromPartial({ spec: { strategy: { type: 'Recreate' } } });
    applyDefaults(kindFor('deploy'), recreate);
    expect(recreate.spec!.strategy!.rollingUpdate).toBeUndefined();
    const half = Deployment.fromPartial({ spec: { strategy: { rollingUpdate: { maxSurge: intOrString(0) } } } });
    applyDefaults(kindFor('deploy'), half);
    expect(half.spec!.strategy!.rollingUpdate).toEqual({ maxSurge: intOrString(0), maxUnavailable: intOrString('25%') });
  });

  it('defaults HPAs: minReplicas 1 and a cpu 80% metric; behaviour only when given', () => {
    const hpa = HorizontalPodAutoscaler.fromPartial({ spec: { maxReplicas: 5 } });
    applyDefaults(kindFor('hpa'), hpa);
    expect(hpa.spec!.minReplicas).toBe(1);
    expect(hpa.spec!.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', value: '', averageValue: '', averageUtilization: 80 } } }]);
    expect(hpa.spec!.behavior).toBeUndefined();
    const withBehavior = HorizontalPodAutoscaler.fromPartial({ spec: { maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } });
    applyDefaults(kindFor('hpa'), withBehavior);
    expect(withBehavior.spec!.behavior!.scaleDown).toMatchObject({ stabilizationWindowSeconds: 60, selectPolicy: 'Max' });
    expect(withBehavior.spec!.behavior!.scaleUp).toMatchObject({ stabilizationWindowSeconds: 0, selectPolicy: 'Max' });
    // Only scale-up's window is defaulted: scale-down's is the controller-manager's flag, as in Kubernetes.
    const upOnly = HorizontalPodAutoscaler.fromPartial({ spec: { maxReplicas: 5, behavior: { scaleUp: { stabilizationWindowSeconds: 30 } } } });
    applyDefaults(kindFor('hpa'), upOnly);
    expect(upOnly.spec!.behavior!.scaleDown?.stabilizationWindowSeconds).toBeUndefined();
    expect(upOnly.spec!.behavior!.scaleDown?.policies).toEqual([{ type: 'Percent', value: 100, periodSeconds: 15 }]);
  });

  it('defaults namespaces and secrets', () => {
    const ns = Namespace.fromPartial({ metadata: { name: 'a' } });
    applyDefaults(kindFor('ns'), ns);
    expect(ns.status!.phase).toBe('Active');
    const secret = Secret.fromPartial({ data: { a: Buffer.from('old'), b: Buffer.from('keep') }, stringData: { a: 'new', c: 'ç' } });
    applyDefaults(kindFor('secret'), secret);
    expect(secret.type).toBe('Opaque');
    expect(Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v).toString()]))).toEqual({ a: 'new', b: 'keep', c: 'ç' });
    expect(secret.stringData).toEqual({});
    mergeSecretStringData(secret);
    expect(Object.keys(secret.data)).toEqual(['a', 'b', 'c']);
  });

  it('defaults the fields of issue 11 as Kubernetes (as if every field were implemented)', () => {
    const all = () => true;
    const container = { name: 'c', image: 'busybox', lifecycle: { postStart: { httpGet: { port: intOrString(80) } } }, livenessProbe: { exec: { command: ['true'] } } };
    const pod = Pod.fromPartial({
      metadata: { name: 'a' },
      spec: {
        containers: [container],
        initContainers: [{ ...container, name: 'sidecar', image: 'busybox:1.36', restartPolicy: 'Always' }],
        volumes: [
          { name: 'a', configMap: { name: 'cm' } },
          { name: 'b', secret: { secretName: 's', defaultMode: 0o400 } },
          { name: 'c', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
          { name: 'd', projected: { sources: [{ downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: 'metadata.labels' } }] } }] } },
          { name: 'e', hostPath: { path: '/x' } },
        ],
      },
    });
    applyDefaults(kindFor('pod'), pod, all);
    const spec = pod.spec!;
    expect(spec.serviceAccountName).toBe('default');
    for (const c of [...spec.containers, ...spec.initContainers]) {
      expect(c).toMatchObject({ terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', lifecycle: { postStart: { httpGet: { path: '/', scheme: 'HTTP' } } } });
      expect(c.livenessProbe).toMatchObject({ timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    }
    expect(spec.initContainers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(spec.volumes.map((v) => v.configMap?.defaultMode ?? v.secret?.defaultMode ?? v.downwardAPI?.defaultMode ?? v.projected?.defaultMode)).toEqual([420, 0o400, 420, 420, undefined]);
    expect(spec.volumes[2].downwardAPI!.items[0].fieldRef!.apiVersion).toBe('v1');
    expect(spec.volumes[3].projected!.sources[0].downwardAPI!.items[0].fieldRef!.apiVersion).toBe('v1');
    expect(spec.volumes[4].hostPath!.type).toBe('');

    // A template keeps an empty serviceAccountName (pods get it when created), as Kubernetes'.
    const rs = ReplicaSet.fromPartial({ spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } });
    applyDefaults(kindFor('rs'), rs, all);
    expect(rs.spec!.template!.spec!.serviceAccountName).toBe('');
    expect(rs.spec!.template!.spec!.containers[0].terminationMessagePolicy).toBe('File');
    // A given serviceAccountName stays.
    const named = Pod.fromPartial({ spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'x' }] } });
    applyDefaults(kindFor('pod'), named, all);
    expect(named.spec!.serviceAccountName).toBe('robot');
  });

  it('leaves a field Skiff does not implement yet empty, so that no default is refused', () => {
    const pod = Pod.fromPartial({ spec: { containers: [{ name: 'c', image: 'x' }] } });
    applyDefaults(kindFor('pod'), pod, (message, field) => !(message === 'Container' && field === 'terminationMessagePath') && !(message === 'PodSpec' && field === 'serviceAccountName'));
    expect(pod.spec!.containers[0]).toMatchObject({ terminationMessagePath: '', terminationMessagePolicy: 'File' });
    expect(pod.spec!.serviceAccountName).toBe('');
    expect(implementedPodField('Container', 'image')).toBe(true);
    expect(implementedPodField('Container', 'noSuchField')).toBe(false);
  });

  it('leaves the canonical examples unchanged (they are written fully defaulted)', () => {
    for (const manifest of Object.values(EXAMPLE_MANIFESTS)) {
      const object = objectFromManifest(structuredClone(manifest));
      const { info, object: value } = unwrap(object);
      applyDefaults(info, value);
      expect(manifestFromObject(object)).toEqual(manifest);
    }
  });
});

describe('scaledValue', () => {
  it('scales percentages, rounding as asked', () => {
    expect(scaledValue(intOrString('25%'), 10, true)).toBe(3);
    expect(scaledValue(intOrString('25%'), 10, false)).toBe(2);
    expect(scaledValue(intOrString(4), 10, false)).toBe(4);
    expect(scaledValue(undefined, 10, true)).toBe(0);
    expect(() => scaledValue(intOrString('x'), 10, true)).toThrow(/percentage/);
  });
});
