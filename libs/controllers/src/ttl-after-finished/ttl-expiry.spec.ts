import { Job } from '@skiff/api';
import { decideTtl, jobFinishTime } from './ttl-expiry';

const T0 = Date.UTC(2026, 0, 1);
const job = (ttl: number | undefined, finishedAt?: number, type = 'Complete') =>
  Job.fromPartial({
    metadata: { name: 'j', namespace: 'default' },
    spec: { ttlSecondsAfterFinished: ttl },
    status: { conditions: finishedAt === undefined ? [] : [{ type, status: 'True', lastTransitionTime: new Date(finishedAt), reason: '', message: '' }] },
  });

describe('decideTtl', () => {
  it('ignores Jobs without a ttl, unfinished or being deleted', () => {
    expect(decideTtl(job(undefined, T0), T0 + 1e9)).toEqual({ action: 'none' });
    expect(decideTtl(job(10), T0 + 1e9)).toEqual({ action: 'none' });
    const deleting = job(0, T0);
    deleting.metadata!.deletionTimestamp = new Date(T0);
    expect(decideTtl(deleting, T0 + 1e9)).toEqual({ action: 'none' });
  });

  it('waits until finish + ttl, then deletes (Complete or Failed)', () => {
    expect(jobFinishTime(job(10, T0))).toBe(T0);
    expect(decideTtl(job(10, T0), T0 + 4_000)).toEqual({ action: 'wait', ms: 6_000 });
    expect(decideTtl(job(10, T0), T0 + 10_000)).toEqual({ action: 'delete' });
    expect(decideTtl(job(0, T0, 'Failed'), T0)).toEqual({ action: 'delete' });
  });

  it('a finished condition without a time expires from completionTime, else creationTimestamp (not from now)', () => {
    const untimed = (completionTime?: number) =>
      Job.fromPartial({
        metadata: { name: 'j', namespace: 'default', creationTimestamp: new Date(T0) },
        spec: { ttlSecondsAfterFinished: 10 },
        status: { completionTime: completionTime === undefined ? undefined : new Date(completionTime), conditions: [{ type: 'Complete', status: 'True', reason: '', message: '' }] },
      });
    expect(jobFinishTime(untimed(T0 + 5_000))).toBe(T0 + 5_000);
    expect(decideTtl(untimed(T0 + 5_000), T0 + 15_000)).toEqual({ action: 'delete' });
    expect(decideTtl(untimed(), T0 + 60_000)).toEqual({ action: 'delete' });
    expect(decideTtl(untimed(), T0 + 4_000)).toEqual({ action: 'wait', ms: 6_000 });
  });
});
