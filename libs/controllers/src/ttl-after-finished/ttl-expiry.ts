/**
 * When a finished Job expires (Kubernetes' pkg/controller/ttlafterfinished): at the
 * lastTransitionTime of its Complete or Failed condition plus spec.ttlSecondsAfterFinished. A
 * condition without a time (written by hand) falls back on status.completionTime, then on the
 * Job's creationTimestamp: a fixed point, so the expiry never moves forward with the clock.
 *
 *   no ttl, not finished, or being deleted ──> never (nothing to do)
 *   now < finished + ttl ───────────────────> wait (requeue after the rest)
 *   otherwise ──────────────────────────────> expired: delete it
 *
 * CONTRACT: pure; `now` is injected.
 */
import type { Job } from '@skiff/api';
import { finishedCondition } from '../job/job-conditions';

export type TtlDecision = { action: 'none' } | { action: 'wait'; ms: number } | { action: 'delete' };

/**
 * When the Job finished (ms): its Complete/Failed condition's transition, else completionTime,
 * else creationTimestamp (0 without any); undefined when not finished.
 */
export function jobFinishTime(job: Readonly<Job>): number | undefined {
  const c = finishedCondition(job);
  if (!c) return undefined;
  return (c.lastTransitionTime ?? job.status?.completionTime ?? job.metadata?.creationTimestamp)?.getTime() ?? 0;
}

/** What to do with `job` at `now` (see the module comment). */
export function decideTtl(job: Readonly<Job>, now: number): TtlDecision {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || job.metadata?.deletionTimestamp) return { action: 'none' };
  const at = jobFinishTime(job);
  if (at === undefined) return { action: 'none' };
  const expireAt = at + Number(ttl) * 1000;
  return now >= expireAt ? { action: 'delete' } : { action: 'wait', ms: Math.max(1, expireAt - now) };
}
