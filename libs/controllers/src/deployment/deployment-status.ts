/**
 * A Deployment's status and conditions (Kubernetes' deployment sync.go calculateStatus /
 * syncRolloutStatus and deploymentutil's condition helpers):
 *
 *   Available    True  MinimumReplicasAvailable   available >= replicas - maxUnavailable
 *                False MinimumReplicasUnavailable
 *   Progressing  True  NewReplicaSetCreated | FoundNewReplicaSet | ReplicaSetUpdated (progress seen)
 *                True  NewReplicaSetAvailable      the rollout is complete
 *                False ProgressDeadlineExceeded    no progress for progressDeadlineSeconds
 *                False ReplicaSetCreateError
 *                Unknown DeploymentPaused | DeploymentResumed
 *
 * "Progress" is any of: more updated, ready or available replicas, or fewer old ones, than the
 * stored status says; each refreshes the Progressing condition's lastUpdateTime, from which the
 * deadline is measured. CONTRACT: pure; `now` is ms; conditions are replaced, never mutated.
 */
import type { Condition, Deployment, DeploymentStatus, ReplicaSet } from '@skiff/api';
import { actualReplicaCount, availableReplicaCount, readyReplicaCount, replicaCount } from './replica-counts';
import { desiredReplicas, maxUnavailable } from './rollout-limits';

export const PROGRESSING = 'Progressing';
export const AVAILABLE = 'Available';
export const REPLICA_FAILURE = 'ReplicaFailure';

/** Reasons of the Progressing and Available conditions (Kubernetes' deploymentutil names). */
export const Reasons = {
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  ReplicaSetCreateError: 'ReplicaSetCreateError',
  DeploymentPaused: 'DeploymentPaused',
  DeploymentResumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** progressDeadlineSeconds meaning "no deadline" (math.MaxInt32, as Kubernetes). */
const NO_DEADLINE = 2_147_483_647;

/** A status with nothing counted yet. */
export function emptyStatus(): DeploymentStatus {
  return { observedGeneration: 0, replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 0, conditions: [], collisionCount: undefined };
}

/** A condition stamped `now` (transition and update). */
export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: number): Condition {
  const at = new Date(now);
  return { type, status, reason, message, lastUpdateTime: at, lastTransitionTime: at, lastProbeTime: undefined, lastHeartbeatTime: undefined };
}

/** The condition of `type`, if the status has one. */
export function getCondition(status: Readonly<DeploymentStatus> | undefined, type: string): Readonly<Condition> | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * Sets `condition` unless one of its type with the same status and reason is there already;
 * keeps lastTransitionTime when only the reason changes (SetDeploymentCondition).
 */
export function setCondition(status: DeploymentStatus, condition: Condition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = current && current.status === condition.status ? { ...condition, lastTransitionTime: current.lastTransitionTime } : condition;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

/** Drops the condition of `type` (in place). */
export function removeCondition(status: DeploymentStatus, type: string): void {
  status.conditions = (status.conditions ?? []).filter((c) => c.type !== type);
}

/** A progress deadline is set (and is not "none"). */
export function hasProgressDeadline(d: Readonly<Deployment>): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== NO_DEADLINE;
}

/**
 * The status the ReplicaSets give (calculateStatus): counts from their status (replicas,
 * updated = the new ReplicaSet's, ready, available, unavailable against spec sizes), the
 * Deployment's generation as observed, its conditions with Available recomputed.
 */
