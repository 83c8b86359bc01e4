import { deploymentOf, replicaSetOf, withImage } from './deployment-fixtures.spec-helper';
import { activeOrLatest, isSaturated, isScalingEvent, proportion } from './proportional-scaling';

describe('proportional scaling', () => {
  const d0 = deploymentOf({ replicas: 5, maxSurge: 0, maxUnavailable: 1 });
  const d1 = withImage(d0, 'busybox:2');
  const d2 = withImage(d1, 'busybox:3');

  it('is a scaling event when an active ReplicaSet was sized for another replicas count', () => {
    expect(isScalingEvent(d0, [replicaSetOf(d0, { replicas: 5, desired: 5 })])).toBe(false);
    expect(isScalingEvent(d0, [replicaSetOf(d0, { replicas: 5, desired: 4 })])).toBe(true);
    expect(isScalingEvent(d0, [replicaSetOf(d0, { replicas: 0, desired: 4 })])).toBe(false);
    expect(isScalingEvent(d0, [undefined])).toBe(false);
  });

  it('picks the single active ReplicaSet, else the newest', () => {
    const a = replicaSetOf(d0, { replicas: 0, revision: 1 });
    const b = replicaSetOf(d1, { replicas: 2, revision: 2 });
    const c = replicaSetOf(d2, { replicas: 0, revision: 3 });
    expect(activeOrLatest(c, [a, b])).toBe(b);
    b.spec!.replicas = 0;
    expect(activeOrLatest(c, [a, b])).toBe(c);
    expect(activeOrLatest(undefined, [a, b])).toBe(b);
    a.spec!.replicas = 1;
    b.spec!.replicas = 1;
    expect(activeOrLatest(c, [a, b])).toBeUndefined();
    expect(activeOrLatest(undefined, [])).toBeUndefined();
  });

  it('calls a new ReplicaSet saturated when all its replicas, sized for this Deployment, are available', () => {
    expect(isSaturated(d1, replicaSetOf(d1, { replicas: 5, desired: 5 }))).toBe(true);
    expect(isSaturated(d1, replicaSetOf(d1, { replicas: 5, desired: 5, available: 4 }))).toBe(false);
    expect(isSaturated(d1, replicaSetOf(d1, { replicas: 5, desired: 4 }))).toBe(false);
    expect(isSaturated(d1, undefined)).toBe(false);
  });

  it('shares in proportion to the size sized against, within what is left to add or remove', () => {
    const grown = structuredClone(d1);
    grown.spec!.replicas = 10;
    const rs = replicaSetOf(d0, { replicas: 3, max: 5 });
    expect(proportion(grown, rs, 5, 0)).toBe(3);
    expect(proportion(grown, rs, 5, 4)).toBe(1);
    const shrunk = structuredClone(d1);
    shrunk.spec!.replicas = 3;
    expect(proportion(shrunk, rs, -2, 0)).toBe(-1);
    const zero = structuredClone(d1);
    zero.spec!.replicas = 0;
    expect(proportion(zero, rs, -5, 0)).toBe(-3);
    // Round half away from zero, as Go: 1 * 5 / 2 = 2.5 -> 3; -2.5 -> -3.
    const half = structuredClone(d1);
    half.spec!.replicas = 5;
    expect(proportion(half, replicaSetOf(d0, { replicas: 1, max: 2 }), 4, 0)).toBe(2);
  });
});
