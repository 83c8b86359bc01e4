/**
 * Job conditions (Kubernetes' batch/v1 JobConditionType) and how they are set:
 *
 *   running ──success criteria met──> SuccessCriteriaMet ──no pod left──> Complete
 *   running ──backoff / deadline / FailJob──> FailureTarget ──no pod left──> Failed
 *   running <──suspend / resume──> Suspended=True / Suspended=False
 *
 * The interim conditions are written first, then the pods' finalizers are removed, and the
 * terminal condition follows once no pod is uncounted or terminating.
 * CONTRACT: pure; functions return new lists.
 */
import type { Condition, Job } from '@skiff/api';

export const JOB_COMPLETE = 'Complete';
export const JOB_FAILED = 'Failed';
export const JOB_FAILURE_TARGET = 'FailureTarget';
export const JOB_SUCCESS_CRITERIA_MET = 'SuccessCriteriaMet';
export const JOB_SUSPENDED = 'Suspended';

export const REASON_BACKOFF_LIMIT_EXCEEDED = 'BackoffLimitExceeded';
export const REASON_DEADLINE_EXCEEDED = 'DeadlineExceeded';
export const REASON_POD_FAILURE_POLICY = 'PodFailurePolicy';
export const REASON_COMPLETIONS_REACHED = 'CompletionsReached';

export const MESSAGE_BACKOFF_LIMIT_EXCEEDED = 'Job has reached the specified backoff limit';
export const MESSAGE_DEADLINE_EXCEEDED = 'Job was active longer than specified deadline';
export const MESSAGE_COMPLETIONS_REACHED = 'Reached expected number of succeeded pods';

export function newCondition(type: string, status: string, reason: string, message: string, now: number): Condition {
  const at = new Date(now);
  return { type, status, reason, message, lastProbeTime: at, lastTransitionTime: at };
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Readonly<Condition> | undefined {
  return (conditions ?? []).find((c) => c.type === type);
}

function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** Complete=True or Failed=True. */
export function isJobFinished(job: Readonly<Job>): boolean {
  return isTrue(job.status?.conditions, JOB_COMPLETE) || isTrue(job.status?.conditions, JOB_FAILED);
}

/** The Complete or Failed condition (status True) of a finished Job. */
export function finishedCondition(job: Readonly<Job>): Readonly<Condition> | undefined {
  return (job.status?.conditions ?? []).find((c) => (c.type === JOB_COMPLETE || c.type === JOB_FAILED) && c.status === 'True');
}

export function isTrueCondition(job: Readonly<Job>, type: string): boolean {
  return isTrue(job.status?.conditions, type);
}

/**
 * Kubernetes' ensureJobConditionStatus: replaces the condition of that type when its status,
 * reason or message differ (new transition time), adds it unless its status is False (a False
 * condition that was never True is not written). Returns the list and whether it changed.
 */
export function ensureCondition(conditions: readonly Condition[] | undefined, type: string, status: string, reason: string, message: string, now: number): { conditions: Condition[]; changed: boolean } {
  const list = (conditions ?? []).map((c) => ({ ...c }));
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i];
    if (c.status === status && c.reason === reason && c.message === message) return { conditions: list, changed: false };
    list[i] = newCondition(type, status, reason, message, now);
    return { conditions: list, changed: true };
  }
  if (status === 'False') return { conditions: list, changed: false };
  return { conditions: [...list, newCondition(type, status, reason, message, now)], changed: true };
}
