import { FailedPreconditionError, ForbiddenError, intOrString, TooManyRequestsError, type Pod, type PodDisruptionBudget, type PodDisruptionBudgetStatus } from '@skiff/api';
import { chargeBudget, EVICTION_REFUSED, MAX_DISRUPTED_PODS, planEviction } from './eviction';

const NOW = new Date('2026-01-01T12:00:00Z');

function pod(opts: { name?: string; phase?: string; ready?: boolean; deleting?: boolean; labels?: Record<string, string> } = {}): Pod {
  return {
    metadata: { name: opts.name ?? 'web-1', namespace: 'default', uid: 'u1', resourceVersion: '42', labels: opts.labels ?? { app: 'web' }, deletionTimestamp: opts.deleting ? NOW : undefined },
    status: { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', reason: '', message: '' }] },
  } as unknown as Pod;
}

function pdb(status: Partial<PodDisruptionBudgetStatus> | undefined, opts: { name?: string; generation?: number; policy?: string; selector?: Record<string, string> } = {}): PodDisruptionBudget {
  return {
    metadata: { name: opts.name ?? 'web-pdb', namespace: 'default', generation: opts.generation ?? 1 },
    spec: { selector: { matchLabels: opts.selector ?? { app: 'web' }, matchExpressions: [] }, minAvailable: intOrString(2), unhealthyPodEvictionPolicy: opts.policy ?? '' },
    status: status && { observedGeneration: 1, disruptedPods: {}, disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, conditions: [], ...status },
  } as unknown as PodDisruptionBudget;
}

describe('planEviction (EvictionREST)', () => {
  it('charges the budget: one disruption less, the pod in disruptedPods with the time', () => {
    const budget = pdb({ disruptionsAllowed: 2, disruptedPods: { other: new Date(0) } });
    const plan = planEviction(pod(), [budget], NOW);
    expect(plan).toEqual({ action: 'charge', pdb: budget, status: expect.objectContaining({ disruptionsAllowed: 1, disruptedPods: { other: new Date(0), 'web-1': NOW } }) });
    // the budget read is not changed
    expect(budget.status?.disruptionsAllowed).toBe(2);
  });

  it('taking the last disruption sets DisruptionAllowed False/InsufficientPods', () => {
    const plan = planEviction(pod(), [pdb({ disruptionsAllowed: 1, conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '' }] })], NOW);
    expect(plan.action === 'charge' && plan.status.conditions).toEqual([{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', lastTransitionTime: NOW }]);
  });

  it('refuses (429) with Kubernetes wording while no disruption is allowed', () => {
    const run = () => planEviction(pod(), [pdb({ disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 })], NOW);
    expect(run).toThrow(TooManyRequestsError);
    expect(run).toThrow(`${EVICTION_REFUSED} The disruption budget web-pdb needs 2 healthy pods and has 2 currently`);
  });

  it('refuses (429) while the budget status is missing or older than its spec', () => {
    expect(() => planEviction(pod(), [pdb(undefined)], NOW)).toThrow(`${EVICTION_REFUSED} The disruption budget web-pdb is still being processed by the server.`);
    expect(() => planEviction(pod(), [pdb({ observedGeneration: 1 }, { generation: 2 })], NOW)).toThrow(TooManyRequestsError);
  });

  it('forbids a negative budget and too many unconfirmed evictions (more than 2000)', () => {
    expect(() => planEviction(pod(), [pdb({ disruptionsAllowed: -1 })], NOW)).toThrow(ForbiddenError);
    const many = Object.fromEntries(Array.from({ length: MAX_DISRUPTED_PODS + 1 }, (_, i) => [`p${i}`, NOW]));
    expect(() => planEviction(pod(), [pdb({ disruptedPods: many })], NOW)).toThrow('DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    const exactly = Object.fromEntries(Array.from({ length: MAX_DISRUPTED_PODS }, (_, i) => [`p${i}`, NOW]));
    expect(planEviction(pod(), [pdb({ disruptedPods: exactly })], NOW).action).toBe('charge');
  });

  it('deletes at once a finished or deleting pod (no version check), a Pending one at the version read', () => {
    const refusing = [pdb({ disruptionsAllowed: 0 })];
    expect(planEviction(pod({ phase: 'Succeeded' }), refusing, NOW)).toEqual({ action: 'delete' });
    expect(planEviction(pod({ phase: 'Failed' }), refusing, NOW)).toEqual({ action: 'delete' });
    expect(planEviction(pod({ deleting: true }), refusing, NOW)).toEqual({ action: 'delete' });
    expect(planEviction(pod({ phase: 'Pending' }), refusing, NOW)).toEqual({ action: 'delete', resourceVersion: '42' });
  });

  it('deletes a pod no budget selects, at the version read', () => {
    expect(planEviction(pod(), [pdb({ disruptionsAllowed: 0 }, { selector: { app: 'db' } })], NOW)).toEqual({ action: 'delete', resourceVersion: '42' });
    expect(planEviction(pod(), [], NOW)).toEqual({ action: 'delete', resourceVersion: '42' });
  });

  it('refuses a pod selected by two budgets', () => {
    expect(() => planEviction(pod(), [pdb({}), pdb({}, { name: 'other' })], NOW)).toThrow(new FailedPreconditionError('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'));
  });

  it('an unready pod: deleted uncharged when the budget is met (IfHealthyBudget) or AlwaysAllow, else charged like any pod', () => {
    const unready = pod({ ready: false });
    expect(planEviction(unready, [pdb({ disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 })], NOW)).toEqual({ action: 'delete', resourceVersion: '42', unhealthyUnder: 'web-pdb' });
    expect(planEviction(unready, [pdb({ disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 }, { policy: 'AlwaysAllow' })], NOW)).toEqual({ action: 'delete', resourceVersion: '42', unhealthyUnder: 'web-pdb' });
    expect(() => planEviction(unready, [pdb({ disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 })], NOW)).toThrow(TooManyRequestsError);
    // desiredHealthy 0 is not "met": the budget decides
    expect(planEviction(unready, [pdb({ disruptionsAllowed: 1, currentHealthy: 0, desiredHealthy: 0 })], NOW).action).toBe('charge');
  });
});

describe('chargeBudget', () => {
  it('keeps a False condition transition time', () => {
    const since = new Date(0);
    const status = chargeBudget(pdb({ disruptionsAllowed: 1, conditions: [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', lastTransitionTime: since }] }), 'x', NOW);
    expect(status.conditions[0].lastTransitionTime).toEqual(since);
  });
});
