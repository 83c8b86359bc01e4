/**
 * One sync of a Job, decided without I/O (Kubernetes' syncJob and manageJob): what the Job's
 * pods say (counts), whether the Job is finishing and why, which pods to create or delete, the
 * suspend conditions, and when to look again.
 *
 *   SuccessCriteriaMet / FailureTarget already set ──> keep finishing
 *   a failed pod matches a FailJob rule ─────────────> FailureTarget, PodFailurePolicy
 *   failed > backoffLimit, or (OnFailure) container
 *     restarts >= backoffLimit ──────────────────────> FailureTarget, BackoffLimitExceeded
 *   now >= startTime + activeDeadlineSeconds ─────────> FailureTarget, DeadlineExceeded
 *   finishing ──> delete the active pods, keeping their finalizers (they are counted as failed)
 *   otherwise, when expectations are satisfied and the Job is not being deleted:
 *     suspended ──> delete the active pods (finalizer removed first: not counted), Suspended=True,
 *                   startTime cleared
 *     too many active ──> delete the surplus (Indexed: out-of-range / repeated indexes first)
 *     too few ──> wait for the failure backoff, or create pods (Indexed: the first free indexes)
 *     enough succeeded and none active ──> SuccessCriteriaMet, CompletionsReached
 *     not suspended ──> Suspended=False (JobResumed) when it was True; startTime := now
 *
 * CONTRACT: pure; `now` is injected; inputs are never changed.
 */
import type { Condition, Job, JobStatus, Pod } from '@skiff/api';
import { podsToDelete as rankForDeletion } from '../pods/pod-ranking';
import { firstPendingIndexes, hasIndex, indexCount, parseIndexes, validIndexOf, withIndexes, type IndexInterval } from './completion-indexes';
import { backoffRecordOf, remainingBackoffMs } from './job-backoff';
import {
  ensureCondition,
  findCondition,
  JOB_FAILED,
  JOB_FAILURE_TARGET,
  JOB_SUCCESS_CRITERIA_MET,
  JOB_SUSPENDED,
  MESSAGE_BACKOFF_LIMIT_EXCEEDED,
  MESSAGE_COMPLETIONS_REACHED,
  MESSAGE_DEADLINE_EXCEEDED,
  newCondition,
  REASON_BACKOFF_LIMIT_EXCEEDED,
  REASON_COMPLETIONS_REACHED,
  REASON_DEADLINE_EXCEEDED,
  REASON_POD_FAILURE_POLICY,
} from './job-conditions';
import { hasTrackingFinalizer, isPodActive, isPodFailed, isPodReady, isPodTerminating } from './job-pods';
import { matchPodFailurePolicy } from './pod-failure-policy';

/** Most pods one sync creates or deletes (Kubernetes' MaxPodCreateDeletePerSync). */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

