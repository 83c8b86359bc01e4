/**
 * The scheduler (in-process) against real etcd, NATS and the built apiserver, with Node objects
 * created through the API (no kubelet yet). Issue 3's ACCEPTANCE 1, 2 and 8 at the API level.
 * Each test places its pods on its own group of nodes (label "group") so tests do not interfere.
 */
import { Node, Pod, parseCpuMillis, type Affinity, type NodeSelectorRequirement, type Event, type Taint, type Toleration } from '@skiff/api';
import { connectBus, type BusConnection } from '@skiff/bus';
import { connect, typed, type SkiffClient, type TypedClient } from '@skiff/client';
import { createLogger } from '@skiff/service';
import { startApiserver, startEtcd, startNats, waitFor, type ApiserverProcess, type EtcdServer, type NatsServer } from '@skiff/testing';
import { Scheduler } from './scheduler';

interface NodeOpts {
  cpu: string;
  memory?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
}

function testNode(name: string, o: NodeOpts): Node {
  const allocatable = { cpu: o.cpu, memory: o.memory ?? '8Gi', pods: '110' };
  return Node.fromPartial({
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints ?? [] },
    status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date() }] },
  });
}

interface PodOpts {
  cpu?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  nodeName?: string;
  schedulerName?: string;
}

function testPod(name: string, o: PodOpts = {}): Pod {
  return Pod.fromPartial({
    metadata: { name, namespace: 'default', labels: { test: 'scheduler' } },
    spec: {
      containers: [{ name: 'app', image: '127.0.0.1:5000/skiff/busybox:latest', command: ['sleep', '3600'], resources: { requests: { cpu: o.cpu ?? '100m', memory: '64Mi' } } }],
      nodeSelector: o.nodeSelector ?? {},
      affinity: o.affinity,
      tolerations: o.tolerations ?? [],
      nodeName: o.nodeName ?? '',
      schedulerName: o.schedulerName ?? '',
    },
  });
}

type Term = { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] };
const required = (...terms: Term[]): Affinity => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms.map((t) => ({ matchExpressions: t.matchExpressions ?? [], matchFields: t.matchFields ?? [] })) },
    preferredDuringSchedulingIgnoredDuringExecution: [],
  },
});

