import { intOrString, type Deployment, type OwnerReference, type Pod, type PodDisruptionBudget, type PodDisruptionBudgetStatus, type ReplicaSet, type StatefulSet } from '@skiff/api';
import {
  countHealthy,
  DELETION_TIMEOUT_MS,
  disruptionAllowedConditions,
  expectedPodCount,
  ExpectedCountError,
  failSafeStatus,
  pendingDisruptions,
  podsForBudget,
  syncBudget,
  type ControllerLookup,
} from './disruption-status';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const NS = 'default';

const ref = (kind: string, name: string, uid: string): OwnerReference => ({ apiVersion: 'apps/v1', kind, name, uid, controller: true, blockOwnerDeletion: true });

function pod(name: string, opts: { ready?: boolean; owner?: OwnerReference; deleting?: boolean; labels?: Record<string, string> } = {}): Pod {
  return {
    metadata: {
      name,
      namespace: NS,
      labels: opts.labels ?? { app: 'web' },
      ownerReferences: opts.owner ? [opts.owner] : [],
      deletionTimestamp: opts.deleting ? new Date(NOW) : undefined,
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', reason: '', message: '' }] },
  } as unknown as Pod;
}

function pdb(spec: { minAvailable?: number | string; maxUnavailable?: number | string; selector?: PodDisruptionBudget['spec'] extends infer S ? (S extends { selector?: infer L } ? L : never) : never }, status?: Partial<PodDisruptionBudgetStatus>, generation = 1): PodDisruptionBudget {
  return {
    metadata: { name: 'web-pdb', namespace: NS, generation },
    spec: {
      selector: 'selector' in spec ? spec.selector : { matchLabels: { app: 'web' }, matchExpressions: [] },
      minAvailable: spec.minAvailable !== undefined ? intOrString(spec.minAvailable) : undefined,
      maxUnavailable: spec.maxUnavailable !== undefined ? intOrString(spec.maxUnavailable) : undefined,
      unhealthyPodEvictionPolicy: '',
    },
    status: status ? ({ observedGeneration: 1, disruptedPods: {}, disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, conditions: [], ...status } as PodDisruptionBudgetStatus) : undefined,
  } as unknown as PodDisruptionBudget;
}

/** A Deployment "web" (uid d1, `replicas`) with its ReplicaSet "web-rs" (uid r1); a bare RS "solo" (uid r2, 2); a StatefulSet "db" (uid s1, 4). */
function lookup(replicas = 3): ControllerLookup {
  const deployment = { metadata: { name: 'web', namespace: NS, uid: 'd1' }, spec: { replicas } } as unknown as Deployment;
  const sets: Record<string, ReplicaSet> = {
    'web-rs': { metadata: { name: 'web-rs', namespace: NS, uid: 'r1', ownerReferences: [ref('Deployment', 'web', 'd1')] }, spec: { replicas } } as unknown as ReplicaSet,
    solo: { metadata: { name: 'solo', namespace: NS, uid: 'r2', ownerReferences: [] }, spec: { replicas: 2 } } as unknown as ReplicaSet,
  };
  const sts = { metadata: { name: 'db', namespace: NS, uid: 's1' }, spec: { replicas: 4 } } as unknown as StatefulSet;
  return {
    replicaSet: (_ns, name) => sets[name],
    deployment: (_ns, name) => (name === 'web' ? deployment : undefined),
    statefulSet: (_ns, name) => (name === 'db' ? sts : undefined),
  };
}

const webPods = (n: number, ready = n) => Array.from({ length: n }, (_, i) => pod(`web-${i}`, { ready: i < ready, owner: ref('ReplicaSet', 'web-rs', 'r1') }));

describe('podsForBudget', () => {
  it('selects by the selector; an empty selector selects every pod, a missing one none (policy/v1)', () => {
    const pods = [pod('a'), pod('b', { labels: { app: 'db' } })];
    expect(podsForBudget(pdb({ minAvailable: 1 }), pods).map((p) => p.metadata?.name)).toEqual(['a']);
    expect(podsForBudget(pdb({ minAvailable: 1, selector: { matchLabels: {}, matchExpressions: [] } }), pods)).toHaveLength(2);
    expect(podsForBudget(pdb({ minAvailable: 1, selector: undefined }), pods)).toHaveLength(0);
  });
});

describe('expectedPodCount (getExpectedPodCount)', () => {
  it('an int minAvailable: the selected pods are expected, desiredHealthy is the int', () => {
    expect(expectedPodCount(pdb({ minAvailable: 2 }), webPods(5), lookup())).toEqual({ expected: 5, desiredHealthy: 2, unmanaged: [] });
    // bare pods count too
    expect(expectedPodCount(pdb({ minAvailable: 1 }), [pod('bare')], lookup())).toEqual({ expected: 1, desiredHealthy: 1, unmanaged: [] });
  });

  it("a percentage minAvailable: of the Deployment's replicas (not the ReplicaSet's, not the pods), rounded up", () => {
    // 2 pods exist but the Deployment wants 5: 50% of 5 = 2.5 -> 3
    expect(expectedPodCount(pdb({ minAvailable: '50%' }), webPods(2), lookup(5))).toEqual({ expected: 5, desiredHealthy: 3, unmanaged: [] });
  });

  it('maxUnavailable: expected - ceil(max), never below 0; int and percentage', () => {
    expect(expectedPodCount(pdb({ maxUnavailable: 1 }), webPods(3), lookup(3))).toMatchObject({ expected: 3, desiredHealthy: 2 });
    // 30% of 3 = 0.9 -> 1
    expect(expectedPodCount(pdb({ maxUnavailable: '30%' }), webPods(3), lookup(3))).toMatchObject({ expected: 3, desiredHealthy: 2 });
    expect(expectedPodCount(pdb({ maxUnavailable: 5 }), webPods(3), lookup(3))).toMatchObject({ expected: 3, desiredHealthy: 0 });
  });

  it('sums each controller once: a bare ReplicaSet and a StatefulSet; bare pods are unmanaged and add nothing', () => {
    const pods = [...webPods(3), pod('solo-1', { owner: ref('ReplicaSet', 'solo', 'r2') }), pod('solo-2', { owner: ref('ReplicaSet', 'solo', 'r2') }), pod('db-0', { owner: ref('StatefulSet', 'db', 's1') }), pod('bare')];
    expect(expectedPodCount(pdb({ maxUnavailable: 1 }), pods, lookup(3))).toEqual({ expected: 3 + 2 + 4, desiredHealthy: 8, unmanaged: ['bare'] });
    expect(expectedPodCount(pdb({ minAvailable: '100%' }), [pod('bare')], lookup())).toEqual({ expected: 0, desiredHealthy: 0, unmanaged: ['bare'] });
  });

  it('a controller that is missing, replaced (uid) or unsupported: ExpectedCountError', () => {
    expect(() => expectedPodCount(pdb({ maxUnavailable: 1 }), [pod('x', { owner: ref('ReplicaSet', 'gone', 'r9') })], lookup())).toThrow(new ExpectedCountError('found no controllers for pod "x"'));
    expect(() => expectedPodCount(pdb({ maxUnavailable: 1 }), [pod('x', { owner: ref('ReplicaSet', 'solo', 'other-uid') })], lookup())).toThrow(ExpectedCountError);
    expect(() => expectedPodCount(pdb({ minAvailable: '50%' }), [pod('x', { owner: ref('DaemonSet', 'ds', 'u') })], lookup())).toThrow(ExpectedCountError);
    // an int minAvailable never looks at controllers
    expect(expectedPodCount(pdb({ minAvailable: 1 }), [pod('x', { owner: ref('DaemonSet', 'ds', 'u') })], lookup())).toMatchObject({ expected: 1 });
  });
});

describe('pendingDisruptions (buildDisruptedPodMap) and countHealthy', () => {
  it('keeps entries of live pods younger than 2 min, drops gone, deleting and overdue pods, and rechecks at the earliest expiry', () => {
    const young = new Date(NOW - 30_000);
    const older = new Date(NOW - 60_000);
    const old = new Date(NOW - DELETION_TIMEOUT_MS - 1);
    const budget = pdb({ minAvailable: 1 }, { disruptedPods: { 'web-0': young, 'web-1': older, 'web-2': old, gone: young, deleting: young } });
    const pods = [...webPods(3), pod('deleting', { deleting: true })];
    const result = pendingDisruptions(budget, pods, NOW);
    expect(result.disruptedPods).toEqual({ 'web-0': young, 'web-1': older });
    expect(result.overdue).toEqual(['web-2']);
    expect(result.recheckAtMs).toBe(older.getTime() + DELETION_TIMEOUT_MS);
  });

  it('counts Ready pods that are neither deleting nor just evicted', () => {
    const pods = [...webPods(4, 3), pod('deleting', { deleting: true })];
    expect(countHealthy(pods, {}, NOW)).toBe(3);
    expect(countHealthy(pods, { 'web-0': new Date(NOW - 1000) }, NOW)).toBe(2);
    expect(countHealthy(pods, { 'web-0': new Date(NOW - DELETION_TIMEOUT_MS - 1) }, NOW)).toBe(3);
  });
});

describe('syncBudget', () => {
  it('3 Ready pods, minAvailable 2: 1 disruption allowed, DisruptionAllowed True/SufficientPods, observedGeneration', () => {
    const { status, selected } = syncBudget(pdb({ minAvailable: 2 }, undefined, 4), webPods(3), lookup(), NOW);
    expect(selected).toBe(3);
    expect(status).toEqual({
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      disruptionsAllowed: 1,
      disruptedPods: {},
      observedGeneration: 4,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: new Date(NOW) }],
    });
  });

  it('an evicted pod not yet deleted is not healthy: no disruption left, False/InsufficientPods', () => {
    const budget = pdb({ minAvailable: 2 }, { disruptedPods: { 'web-0': new Date(NOW - 1000) }, disruptionsAllowed: 0 });
    const { status, recheckAtMs } = syncBudget(budget, webPods(3), lookup(), NOW);
    expect(status).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 0, disruptedPods: { 'web-0': new Date(NOW - 1000) } });
    expect(status?.conditions).toEqual([expect.objectContaining({ status: 'False', reason: 'InsufficientPods' })]);
    expect(recheckAtMs).toBe(NOW - 1000 + DELETION_TIMEOUT_MS);
  });

  it('no pod expected: no disruption allowed even with desiredHealthy 0', () => {
    expect(syncBudget(pdb({ maxUnavailable: 1 }), [], lookup(), NOW).status).toMatchObject({ expectedPods: 0, disruptionsAllowed: 0, desiredHealthy: 0 });
  });

  it('an unchanged status is not written again; a new generation is', () => {
    const first = syncBudget(pdb({ minAvailable: 2 }), webPods(3), lookup(), NOW).status;
    expect(syncBudget(pdb({ minAvailable: 2 }, first), webPods(3), lookup(), NOW + 5000).status).toBeUndefined();
    const again = syncBudget(pdb({ minAvailable: 2 }, first, 2), webPods(3), lookup(), NOW + 5000).status;
    expect(again?.observedGeneration).toBe(2);
    // the condition did not change status: its transition time is kept
    expect(again?.conditions[0].lastTransitionTime).toEqual(new Date(NOW));
  });

  it('unmanaged pods are reported with a percentage', () => {
    expect(syncBudget(pdb({ minAvailable: '50%' }), [pod('bare')], lookup(), NOW)).toMatchObject({ unmanaged: ['bare'], status: { expectedPods: 0, disruptionsAllowed: 0 } });
  });
});

describe('conditions', () => {
  it('disruptionAllowedConditions flips status with a new transition time, keeping other conditions', () => {
    const other = { type: 'Other', status: 'True', reason: 'X', message: '' };
    const t = disruptionAllowedConditions([other], 1, NOW);
    expect(t).toEqual([other, { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: new Date(NOW) }]);
    expect(disruptionAllowedConditions(t, 0, NOW + 1)[1]).toMatchObject({ status: 'False', reason: 'InsufficientPods', lastTransitionTime: new Date(NOW + 1) });
  });

  it('failSafeStatus: no disruption, False/SyncFailed with the message, the rest kept', () => {
    const budget = pdb({ maxUnavailable: 1 }, { disruptionsAllowed: 2, currentHealthy: 3, expectedPods: 3 });
    expect(failSafeStatus(budget, 'found no controllers for pod "x"', NOW)).toMatchObject({
      disruptionsAllowed: 0,
      currentHealthy: 3,
      expectedPods: 3,
      conditions: [{ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "x"' }],
    });
  });
});
