import { findKind, type Container, type Event, type KubeObject } from '@skiff/api';
import { describeObject, describePodTemplate, isEventFor, kubectlResourceFieldValue, tabAlign } from './describe';

const now = new Date('2024-05-01T12:00:00Z');
const pods = findKind('pod')!;

function decode(kind: string, json: unknown): KubeObject {
  return findKind(kind)!.codec.fromJSON(json) as KubeObject;
}

describe('describeObject', () => {
  const pod = decode('pod', {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', labels: { app: 'web', tier: 'fe' }, creationTimestamp: '2024-05-01T11:59:00Z' },
    spec: { containers: [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }], env: [{ name: 'MODE', value: 'prod' }], resources: { limits: { cpu: '500m' } } }] },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] },
  });

  it('prints annotations as kubectl does for every kind ("k: v"), labels as "k=v"', () => {
    const annotated = decode('pod', { metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { owner: 'team-a', note: 'x' } }, spec: { containers: [] } });
    const text = describeObject(pods, annotated, [], now);
    expect(text).toContain('Labels:             app=web\n');
    expect(text).toContain('Annotations:        note: x\n                    owner: team-a\n');
  });

  it('prints the kubectl-like summary of a pod', () => {
    const text = describeObject(pods, pod, [], now);
    expect(text).toContain('Name:               web\n');
    expect(text).toContain('Namespace:          default\n');
    expect(text).toContain('Labels:             app=web\n                    tier=fe\n');
    expect(text).toContain('Annotations:        <none>\nCreationTimestamp:  Wed, 01 May 2024 11:59:00 +0000\n');
    expect(text).toContain('Status:             Pending\n');
    expect(text).toMatch(/Containers:\n  web:\n    Image:\s+nginx:1\n    Port:\s+80\/TCP\n/);
    expect(text).not.toContain('Init Containers');
    expect(text).toContain('    Mounts:         <none>\n');
    expect(text).toContain('Volumes:            <none>\n');
    expect(text).toMatch(/    Limits:\n      cpu:  500m\n/);
    expect(text).toMatch(/MODE:\s+prod/);
    expect(text).toMatch(/Conditions:\n  Type\s+Status\n  PodScheduled\s+False\n/);
    expect(text).toContain('Events:             <none>\n');
  });

  it('shows probes as kubectl does, with the restart count and how the last instance ended', () => {
    const probed = decode('pod', {
      metadata: { name: 'live', namespace: 'default', uid: 'u2' },
      spec: {
        containers: [{
          name: 'web', image: 'busybox',
          livenessProbe: { httpGet: { path: '/healthz', port: { intVal: 8080 }, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 1, successThreshold: 1, failureThreshold: 3 },
          readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 2, failureThreshold: 3 },
          startupProbe: { tcpSocket: { port: { strVal: 'http' } }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 30 },
        }],
      },
      status: {
        phase: 'Running',
        containerStatuses: [{
          name: 'web', ready: false, restartCount: 2, started: true,
          state: { running: { startedAt: '2024-05-01T11:59:30Z' } },
          lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: '2024-05-01T11:59:00Z', finishedAt: '2024-05-01T11:59:29Z' } },
        }],
      },
    });
    const text = describeObject(pods, probed, [], now);
    expect(text).toMatch(/    State:\s+Running\n      Started:\s+Wed, 01 May 2024 11:59:30 \+0000\n    Last State:\s+Terminated\n      Reason:\s+Error\n      Exit Code:\s+137\n      Started:\s+Wed, 01 May 2024 11:59:00 \+0000\n      Finished:\s+Wed, 01 May 2024 11:59:29 \+0000\n    Ready:\s+False\n    Restart Count:\s+2\n/);
    expect(text).toMatch(/    Liveness:\s+http-get http:\/\/:8080\/healthz delay=0s timeout=1s period=1s #success=1 #failure=3\n/);
    expect(text).toMatch(/    Readiness:\s+exec \[cat \/tmp\/ready\] delay=5s timeout=1s period=5s #success=2 #failure=3\n/);
    expect(text).toMatch(/    Startup:\s+tcp-socket :http delay=0s timeout=1s period=10s #success=1 #failure=30\n    Environment:/);
  });

  it('lists the object\'s events', () => {
    const event = decode('event', {
      metadata: { name: 'web.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1' },
      reason: 'Scheduled', message: 'assigned default/web to node-1', type: 'Normal', source: { component: 'default-scheduler' },
      lastTimestamp: '2024-05-01T11:59:55Z', count: 1,
    }) as Event;
    expect(isEventFor(event, pods, pod)).toBe(true);
    const text = describeObject(pods, pod, [event], now);
    expect(text).toMatch(/Events:\n  Type\s+Reason\s+Age\s+From\s+Message\n  ----\s+------\s+----\s+----\s+-------\n  Normal\s+Scheduled\s+5s\s+default-scheduler\s+assigned default\/web to node-1\n/);
  });

  it('prints configmap data and falls back to YAML for other kinds', () => {
    const cm = decode('cm', { metadata: { name: 'conf', namespace: 'default' }, data: { 'app.conf': 'x=1' } });
    expect(describeObject(findKind('cm')!, cm, [], now)).toContain('Data\n====\napp.conf:\n----\nx=1\n');
    const lease = decode('lease', { metadata: { name: 'l', namespace: 'default' }, spec: { holderIdentity: 'me' } });
    expect(describeObject(findKind('lease')!, lease, [], now)).toContain('Spec:\n  holderIdentity: me\n');
  });
});

