import { podInfoOf } from '../framework/pod-info';
import { snapshotOf } from '../framework/snapshot';
import { SchedulerCache } from '../scheduler-cache';
import { node, nodeInfo, pod, podInfo } from '../test-objects.spec-helper';
import { ownerSpreadScore } from './owner-spread';

describe('OwnerSpread', () => {
  it('prefers nodes with fewer pods of the same owner', () => {
    const p = podInfo('p', { owner: 'rs' });
    const nodes = [
      nodeInfo('a', {}, [podInfo('a1', { owner: 'rs' }), podInfo('a2', { owner: 'rs' })]),
      nodeInfo('b', {}, [podInfo('b1', { owner: 'rs' }), podInfo('b2', { owner: 'other' })]),
      nodeInfo('c', {}, [podInfo('c1', { owner: 'other' })]),
    ];
    const raw = nodes.map((n) => ownerSpreadScore.score(p, n));
    expect(raw).toEqual([2, 1, 0]);
    expect(ownerSpreadScore.normalize?.(raw)).toEqual([0, 50, 100]);
  });

  it('is neutral for a pod without an owner', () => {
    const p = podInfo('p');
    const raw = [nodeInfo('a', {}, [podInfo('a1', { owner: 'rs' })])].map((n) => ownerSpreadScore.score(p, n));
    expect(ownerSpreadScore.normalize?.(raw)).toEqual([100]);
  });

  it('reads the same counts from the owner index of the cache as from each node', () => {
    const cache = new SchedulerCache();
    for (const name of ['a', 'b', 'c']) cache.addOrUpdateNode(node(name));
    cache.assume(podInfoOf(pod('a1', { owner: 'rs' })), 'a');
    cache.assume(podInfoOf(pod('a2', { owner: 'rs' })), 'a');
    cache.assume(podInfoOf(pod('b1', { owner: 'rs' })), 'b');
    cache.assume(podInfoOf(pod('c1', { owner: 'other' })), 'c');
    const p = podInfo('p', { owner: 'rs' });
    const snapshot = cache.snapshot();
    const indexed = ownerSpreadScore.preScore!(p, snapshot);
    const perNode = ownerSpreadScore.preScore!(p, snapshotOf(snapshot.nodes));
    expect(indexed).toBeDefined();
    expect(perNode).toBeUndefined();
    expect(snapshot.nodes.map((n) => ownerSpreadScore.score(p, n, indexed))).toEqual([2, 1, 0]);
    expect(snapshot.nodes.map((n) => ownerSpreadScore.score(p, n, perNode))).toEqual([2, 1, 0]);
  });
});
