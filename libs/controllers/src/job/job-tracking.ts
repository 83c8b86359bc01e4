/**
 * Counting finished pods without losing one (Kubernetes' trackJobStatusAndRemoveFinalizers):
 *
 *   1. trackFinishedPods: every finished pod that still has the tracking finalizer goes into
 *      status.uncountedTerminatedPods (Indexed: its index into completedIndexes), and the
 *      interim condition (FailureTarget / SuccessCriteriaMet) is added; this status is written.
 *   2. the controller removes the finalizers of those pods.
 *   3. settleUncounted: uncounted uids whose pod no longer has the finalizer (removed, or the
 *      pod is gone) move into status.succeeded / status.failed.
 *   4. enactFinished: with nothing uncounted and no pod terminating, the terminal condition
 *      (Complete with completionTime, or Failed) is added; 3 and 4 are written together.
 *
 * A crash between the steps loses nothing: a uid is either on a pod with the finalizer, or in
 * the uncounted lists, or in the counters, and each step moves it forward once.
 * CONTRACT: pure; inputs are never changed (the returned status is a new object).
 */
import type { Condition, Job, JobStatus, Pod } from '@skiff/api';
import { formatIndexes, hasIndex, indexCount, validIndexOf, withIndexes, type IndexInterval } from './completion-indexes';
import { ensureCondition, findCondition, JOB_COMPLETE, JOB_FAILED, JOB_FAILURE_TARGET, JOB_SUCCESS_CRITERIA_MET, newCondition } from './job-conditions';
import { hasTrackingFinalizer, isPodFailed } from './job-pods';
import { isIndexedJob, jobStatus } from './job-sync';
import { matchPodFailurePolicy } from './pod-failure-policy';

/** At most this many pods are uncounted at once (Kubernetes' MaxUncountedPods). */
export const MAX_UNCOUNTED_PODS = 500;

export interface TrackInput {
  job: Readonly<Job>;
  /** The status planJobSync computed. */
  status: JobStatus;
  pods: readonly Readonly<Pod>[];
  /** The interim condition the Job finishes with, if any. */
  finishing?: Condition;
  prevSucceededIndexes: readonly IndexInterval[];
  succeededIndexes: readonly IndexInterval[];
  expectedRmFinalizers?: ReadonlySet<string>;
  now: number;
}

export interface TrackResult {
  /** The status for step 1 (write it when needsFlush). */
  status: JobStatus;
  needsFlush: boolean;
  /** Pods whose finalizer step 2 removes. */
  removeFinalizers: Readonly<Pod>[];
  /** uids of the Job's pods that still have the finalizer (and are not expected to lose it). */
  uidsWithFinalizer: Set<string>;
  /** The terminal condition to add in step 4 (Complete or Failed), if the Job is finishing. */
  terminal?: Condition;
  /** Stopped early at MAX_UNCOUNTED_PODS: do not finish in this sync. */
  reachedMaxUncounted: boolean;
}

/**
 * Moves uncounted uids whose pods no longer have the finalizer into the counters (Kubernetes'
 * cleanUncountedPodsWithoutFinalizers); changes `status` in place and says whether it did.
 */
export function settleUncounted(status: JobStatus, uidsWithFinalizer: ReadonlySet<string>): boolean {
  const uncounted = (status.uncountedTerminatedPods ??= { succeeded: [], failed: [] });
  const succeeded = uncounted.succeeded.filter((uid) => uidsWithFinalizer.has(uid));
  const failed = uncounted.failed.filter((uid) => uidsWithFinalizer.has(uid));
  const moved = uncounted.succeeded.length - succeeded.length + (uncounted.failed.length - failed.length);
  status.succeeded += uncounted.succeeded.length - succeeded.length;
  status.failed += uncounted.failed.length - failed.length;
  uncounted.succeeded = succeeded;
  uncounted.failed = failed;
  return moved > 0;
}

