/**
 * The RollingUpdate strategy (Kubernetes' rolling.go). Each sync moves one step:
 *
 *   1. scale the new ReplicaSet up while all ReplicaSets together stay within
 *      spec.replicas + maxSurge (down to spec.replicas if above);      -> done for this sync
 *   2. else scale old ReplicaSets down while available pods stay at or above
 *      spec.replicas - maxUnavailable: first the old pods that are not available anyway
 *      (oldest ReplicaSets first), then available ones;                 -> done for this sync
 *   3. once complete, delete old ReplicaSets beyond revisionHistoryLimit.
 *
 * Counts are the ReplicaSets' spec.replicas (what the controller asked for) and their
 * status.availableReplicas; pods being deleted are not counted. With maxSurge=1,
 * maxUnavailable=1 and 3 replicas: at most 4 pods, at least 2 available at every step.
 * CONTRACT: no I/O; changes only the PlanBuilder's working copies.
 */
import type { Deployment, ReplicaSet } from '@skiff/api';
import type { PlanBuilder } from './deployment-plan';
import { availableReplicaCount, byCreation, replicaCount, specReplicas } from './replica-counts';
import { desiredReplicas, maxUnavailable, newReplicaSetReplicas } from './rollout-limits';

/** Step 1: grows (or trims) the new ReplicaSet; returns whether its size changed. */
export function reconcileNewReplicaSet(b: PlanBuilder, all: readonly ReplicaSet[], newRS: ReplicaSet): boolean {
  const d = b.deployment;
  const desired = desiredReplicas(d);
  if (specReplicas(newRS) === desired) return false;
  if (specReplicas(newRS) > desired) return b.scaleIfNeeded(newRS, desired);
  return b.scaleIfNeeded(newRS, newReplicaSetReplicas(d, all, newRS));
}

/** How many old pods may go now: all pods minus the minimum available minus the new ReplicaSet's unavailable ones. */
export function maxScaledDown(d: Readonly<Deployment>, all: readonly Readonly<ReplicaSet>[], newRS: Readonly<ReplicaSet>): number {
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  return replicaCount(all) - minAvailable - newUnavailable;
}

/**
 * Scales old ReplicaSets down by their unavailable replicas, oldest first, at most `limit` in
 * all (they cannot lower availability). Returns how many went.
 */
export function cleanupUnhealthyReplicas(b: PlanBuilder, oldRSs: readonly ReplicaSet[], limit: number): number {
  let total = 0;
  for (const rs of byCreation(oldRSs)) {
    if (total >= limit) break;
    const size = specReplicas(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (size === 0 || size <= available) continue;
    const down = Math.min(limit - total, size - available);
    b.scaleIfNeeded(rs, size - down);
    total += down;
  }
  return total;
}

/**
 * Scales old ReplicaSets down, oldest first, by as many as available pods exceed
 * spec.replicas - maxUnavailable. Returns how many went.
 */
export function scaleDownOldForRollingUpdate(b: PlanBuilder, all: readonly ReplicaSet[], oldRSs: readonly ReplicaSet[]): number {
  const d = b.deployment;
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const available = availableReplicaCount(all);
  if (available <= minAvailable) return 0;
  const wanted = available - minAvailable;
  let total = 0;
  for (const rs of byCreation(oldRSs)) {
    if (total >= wanted) break;
    const size = specReplicas(rs);
    if (size === 0) continue;
    const down = Math.min(size, wanted - total);
    b.scaleIfNeeded(rs, size - down);
    total += down;
  }
  return total;
}

/** Step 2: returns whether any old ReplicaSet was scaled down. */
export function reconcileOldReplicaSets(b: PlanBuilder, all: readonly ReplicaSet[], activeOld: readonly ReplicaSet[], newRS: ReplicaSet): boolean {
  if (replicaCount(activeOld) === 0) return false;
  const limit = maxScaledDown(b.deployment, all, newRS);
  if (limit <= 0) return false;
  const cleaned = cleanupUnhealthyReplicas(b, activeOld, limit);
  const scaled = scaleDownOldForRollingUpdate(b, [...activeOld, newRS], activeOld);
  return cleaned + scaled > 0;
}
