import { nodeInfoOf, withPod } from './framework/node-info';
import { podInfoOf } from './framework/pod-info';
import { snapshotOf } from './framework/snapshot';
import { DEFAULT_FILTERS, DEFAULT_SCORES } from './default-plugins';
import { SUCCESS } from './framework/status';
import { activePlugins, isScheduled, numFeasibleNodesToFind, schedule, type ScheduleResult } from './schedule';
import { node, nodeInfo, pod, podInfo } from './test-objects.spec-helper';

const nodeOf = (r: ScheduleResult) => (isScheduled(r) ? r.node : undefined);

describe('schedule', () => {
  it('places a pod that does not fit on node-1 on node-2 (ACCEPTANCE 1, pure)', () => {
    const snapshot = snapshotOf([
      nodeInfo('node-1', { cpu: '2' }, [podInfo('big', { cpu: '1500m' })]),
      nodeInfo('node-2', { cpu: '2' }),
    ]);
    expect(nodeOf(schedule(pod('p', { cpu: '1' }), snapshot))).toBe('node-2');
  });

  it('explains a pod larger than every node', () => {
    const snapshot = snapshotOf([nodeInfo('node-1', { cpu: '2' }), nodeInfo('node-2', { cpu: '2' })]);
    const result = schedule(pod('huge', { cpu: '3' }), snapshot);
    expect(isScheduled(result)).toBe(false);
    if (isScheduled(result)) return;
    expect(result.message).toBe('0/2 nodes are available: 2 Insufficient cpu.');
    expect([...result.unschedulable.keys()].sort()).toEqual(['node-1', 'node-2']);
    expect(result.unschedulable.get('node-1')?.plugin).toBe('NodeResourcesFit');
  });

  it('explains a pod whose init container (with the sidecar before it) is larger than every node', () => {
    const snapshot = snapshotOf([nodeInfo('node-1', { cpu: '2', memory: '1Gi' })]);
    const result = schedule(pod('init', { cpu: '100m', initContainers: [{ memory: '512Mi', sidecar: true }, { memory: '768Mi' }] }), snapshot);
    expect(isScheduled(result) ? result.node : result.message).toBe('0/1 nodes are available: 1 Insufficient memory.');
  });

  it('mixes reasons from different filters in one message', () => {
    const snapshot = snapshotOf([
      nodeInfo('a', { cpu: '1' }),
      nodeInfo('b', { unschedulable: true }),
      nodeInfo('c', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }),
    ]);
    const result = schedule(pod('p', { cpu: '2' }), snapshot);
    expect(!isScheduled(result) && result.message).toBe(
      '0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}, 1 node(s) were unschedulable.',
    );
  });

  it('prefers the least allocated node and spreads pods of one owner', () => {
    let snapshot = snapshotOf([nodeInfo('a'), nodeInfo('b'), nodeInfo('c')]);
    const placed: string[] = [];
    for (let i = 0; i < 6; i++) {
      const info = podInfoOf(pod(`r${i}`, { cpu: '100m', memory: '100Mi', owner: 'rs' }));
      const result = schedule(info, snapshot);
      const name = nodeOf(result) as string;
      placed.push(name);
      snapshot = snapshotOf(snapshot.nodes.map((n) => (n.name === name ? withPod(n, info) : n)));
    }
    expect(placed.sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });

  it('is deterministic and breaks ties by evaluation order from startIndex', () => {
    const snapshot = snapshotOf([nodeInfo('a'), nodeInfo('b'), nodeInfo('c')]);
    expect(nodeOf(schedule(pod('p'), snapshot))).toBe('a');
    expect(nodeOf(schedule(pod('p'), snapshot, { startIndex: 1 }))).toBe('b');
    expect(nodeOf(schedule(pod('p'), snapshot, { startIndex: 5 }))).toBe('c');
  });

  it('follows preferred node affinity when resources are equal', () => {
    const snapshot = snapshotOf([nodeInfo('a'), nodeInfo('b', { labels: { disk: 'ssd' } })]);
    const p = pod('p', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: undefined,
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }], matchFields: [] } }],
        },
      },
    });
    expect(nodeOf(schedule(p, snapshot))).toBe('b');
  });

  it('says so when there are no nodes', () => {
    const result = schedule(pod('p'), snapshotOf([]));
    expect(!isScheduled(result) && result.message).toBe('no nodes available to schedule pods');
  });

  it('stops filtering once enough feasible nodes are found, as percentageOfNodesToScore', () => {
    expect(numFeasibleNodesToFind(50)).toBe(50);
    expect(numFeasibleNodesToFind(1000)).toBe(420);
    expect(numFeasibleNodesToFind(5000)).toBe(500);
    expect(numFeasibleNodesToFind(1000, 100)).toBe(1000);
    expect(numFeasibleNodesToFind(1000, 5)).toBe(100);
    const nodes = Array.from({ length: 300 }, (_, i) => nodeInfoOf(node(`n${i}`)));
    const result = schedule(pod('p'), snapshotOf(nodes), { percentageOfNodesToScore: 10 });
    expect(isScheduled(result) && result.evaluatedNodes).toBe(100);
  });

  it('records a throwing filter as an Error status on that node', () => {
    const boom = { name: 'Boom', filter: () => { throw new Error('bad'); } };
    const result = schedule(pod('p'), snapshotOf([nodeInfo('a')]), { filters: [boom] });
    expect(!isScheduled(result) && result.unschedulable.get('a')).toEqual({ code: 'Error', reasons: ['Boom: bad'], plugin: 'Boom' });
  });

  it('does not run a plugin whose skip() says it cannot matter for the pod (PreFilter / PreScore Skip)', () => {
    const ran: string[] = [];
    const filter = (name: string, skip: boolean) => ({ name, skip: () => skip, filter: () => (ran.push(name), SUCCESS) });
    const score = (name: string, skip: boolean) => ({ name, weight: 1, skip: () => skip, score: () => (ran.push(name), 0) });
    const snapshot = snapshotOf([nodeInfo('a'), nodeInfo('b')]);
    schedule(pod('p'), snapshot, { filters: [filter('F-run', false), filter('F-skip', true)], scores: [score('S-run', false), score('S-skip', true)] });
    expect([...new Set(ran)]).toEqual(['F-run', 'S-run']);
  });

  it('skips the default filters and scores a plain pod does not need, with the same choice', () => {
    const p = podInfoOf(pod('p', { cpu: '100m', owner: 'rs' }));
    expect(activePlugins(DEFAULT_FILTERS, p).map((f) => f.name)).toEqual(['NodeUnschedulable', 'NodeReady', 'TaintToleration', 'NodeResourcesFit']);
    expect(activePlugins(DEFAULT_SCORES, p).map((f) => f.name)).toEqual(['TaintToleration', 'NodeResourcesLeastAllocated', 'NodeResourcesBalancedAllocation', 'OwnerSpread']);
    const snapshot = snapshotOf([nodeInfo('a', {}, [podInfo('x', { cpu: '2' })]), nodeInfo('b'), nodeInfo('c', {}, [podInfo('y', { owner: 'rs' })])]);
    const everyPlugin = { filters: DEFAULT_FILTERS.map(({ skip: _, ...f }) => f), scores: DEFAULT_SCORES.map(({ skip: _, ...f }) => f) };
    expect(nodeOf(schedule(p, snapshot))).toBe('b');
    expect(nodeOf(schedule(p, snapshot, everyPlugin))).toBe('b');
  });

  it('hands each score plugin what its preScore computed for the cycle', () => {
    const seen: unknown[] = [];
    const plugin = { name: 'S', weight: 1, preScore: (_pod: unknown, s: { nodes: readonly unknown[] }) => s.nodes.length, score: (_p: unknown, _n: unknown, state?: number) => (seen.push(state), 0) };
    schedule(pod('p'), snapshotOf([nodeInfo('a'), nodeInfo('b')]), { scores: [plugin] });
    expect(seen).toEqual([2, 2]);
  });
});
