import { deploymentOf, replicaSetOf, withImage } from './deployment-fixtures.spec-helper';
import { maxSurge, maxUnavailable, newReplicaSetReplicas, resolveFenceposts } from './rollout-limits';

describe('rollout limits', () => {
  it('defaults 25%/25%: surge rounds up, unavailable down', () => {
    const d = deploymentOf({ replicas: 10 });
    expect(resolveFenceposts(d, 10)).toEqual([3, 2]);
    expect(maxSurge(d)).toBe(3);
    expect(maxUnavailable(d)).toBe(2);
    expect([maxSurge(deploymentOf({ replicas: 3 })), maxUnavailable(deploymentOf({ replicas: 3 }))]).toEqual([1, 0]);
  });

  it('takes plain numbers', () => {
    const d = deploymentOf({ replicas: 3, maxSurge: 1, maxUnavailable: 1 });
    expect([maxSurge(d), maxUnavailable(d)]).toEqual([1, 1]);
  });

  it('makes maxUnavailable 1 when both round to 0, and caps it at replicas', () => {
    expect(resolveFenceposts(deploymentOf({ replicas: 1, maxSurge: '0%', maxUnavailable: '10%' }), 1)).toEqual([0, 1]);
    expect(maxUnavailable(deploymentOf({ replicas: 2, maxSurge: 0, maxUnavailable: 5 }))).toBe(2);
    expect(maxUnavailable(deploymentOf({ replicas: 0 }))).toBe(0);
  });

  it('allows no surge and no unavailability for Recreate', () => {
    const d = deploymentOf({ strategy: 'Recreate', replicas: 4 });
    expect([maxSurge(d), maxUnavailable(d)]).toEqual([0, 0]);
  });

  it('grows the new ReplicaSet up to replicas + maxSurge in all, never beyond replicas', () => {
    const d0 = deploymentOf({ replicas: 3, maxSurge: 1, maxUnavailable: 1 });
    const old = replicaSetOf(d0, { replicas: 3 });
    const d = withImage(d0, 'busybox:2');
    const fresh = replicaSetOf(d, { replicas: 0, revision: 2 });
    expect(newReplicaSetReplicas(d, [old, fresh], fresh)).toBe(1);
    old.spec!.replicas = 1;
    expect(newReplicaSetReplicas(d, [old, fresh], fresh)).toBe(3);
    const full = replicaSetOf(d, { replicas: 4, revision: 2 });
    expect(newReplicaSetReplicas(d, [full], full)).toBe(4);
    expect(newReplicaSetReplicas(deploymentOf({ strategy: 'Recreate', replicas: 5 }), [old, fresh], fresh)).toBe(5);
  });
});