export interface JobSyncInput {
  job: Readonly<Job>;
  /** Every pod the Job owns, in any phase. */
  pods: readonly Readonly<Pod>[];
  now: number;
  /** The Job's pod creations and deletions have all been seen. */
  expectationsSatisfied: boolean;
  /** uids of pods whose finalizer removal was sent but is not seen yet: already counted. */
  expectedRmFinalizers?: ReadonlySet<string>;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobSyncPlan {
  /** Pods to delete; keepFinalizer: they will be counted (a failing Job), else the finalizer goes first. */
  deletions: { pods: Readonly<Pod>[]; keepFinalizer: boolean };
  /** Pods to create: `count` of them, with these completion indexes (Indexed Jobs). */
  creations: { count: number; indexes?: number[] };
  /** The status to write, assuming the creations and deletions succeed (tracking comes next). */
  status: JobStatus;
  /** The interim condition (FailureTarget or SuccessCriteriaMet) the Job finishes with, if any. */
  finishing?: Condition;
  /** Succeeded indexes recorded before this sync (Indexed Jobs). */
  prevSucceededIndexes: IndexInterval[];
  /** Succeeded indexes including pods not yet recorded (Indexed Jobs). */
  succeededIndexes: IndexInterval[];
  events: JobEvent[];
  /** Sync again after this long (backoff, activeDeadlineSeconds). */
  requeueAfterMs?: number;
}

export function isIndexedJob(job: Readonly<Job>): boolean {
  return job.spec?.completionMode === 'Indexed';
}

export function isJobSuspended(job: Readonly<Job>): boolean {
  return job.spec?.suspend === true;
}

/** An empty JobStatus with the given fields. */
export function jobStatus(status: Partial<JobStatus> | undefined): JobStatus {
  return {
    conditions: [],
    active: 0,
    succeeded: 0,
    failed: 0,
    completedIndexes: '',
    ...structuredClone(status ?? {}),
    uncountedTerminatedPods: { succeeded: [...(status?.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status?.uncountedTerminatedPods?.failed ?? [])] },
  };
}

/** Whether a failure of `pod` counts towards backoffLimit (failed, and not ignored by the policy). */
export function countsAsFailure(pod: Readonly<Pod>, job: Readonly<Job>): boolean {
  return isPodFailed(pod, job) && matchPodFailurePolicy(job.spec?.podFailurePolicy, pod).countFailed;
}

/**
 * status.succeeded and status.failed including the pods not recorded yet (Kubernetes'
 * getStatus): the recorded counters, the uncounted uids, and the finished pods that still have
 * the tracking finalizer and are neither uncounted nor expected to lose it.
 */
export function countFinished(job: Readonly<Job>, pods: readonly Readonly<Pod>[], expectedRm: ReadonlySet<string> = new Set()): { succeeded: number; failed: number } {
  const uncounted = job.status?.uncountedTerminatedPods;
  const completions = job.spec?.completions ?? 0;
  const count = (uids: readonly string[] | undefined, filter: (p: Readonly<Pod>) => boolean): number => {
    const listed = new Set(uids ?? []);
    let n = listed.size;
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? '';
      if (!hasTrackingFinalizer(pod) || listed.has(uid) || expectedRm.has(uid)) continue;
      if (isIndexedJob(job) && validIndexOf(pod, completions) === undefined) continue;
      if (filter(pod)) n++;
    }
    return n;
  };
  return {
    succeeded: (job.status?.succeeded ?? 0) + count(uncounted?.succeeded, (p) => p.status?.phase === 'Succeeded'),
    failed: (job.status?.failed ?? 0) + count(uncounted?.failed, (p) => countsAsFailure(p, job)),
  };
}

/** Sum of container restarts of running / pending pods when restartPolicy is OnFailure reaches the backoffLimit. */
export function pastBackoffLimitOnFailure(job: Readonly<Job>, pods: readonly Readonly<Pod>[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (phase !== 'Running' && phase !== 'Pending') continue;
    for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) restarts += s.restartCount ?? 0;
  }
  const limit = job.spec?.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** The FailJob message of the first failed pod a FailJob rule matches. */
export function failJobMessage(job: Readonly<Job>, pods: readonly Readonly<Pod>[]): string | undefined {
  if (!job.spec?.podFailurePolicy) return undefined;
  for (const pod of pods) {
    if (!isPodFailed(pod, job)) continue;
    const message = matchPodFailurePolicy(job.spec.podFailurePolicy, pod).failJobMessage;
    if (message) return message;
  }
  return undefined;
}

/** ms until the activeDeadlineSeconds deadline (<= 0: past); undefined without one, or suspended / not started. */
export function msUntilDeadline(job: Readonly<Job>, now: number): number | undefined {
  const seconds = job.spec?.activeDeadlineSeconds;
  const start = job.status?.startTime;
  if (seconds === undefined || !start || isJobSuspended(job)) return undefined;
  return start.getTime() + Number(seconds) * 1000 - now;
}

