import { enactFinished, settleUncounted, trackFinishedPods, type TrackInput } from './job-tracking';
import { failed, job, pod, succeeded, T0 } from './job-fixtures.spec-helper';
import { jobStatus, planJobSync } from './job-sync';
import type { Job, Pod } from '@skiff/api';

function track(j: Job, pods: Pod[], extra: Partial<TrackInput> = {}) {
  const plan = planJobSync({ job: j, pods, now: T0, expectationsSatisfied: true, ...extra });
  return trackFinishedPods({ job: j, status: plan.status, pods, finishing: plan.finishing, prevSucceededIndexes: plan.prevSucceededIndexes, succeededIndexes: plan.succeededIndexes, now: T0, ...extra });
}

describe('trackFinishedPods', () => {
  it('puts finished pods with the finalizer into uncountedTerminatedPods and asks to remove their finalizers', () => {
    const r = track(job({ completions: 3, parallelism: 3 }), [succeeded('s'), failed('f'), pod('a'), failed('old', { finalizer: false })]);
    expect(r.status.uncountedTerminatedPods).toEqual({ succeeded: ['s'], failed: ['f'] });
    expect(r.removeFinalizers.map((p) => p.metadata?.uid)).toEqual(['s', 'f']);
    expect(r.needsFlush).toBe(true);
    expect(r.status).toMatchObject({ succeeded: 0, failed: 0 });
  });

  it('does not list a pod twice, nor pods whose finalizer removal is expected', () => {
    const j = job({ completions: 3 }, { uncountedTerminatedPods: { succeeded: ['s'], failed: [] } });
    const r = track(j, [succeeded('s'), failed('f')], { expectedRmFinalizers: new Set(['f']) });
    expect(r.status.uncountedTerminatedPods).toEqual({ succeeded: ['s'], failed: [] });
    expect(r.removeFinalizers.map((p) => p.metadata?.uid)).toEqual(['s']);
  });

  it('settles uncounted uids whose pods lost the finalizer (or are gone) into the counters', () => {
    const status = jobStatus({ succeeded: 1, failed: 2, uncountedTerminatedPods: { succeeded: ['a', 'b'], failed: ['c'] } });
    expect(settleUncounted(status, new Set(['b']))).toBe(true);
    expect(status).toMatchObject({ succeeded: 2, failed: 3, uncountedTerminatedPods: { succeeded: ['b'], failed: [] } });
    expect(settleUncounted(status, new Set(['b']))).toBe(false);
  });

  it('Indexed: succeeded pods go into completedIndexes, each index once', () => {
    const j = job({ completionMode: 'Indexed', completions: 5, parallelism: 2 }, { completedIndexes: '0', succeeded: 1 });
    const r = track(j, [succeeded('a', { index: 2 }), succeeded('b', { index: 2 }), succeeded('c', { index: 0 }), succeeded('x', { index: 7 })]);
    expect(r.status.completedIndexes).toBe('0,2');
    expect(r.status.succeeded).toBe(2);
    expect(r.status.uncountedTerminatedPods).toEqual({ succeeded: [], failed: [] });
    expect(r.removeFinalizers).toHaveLength(4);
  });

  it('a failing Job counts its still-running pods as failed and records FailureTarget, then Failed', () => {
    const j = job({ backoffLimit: 0, completions: 2, parallelism: 2 });
    const r = track(j, [failed('f'), pod('a')]);
    expect(r.status.conditions).toEqual([expect.objectContaining({ type: 'FailureTarget', reason: 'BackoffLimitExceeded' })]);
    expect(r.status.uncountedTerminatedPods?.failed.sort()).toEqual(['a', 'f']);
    expect(r.terminal).toMatchObject({ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
  });

  it('a pod ignored by the policy loses its finalizer without being counted', () => {
    const j = job({ podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [3] }, onPodConditions: [] }] } });
    const r = track(j, [failed('f', { exitCode: 3 })]);
    expect(r.status.uncountedTerminatedPods).toEqual({ succeeded: [], failed: [] });
    expect(r.removeFinalizers).toHaveLength(1);
  });

  it('running pods keep their finalizer; a Job being deleted releases them all', () => {
    expect(track(job(), [pod('a')]).removeFinalizers).toEqual([]);
    const deleting = job();
    deleting.metadata!.deletionTimestamp = new Date(T0);
    expect(track(deleting, [pod('a')]).removeFinalizers).toHaveLength(1);
  });
});

describe('enactFinished', () => {
  const complete = { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };

  it('waits while pods are uncounted or terminating', () => {
    expect(enactFinished(jobStatus({ uncountedTerminatedPods: { succeeded: ['a'], failed: [] } }), complete, T0)).toBe(false);
    expect(enactFinished(jobStatus({ terminating: 1 }), complete, T0)).toBe(false);
    expect(enactFinished(jobStatus({}), undefined, T0)).toBe(false);
  });

  it('adds Complete with completionTime', () => {
    const status = jobStatus({ conditions: [{ ...complete, type: 'SuccessCriteriaMet' }] });
    expect(enactFinished(status, complete, T0)).toBe(true);
    expect(status.completionTime).toEqual(new Date(T0));
    expect(status.conditions.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
  });

});
