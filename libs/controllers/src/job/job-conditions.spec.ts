import { ensureCondition, finishedCondition, isJobFinished } from './job-conditions';
import { job, T0 } from './job-fixtures.spec-helper';

describe('job conditions', () => {
  it('adds a True condition, replaces one that differs, leaves an equal one', () => {
    const a = ensureCondition([], 'Suspended', 'True', 'JobSuspended', 'Job suspended', T0);
    expect(a.changed).toBe(true);
    expect(a.conditions).toEqual([{ type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended', lastProbeTime: new Date(T0), lastTransitionTime: new Date(T0) }]);
    expect(ensureCondition(a.conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', T0 + 1).changed).toBe(false);
    const b = ensureCondition(a.conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', T0 + 1);
    expect(b.conditions).toEqual([expect.objectContaining({ status: 'False', reason: 'JobResumed', lastTransitionTime: new Date(T0 + 1) })]);
  });

  it('never adds a condition that starts False', () => {
    expect(ensureCondition([], 'Suspended', 'False', 'JobResumed', 'Job resumed', T0)).toEqual({ conditions: [], changed: false });
  });

  it('a Job is finished with Complete=True or Failed=True', () => {
    expect(isJobFinished(job())).toBe(false);
    const done = job({}, { conditions: [{ type: 'Complete', status: 'True', reason: '', message: '' }] });
    expect(isJobFinished(done)).toBe(true);
    expect(finishedCondition(done)?.type).toBe('Complete');
    expect(isJobFinished(job({}, { conditions: [{ type: 'FailureTarget', status: 'True', reason: '', message: '' }] }))).toBe(false);
  });
});
