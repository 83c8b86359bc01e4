/**
 * Scaling a Deployment (spec.replicas changed, or paused) without rolling it (Kubernetes' sync.go
 * isScalingEvent and scale):
 *
 * - one active ReplicaSet (or none: the newest) takes all of spec.replicas;
 * - a saturated new ReplicaSet (all replicas available) means the old ones go to 0;
 * - otherwise, mid-rollout, the change is shared among the active ReplicaSets in proportion to
 *   their size (each ReplicaSet's max-replicas annotation remembers the total it was sized
 *   against), rounding to the nearest; the leftover goes to the largest. Scaling up favours
 *   newer ReplicaSets among equals, scaling down older ones. The total stays within
 *   spec.replicas + maxSurge.
 * CONTRACT: no I/O; changes only the PlanBuilder's working copies.
 */
import type { Deployment, ReplicaSet } from '@skiff/api';
import type { PlanBuilder } from './deployment-plan';
import { activeReplicaSets, byCreation, bySizeNewer, bySizeOlder, replicaCount, specReplicas } from './replica-counts';
import { desiredReplicasAnnotation, maxReplicasAnnotation } from './revision-annotations';
import { desiredReplicas, isRecreate, maxSurge } from './rollout-limits';

/** Some active ReplicaSet was last sized for another spec.replicas than the Deployment's. */
export function isScalingEvent(d: Readonly<Deployment>, all: readonly (Readonly<ReplicaSet> | undefined)[]): boolean {
  const desired = desiredReplicas(d);
  return activeReplicaSets(all).some((rs) => {
    const annotated = desiredReplicasAnnotation(rs);
    return annotated !== undefined && annotated !== desired;
  });
}

/** The only active ReplicaSet, or with none the newest (new first), or undefined with several. */
export function activeOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = byCreation(oldRSs).reverse();
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/** spec.replicas equals the Deployment's, was sized for it, and all of it is available. */
export function isSaturated(d: Readonly<Deployment>, rs: Readonly<ReplicaSet> | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicas(d);
  return specReplicas(rs) === desired && desiredReplicasAnnotation(rs) === desired && (rs.status?.availableReplicas ?? 0) === desired;
}

/** Round half away from zero (Go's math.Round). */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** The change for `rs`'s share: its size scaled from the total it was sized against to the new maximum. */
function fraction(d: Readonly<Deployment>, rs: Readonly<ReplicaSet>): number {
  const desired = desiredReplicas(d);
  if (desired === 0) return -specReplicas(rs);
  const maxNow = desired + maxSurge(d);
  let maxBefore = maxReplicasAnnotation(rs) ?? 0;
  if (maxBefore === 0) {
    // No annotation (edited by hand?): the Deployment's current size is the best guess.
    maxBefore = d.status?.replicas ?? 0;
    if (maxBefore === 0) return 0;
  }
  return roundHalfAway((specReplicas(rs) * maxNow) / maxBefore) - specReplicas(rs);
}

/** How many of the `toAdd` replicas (negative: to remove) `rs` takes, `added` being taken already. */
export function proportion(d: Readonly<Deployment>, rs: Readonly<ReplicaSet>, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const share = fraction(d, rs);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(share, allowed) : Math.max(share, allowed);
}

/** Scales the ReplicaSets to the Deployment's spec.replicas as the file comment says. */
export function scaleDeployment(b: PlanBuilder, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): void {
  const d = b.deployment;
  const desired = desiredReplicas(d);
  const single = activeOrLatest(newRS, oldRSs);
  if (single) {
    if (specReplicas(single) !== desired) b.scaleIfNeeded(single, desired);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of activeReplicaSets(oldRSs)) b.scaleIfNeeded(old, 0);
    return;
  }
  if (isRecreate(d)) return;

  let all = activeReplicaSets([...oldRSs, newRS]);
  const allowedSize = desired > 0 ? desired + maxSurge(d) : 0;
  const toAdd = allowedSize - replicaCount(all);
  if (toAdd > 0) all = bySizeNewer(all);
  else if (toAdd < 0) all = bySizeOlder(all);

  let added = 0;
  const sizes = new Map<ReplicaSet, number>();
  for (const rs of all) {
    if (toAdd === 0) {
      sizes.set(rs, specReplicas(rs));
      continue;
    }
    const share = proportion(d, rs, toAdd, added);
    sizes.set(rs, specReplicas(rs) + share);
    added += share;
  }
  all.forEach((rs, i) => {
    let size = sizes.get(rs) ?? specReplicas(rs);
    if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
    b.scale(rs, size);
  });
}
