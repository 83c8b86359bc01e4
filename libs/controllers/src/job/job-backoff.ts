/**
 * The delay before a Job replaces failed pods (Kubernetes' backoffRecord / getRemainingTime):
 * base * 2^(n-1), capped at max (10 s and 6 min by default, as Kubernetes' documentation says),
 * where n is the number of failures since the last success, measured from the last failure.
 * Derived from the pods the Job still has, so it survives a controller restart.
 * CONTRACT: pure; `now` is injected.
 */
import type { Job, Pod } from '@skiff/api';
import { hasTrackingFinalizer, isPodFailed, podFinishedAt } from './job-pods';

export const DEFAULT_JOB_BACKOFF_BASE_MS = 10_000;
export const DEFAULT_JOB_BACKOFF_MAX_MS = 6 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  /** ms; undefined without failures. */
  lastFailureTime?: number;
}

/**
 * Whether `pod` is a failure the Job counts (and so backs off for): phase Failed, listed in
 * status.uncountedTerminatedPods.failed, or failed while it still holds the tracking finalizer.
 * A pod the controller deleted itself (suspension, scale-down) lost its finalizer first and is
 * none of these.
 */
export function isCountedFailure(pod: Readonly<Pod>, job: Readonly<Job>): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if ((job.status?.uncountedTerminatedPods?.failed ?? []).includes(pod.metadata?.uid ?? '')) return true;
  return hasTrackingFinalizer(pod) && isPodFailed(pod, job);
}

/** Counted failures finished after the last success finished, and the latest failure's time. */
export function backoffRecordOf(job: Readonly<Job>, pods: readonly Readonly<Pod>[]): BackoffRecord {
  const lastSuccess = Math.max(-Infinity, ...pods.filter((p) => p.status?.phase === 'Succeeded').map(podFinishedAt));
  const failures = pods.filter((p) => isCountedFailure(p, job)).map(podFinishedAt).filter((t) => t > lastSuccess);
  return failures.length === 0 ? { failuresAfterLastSuccess: 0 } : { failuresAfterLastSuccess: failures.length, lastFailureTime: Math.max(...failures) };
}

/** The backoff for `failures` consecutive failures: base * 2^(failures-1), capped at max; 0 for none. */
export function backoffDelayMs(failures: number, baseMs = DEFAULT_JOB_BACKOFF_BASE_MS, maxMs = DEFAULT_JOB_BACKOFF_MAX_MS): number {
  if (failures <= 0) return 0;
  let delay = baseMs;
  for (let i = 1; i < failures; i++) {
    delay *= 2;
    if (delay >= maxMs) return maxMs;
  }
  return Math.min(delay, maxMs);
}

/** How long (ms) before new pods may be created; 0: now. */
export function remainingBackoffMs(record: BackoffRecord, now: number, baseMs = DEFAULT_JOB_BACKOFF_BASE_MS, maxMs = DEFAULT_JOB_BACKOFF_MAX_MS): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  const delay = backoffDelayMs(record.failuresAfterLastSuccess, baseMs, maxMs);
  const elapsed = now - record.lastFailureTime;
  return elapsed >= delay ? 0 : delay - elapsed;
}
