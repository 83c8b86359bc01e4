import { activePodsForRemoval, countFinished, planJobSync, type JobSyncInput } from './job-sync';
import { failed, job, pod, succeeded, T0 } from './job-fixtures.spec-helper';
import { parseIndexes } from './completion-indexes';

const plan = (input: Partial<JobSyncInput> & Pick<JobSyncInput, 'job'>) => planJobSync({ pods: [], now: T0 + 1_000, expectationsSatisfied: true, ...input });
const names = (list: readonly { metadata?: { uid?: string } }[]) => list.map((p) => p.metadata?.uid);

describe('planJobSync: NonIndexed', () => {
  it('starts min(parallelism, completions - succeeded) pods and sets startTime', () => {
    const p = plan({ job: job({ parallelism: 3, completions: 5 }, { startTime: undefined, succeeded: 3 }) });
    expect(p.creations).toEqual({ count: 2 });
    expect(p.status.active).toBe(2);
    expect(p.status.startTime).toEqual(new Date(T0 + 1_000));
  });

  it('keeps parallelism running and deletes the surplus (finalizer removed: not counted)', () => {
    const pods = [pod('a'), pod('b'), pod('c', { ready: true })];
    const p = plan({ job: job({ parallelism: 2, completions: 10 }), pods });
    expect(p.deletions.keepFinalizer).toBe(false);
    expect(p.deletions.pods).toHaveLength(1);
    expect(names(p.deletions.pods)).not.toContain('c');
    expect(p.creations.count).toBe(0);
    expect(p.status).toMatchObject({ active: 2, ready: 1 });
  });

  it('counts succeeded pods not yet recorded and completes with SuccessCriteriaMet when none is active', () => {
    const p = plan({ job: job({ completions: 2 }, { succeeded: 1 }), pods: [succeeded('a')] });
    expect(p.creations.count).toBe(0);
    expect(p.finishing).toMatchObject({ type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached' });
  });

  it('work queue (no completions): parallelism pods until one succeeds, then no new pods; complete when none active', () => {
    const wq = job({ completions: undefined, parallelism: 3 });
    expect(plan({ job: wq }).creations.count).toBe(3);
    const oneDone = plan({ job: wq, pods: [succeeded('a'), pod('b')] });
    expect(oneDone.creations.count).toBe(0);
    expect(oneDone.deletions.pods).toEqual([]);
    expect(oneDone.finishing).toBeUndefined();
    expect(plan({ job: wq, pods: [succeeded('a')] }).finishing?.type).toBe('SuccessCriteriaMet');
  });

  it('does nothing to pods while expectations are pending or the Job is being deleted', () => {
    expect(plan({ job: job(), expectationsSatisfied: false }).creations.count).toBe(0);
    const deleting = job();
    deleting.metadata!.deletionTimestamp = new Date(T0);
    expect(plan({ job: deleting }).creations.count).toBe(0);
  });
});

describe('planJobSync: Indexed', () => {
  const indexed = (status = {}) => job({ completionMode: 'Indexed', completions: 5, parallelism: 2 }, status);

  it('creates the first free indexes, never more than parallelism active', () => {
    expect(plan({ job: indexed() }).creations).toEqual({ count: 2, indexes: [0, 1] });
    const p = plan({ job: indexed({ completedIndexes: '0' }), pods: [pod('a', { index: 1 }), succeeded('b', { index: 2 })] });
    expect(p.creations).toEqual({ count: 1, indexes: [3] });
    expect(p.succeededIndexes).toEqual(parseIndexes('0,2', 5));
  });

  it('deletes pods with repeated, invalid or succeeded indexes first', () => {
    const pods = [pod('a', { index: 1 }), pod('b', { index: 1, ready: true }), pod('c', { index: 9 }), pod('d', { index: 0 })];
    const rm = activePodsForRemoval(indexed(), pods, 0, parseIndexes('0', 5));
    expect(names(rm).sort()).toEqual(['a', 'c', 'd']);
  });

  it('completes when every index succeeded', () => {
    const p = plan({ job: indexed({ completedIndexes: '0-3' }), pods: [succeeded('e', { index: 4 })] });
    expect(p.finishing?.type).toBe('SuccessCriteriaMet');
  });
});

describe('planJobSync: failures', () => {
  it('counts failed pods (recorded, uncounted, with finalizer) against backoffLimit', () => {
    const j = job({ backoffLimit: 2, completions: 5 }, { failed: 1, uncountedTerminatedPods: { succeeded: [], failed: ['x'] } });
    expect(countFinished(j, [failed('a'), failed('x'), failed('old', { finalizer: false })])).toEqual({ succeeded: 0, failed: 3 });
    const p = plan({ job: j, pods: [failed('a'), pod('b')] });
    expect(p.finishing).toMatchObject({ type: 'FailureTarget', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(p.deletions).toEqual({ pods: [expect.objectContaining({ metadata: expect.objectContaining({ uid: 'b' }) })], keepFinalizer: true });
    expect(p.status).toMatchObject({ active: 0, terminating: 1 });
  });

  it('backoffLimit 0 fails on the first failure; restarts of OnFailure pods count (>= limit)', () => {
    expect(plan({ job: job({ backoffLimit: 0 }), pods: [failed('a')] }).finishing?.reason).toBe('BackoffLimitExceeded');
    const onFailure = job({ backoffLimit: 2 });
    onFailure.spec!.template!.spec!.restartPolicy = 'OnFailure';
    expect(plan({ job: onFailure, pods: [pod('a', { restarts: 1 })] }).finishing).toBeUndefined();
    expect(plan({ job: onFailure, pods: [pod('a', { restarts: 2 })] }).finishing?.reason).toBe('BackoffLimitExceeded');
  });

  it('replaces a failed pod only after the backoff, and requeues for it', () => {
    const pods = [failed('a', { finishedAt: T0 })];
    const early = plan({ job: job({ completions: 1 }), pods, now: T0 + 4_000 });
    expect(early.creations.count).toBe(0);
    expect(early.requeueAfterMs).toBe(6_000);
    expect(plan({ job: job(), pods, now: T0 + 10_000 }).creations.count).toBe(1);
    expect(plan({ job: job(), pods, now: T0 + 100, backoffBaseMs: 50 }).creations.count).toBe(1);
  });

  it('activeDeadlineSeconds: requeues at the deadline, then fails with DeadlineExceeded', () => {
    const j = job({ activeDeadlineSeconds: 10 });
    expect(plan({ job: j, pods: [pod('a')], now: T0 + 4_000 }).requeueAfterMs).toBe(6_000);
    const p = plan({ job: j, pods: [pod('a')], now: T0 + 10_000 });
    expect(p.finishing).toMatchObject({ type: 'FailureTarget', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(p.deletions.keepFinalizer).toBe(true);
  });

  it('FailJob rule: FailureTarget with reason PodFailurePolicy; Ignore: not counted, replaced', () => {
    const failJob = job({ backoffLimit: 6, podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] }, onPodConditions: [] }] } });
    expect(plan({ job: failJob, pods: [failed('a', { exitCode: 42 })] }).finishing).toMatchObject({ reason: 'PodFailurePolicy', message: 'Container main for pod default/pi-a failed with exit code 42 matching FailJob rule at index 0' });
    const ignore = job({ backoffLimit: 0, podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [3] }, onPodConditions: [] }] } });
    const p = plan({ job: ignore, pods: [failed('a', { exitCode: 3 })] });
    expect(p.finishing).toBeUndefined();
    expect(countFinished(ignore, [failed('a', { exitCode: 3 })]).failed).toBe(0);
  });

  it('keeps finishing once FailureTarget is recorded', () => {
    const j = job({}, { conditions: [{ type: 'FailureTarget', status: 'True', reason: 'DeadlineExceeded', message: 'm' }] });
    expect(plan({ job: j, pods: [pod('a')] }).finishing).toMatchObject({ type: 'FailureTarget', reason: 'DeadlineExceeded' });
  });
});

