import { PodStatus } from './gen';
import { DELETION_BY_POD_GC, EVICTION_BY_EVICTION_API, withDisruptionTarget } from './disruption-target';

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
