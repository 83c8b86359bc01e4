import { Pod, ReplicaSet } from '@skiff/api';
import { BURST_REPLICAS, desiredReplicas, planReplicas } from './replica-plan';

const rs = (replicas: number | undefined) => ReplicaSet.fromPartial({ metadata: { name: 'web', namespace: 'default' }, spec: { replicas } });
const pods = (n: number, ready = true) =>
  Array.from({ length: n }, (_, i) =>
    Pod.fromPartial({
      metadata: { name: `p${i}`, creationTimestamp: new Date(i * 1000) },
      spec: { nodeName: 'n1' },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(i * 1000) }] },
    }),
  );

describe('planReplicas', () => {
  it('creates the missing pods', () => {
    expect(planReplicas(rs(3), [], [])).toEqual({ action: 'create', count: 3 });
    expect(planReplicas(rs(5), pods(3), [])).toEqual({ action: 'create', count: 2 });
  });

  it('does nothing at the desired count; spec.replicas unset means 1', () => {
    expect(planReplicas(rs(3), pods(3), [])).toEqual({ action: 'none' });
    expect(desiredReplicas(rs(undefined))).toBe(1);
    expect(planReplicas(rs(undefined), pods(1), [])).toEqual({ action: 'none' });
  });

  it('deletes the surplus, the best candidates first (here: the newest)', () => {
    const have = pods(5);
    const plan = planReplicas(rs(1), have, have);
    expect(plan.action).toBe('delete');
    expect(plan.action === 'delete' && plan.pods.map((p) => p.metadata?.name)).toEqual(['p4', 'p3', 'p2', 'p1']);
    expect(planReplicas(rs(0), have, have)).toMatchObject({ action: 'delete', pods: expect.arrayContaining(have) });
  });

  it('caps one sync at BURST_REPLICAS (500) either way', () => {
    expect(BURST_REPLICAS).toBe(500);
    expect(planReplicas(rs(1_000), [], [])).toEqual({ action: 'create', count: 500 });
    expect(planReplicas(rs(10), pods(3), [], 4)).toEqual({ action: 'create', count: 4 });
    const many = pods(8);
    const plan = planReplicas(rs(0), many, many, 3);
    expect(plan.action === 'delete' && plan.pods).toHaveLength(3);
  });
});
