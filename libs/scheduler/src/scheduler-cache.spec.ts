import { Pod } from '@skiff/api';
import { podInfoOf } from './framework/pod-info';
import { SchedulerCache } from './scheduler-cache';
import { node, pod } from './test-objects.spec-helper';

const bound = (p: Pod, nodeName: string, phase = 'Running'): Pod => ({ ...p, spec: { ...p.spec!, nodeName }, status: { ...p.status!, phase } });

describe('SchedulerCache', () => {
  it('counts an assumed pod at once and keeps it when the informer confirms the bind', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(node('n1', { cpu: '2' }));
    const p = pod('p', { cpu: '1' });
    const before = cache.snapshot();
    cache.assume(podInfoOf(p), 'n1');
    expect(before.nodes[0].requested.cpu ?? 0).toBe(0); // an old snapshot never changes
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(1000);
    expect(cache.isAssumed('uid-p')).toBe(true);
    cache.updatePod(bound(p, 'n1'));
    expect(cache.isAssumed('uid-p')).toBe(false);
    cache.forget('uid-p'); // a late forget does not undo a confirmed pod
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(1000);
  });

  it('forgets an assumption after a failed bind', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(node('n1'));
    cache.assume(podInfoOf(pod('p', { cpu: '1' })), 'n1');
    cache.forget('uid-p');
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(0);
    expect(cache.snapshot().nodes[0].pods.size).toBe(0);
  });

  it('keeps pods of a node it does not know yet and counts them when the node appears', () => {
    const cache = new SchedulerCache();
    cache.updatePod(bound(pod('p', { cpu: '1' }), 'late'));
    expect(cache.snapshot().nodes).toHaveLength(0);
    cache.addOrUpdateNode(node('late'));
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(1000);
  });

  it('frees the resources of terminated and deleted pods, saying so', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(node('n1'));
    const a = pod('a', { cpu: '1' });
    const b = pod('b', { cpu: '1' });
    cache.updatePod(bound(a, 'n1'));
    cache.updatePod(bound(b, 'n1'));
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(2000);
    expect(cache.updatePod(bound(a, 'n1', 'Succeeded'))).toBe(true);
    expect(cache.removePod('uid-b')).toBe(true);
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(0);
  });

  it('keeps placed pods across node updates', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(node('n1', { cpu: '2' }));
    cache.updatePod(bound(pod('a', { cpu: '1' }), 'n1'));
    cache.addOrUpdateNode(node('n1', { cpu: '4' }));
    const info = cache.snapshot().nodes[0];
    expect([info.allocatable.cpu, info.requested.cpu]).toEqual([4000, 1000]);
  });
});

describe('SchedulerCache snapshots', () => {
  const counts = (cache: SchedulerCache, owner: string) => {
    const snapshot = cache.snapshot();
    const index = snapshot.ownerCounts?.(owner);
    return Object.fromEntries(snapshot.nodes.map((n) => [n.name, index?.get(n.id) ?? 0]));
  };

  it('keeps the node order across updates and hands out a new snapshot only after a change', () => {
    const cache = new SchedulerCache();
    for (const name of ['a', 'b', 'c']) cache.addOrUpdateNode(node(name));
    const first = cache.snapshot();
    expect(cache.snapshot()).toBe(first);
    cache.assume(podInfoOf(pod('p', { cpu: '1' })), 'b');
    cache.addOrUpdateNode(node('a', { cpu: '8' }));
    const second = cache.snapshot();
    expect(second).not.toBe(first);
    expect(second.nodes.map((n) => n.name)).toEqual(['a', 'b', 'c']);
    expect(first.nodes.map((n) => [n.allocatableCpu, n.podCount])).toEqual([[4000, 0], [4000, 0], [4000, 0]]);
    expect(second.nodes.map((n) => [n.allocatableCpu, n.podCount])).toEqual([[8000, 0], [4000, 1], [4000, 0]]);
    cache.removeNode('a');
    expect(cache.snapshot().nodes.map((n) => n.name)).toEqual(['b', 'c']);
    cache.addOrUpdateNode(node('a'));
    expect(cache.snapshot().nodes.map((n) => n.name)).toEqual(['b', 'c', 'a']);
  });

  it('keeps an owner index that agrees with the nodes, and an old snapshot stops answering from it', () => {
    const cache = new SchedulerCache();
    for (const name of ['a', 'b']) cache.addOrUpdateNode(node(name));
    cache.assume(podInfoOf(pod('r1', { owner: 'rs' })), 'a');
    cache.updatePod(bound(pod('r2', { owner: 'rs' }), 'b'));
    cache.updatePod(bound(pod('r3', { owner: 'rs' }), 'b'));
    const old = cache.snapshot();
    expect(counts(cache, 'uid-rs')).toEqual({ a: 1, b: 2 });
    expect(old.nodes.map((n) => n.ownerCounts.get('uid-rs') ?? 0)).toEqual([1, 2]);
    cache.forget('uid-r1');
    cache.removePod('uid-r2');
    expect(counts(cache, 'uid-rs')).toEqual({ a: 0, b: 1 });
    expect(old.ownerCounts?.('uid-rs')).toBeUndefined(); // no longer current: read the nodes
    expect(cache.snapshot().ownerCounts?.('uid-nobody')?.size).toBe(0);
  });

  it('counts pods bound to a node it does not know yet in the index once the node appears', () => {
    const cache = new SchedulerCache();
    cache.updatePod(bound(pod('r1', { owner: 'rs' }), 'late'));
    cache.addOrUpdateNode(node('late'));
    expect(counts(cache, 'uid-rs')).toEqual({ late: 1 });
  });
});
