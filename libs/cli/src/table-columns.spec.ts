import { findKind, type KubeObject } from '@skiff/api';
import { renderTable } from './table';
import { formatEndpoints, formatLabelSelector, sortForListing, tableLayout } from './table-columns';

const now = new Date('2024-05-01T12:00:00Z');
const created = new Date(now.getTime() - 5_000);

function meta(name: string, extra: Record<string, unknown> = {}) {
  return { name, namespace: 'default', labels: {}, annotations: {}, creationTimestamp: created, ...extra };
}

function table(kind: string, objects: unknown[], options = {}): string[] {
  const layout = tableLayout(findKind(kind)!, options, now);
  return renderTable(layout.header, (objects as KubeObject[]).map((o) => layout.row(o)));
}

describe('tableLayout', () => {
  it('prints pods like kubectl, with -o wide, -A and --show-labels', () => {
    const pod = { metadata: meta('web', { labels: { app: 'web', tier: 'fe' } }), spec: { containers: [{ name: 'web' }], nodeName: '' }, status: { phase: 'Pending', conditions: [], containerStatuses: [] } };
    expect(table('pods', [pod])).toEqual(['NAME   READY   STATUS    RESTARTS   AGE', 'web    0/1     Pending   0          5s']);
    expect(table('po', [pod], { wide: true })[0]).toBe('NAME   READY   STATUS    RESTARTS   AGE   IP       NODE');
    expect(table('po', [pod], { wide: true })[1]).toBe('web    0/1     Pending   0          5s    <none>   <none>');
    expect(table('pod', [pod], { withNamespace: true, showLabels: true })).toEqual([
      'NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   LABELS',
      'default     web    0/1     Pending   0          5s    app=web,tier=fe',
    ]);
    expect(table('pod', [pod], { withKind: true })[1]).toMatch(/^pod\/web /);
  });

  it('prints the init progress, failures and native sidecars of pods as kubectl', () => {
    const spec = { initContainers: [{ name: 'migrate' }, { name: 'proxy', restartPolicy: 'Always' }], containers: [{ name: 'web' }] };
    const init = (name: string, initContainerStatuses: unknown[], containerStatuses: unknown[] = [], phase = 'Pending', conditions: unknown[] = []) =>
      findKind('pod')!.codec.fromJSON({ metadata: { name, namespace: 'default', creationTimestamp: created.toISOString() }, spec, status: { phase, conditions, initContainerStatuses, containerStatuses } });
    const done = { name: 'migrate', state: { terminated: { exitCode: 0, reason: 'Completed' } } };
    const sidecar = { name: 'proxy', started: true, ready: true, restartCount: 2, state: { running: {} } };
    expect(table('pods', [
      init('a-migrating', [{ name: 'migrate', state: { running: {} } }, { name: 'proxy', state: { waiting: { reason: 'PodInitializing' } } }]),
      init('b-failed', [{ name: 'migrate', restartCount: 1, state: { terminated: { exitCode: 1, reason: 'Error' } } }, { name: 'proxy' }]),
      init('c-looping', [{ name: 'migrate', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }, { name: 'proxy' }]),
      init('d-sidecar-starting', [done, { name: 'proxy', started: false, state: { running: {} } }]),
      init('e-app-starting', [done, sidecar], [{ name: 'web', state: { waiting: { reason: 'PodInitializing' } } }], 'Pending', [{ type: 'Initialized', status: 'True' }]),
      init('f-running', [done, sidecar], [{ name: 'web', ready: true, restartCount: 1, state: { running: {} } }], 'Running', [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }]),
      init('g-config', [done, sidecar], [{ name: 'web', state: { waiting: { reason: 'CreateContainerConfigError' } } }], 'Pending', [{ type: 'Initialized', status: 'True' }]),
    ])).toEqual([
      'NAME                 READY   STATUS                       RESTARTS   AGE',
      'a-migrating          0/2     Init:0/2                     0          5s',
      'b-failed             0/2     Init:Error                   1          5s',
      'c-looping            0/2     Init:CrashLoopBackOff        4          5s',
      'd-sidecar-starting   0/2     Init:1/2                     0          5s',
      'e-app-starting       1/2     PodInitializing              2          5s',
      'f-running            2/2     Running                      3          5s',
      'g-config             1/2     CreateContainerConfigError   2          5s',
    ]);
  });

  it('prints service accounts with their (always zero) token secrets', () => {
    expect(table('sa', [{ metadata: meta('default'), imagePullSecrets: [{ name: 'regcred' }] }])).toEqual(['NAME      SECRETS   AGE', 'default   0         5s']);
  });

  it('prints services with their ports', () => {
    const svc = { metadata: meta('web'), spec: { type: '', clusterIP: '10.96.0.12', externalIPs: [], ports: [{ port: 80, protocol: 'TCP', nodePort: 0 }, { port: 53, protocol: 'UDP', nodePort: 30053 }], selector: { app: 'web' } } };
    expect(table('svc', [svc], { wide: true })).toEqual([
      'NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)               AGE   SELECTOR',
      'web    ClusterIP   10.96.0.12   <none>        80/TCP,53:30053/UDP   5s    app=web',
    ]);
  });

  it('prints deployments, replicasets, configmaps, secrets, namespaces, nodes, hpa', () => {
    const template = { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } };
    const selector = { matchLabels: { app: 'web' }, matchExpressions: [] };
    expect(table('deploy', [{ metadata: meta('web'), spec: { replicas: 3, template, selector }, status: { readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 } }], { wide: true })[1]).toBe(
      'web    1/3     2            1           5s    web          nginx:1   app=web',
    );
    expect(table('rs', [{ metadata: meta('web-1'), spec: { template, selector }, status: { replicas: 1, readyReplicas: 0 } }])).toEqual([
      'NAME    DESIRED   CURRENT   READY   AGE',
      'web-1   1         1         0       5s',
    ]);
    expect(table('cm', [{ metadata: meta('conf'), data: { a: '1', b: '2' }, binaryData: {} }])[1]).toBe('conf   2      5s');
    expect(table('secret', [{ metadata: meta('s'), data: { a: new Uint8Array() }, type: '' }])[1]).toBe('s      Opaque   1      5s');
    expect(table('ns', [{ metadata: meta('dev'), status: { phase: 'Active' } }])).toEqual(['NAME   STATUS   AGE', 'dev    Active   5s']);
    const node = { metadata: meta('n1', { labels: { 'node-role.kubernetes.io/control-plane': '' } }), spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [], nodeInfo: { kubeletVersion: 'v0.1.0' } } };
    expect(table('nodes', [node])[1]).toBe('n1     Ready,SchedulingDisabled   control-plane   5s    v0.1.0');
    const hpa = { metadata: meta('web'), spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] }, status: { currentReplicas: 2, currentMetrics: [] } };
    expect(table('hpa', [hpa])[1]).toBe('web    Deployment/web   cpu: <unknown>/50%   2         5         2          5s');
  });

  it('prints events without a NAME column, oldest first', () => {
    const ev = (name: string, ms: number) => ({ metadata: meta(name), involvedObject: { kind: 'Pod', name: 'web' }, reason: 'Scheduled', message: `m-${name}`, type: 'Normal', lastTimestamp: new Date(now.getTime() - ms) });
    const sorted = sortForListing(findKind('events')!, [ev('new', 1000), ev('old', 60_000)] as unknown as KubeObject[]);
    expect(table('ev', sorted)).toEqual([
      'LAST SEEN   TYPE     REASON      OBJECT    MESSAGE',
      '60s         Normal   Scheduled   pod/web   m-old',
      '1s          Normal   Scheduled   pod/web   m-new',
    ]);
  });
});

describe('formatters', () => {
  it('formats endpoints like kubectl', () => {
    const addresses = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip) => ({ ip }));
    expect(formatEndpoints({ subsets: [] } as never)).toBe('<none>');
    expect(formatEndpoints({ subsets: [{ addresses: addresses.slice(0, 2), notReadyAddresses: [], ports: [{ port: 80 }] }] } as never)).toBe('10.0.0.1:80,10.0.0.2:80');
    expect(formatEndpoints({ subsets: [{ addresses, notReadyAddresses: [], ports: [{ port: 80 }] }] } as never)).toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...');
  });

  it('formats label selectors', () => {
    expect(formatLabelSelector({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['x', 'y'] }, { key: 'old', operator: 'DoesNotExist', values: [] }] })).toBe('a=1,b=2,env in (x,y),!old');
    expect(formatLabelSelector(undefined)).toBe('<none>');
  });
});