/** A pod as the kubelet reports it mid-life: a finished init container, a restarted native sidecar, every volume kind, env of every source. */
const appPod = {
  metadata: {
    name: 'web', namespace: 'shop', uid: 'u-web', labels: { app: 'web' }, creationTimestamp: '2024-05-01T11:50:00Z',
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9c8b7f6', uid: 'rs1', controller: true }],
  },
  spec: {
    serviceAccountName: 'web-sa',
    nodeName: 'node-1',
    initContainers: [
      {
        name: 'migrate', image: 'busybox', command: ['sh', '-c', 'echo migrating\nsleep 1'], volumeMounts: [{ name: 'data', mountPath: '/data' }],
        env: [{ name: 'WEB_MEM', valueFrom: { resourceFieldRef: { containerName: 'web', resource: 'limits.memory', divisor: '1Mi' } } }],
      },
      { name: 'proxy', image: 'busybox', restartPolicy: 'Always', args: ['httpd', '-f'] },
    ],
    containers: [{
      name: 'web', image: 'node:20', ports: [{ containerPort: 8080, protocol: 'TCP' }, { containerPort: 9090, protocol: 'UDP' }],
      resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
      envFrom: [{ configMapRef: { name: 'web-config' } }, { prefix: 'DB_', secretRef: { name: 'db-secret', optional: true } }],
      env: [
        { name: 'MODE', value: 'prod' },
        { name: 'BANNER', value: 'line one\nline two' },
        { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'color' } } },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'web-secret', key: 'token', optional: true } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        { name: 'TIER', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['app']" } } },
        { name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
        { name: 'MEM_MB', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      ],
      volumeMounts: [
        { name: 'cfg', mountPath: '/etc/config', readOnly: true },
        { name: 'data', mountPath: '/data', subPath: 'sub' },
        { name: 'creds', mountPath: '/etc/creds', readOnly: true },
      ],
    }],
    volumes: [
      { name: 'data', emptyDir: {} },
      { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'cfg', configMap: { name: 'web-config', items: [{ key: 'app.conf', path: 'app.conf' }] } },
      { name: 'creds', secret: { secretName: 'web-secret', optional: true, defaultMode: 256 } },
      { name: 'sock', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } },
      { name: 'logs', hostPath: { path: '/var/log' } },
      { name: 'podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { containerName: 'web', resource: 'limits.memory' } }] } },
      { name: 'all-in-one', projected: { sources: [{ secret: { name: 'web-secret' } }, { configMap: { name: 'web-config', optional: true } }, { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } }] } },
    ],
  },
  status: {
    phase: 'Running', hostIP: '10.0.0.5', podIP: '10.244.1.7', startTime: '2024-05-01T11:50:01Z',
    conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
    initContainerStatuses: [
      { name: 'migrate', restartCount: 0, containerID: 'docker://aaa', imageID: 'sha256:111', state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: '2024-05-01T11:50:02Z', finishedAt: '2024-05-01T11:50:03Z' } } },
      {
        name: 'proxy', ready: true, started: true, restartCount: 1, containerID: 'docker://bbb', imageID: 'sha256:111', state: { running: { startedAt: '2024-05-01T11:51:00Z' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'config file missing', startedAt: '2024-05-01T11:50:04Z', finishedAt: '2024-05-01T11:50:59Z' } },
      },
    ],
    containerStatuses: [{ name: 'web', ready: true, started: true, restartCount: 0, containerID: 'docker://ccc', imageID: 'sha256:222', state: { running: { startedAt: '2024-05-01T11:51:01Z' } } }],
  },
};

