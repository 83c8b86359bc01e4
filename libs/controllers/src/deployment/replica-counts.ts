/**
 * Sums and orders over a Deployment's ReplicaSets (Kubernetes' deploymentutil counters and the
 * controller's ReplicaSetsBy* sort orders). CONTRACT: pure; `undefined` entries (no new
 * ReplicaSet yet) count as nothing; sorts return new arrays.
 */
import type { ReplicaSet } from '@skiff/api';

type RS = Readonly<ReplicaSet> | undefined;

/** spec.replicas, 1 when unset (the API default). */
export function specReplicas(rs: Readonly<ReplicaSet>): number {
  return rs.spec?.replicas ?? 1;
}

/** Sum of spec.replicas: the pods the ReplicaSets are asked for. */
export function replicaCount(replicaSets: readonly RS[]): number {
  return replicaSets.reduce((n, rs) => n + (rs ? specReplicas(rs) : 0), 0);
}

/** Sum of status.replicas: the pods they have. */
export function actualReplicaCount(replicaSets: readonly RS[]): number {
  return replicaSets.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
}

/** Sum of status.readyReplicas. */
export function readyReplicaCount(replicaSets: readonly RS[]): number {
  return replicaSets.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
}

/** Sum of status.availableReplicas. */
export function availableReplicaCount(replicaSets: readonly RS[]): number {
  return replicaSets.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);
}

/** The ReplicaSets with spec.replicas > 0 (Kubernetes' FilterActiveReplicaSets). */
export function activeReplicaSets<T extends Readonly<ReplicaSet>>(replicaSets: readonly (T | undefined)[]): T[] {
  return replicaSets.filter((rs): rs is T => rs !== undefined && specReplicas(rs) > 0);
}

/** Creation time in ms; a ReplicaSet not created yet is the newest. */
function createdAt(rs: Readonly<ReplicaSet>): number {
  return rs.metadata?.creationTimestamp?.getTime() ?? Number.POSITIVE_INFINITY;
}

/** Oldest first, ties by name (ReplicaSetsByCreationTimestamp). */
export function compareByCreation(a: Readonly<ReplicaSet>, b: Readonly<ReplicaSet>): number {
  const d = createdAt(a) - createdAt(b);
  if (d !== 0 && !Number.isNaN(d)) return d;
  const an = a.metadata?.name ?? '';
  const bn = b.metadata?.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/** Oldest first, ties by name. */
export function byCreation<T extends Readonly<ReplicaSet>>(replicaSets: readonly T[]): T[] {
  return [...replicaSets].sort(compareByCreation);
}

/** Largest first; among equal sizes the older first (ReplicaSetsBySizeOlder: scaling down). */
export function bySizeOlder<T extends Readonly<ReplicaSet>>(replicaSets: readonly T[]): T[] {
  return [...replicaSets].sort((a, b) => specReplicas(b) - specReplicas(a) || compareByCreation(a, b));
}

/** Largest first; among equal sizes the newer first (ReplicaSetsBySizeNewer: scaling up). */
export function bySizeNewer<T extends Readonly<ReplicaSet>>(replicaSets: readonly T[]): T[] {
  return [...replicaSets].sort((a, b) => specReplicas(b) - specReplicas(a) || compareByCreation(b, a));
}