export function calculateStatus(d: Readonly<Deployment>, all: readonly (Readonly<ReplicaSet> | undefined)[], newRS: Readonly<ReplicaSet> | undefined, now: number): DeploymentStatus {
  const available = availableReplicaCount(all);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: actualReplicaCount(all),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(all),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicaCount(all) - available),
    conditions: [...(d.status?.conditions ?? [])],
    collisionCount: d.status?.collisionCount,
  };
  if (available >= desiredReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition(AVAILABLE, 'True', Reasons.MinimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition(AVAILABLE, 'False', Reasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** Every replica is updated and available, and the status describes the current generation. */
export function deploymentComplete(d: Readonly<Deployment>, status: Readonly<DeploymentStatus> | undefined): boolean {
  const desired = desiredReplicas(d);
  return (
    (status?.updatedReplicas ?? 0) === desired &&
    (status?.replicas ?? 0) === desired &&
    (status?.availableReplicas ?? 0) === desired &&
    (status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** `next` shows progress over the Deployment's stored status (see the file comment). */
export function deploymentProgressing(d: Readonly<Deployment>, next: Readonly<DeploymentStatus>): boolean {
  const old = d.status;
  const oldOld = (old?.replicas ?? 0) - (old?.updatedReplicas ?? 0);
  const newOld = next.replicas - next.updatedReplicas;
  return (
    next.updatedReplicas > (old?.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    next.readyReplicas > (old?.readyReplicas ?? 0) ||
    next.availableReplicas > (old?.availableReplicas ?? 0)
  );
}

/** The Progressing condition's lastUpdateTime is older than the deadline (or it already says so). */
export function deploymentTimedOut(d: Readonly<Deployment>, status: Readonly<DeploymentStatus>, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(status, PROGRESSING);
  if (!cond) return false;
  if (cond.reason === Reasons.NewReplicaSetAvailable) return false;
  if (cond.reason === Reasons.ProgressDeadlineExceeded) return true;
  const from = cond.lastUpdateTime?.getTime() ?? now;
  return from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 < now;
}

/**
 * Paused / resumed bookkeeping (checkPausedConditions): a paused Deployment with a deadline says
 * Progressing Unknown DeploymentPaused, a resumed one DeploymentResumed; a reported deadline
 * failure is left alone. Changes `status` in place.
 */
export function setPausedCondition(d: Readonly<Deployment>, status: DeploymentStatus, now: number): void {
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(status, PROGRESSING);
  if (cond?.reason === Reasons.ProgressDeadlineExceeded) return;
  const pausedShown = cond?.reason === Reasons.DeploymentPaused;
  if (d.spec?.paused && !pausedShown) {
    setCondition(status, newCondition(PROGRESSING, 'Unknown', Reasons.DeploymentPaused, 'Deployment is paused', now));
  } else if (!d.spec?.paused && pausedShown) {
    setCondition(status, newCondition(PROGRESSING, 'Unknown', Reasons.DeploymentResumed, 'Deployment is resumed', now));
  }
}

/** The first ReplicaFailure condition of the new ReplicaSet, else of any, as a Deployment condition. */
function replicaFailure(all: readonly (Readonly<ReplicaSet> | undefined)[], newRS: Readonly<ReplicaSet> | undefined): Condition | undefined {
  const failureOf = (rs: Readonly<ReplicaSet> | undefined) => rs?.status?.conditions?.find((c) => c.type === REPLICA_FAILURE);
  const failure = failureOf(newRS) ?? all.map(failureOf).find((c) => c !== undefined);
  if (!failure) return undefined;
  return { ...failure, lastUpdateTime: failure.lastTransitionTime, lastProbeTime: undefined, lastHeartbeatTime: undefined };
}

/**
 * The rollout status (syncRolloutStatus): calculateStatus, then Progressing as described in the
 * file comment (only while a deadline is set and the latest rollout is not known complete),
 * then ReplicaFailure copied from the ReplicaSets. `d` carries the conditions set earlier in
 * this sync (NewReplicaSetCreated...); its status counts are the stored ones.
 */
export function rolloutStatus(d: Readonly<Deployment>, all: readonly (Readonly<ReplicaSet> | undefined)[], newRS: Readonly<ReplicaSet> | undefined, now: number): DeploymentStatus {
  const status = calculateStatus(d, all, newRS, now);
  if (!hasProgressDeadline(d)) removeCondition(status, PROGRESSING);
  const current = getCondition(d.status, PROGRESSING);
  const completeBefore = status.replicas === status.updatedReplicas && current?.reason === Reasons.NewReplicaSetAvailable;
  if (hasProgressDeadline(d) && !completeBefore) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata?.name}"` : `Deployment "${d.metadata?.name}"`;
    if (deploymentComplete(d, status)) {
      setCondition(status, newCondition(PROGRESSING, 'True', Reasons.NewReplicaSetAvailable, `${subject} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, status)) {
      const condition = newCondition(PROGRESSING, 'True', Reasons.ReplicaSetUpdated, `${subject} is progressing.`, now);
      // Same reason, new lastUpdateTime: progress restarts the deadline (a special case of setCondition).
      if (current?.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
      removeCondition(status, PROGRESSING);
      setCondition(status, condition);
    } else if (deploymentTimedOut(d, status, now)) {
      setCondition(status, newCondition(PROGRESSING, 'False', Reasons.ProgressDeadlineExceeded, `${subject} has timed out progressing.`, now));
    }
  }
  const failure = replicaFailure(all, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, REPLICA_FAILURE);
  return status;
}

/**
 * When to look again for a deadline (requeueStuckDeployment): never without a deadline or a
 * Progressing condition, nor once complete or timed out; else when lastUpdateTime +
 * progressDeadlineSeconds has passed, plus a second.
 */
export function deadlineRecheckMs(d: Readonly<Deployment>, status: Readonly<DeploymentStatus>, now: number): number | undefined {
  const cond = getCondition(status, PROGRESSING);
  if (!hasProgressDeadline(d) || !cond) return undefined;
  if (deploymentComplete(d, status) || cond.reason === Reasons.ProgressDeadlineExceeded) return undefined;
  if (cond.reason === Reasons.DeploymentPaused || d.spec?.paused) return undefined;
  const after = (cond.lastUpdateTime?.getTime() ?? now) + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 - now;
  return Math.max(0, after) + 1000;
}

/** Two statuses say the same (conditions compared in order, times to the millisecond). */
export function sameStatus(a: Readonly<DeploymentStatus> | undefined, b: Readonly<DeploymentStatus> | undefined): boolean {
  const time = (t: Date | undefined) => t?.getTime() ?? null;
  const norm = (s: Readonly<DeploymentStatus> | undefined) =>
    JSON.stringify([
      s?.observedGeneration ?? 0,
      s?.replicas ?? 0,
      s?.updatedReplicas ?? 0,
      s?.readyReplicas ?? 0,
      s?.availableReplicas ?? 0,
      s?.unavailableReplicas ?? 0,
      s?.collisionCount ?? null,
      (s?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message, time(c.lastUpdateTime), time(c.lastTransitionTime)]),
    ]);
  return norm(a) === norm(b);
}