describe('describe pod: init containers, env, mounts and volumes as kubectl', () => {
  const text = describeObject(pods, decode('pod', appPod), [], now);

  it('prints the service account, node/hostIP, phase and owner', () => {
    expect(text).toContain('Service Account:    web-sa\nNode:               node-1/10.0.0.5\nStart Time:         Wed, 01 May 2024 11:50:01 +0000\nStatus:             Running\nIP:                 10.244.1.7\nControlled By:      ReplicaSet/web-5d9c8b7f6\n');
  });

  it('prints Init Containers before Containers, with their state, last state message and mounts', () => {
    expect(text.indexOf('Init Containers:\n  migrate:\n')).toBeGreaterThan(0);
    expect(text.indexOf('Init Containers:')).toBeLessThan(text.indexOf('\nContainers:\n  web:\n'));
    expect(text).toContain([
      '  migrate:',
      '    Container ID:   docker://aaa',
      '    Image:          busybox',
      '    Image ID:       sha256:111',
      '    Port:           <none>',
      '    Command:',
      '      sh',
      '      -c',
      '      echo migrating',
      '      sleep 1',
      '    State:          Terminated',
      '      Reason:       Completed',
      '      Exit Code:    0',
      '      Started:      Wed, 01 May 2024 11:50:02 +0000',
      '      Finished:     Wed, 01 May 2024 11:50:03 +0000',
      '    Ready:          False',
      '    Restart Count:  0',
      '    Environment:',
      '      WEB_MEM:  128 (limits.memory)',
      '    Mounts:',
      '      /data from data (rw)',
      '  proxy:',
    ].join('\n'));
    expect(text).toContain('    Args:\n      httpd\n      -f\n    State:          Running\n');
    expect(text).toContain('    Last State:     Terminated\n      Reason:       Error\n      Message:      config file missing\n      Exit Code:    1\n');
  });

  it('prints ports, resources, envFrom, env of every source and the mounts of an app container', () => {
    expect(text).toContain('    Ports:          8080/TCP, 9090/UDP\n');
    expect(text).toContain('    Limits:\n      cpu:     500m\n      memory:  128Mi\n    Requests:\n      cpu:     250m\n      memory:  64Mi\n');
    expect(text).toContain([
      '    Environment Variables from:',
      '      web-config  ConfigMap                 Optional: false',
      '      db-secret   Secret with prefix \'DB_\'  Optional: true',
      '    Environment:',
      '      MODE:      prod',
      '      BANNER:    line one',
      '                 line two',
      '      COLOR:     <set to the key \'color\' of config map \'web-config\'>  Optional: false',
      '      TOKEN:     <set to the key \'token\' in secret \'web-secret\'>      Optional: true',
      '      POD_NAME:  web (v1:metadata.name)',
      '      TIER:      web (v1:metadata.labels[\'app\'])',
      '      NODE:       (v1:spec.nodeName)',
      '      MEM_MB:    128 (limits.memory)',
      '      CPU:       250 (requests.cpu)',
      '    Mounts:',
      '      /data from data (rw,path="sub")',
      '      /etc/config from cfg (ro)',
      '      /etc/creds from creds (ro)',
      'Conditions:',
    ].join('\n'));
  });

  it('prints every volume with its source', () => {
    expect(text).toContain([
      'Volumes:',
      '  data:',
      '    Type:       EmptyDir (a temporary directory that shares a pod\'s lifetime)',
      '    Medium:',
      '    SizeLimit:  <unset>',
      '  cache:',
      '    Type:       EmptyDir (a temporary directory that shares a pod\'s lifetime)',
      '    Medium:     Memory',
      '    SizeLimit:  64Mi',
      '  cfg:',
      '    Type:      ConfigMap (a volume populated by a ConfigMap)',
      '    Name:      web-config',
      '    Optional:  false',
      '  creds:',
      '    Type:        Secret (a volume populated by a Secret)',
      '    SecretName:  web-secret',
      '    Optional:    true',
      '  sock:',
      '    Type:          HostPath (bare host directory volume)',
      '    Path:          /var/run/docker.sock',
      '    HostPathType:  Socket',
      '  logs:',
      '    Type:          HostPath (bare host directory volume)',
      '    Path:          /var/log',
      '    HostPathType:',
      '  podinfo:',
      '    Type:  DownwardAPI (a volume populated by information about the pod)',
      '    Items:',
      '      metadata.labels -> labels',
      '      limits.memory -> mem',
      '  all-in-one:',
      '    Type:           Projected (a volume that contains injected data from multiple sources)',
      '    SecretName:     web-secret',
      '    Optional:       false',
      '    ConfigMapName:  web-config',
      '    Optional:       true',
      '    DownwardAPI:    true',
      'Node-Selectors:     <none>',
    ].join('\n'));
  });

  it('prints no image pull secrets for a pod, as kubectl', () => {
    const withPullSecret = decode('pod', { ...appPod, spec: { ...appPod.spec, imagePullSecrets: [{ name: 'regcred' }] } });
    expect(describeObject(pods, withPullSecret, [], now)).not.toMatch(/regcred|Pull Secrets/i);
  });

  it('shows failing init containers: waiting reason, the last exit with its message', () => {
    const failing = decode('pod', {
      metadata: { name: 'init-fail', namespace: 'default' },
      spec: { initContainers: [{ name: 'check', image: 'busybox', command: ['false'] }], containers: [{ name: 'app', image: 'busybox' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [{
          name: 'check', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'db not reachable', finishedAt: '2024-05-01T11:59:00Z' } },
        }],
        containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }],
      },
    });
    const out = describeObject(pods, failing, [], now);
    expect(out).toContain('Status:             Pending\n');
    expect(out).toMatch(/  check:\n(.*\n)*?    State:          Waiting\n      Reason:       CrashLoopBackOff\n    Last State:     Terminated\n      Reason:       Error\n      Message:      db not reachable\n      Exit Code:    1\n/);
    expect(out).toContain('    Restart Count:  3\n');
    expect(out).toMatch(/  app:\n(.*\n)*?    State:          Waiting\n      Reason:       PodInitializing\n/);
  });

  it('shows Terminating with the grace period only while the pod is not finished', () => {
    const deleting = (phase: string) => decode('pod', {
      metadata: { name: 'bye', namespace: 'default', deletionTimestamp: '2024-05-01T11:59:50Z', deletionGracePeriodSeconds: 30 },
      spec: { containers: [{ name: 'app', image: 'busybox' }] }, status: { phase },
    });
    expect(describeObject(pods, deleting('Running'), [], now)).toContain('Status:             Terminating (lasts 10s)\nTermination Grace Period:  30s\n');
    expect(describeObject(pods, deleting('Succeeded'), [], now)).toContain('Status:             Succeeded\n');
  });

  it('prints init containers, env sources and volumes of a pod template, with no values read from a pod', () => {
    const text = describePodTemplate({
      metadata: decode('pod', { metadata: { labels: { app: 'web' } } }).metadata,
      spec: (decode('pod', appPod) as unknown as { spec: never }).spec,
    });
    expect(text).toMatch(/^Pod Template:\n  Labels:\s+app=web\n  Service Account:\s+web-sa\n  Init Containers:\n    migrate:\n      Image:\s+busybox\n/);
    expect(text).not.toContain('Container ID');
    expect(text).toContain('        POD_NAME:   (v1:metadata.name)\n');
    expect(text).toContain('  Volumes:\n    data:\n      Type:       EmptyDir');
  });
});

