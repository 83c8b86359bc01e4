import { kindFor, Pod, type Condition } from '@skiff/api';
import { contentGone, deletionConditions, estimateGracefulTermination, groupResource, namespacedKinds, requeueAfterMs, sameConditions, type ContentState } from './namespace-deletion';

const now = new Date('2024-05-01T00:00:00Z');
const later = new Date('2024-05-01T00:01:00Z');
const state = (remaining: [string, number][] = [], finalizers: [string, number][] = [], failures: string[] = []): ContentState => ({
  remaining: remaining.map(([r, count]) => ({ info: kindFor(r), count })),
  finalizers: new Map(finalizers),
  failures,
});
const pod = (grace: number | undefined, phase = 'Running') => Pod.fromPartial({ spec: { terminationGracePeriodSeconds: grace }, status: { phase } });

describe('namespace deletion decisions', () => {
  it('deletes every namespaced kind, and only those', () => {
    const kinds = namespacedKinds().map((k) => k.resource);
    expect(kinds).toEqual(expect.arrayContaining(['pods', 'services', 'configmaps', 'secrets', 'replicasets', 'deployments', 'events', 'leases', 'endpoints']));
    expect(kinds).not.toContain('namespaces');
    expect(kinds).not.toContain('nodes');
  });

  it('names resources with their group as Kubernetes prints them', () => {
    expect(groupResource(kindFor('pods'))).toBe('pods.');
    expect(groupResource(kindFor('replicasets'))).toBe('replicasets.apps');
  });

  it('estimates the longest grace period of the pods still running', () => {
    expect(estimateGracefulTermination([pod(30), pod(5), pod(90, 'Succeeded'), pod(undefined)])).toBe(30);
    expect(estimateGracefulTermination([])).toBe(0);
  });

  it('looks again after estimate/2 + 1 s, 15 s counting for finalizers', () => {
    expect(requeueAfterMs(state([['pods', 2]]), 30)).toBe(16_000);
    expect(requeueAfterMs(state([['configmaps', 1]], [['example.com/x', 1]]), 0)).toBe(8_000);
    expect(requeueAfterMs(state([['configmaps', 1]]), 0)).toBe(1_000);
  });

  it('is done only when nothing remains and nothing failed', () => {
    expect(contentGone(state([['pods', 0], ['configmaps', 0]]))).toBe(true);
    expect(contentGone(state([['pods', 1]]))).toBe(false);
    expect(contentGone(state([], [], ['pods: unavailable']))).toBe(false);
  });

  it('words the conditions as Kubernetes, keeping transition times of unchanged ones', () => {
    const remaining = deletionConditions(state([['pods', 2], ['replicasets', 1], ['configmaps', 0]], [['example.com/x', 1]]), [], now);
    expect(remaining).toEqual([
      { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization', lastTransitionTime: now },
      { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: pods. has 2 resource instances, replicasets.apps has 1 resource instances', lastTransitionTime: now },
      { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: example.com/x in 1 resource instances', lastTransitionTime: now },
    ]);
    const other: Condition = { type: 'Custom', status: 'True', reason: 'R', message: 'm', lastTransitionTime: now };
    const next = deletionConditions(state([['pods', 1]], [], ['configmaps: boom']), [...remaining, other], later);
    expect(next.find((c) => c.type === 'NamespaceDeletionContentFailure')).toMatchObject({ status: 'True', reason: 'ContentDeletionFailed', message: 'Failed to delete all resource types, 1 remaining: configmaps: boom', lastTransitionTime: later });
    expect(next.find((c) => c.type === 'NamespaceContentRemaining')).toMatchObject({ status: 'True', message: 'Some resources are remaining: pods. has 1 resource instances', lastTransitionTime: now });
    expect(next.find((c) => c.type === 'NamespaceFinalizersRemaining')).toMatchObject({ status: 'False', reason: 'ContentHasNoFinalizers', lastTransitionTime: later });
    expect(next).toContainEqual(other);
  });

  it('compares conditions without their times', () => {
    const a = deletionConditions(state([['pods', 1]]), [], now);
    expect(sameConditions(a, deletionConditions(state([['pods', 1]]), [], later))).toBe(true);
    expect(sameConditions(a, deletionConditions(state([['pods', 2]]), [], now))).toBe(false);
  });
});