describe('scheduler against the real apiserver', () => {
  let etcd: EtcdServer;
  let nats: NatsServer;
  let api: ApiserverProcess;
  let client: SkiffClient;
  let bus: BusConnection;
  let pods: TypedClient<'pod'>;
  let nodes: TypedClient<'node'>;
  let scheduler: Scheduler;
  let running: Promise<void>;
  const stop = new AbortController();

  beforeAll(async () => {
    [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
    api = await startApiserver({ etcd, nats, logLevel: 'warn' });
    client = connect(api.address, { timeoutMs: 10_000 });
    pods = typed(client, 'pod');
    nodes = typed(client, 'node');
    bus = await connectBus(nats.url, { name: 'scheduler-int' });
    scheduler = new Scheduler({ client, bus, logger: createLogger('scheduler', 'warn'), queue: { initialBackoffMs: 100, maxBackoffMs: 1_000 } });
    running = scheduler.start(stop.signal);
  }, 90_000);

  afterAll(async () => {
    stop.abort();
    await running;
    client?.close();
    await bus?.close();
    await api?.stop();
    await Promise.all([nats?.stop(), etcd?.stop()]);
  }, 30_000);

  const get = (name: string) => pods.get('default', name);
  const boundTo = (name: string) => waitFor(`pod ${name} to be bound`, async () => (await get(name)).spec?.nodeName, { timeoutMs: 15_000 });
  const podScheduled = (p: Pod) => p.status?.conditions.find((c) => c.type === 'PodScheduled');
  const eventsFor = async (name: string): Promise<Event[]> =>
    (await typed(client, 'event').list({ namespace: 'default' })).items.filter((e) => e.involvedObject?.name === name);

  it('ACCEPTANCE 1: a pod that does not fit node-1 lands on node-2; one larger than any node stays Pending with the reason, then binds when a node with room arrives', async () => {
    const group = { group: 'a1' };
    await nodes.create(testNode('node-1', { cpu: '2', labels: group }));
    await nodes.create(testNode('node-2', { cpu: '2', labels: group }));
    // node-1 is mostly used by a pod placed there directly (nodeName set: the scheduler leaves it alone).
    await pods.create(testPod('filler', { cpu: '1500m', nodeName: 'node-1' }));
    await waitFor('the scheduler to see the filler on node-1', () => (scheduler.cache.nodeInfo('node-1')?.requested.cpu ?? 0) === 1500);

    await pods.create(testPod('fits', { cpu: '1', nodeSelector: group }));
    expect(await boundTo('fits')).toBe('node-2');
    expect(podScheduled(await get('fits'))?.status).toBe('True');

    await pods.create(testPod('huge', { cpu: '3', nodeSelector: group }));
    const pending = await waitFor('huge to be marked unschedulable', async () => {
      const p = await get('huge');
      return podScheduled(p)?.status === 'False' ? p : undefined;
    });
    expect(pending.spec?.nodeName).toBe('');
    expect(pending.status?.phase).toBe('Pending');
    // node-1: 1500m of 2 used; node-2: 1 of 2 used; neither has 3 cpus.
    expect(podScheduled(pending)).toMatchObject({ reason: 'Unschedulable', message: '0/2 nodes are available: 2 Insufficient cpu.' });
    const events = await waitFor('a FailedScheduling event', async () => {
      const list = await eventsFor('huge');
      return list.length ? list : undefined;
    });
    expect(events[0]).toMatchObject({
      reason: 'FailedScheduling',
      type: 'Warning',
      message: '0/2 nodes are available: 2 Insufficient cpu.',
      source: { component: 'default-scheduler' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'huge', uid: pending.metadata?.uid },
    });
    expect(events[0].count).toBeGreaterThanOrEqual(1);

    await nodes.create(testNode('node-3', { cpu: '4', labels: group }));
    expect(await boundTo('huge')).toBe('node-3');
    expect(podScheduled(await get('huge'))?.status).toBe('True');
    const scheduled = await waitFor('a Scheduled event', async () => (await eventsFor('huge')).find((e) => e.reason === 'Scheduled'));
    expect(scheduled).toMatchObject({ type: 'Normal', message: 'Successfully assigned default/huge to node-3', source: { component: 'default-scheduler' } });
  }, 60_000);

  it('ACCEPTANCE 2: 100 pods applied at once never exceed any node\'s allocatable', async () => {
    const group = { group: 'c' };
    const sizes: Record<string, string> = { 'c-1': '2', 'c-2': '3', 'c-3': '1' };
    for (const [name, cpu] of Object.entries(sizes)) await nodes.create(testNode(name, { cpu, labels: group }));
    await waitFor('the scheduler to see group c', () => Object.keys(sizes).every((n) => scheduler.cache.nodeInfo(n)));
    // 6 cpus in all, 100 pods of 100m: exactly 60 fit.
    await Promise.all(Array.from({ length: 100 }, (_, i) => pods.create(testPod(`burst-${i}`, { cpu: '100m', nodeSelector: group }))));
    const settled = await waitFor(
      '60 pods bound and 40 marked unschedulable',
      async () => {
        const list = (await pods.list({ namespace: 'default' })).items.filter((p) => p.metadata?.name?.startsWith('burst-'));
        const bound = list.filter((p) => p.spec?.nodeName);
        const refused = list.filter((p) => !p.spec?.nodeName && podScheduled(p)?.status === 'False');
        return bound.length === 60 && refused.length === 40 ? list : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const perNode = new Map<string, number>();
    for (const p of settled) {
      if (!p.spec?.nodeName) continue;
      const cpu = parseCpuMillis(p.spec.containers[0].resources?.requests.cpu ?? '0');
      perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + cpu);
    }
    for (const [name, cpu] of Object.entries(sizes)) expect(perNode.get(name)).toBe(parseCpuMillis(cpu));
    const refused = settled.find((p) => !p.spec?.nodeName) as Pod;
    // Every node of the cluster counts (the earlier tests' nodes fail on the nodeSelector).
    expect(podScheduled(refused)?.message).toBe("0/6 nodes are available: 3 Insufficient cpu, 3 node(s) didn't match Pod's node affinity/selector.");
  }, 60_000);

  it('ACCEPTANCE 8: nodeSelector steers placement', async () => {
    await nodes.create(testNode('s-ssd', { cpu: '8', labels: { group: 's', disk: 'ssd' } }));
    await nodes.create(testNode('s-hdd', { cpu: '8', labels: { group: 's', disk: 'hdd' } }));
    for (const i of [0, 1, 2]) await pods.create(testPod(`ssd-${i}`, { nodeSelector: { group: 's', disk: 'ssd' } }));
    for (const i of [0, 1, 2]) expect(await boundTo(`ssd-${i}`)).toBe('s-ssd');
  }, 30_000);

  it('ACCEPTANCE 8: required node affinity steers placement (In, NotIn, Gt, matchFields)', async () => {
    await nodes.create(testNode('f-small', { cpu: '8', labels: { group: 'f', cores: '4', zone: 'east' } }));
    await nodes.create(testNode('f-large', { cpu: '8', labels: { group: 'f', cores: '32', zone: 'west' } }));
    const g = { key: 'group', operator: 'In', values: ['f'] };
    await pods.create(testPod('aff-in', { affinity: required({ matchExpressions: [g, { key: 'zone', operator: 'In', values: ['west'] }] }) }));
    await pods.create(testPod('aff-notin', { affinity: required({ matchExpressions: [g, { key: 'zone', operator: 'NotIn', values: ['west'] }] }) }));
    await pods.create(testPod('aff-gt', { affinity: required({ matchExpressions: [g, { key: 'cores', operator: 'Gt', values: ['8'] }] }) }));
    await pods.create(testPod('aff-field', { affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['f-small'] }] }) }));
    expect(await boundTo('aff-in')).toBe('f-large');
    expect(await boundTo('aff-notin')).toBe('f-small');
    expect(await boundTo('aff-gt')).toBe('f-large');
    expect(await boundTo('aff-field')).toBe('f-small');
  }, 30_000);

  it('ACCEPTANCE 8: taints keep pods away unless tolerated', async () => {
    const taint: Taint = { key: 'dedicated', value: 'batch', effect: 'NoSchedule', timeAdded: undefined };
    await nodes.create(testNode('t-tainted', { cpu: '8', labels: { group: 't' }, taints: [taint] }));
    await nodes.create(testNode('t-plain', { cpu: '2', labels: { group: 't' } }));
    const sel = { group: 't' };
    for (const i of [0, 1, 2]) await pods.create(testPod(`plain-${i}`, { nodeSelector: sel }));
    for (const i of [0, 1, 2]) expect(await boundTo(`plain-${i}`)).toBe('t-plain');
    // 4 cpus fit only the tainted node: with the toleration it goes there, without it stays Pending.
    const toleration: Toleration = { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule', tolerationSeconds: undefined };
    await pods.create(testPod('tolerant', { cpu: '4', nodeSelector: sel, tolerations: [toleration] }));
    await pods.create(testPod('intolerant', { cpu: '4', nodeSelector: sel }));
    expect(await boundTo('tolerant')).toBe('t-tainted');
    const refused = await waitFor('intolerant to be unschedulable', async () => podScheduled(await get('intolerant'))?.message);
    expect(refused).toContain('1 node(s) had untolerated taint {dedicated: batch}');
    expect(refused).toContain('1 Insufficient cpu');
  }, 30_000);

  it('leaves pods with nodeName set, or for another scheduler, alone', async () => {
    await pods.create(testPod('preassigned', { nodeName: 'no-such-node' }));
    await pods.create(testPod('other-scheduler', { schedulerName: 'my-scheduler' }));
    await nodes.create(testNode('z-1', { cpu: '8', labels: { group: 'z' } }));
    // A pod created after them is bound: the scheduler has been through its queue since.
    await pods.create(testPod('sentinel', { nodeSelector: { group: 'z' } }));
    expect(await boundTo('sentinel')).toBe('z-1');
    const pre = await get('preassigned');
    expect(pre.spec?.nodeName).toBe('no-such-node');
    expect(podScheduled(pre)).toBeUndefined();
    const other = await get('other-scheduler');
    expect(other.spec?.nodeName).toBe('');
    expect(podScheduled(other)).toBeUndefined();
    expect(await eventsFor('preassigned')).toEqual([]);
    expect(await eventsFor('other-scheduler')).toEqual([]);
  }, 30_000);
});
