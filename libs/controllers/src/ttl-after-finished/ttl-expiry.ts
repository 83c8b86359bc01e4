/**
 * When a finished Job expires (Kubernetes' pkg/controller/ttlafterfinished): at the
 * lastTransitionTime of its Complete or Failed condition plus spec.ttlSecondsAfterFinished.
 *
 *   no ttl, not finished, or being deleted ──> never (nothing to do)
 *   now < finished + ttl ───────────────────> wait (requeue after the rest)
 *   otherwise ──────────────────────────────> expired: delete it
 *
 * CONTRACT: pure; `now` is injected.
 */
import type { Job } from '@skiff/api';

export type TtlDecision = { action: 'none' } | { action: 'wait'; ms: number } | { action: 'delete' };

/** When the Job finished (ms): its Complete/Failed condition's transition; undefined when not finished. */
export function jobFinishTime(job: Readonly<Job>): number | undefined {
  const c = (job.status?.conditions ?? []).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  if (!c) return undefined;
  // A condition without a time (written by hand) expires from now on: Kubernetes reports an error
  // and requeues; treating it as "just finished" is the closest converging behaviour.
  return c.lastTransitionTime?.getTime();
}

/** What to do with `job` at `now` (see the module comment). */
export function decideTtl(job: Readonly<Job>, now: number): TtlDecision {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || job.metadata?.deletionTimestamp) return { action: 'none' };
  const finished = (job.status?.conditions ?? []).some((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  if (!finished) return { action: 'none' };
  const at = jobFinishTime(job) ?? now;
  const expireAt = at + Number(ttl) * 1000;
  return now >= expireAt ? { action: 'delete' } : { action: 'wait', ms: Math.max(1, expireAt - now) };
}