/**
 * The active pods to delete when `rmAtLeast` must go (Kubernetes' activePodsForRemoval): for
 * Indexed Jobs, pods with an invalid or already succeeded index and all but one pod per index
 * first; then the best candidates by the ReplicaSet ranking.
 */
export function activePodsForRemoval(job: Readonly<Job>, active: readonly Readonly<Pod>[], rmAtLeast: number, succeeded: readonly IndexInterval[] = []): Readonly<Pod>[] {
  const rm: Readonly<Pod>[] = [];
  let left: Readonly<Pod>[] = [...active];
  if (isIndexedJob(job)) {
    const completions = job.spec?.completions ?? 0;
    const byIndex = new Map<number, Readonly<Pod>[]>();
    left = [];
    for (const pod of active) {
      const ix = validIndexOf(pod, completions);
      if (ix === undefined || hasIndex(succeeded, ix)) rm.push(pod);
      else byIndex.set(ix, [...(byIndex.get(ix) ?? []), pod]);
    }
    for (const group of byIndex.values()) {
      // Keep the pod the ranking would delete last; the others repeat its index.
      const ranked = rankForDeletion(group, [], group.length);
      rm.push(...ranked.slice(0, -1));
      left.push(ranked[ranked.length - 1]);
    }
  }
  if (rm.length < rmAtLeast) rm.push(...rankForDeletion(left, [], rmAtLeast - rm.length));
  return rm;
}

/** The shortest positive wait, or undefined. */
function earliest(waits: readonly number[]): number | undefined {
  const positive = waits.filter((w) => w > 0);
  return positive.length > 0 ? Math.ceil(Math.min(...positive)) : undefined;
}