/** Step 1 (see the module comment). */
export function trackFinishedPods(input: TrackInput): TrackResult {
  const { job, pods, now } = input;
  const expected = input.expectedRmFinalizers ?? new Set<string>();
  const status = jobStatus(input.status);
  const indexed = isIndexedJob(job);
  const completions = job.spec?.completions ?? 0;
  const ordered = indexed ? [...pods].sort((a, b) => (validIndexOf(a, completions) ?? Infinity) - (validIndexOf(b, completions) ?? Infinity)) : [...pods];
  const uidsWithFinalizer = new Set(pods.filter((p) => hasTrackingFinalizer(p) && !expected.has(p.metadata?.uid ?? '')).map((p) => p.metadata?.uid ?? ''));
  let needsFlush = settleUncounted(status, uidsWithFinalizer);
  const uncounted = status.uncountedTerminatedPods!;
  const wasUncountedSucceeded = new Set(job.status?.uncountedTerminatedPods?.succeeded ?? []);
  const wasUncountedFailed = new Set(job.status?.uncountedTerminatedPods?.failed ?? []);
  const finishingAsFailure = input.finishing !== undefined && input.finishing.type !== JOB_SUCCESS_CRITERIA_MET;
  const removeFinalizers: Readonly<Pod>[] = [];
  const newIndexes: number[] = [];
  let reachedMaxUncounted = false;

  for (const pod of ordered) {
    const uid = pod.metadata?.uid ?? '';
    if (!hasTrackingFinalizer(pod) || expected.has(uid)) continue;
    const failed = isPodFailed(pod, job);
    const removable = Boolean(job.metadata?.deletionTimestamp) || input.finishing !== undefined || pod.status?.phase === 'Succeeded' || failed;
    if (!removable) continue;
    removeFinalizers.push(pod);
    if (pod.status?.phase === 'Succeeded' && !wasUncountedFailed.has(uid)) {
      if (indexed) {
        const ix = validIndexOf(pod, completions);
        if (ix !== undefined && !hasIndex(input.prevSucceededIndexes, ix)) {
          newIndexes.push(ix);
          needsFlush = true;
        }
      } else if (!wasUncountedSucceeded.has(uid)) {
        uncounted.succeeded.push(uid);
        needsFlush = true;
      }
    } else if (failed || finishingAsFailure) {
      // A failing Job counts every pod that did not succeed as failed.
      const validIndex = !indexed || validIndexOf(pod, completions) !== undefined;
      if (!wasUncountedFailed.has(uid) && validIndex && matchPodFailurePolicy(job.spec?.podFailurePolicy, pod).countFailed) {
        uncounted.failed.push(uid);
        needsFlush = true;
      }
    }
    if (newIndexes.length + uncounted.succeeded.length + uncounted.failed.length >= MAX_UNCOUNTED_PODS) {
      reachedMaxUncounted = true;
      break;
    }
  }

  if (indexed) {
    const all = withIndexes(input.prevSucceededIndexes, newIndexes);
    const text = formatIndexes(all);
    if (text !== (job.status?.completedIndexes ?? '')) needsFlush = true;
    status.completedIndexes = text;
    status.succeeded = indexCount(all);
  }

  let terminal: Condition | undefined;
  const finishing = input.finishing;
  if (finishing?.type === JOB_FAILURE_TARGET) {
    if (!findCondition(status.conditions, JOB_FAILURE_TARGET)) {
      status.conditions = [...status.conditions, finishing];
      needsFlush = true;
    }
    terminal = newCondition(JOB_FAILED, 'True', finishing.reason, finishing.message, now);
  } else if (finishing?.type === JOB_SUCCESS_CRITERIA_MET) {
    if (!findCondition(status.conditions, JOB_SUCCESS_CRITERIA_MET)) {
      status.conditions = [...status.conditions, finishing];
      needsFlush = true;
    }
    terminal = newCondition(JOB_COMPLETE, 'True', finishing.reason, finishing.message, now);
  }
  return { status, needsFlush, removeFinalizers, uidsWithFinalizer, terminal, reachedMaxUncounted };
}

/**
 * Step 4: adds `terminal` when nothing is uncounted and no pod is terminating; sets
 * completionTime for Complete. Changes `status` in place; true when the Job finished now.
 */
export function enactFinished(status: JobStatus, terminal: Condition | undefined, now: number): boolean {
  if (!terminal) return false;
  const uncounted = status.uncountedTerminatedPods;
  if ((uncounted?.succeeded.length ?? 0) + (uncounted?.failed.length ?? 0) > 0) return false;
  if ((status.terminating ?? 0) > 0) return false;
  const r = ensureCondition(status.conditions, terminal.type, terminal.status, terminal.reason, terminal.message, now);
  status.conditions = r.conditions;
  if (terminal.type === JOB_COMPLETE) status.completionTime = new Date(now);
  return true;
}
