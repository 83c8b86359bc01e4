import { backoffDelayMs, backoffRecordOf, remainingBackoffMs } from './job-backoff';
import { failed, job, pod, succeeded, T0 } from './job-fixtures.spec-helper';

describe('job failure backoff', () => {
  it('doubles from 10 s per failure, capped at 6 minutes', () => {
    expect(backoffDelayMs(0)).toBe(0);
    expect(backoffDelayMs(1)).toBe(10_000);
    expect(backoffDelayMs(2)).toBe(20_000);
    expect(backoffDelayMs(3)).toBe(40_000);
    expect(backoffDelayMs(6)).toBe(320_000);
    expect(backoffDelayMs(7)).toBe(360_000);
    expect(backoffDelayMs(50)).toBe(360_000);
    expect(backoffDelayMs(3, 100, 1_000)).toBe(400);
  });

  it('counts failures since the last success, from the last failure', () => {
    const pods = [failed('a', { finishedAt: T0 }), succeeded('b', { finishedAt: T0 + 1000 }), failed('c', { finishedAt: T0 + 2000 }), failed('d', { finishedAt: T0 + 3000 })];
    expect(backoffRecordOf(job(), pods)).toEqual({ failuresAfterLastSuccess: 2, lastFailureTime: T0 + 3000 });
    expect(backoffRecordOf(job(), [succeeded('b')])).toEqual({ failuresAfterLastSuccess: 0 });
  });

  it('waits for the rest of the delay (injected now)', () => {
    const record = { failuresAfterLastSuccess: 2, lastFailureTime: T0 };
    expect(remainingBackoffMs(record, T0 + 5_000)).toBe(15_000);
    expect(remainingBackoffMs(record, T0 + 20_000)).toBe(0);
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 0 }, T0)).toBe(0);
  });

  it('measures a deleted pod from its deletion request, not from deletionTimestamp (now + grace)', () => {
    const deleted = pod('a', { deleting: true });
    deleted.status!.containerStatuses = [];
    deleted.metadata!.deletionGracePeriodSeconds = 30;
    deleted.metadata!.deletionTimestamp = new Date(T0 + 30_000);
    expect(backoffRecordOf(job(), [deleted])).toEqual({ failuresAfterLastSuccess: 1, lastFailureTime: T0 });
    expect(remainingBackoffMs(backoffRecordOf(job(), [deleted]), T0 + 10_000)).toBe(0);
  });

  it('leaves out pods the controller deleted itself (no finalizer, not Failed, not uncounted)', () => {
    const removedBySuspend = pod('s', { deleting: true, finalizer: false });
    const countedLater = pod('u', { deleting: true, finalizer: false });
    const j = job({}, { uncountedTerminatedPods: { succeeded: [], failed: ['u'] } });
    expect(backoffRecordOf(j, [removedBySuspend])).toEqual({ failuresAfterLastSuccess: 0 });
    expect(backoffRecordOf(j, [removedBySuspend, countedLater]).failuresAfterLastSuccess).toBe(1);
    expect(backoffRecordOf(j, [pod('f', { deleting: true })]).failuresAfterLastSuccess).toBe(1);
    expect(backoffRecordOf(j, [failed('x', { finalizer: false })]).failuresAfterLastSuccess).toBe(1);
  });
});