/** Plans one sync of `input.job` (see the module comment). */
export function planJobSync(input: JobSyncInput): JobSyncPlan {
  const { job, pods, now } = input;
  const spec = job.spec;
  const status = jobStatus(job.status);
  const events: JobEvent[] = [];
  const waits: number[] = [];
  const completions = spec?.completions;
  const parallelism = spec?.parallelism ?? 1;
  const suspended = isJobSuspended(job);
  const activePods = pods.filter(isPodActive);
  let active = activePods.length;
  let ready = activePods.filter(isPodReady).length;
  let terminating = pods.filter(isPodTerminating).length;
  const deletions: JobSyncPlan['deletions'] = { pods: [], keepFinalizer: false };
  const creations: JobSyncPlan['creations'] = { count: 0 };

  const counted = countFinished(job, pods, input.expectedRmFinalizers);
  let succeeded = counted.succeeded;
  const failed = counted.failed;
  let prevSucceededIndexes: IndexInterval[] = [];
  let succeededIndexes: IndexInterval[] = [];
  if (isIndexedJob(job)) {
    const c = completions ?? 0;
    prevSucceededIndexes = parseIndexes(status.completedIndexes, c);
    const fresh = pods.filter((p) => p.status?.phase === 'Succeeded' && hasTrackingFinalizer(p)).map((p) => validIndexOf(p, c)).filter((ix): ix is number => ix !== undefined);
    succeededIndexes = withIndexes(prevSucceededIndexes, fresh);
    succeeded = indexCount(succeededIndexes);
  }

  if (!status.startTime && !suspended) status.startTime = new Date(now);
  const started = { ...job, status } as Readonly<Job>;

  let finishing: Condition | undefined;
  const successMet = findCondition(status.conditions, JOB_SUCCESS_CRITERIA_MET);
  const failureTarget = findCondition(status.conditions, JOB_FAILURE_TARGET);
  if (successMet?.status === 'True') finishing = { ...successMet };
  else if (failureTarget?.status === 'True') finishing = { ...failureTarget };
  else {
    const policyMessage = failJobMessage(job, pods);
    const deadline = msUntilDeadline(started, now);
    if (policyMessage) finishing = newCondition(JOB_FAILURE_TARGET, 'True', REASON_POD_FAILURE_POLICY, policyMessage, now);
    else if (failed > (spec?.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods)) finishing = newCondition(JOB_FAILURE_TARGET, 'True', REASON_BACKOFF_LIMIT_EXCEEDED, MESSAGE_BACKOFF_LIMIT_EXCEEDED, now);
    else if (deadline !== undefined && deadline <= 0) finishing = newCondition(JOB_FAILURE_TARGET, 'True', REASON_DEADLINE_EXCEEDED, MESSAGE_DEADLINE_EXCEEDED, now);
    else if (deadline !== undefined) waits.push(deadline);
  }

  if (finishing) {
    deletions.pods = [...activePods];
    deletions.keepFinalizer = true;
    ready = 0;
    terminating += active;
    active = 0;
  } else {
    let managed = false;
    if (input.expectationsSatisfied && !job.metadata?.deletionTimestamp) {
      managed = true;
      if (suspended) {
        deletions.pods = [...activePods];
        ready = 0;
        active = 0;
        // The deadline does not run while suspended; resuming starts it again.
        status.startTime = undefined;
      } else {
        let wantActive: number;
        if (completions === undefined) wantActive = succeeded > 0 ? active : parallelism;
        else wantActive = Math.max(0, Math.min(parallelism, completions - succeeded));
        const rm = activePodsForRemoval(job, activePods, Math.max(0, active - wantActive), succeededIndexes).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
        if (rm.length > 0) {
          deletions.pods = rm;
          active -= rm.length;
          ready -= rm.filter(isPodReady).length;
        } else if (active < wantActive) {
          const backoff = remainingBackoffMs(backoffRecordOf(job, pods), now, input.backoffBaseMs, input.backoffMaxMs);
          if (backoff > 0) waits.push(backoff);
          else {
            let diff = Math.min(wantActive - active, MAX_POD_CREATE_DELETE_PER_SYNC);
            if (isIndexedJob(job)) {
              const held = new Set(activePods.map((p) => validIndexOf(p, completions ?? 0)).filter((ix): ix is number => ix !== undefined));
              creations.indexes = firstPendingIndexes(succeededIndexes, held, diff, completions ?? 0);
              diff = creations.indexes.length;
            }
            creations.count = diff;
            active += diff;
          }
        }
      }
    }
    const complete = completions === undefined ? succeeded > 0 && active === 0 : succeeded >= completions && active === 0;
    if (complete && !suspended) {
      finishing = newCondition(JOB_SUCCESS_CRITERIA_MET, 'True', REASON_COMPLETIONS_REACHED, MESSAGE_COMPLETIONS_REACHED, now);
    } else if (managed) {
      if (suspended) {
        const r = ensureCondition(status.conditions, JOB_SUSPENDED, 'True', 'JobSuspended', 'Job suspended', now);
        status.conditions = r.conditions;
        if (r.changed) events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
      } else {
        const r = ensureCondition(status.conditions, JOB_SUSPENDED, 'False', 'JobResumed', 'Job resumed', now);
        status.conditions = r.conditions;
        if (r.changed) {
          events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
          // The deadline counts from the resumption (as from a Job created suspended).
          status.startTime = new Date(now);
          const deadline = msUntilDeadline({ ...job, status }, now);
          if (deadline !== undefined) waits.push(deadline);
        }
      }
    }
  }

  status.active = active;
  status.ready = ready;
  status.terminating = terminating;
  return {
    deletions,
    creations,
    status,
    finishing,
    prevSucceededIndexes,
    succeededIndexes,
    events,
    requeueAfterMs: earliest(waits),
  };
}

/** Whether the Job failed for good (Failed=True). */
export function isJobFailed(job: Readonly<Job>): boolean {
  return findCondition(job.status?.conditions, JOB_FAILED)?.status === 'True';
}
