import { Pod, ReplicaSet, type ReplicaSetStatus } from '@skiff/api';
import { isPodActive, isPodAvailable, msUntilAvailable } from '../pods/pod-availability';
import { availabilityRecheckMs, calculateStatus, statusChanged } from './replicaset-status';

const NOW = 100_000;

function rs(minReadySeconds = 0, status?: Partial<ReplicaSetStatus>): ReplicaSet {
  return ReplicaSet.fromPartial({
    metadata: { name: 'web', namespace: 'default', generation: 4 },
    spec: { replicas: 3, minReadySeconds, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'front' } } } },
    status,
  });
}

function pod(name: string, o: { labels?: Record<string, string>; readySince?: number; phase?: string; deleting?: boolean } = {}): Pod {
  return Pod.fromPartial({
    metadata: { name, labels: o.labels ?? { app: 'web', tier: 'front' }, deletionTimestamp: o.deleting ? new Date(NOW) : undefined },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.readySince === undefined ? [{ type: 'Ready', status: 'False' }] : [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(o.readySince) }],
    },
  });
}

describe('pod availability', () => {
  it('active: not terminal and not being deleted', () => {
    expect(isPodActive(pod('a'))).toBe(true);
    expect(isPodActive(pod('a', { phase: 'Succeeded' }))).toBe(false);
    expect(isPodActive(pod('a', { phase: 'Failed' }))).toBe(false);
    expect(isPodActive(pod('a', { deleting: true }))).toBe(false);
  });

  it('available: ready for strictly more than minReadySeconds', () => {
    const p = pod('a', { readySince: NOW - 10_000 });
    expect(isPodAvailable(p, 0, NOW)).toBe(true);
    expect(isPodAvailable(p, 9, NOW)).toBe(true);
    expect(isPodAvailable(p, 10, NOW)).toBe(false);
    expect(isPodAvailable(pod('b'), 0, NOW)).toBe(false);
    expect(msUntilAvailable(p, 10, NOW)).toBe(1);
    expect(msUntilAvailable(p, 15, NOW)).toBe(5_001);
    expect(msUntilAvailable(p, 5, NOW)).toBeUndefined();
    expect(msUntilAvailable(pod('b'), 5, NOW)).toBeUndefined();
  });
});

describe('calculateStatus', () => {
  it('counts replicas, fully labelled, ready and available pods and records the generation', () => {
    const owned = [
      pod('ready-long', { readySince: NOW - 60_000 }),
      pod('ready-just-now', { readySince: NOW - 1_000 }),
      pod('not-ready'),
      pod('partly-labelled', { labels: { app: 'web' }, readySince: NOW - 60_000 }),
    ];
    expect(calculateStatus(rs(30), owned, undefined, NOW)).toEqual({
      replicas: 4,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 2,
      observedGeneration: 4,
      conditions: [],
    });
    expect(calculateStatus(rs(0), owned, undefined, NOW).availableReplicas).toBe(3);
  });

  it('sets ReplicaFailure on a failed create or delete and removes it after a sync that succeeds', () => {
    const failing = calculateStatus(rs(), [], { reason: 'FailedCreate', message: 'pods "web-" is forbidden' }, NOW);
    expect(failing.conditions).toEqual([
      expect.objectContaining({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-" is forbidden', lastTransitionTime: new Date(NOW) }),
    ]);
    // Still failing later: the condition (and its transition time) stays as it was.
    const again = calculateStatus(rs(0, failing), [], { reason: 'FailedCreate', message: 'other' }, NOW + 5_000);
    expect(again.conditions).toEqual(failing.conditions);
    expect(calculateStatus(rs(0, failing), [], undefined, NOW).conditions).toEqual([]);
  });
});

describe('statusChanged', () => {
  const base = calculateStatus(rs(), [pod('a', { readySince: 0 })], undefined, NOW);

  it('is false for an identical status, true for any count, generation or condition change, and for no status', () => {
    expect(statusChanged(structuredClone(base), base)).toBe(false);
    expect(statusChanged(undefined, base)).toBe(true);
    expect(statusChanged({ ...base, readyReplicas: 0 }, base)).toBe(true);
    expect(statusChanged({ ...base, observedGeneration: 3 }, base)).toBe(true);
    const failing = calculateStatus(rs(), [], { reason: 'FailedDelete', message: 'x' }, NOW);
    expect(statusChanged(base, { ...base, conditions: failing.conditions })).toBe(true);
  });
});

describe('availabilityRecheckMs', () => {
  it('is the soonest time a ready pod becomes available, or undefined', () => {
    const owned = [pod('a', { readySince: NOW - 1_000 }), pod('b', { readySince: NOW - 4_000 }), pod('c'), pod('d', { readySince: NOW - 60_000 })];
    expect(availabilityRecheckMs(rs(5), owned, NOW)).toBe(1_001);
    expect(availabilityRecheckMs(rs(0), owned, NOW)).toBeUndefined();
    expect(availabilityRecheckMs(rs(5), [pod('d', { readySince: NOW - 60_000 })], NOW)).toBeUndefined();
  });
});
