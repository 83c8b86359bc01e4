import { jobStatusChanged } from './job-controller';
import { jobStatus } from './job-sync';
import { T0 } from './job-fixtures.spec-helper';

describe('jobStatusChanged', () => {
  it('compares the fields the controller writes, not object identity or key order', () => {
    const a = jobStatus({ active: 1, startTime: new Date(T0), conditions: [{ type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed', lastTransitionTime: new Date(T0) }] });
    expect(jobStatusChanged(a, structuredClone(a))).toBe(false);
    expect(jobStatusChanged(undefined, jobStatus({}))).toBe(false);
    expect(jobStatusChanged(a, { ...a, active: 2 })).toBe(true);
    expect(jobStatusChanged(a, { ...a, startTime: new Date(T0 + 1) })).toBe(true);
    expect(jobStatusChanged(a, { ...a, uncountedTerminatedPods: { succeeded: ['x'], failed: [] } })).toBe(true);
    expect(jobStatusChanged(a, { ...a, conditions: [] })).toBe(true);
  });
});
