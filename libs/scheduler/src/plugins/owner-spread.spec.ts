import { nodeInfo, podInfo } from '../test-objects.spec-helper';
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
});
