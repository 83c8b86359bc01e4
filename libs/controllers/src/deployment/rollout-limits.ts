/**
 * How far a rolling update may go above and below spec.replicas (Kubernetes' deploymentutil
 * MaxSurge, MaxUnavailable, ResolveFenceposts, NewRSNewReplicas). maxSurge rounds a percentage
 * up, maxUnavailable rounds down; both 0 after rounding means maxUnavailable 1 (a rollout must be
 * able to move). CONTRACT: pure; an invalid percentage throws (validation refuses it first).
 */
import { scaledValue, type Deployment, type ReplicaSet } from '@skiff/api';
import { replicaCount, specReplicas } from './replica-counts';

/** strategy.type Recreate (anything else, including unset, is RollingUpdate). */
export function isRecreate(d: Readonly<Deployment>): boolean {
  return d.spec?.strategy?.type === 'Recreate';
}

/** spec.replicas, 1 when unset (the API default). */
export function desiredReplicas(d: Readonly<Deployment>): number {
  return d.spec?.replicas ?? 1;
}

/** [maxSurge, maxUnavailable] as numbers of pods for `desired` replicas. */
export function resolveFenceposts(d: Readonly<Deployment>, desired: number): [surge: number, unavailable: number] {
  const rolling = d.spec?.strategy?.rollingUpdate;
  const surge = scaledValue(rolling?.maxSurge, desired, true);
  let unavailable = scaledValue(rolling?.maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

/** Pods allowed above spec.replicas; 0 for Recreate. */
export function maxSurge(d: Readonly<Deployment>): number {
  if (isRecreate(d)) return 0;
  return resolveFenceposts(d, desiredReplicas(d))[0];
}

/** Pods allowed to be unavailable, at most spec.replicas; 0 for Recreate or 0 replicas. */
export function maxUnavailable(d: Readonly<Deployment>): number {
  const desired = desiredReplicas(d);
  if (isRecreate(d) || desired === 0) return 0;
  return Math.min(resolveFenceposts(d, desired)[1], desired);
}

/**
 * The size the new ReplicaSet may grow to now: for RollingUpdate, up to spec.replicas + maxSurge
 * pods in all, never beyond spec.replicas for itself; for Recreate, spec.replicas.
 */
export function newReplicaSetReplicas(d: Readonly<Deployment>, all: readonly (Readonly<ReplicaSet> | undefined)[], newRS: Readonly<ReplicaSet>): number {
  const desired = desiredReplicas(d);
  if (isRecreate(d)) return desired;
  const current = replicaCount(all);
  const maxTotal = desired + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, desired - specReplicas(newRS));
  return specReplicas(newRS) + scaleUp;
}
