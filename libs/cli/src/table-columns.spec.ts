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

  it('prints daemonsets like kubectl (DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE; wide: containers, images, selector)', () => {
    const ds = {
      metadata: meta('fluentd'),
      spec: { selector: { matchLabels: { name: 'fluentd' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'fluentd', image: 'fluentd:v2' }] } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 1, numberAvailable: 2 },
    };
    expect(table('ds', [ds])).toEqual([
      'NAME      DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR            AGE',
      'fluentd   3         3         2       1            2           kubernetes.io/os=linux   5s',
    ]);
    expect(table('daemonsets', [{ ...ds, spec: { ...ds.spec, template: { spec: { containers: ds.spec.template.spec.containers } } } }], { wide: true })).toEqual([
      'NAME      DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE   CONTAINERS   IMAGES       SELECTOR',
      'fluentd   3         3         2       1            2           <none>          5s    fluentd      fluentd:v2   name=fluentd',
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

describe('jobs and cronjobs tables (kubectl printJob, printCronJob)', () => {
  const jobKind = findKind('jobs')!;
  const job = (name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    jobKind.codec.fromJSON({
      metadata: { name, namespace: 'default', creationTimestamp: new Date(now.getTime() - 600_000).toISOString(), ...extra },
      spec: {
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': `uid-${name}` } },
        template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34.0' }, { name: 'log', image: 'busybox' }] } },
        ...spec,
      },
      status: { conditions: [], ...status },
    }) as KubeObject;
  const at = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000).toISOString();
  const condition = (type: string, status = 'True') => ({ type, status });

  it('prints STATUS, COMPLETIONS and DURATION as kubectl', () => {
    expect(
      table('jobs', [
        job('a-running', { completions: 5, parallelism: 2 }, { startTime: at(125), succeeded: 3 }),
        job('b-complete', { completions: 1, parallelism: 1 }, { startTime: at(300), completionTime: at(235), succeeded: 1, conditions: [condition('SuccessCriteriaMet'), condition('Complete')] }),
        job('c-queue', { parallelism: 3 }, { startTime: at(10), succeeded: 1 }),
        job('d-queue-one', { parallelism: 1 }, {}),
        job('e-failed', { completions: 2 }, { startTime: at(30), completionTime: at(20), failed: 7, conditions: [condition('FailureTarget'), condition('Failed')] }),
        job('f-suspended', { completions: 2, suspend: true }, { conditions: [condition('Suspended')] }),
        job('g-failing', { completions: 2 }, { startTime: at(5), conditions: [condition('FailureTarget')] }),
        job('h-criteria', { completions: 2 }, { startTime: at(5), conditions: [condition('SuccessCriteriaMet')] }),
        job('i-not-suspended', { completions: 2 }, { startTime: at(5), conditions: [condition('Suspended', 'False')] }),
        job('j-deleting', { completions: 2 }, { startTime: at(5) }, { deletionTimestamp: at(1) }),
      ]),
    ).toEqual([
      'NAME              STATUS               COMPLETIONS   DURATION   AGE',
      'a-running         Running              3/5           2m5s       10m',
      'b-complete        Complete             1/1           65s        10m',
      'c-queue           Running              1/1 of 3      10s        10m',
      'd-queue-one       Running              0/1                      10m',
      'e-failed          Failed               0/2           10s        10m',
      'f-suspended       Suspended            0/2                      10m',
      'g-failing         FailureTarget        0/2           5s         10m',
      'h-criteria        SuccessCriteriaMet   0/2           5s         10m',
      'i-not-suspended   Running              0/2           5s         10m',
      'j-deleting        Terminating          0/2           5s         10m',
    ]);
  });

  it('adds CONTAINERS, IMAGES and SELECTOR with -o wide', () => {
    expect(table('job', [job('pi', { completions: 1 })], { wide: true })).toEqual([
      'NAME   STATUS    COMPLETIONS   DURATION   AGE   CONTAINERS   IMAGES                SELECTOR',
      'pi     Running   0/1                      10m   pi,log       perl:5.34.0,busybox   batch.kubernetes.io/controller-uid=uid-pi',
    ]);
  });

  it('prints cronjobs with SCHEDULE, TIMEZONE, SUSPEND, ACTIVE and LAST SCHEDULE', () => {
    const cronKind = findKind('cj')!;
    const cron = (name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}) =>
      cronKind.codec.fromJSON({
        metadata: { name, namespace: 'default', creationTimestamp: at(3 * 3600) },
        spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox:1.28' }] } } } }, ...spec },
        status,
      }) as KubeObject;
    const rows = [
      cron('hello', { schedule: '*/1 * * * *', timeZone: 'Etc/UTC', suspend: false }, { lastScheduleTime: at(42), active: [{ kind: 'Job', name: 'hello-1' }, { kind: 'Job', name: 'hello-2' }] }),
      cron('nightly', { schedule: '@daily', suspend: true }),
      cron('unset', { schedule: '0 * * * *' }),
    ];
    expect(table('cronjobs', rows)).toEqual([
      'NAME      SCHEDULE      TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE',
      'hello     */1 * * * *   Etc/UTC    False     2        42s             3h',
      'nightly   @daily        <none>     True      0        <none>          3h',
      'unset     0 * * * *     <none>     <unset>   0        <none>          3h',
    ]);
    expect(table('cronjobs', rows.slice(1, 2), { wide: true })).toEqual([
      'NAME      SCHEDULE   TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE   CONTAINERS   IMAGES         SELECTOR',
      'nightly   @daily     <none>     True      0        <none>          3h    hello        busybox:1.28   <none>',
    ]);
  });
});