describe('planJobSync: suspend', () => {
  it('deletes the active pods (finalizers removed first), Suspended=True, no startTime', () => {
    const p = plan({ job: job({ suspend: true }, { startTime: undefined }), pods: [pod('a'), pod('b')] });
    expect(p.deletions.pods).toHaveLength(2);
    expect(p.deletions.keepFinalizer).toBe(false);
    expect(p.status.active).toBe(0);
    expect(p.status.startTime).toBeUndefined();
    expect(p.status.conditions).toEqual([expect.objectContaining({ type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' })]);
    expect(p.events).toEqual([{ type: 'Normal', reason: 'Suspended', message: 'Job suspended' }]);
  });

  it('no deadline while suspended; resuming sets Suspended=False JobResumed and restarts startTime', () => {
    const suspended = job({ suspend: true, activeDeadlineSeconds: 1 }, { conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }] });
    expect(plan({ job: suspended, now: T0 + 60_000 }).finishing).toBeUndefined();
    const resumed = job({ suspend: false, activeDeadlineSeconds: 5 }, { startTime: undefined, conditions: suspended.status!.conditions });
    const p = plan({ job: resumed, now: T0 + 60_000 });
    expect(p.status.conditions).toEqual([expect.objectContaining({ type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' })]);
    expect(p.status.startTime).toEqual(new Date(T0 + 60_000));
    expect(p.creations.count).toBe(1);
    expect(p.requeueAfterMs).toBe(5_000);
    expect(p.events).toEqual([{ type: 'Normal', reason: 'Resumed', message: 'Job resumed' }]);
  });
});
