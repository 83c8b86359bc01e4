import { Condition } from '@skiff/api';
import { eventName, failedSchedulingEvent, withUnschedulableCondition } from './unschedulable-report';
import { pod } from './test-objects.spec-helper';

describe('unschedulable report (pure parts)', () => {
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

  it('builds a Warning FailedScheduling event about the pod from default-scheduler, with a stable name', () => {
    const p = pod('web');
    const ev = failedSchedulingEvent(p, '0/2 nodes are available: 2 Insufficient cpu.', t0, 'default-scheduler');
    expect(ev).toMatchObject({
      metadata: { namespace: 'default' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'uid-web' },
      reason: 'FailedScheduling',
      type: 'Warning',
      count: 1,
      source: { component: 'default-scheduler' },
    });
    expect(ev.metadata?.name).toBe(eventName(p, 'FailedScheduling', '0/2 nodes are available: 2 Insufficient cpu.'));
    expect(ev.metadata?.name).toMatch(/^web\.[0-9a-f]{16}$/);
    expect(eventName(p, 'FailedScheduling', 'another')).not.toBe(ev.metadata?.name);
  });
});
