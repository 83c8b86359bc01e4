import { PodStatus } from './gen';
import { DELETION_BY_POD_GC, EVICTION_BY_EVICTION_API, STALE_DISRUPTION_TIMEOUT_MS, staleDisruptionTarget, withDisruptionTarget } from './disruption-target';

const T = new Date('2026-01-01T00:00:00Z');

describe('withDisruptionTarget', () => {
  it('adds DisruptionTarget=True with the reason and message, without changing the input', () => {
    const before = PodStatus.fromPartial({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True', reason: '', message: '' }] });
    const { status, changed } = withDisruptionTarget(before, EVICTION_BY_EVICTION_API, T);
    expect(changed).toBe(true);
    expect(status.conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: T }));
    expect(before.conditions).toHaveLength(1);
  });

  it('is no change when already there; a new reason keeps the transition time of the same status', () => {
    const once = withDisruptionTarget(undefined, EVICTION_BY_EVICTION_API, T).status;
    expect(withDisruptionTarget(once, EVICTION_BY_EVICTION_API, new Date(T.getTime() + 1000)).changed).toBe(false);
    const again = withDisruptionTarget(once, DELETION_BY_POD_GC, new Date(T.getTime() + 1000));
    expect(again.changed).toBe(true);
    expect(again.status.conditions).toEqual([expect.objectContaining({ reason: 'DeletionByPodGC', lastTransitionTime: T })]);
  });
});

describe('staleDisruptionTarget', () => {
  const marked = withDisruptionTarget(PodStatus.fromPartial({ phase: 'Running' }), EVICTION_BY_EVICTION_API, T).status;
  const at = (ms: number) => T.getTime() + ms;

  it('waits 2 minutes after the mark, then resets the condition to False', () => {
    expect(staleDisruptionTarget({ status: marked }, at(1_000))).toEqual({ recheckAtMs: at(STALE_DISRUPTION_TIMEOUT_MS) });
    const result = staleDisruptionTarget({ status: marked }, at(STALE_DISRUPTION_TIMEOUT_MS));
    expect(result && 'reset' in result && result.reset.conditions).toEqual([expect.objectContaining({ type: 'DisruptionTarget', status: 'False', reason: '', message: '', lastTransitionTime: new Date(at(STALE_DISRUPTION_TIMEOUT_MS)) })]);
    expect(marked.conditions[0].status).toBe('True');
  });

  it('leaves pods being deleted, unmarked pods and reset ones alone', () => {
    expect(staleDisruptionTarget({ metadata: { deletionTimestamp: T }, status: marked }, at(10 * 60_000))).toBeUndefined();
    expect(staleDisruptionTarget({ status: PodStatus.fromPartial({ phase: 'Running' }) }, at(10 * 60_000))).toBeUndefined();
    const reset = staleDisruptionTarget({ status: marked }, at(STALE_DISRUPTION_TIMEOUT_MS)) as { reset: PodStatus };
    expect(staleDisruptionTarget({ status: reset.reset }, at(10 * 60_000))).toBeUndefined();
  });
});