describe('describe helpers', () => {
  const container = (resources: object) => findKind('pod')!.codec.fromJSON({ spec: { containers: [{ name: 'c', resources }] } }) as unknown as { spec: { containers: Container[] } };

  it('computes resourceFieldRef values as kubectl (divided by the divisor, rounded up)', () => {
    const c = container({ limits: { cpu: '1500m', memory: '100Mi' }, requests: { cpu: '250m', memory: '1G' } }).spec.containers[0];
    const ref = (resource: string, divisor = '') => kubectlResourceFieldValue({ containerName: '', resource, divisor }, c);
    expect(ref('limits.cpu')).toBe('2');
    expect(ref('limits.cpu', '1m')).toBe('1500');
    expect(ref('limits.memory', '1Mi')).toBe('100');
    expect(ref('requests.memory', '1Mi')).toBe('954');
    expect(ref('requests.cpu', '0')).toBe('1');
    expect(ref('limits.ephemeral-storage')).toBe('0');
    expect(ref('limits.gpu')).toBe('');
    const bare = decode('pod', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', env: [{ name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }] }] } });
    expect(describeObject(pods, bare, [], now)).toContain('      CPU:  node allocatable (limits.cpu)\n');
  });

  it('aligns blocks of cells as Go\'s tabwriter', () => {
    expect(tabAlign([['a:', '1'], ['long-key:', '2', 'x'], ['k:', 'vvvv', 'y'], ['plain'], ['b:', '3']])).toEqual([
      'a:         1',
      'long-key:  2     x',
      'k:         vvvv  y',
      'plain',
      'b:  3',
    ]);
  });
});

describe('describe serviceaccount', () => {
  const saKind = findKind('sa')!;

  it('prints image pull secrets, and no mountable secrets or tokens (Skiff has none)', () => {
    const sa = saKind.codec.fromJSON({ metadata: { name: 'builder', namespace: 'default' }, imagePullSecrets: [{ name: 'regcred' }, { name: 'other' }] }) as KubeObject;
    expect(describeObject(saKind, sa, [], now)).toContain('Image pull secrets:  regcred\n                     other\nMountable secrets:   <none>\nTokens:              <none>\nEvents:');
    const plain = saKind.codec.fromJSON({ metadata: { name: 'default', namespace: 'default' } }) as KubeObject;
    expect(describeObject(saKind, plain, [], now)).toContain('Image pull secrets:  <none>\n');
  });
});
