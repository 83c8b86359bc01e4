/**
 * The pod condition DisruptionTarget (Kubernetes' v1.DisruptionTarget): written on a pod's status
 * just before something other than its owner deletes it, so that a Job's podFailurePolicy
 * (onPodConditions) can tell a disruption from a failure of the workload.
 *
 *   Eviction API ──────────> True, EvictionByEvictionAPI, "Eviction API: evicting"
 *   taint eviction ────────> True, DeletionByTaintManager, "Taint manager: deleting due to NoExecute taint"
 *   pod GC (node is gone) ─> True, DeletionByPodGC, "PodGC: node no longer exists"
 *   disruption controller ─> False, when the pod is still not being deleted 2 min after it was
 *                            marked (a deletion that never came: staleDisruptionTarget)
 *
 * CONTRACT: pure; withPodCondition returns a new status and never changes its input.
 */
import type { Condition, PodStatus } from './gen';

export const DISRUPTION_TARGET = 'DisruptionTarget';

export interface DisruptionCause {
  reason: string;
  message: string;
}

export const EVICTION_BY_EVICTION_API: DisruptionCause = { reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' };
export const DELETION_BY_TAINT_MANAGER: DisruptionCause = { reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' };
export const DELETION_BY_POD_GC: DisruptionCause = { reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' };

/**
 * Kubernetes' UpdatePodCondition: `status` with `condition` in place of the one of its type (the
 * transition time kept when the status does not change). `changed`: false when the condition was
 * there already with the same status, reason and message.
 */
export function withPodCondition(status: Readonly<PodStatus> | undefined, condition: { type: string; status: string; reason: string; message: string }, now: Date): { status: PodStatus; changed: boolean } {
  const next = structuredClone(status ?? ({ conditions: [] } as unknown as PodStatus)) as PodStatus;
  const conditions: Condition[] = next.conditions ?? [];
  const i = conditions.findIndex((c) => c.type === condition.type);
  const old = i >= 0 ? conditions[i] : undefined;
  if (old && old.status === condition.status && old.reason === condition.reason && old.message === condition.message) return { status: next, changed: false };
  const fresh: Condition = { ...condition, lastProbeTime: old?.lastProbeTime, lastTransitionTime: old && old.status === condition.status ? old.lastTransitionTime : now };
  next.conditions = i >= 0 ? conditions.map((c, j) => (j === i ? fresh : c)) : [...conditions, fresh];
  return { status: next, changed: true };
}

/** `status` with DisruptionTarget=True for `cause`. */
export function withDisruptionTarget(status: Readonly<PodStatus> | undefined, cause: DisruptionCause, now: Date): { status: PodStatus; changed: boolean } {
  return withPodCondition(status, { type: DISRUPTION_TARGET, status: 'True', ...cause }, now);
}

/** How long a pod may carry DisruptionTarget=True without being deleted (Kubernetes' stalePodDisruptionTimeout). */
export const STALE_DISRUPTION_TIMEOUT_MS = 2 * 60_000;

type MarkablePod = { metadata?: { deletionTimestamp?: Date }; status?: Readonly<PodStatus> };

/** The DisruptionTarget=True condition of a pod that is not being deleted, if any. */
export function disruptionMark(pod: MarkablePod): Readonly<Condition> | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  const condition = pod.status?.conditions?.find((c) => c.type === DISRUPTION_TARGET);
  return condition?.status === 'True' ? condition : undefined;
}

/**
 * Kubernetes' disruption controller, stale pod disruptions: a pod marked DisruptionTarget=True
 * that is not being deleted STALE_DISRUPTION_TIMEOUT_MS after the mark gets the condition False
 * ("reset"); before then, `recheckAtMs` says when to look again. undefined: nothing to do.
 */
export function staleDisruptionTarget(pod: MarkablePod, nowMs: number): { reset: PodStatus } | { recheckAtMs: number } | undefined {
  const condition = disruptionMark(pod);
  if (!condition) return undefined;
  const markedAt = condition.lastTransitionTime ? new Date(condition.lastTransitionTime).getTime() : 0;
  const staleAt = markedAt + STALE_DISRUPTION_TIMEOUT_MS;
  if (nowMs < staleAt) return { recheckAtMs: staleAt };
  return { reset: withPodCondition(pod.status, { type: DISRUPTION_TARGET, status: 'False', reason: '', message: '' }, new Date(nowMs)).status };
}
