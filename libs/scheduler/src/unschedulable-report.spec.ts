import { Condition } from '@skiff/api';
import { withUnschedulableCondition } from './unschedulable-report';

describe('unschedulable condition', () => {
  const t0 = new Date('2024-01-01T00:00:00Z');
  const t1 = new Date('2024-01-01T00:01:00Z');

  it('sets PodScheduled=False with reason Unschedulable, and skips a write that changes nothing', () => {
    const first = withUnschedulableCondition([], 'msg', t0)!;
    expect(first).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'msg', lastTransitionTime: t0 })]);
    expect(withUnschedulableCondition(first, 'msg', t1)).toBeUndefined();
    const changed = withUnschedulableCondition(first, 'other', t1)!;
    expect(changed[0]).toMatchObject({ message: 'other', lastTransitionTime: t0 });
  });

  it('keeps other conditions', () => {
    const ready = Condition.fromPartial({ type: 'Ready', status: 'False' });
    expect(withUnschedulableCondition([ready], 'm', t0)?.map((c) => c.type)).toEqual(['Ready', 'PodScheduled']);
  });
});
