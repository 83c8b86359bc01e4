/**
 * How a ReplicaSet closes the gap between its pods and spec.replicas (the decision half of
 * Kubernetes' manageReplicas): too few -> create the difference, too many -> delete the
 * difference, picking pods with the ActivePods ranking; at most BURST_REPLICAS either way per
 * sync (the next sync does the rest).
 */
import type { Pod, ReplicaSet } from '@skiff/api';
import { podsToDelete } from '../pods/pod-ranking';

/** Most creations or deletions one sync starts (Kubernetes' BurstReplicas). */
export const BURST_REPLICAS = 500;

export type ReplicaPlan =
  | { action: 'none' }
  | { action: 'create'; count: number }
  | { action: 'delete'; pods: Readonly<Pod>[] };

/** spec.replicas, 1 when unset (the apiserver defaults it). */
export function desiredReplicas(rs: Readonly<ReplicaSet>): number {
  return rs.spec?.replicas ?? 1;
}

/**
 * The plan for `rs` given the active pods it owns and the related pods (its own and those of
 * sibling ReplicaSets of the same controller) used to rank deletions.
 */
export function planReplicas(rs: Readonly<ReplicaSet>, owned: readonly Readonly<Pod>[], related: readonly Readonly<Pod>[], burst = BURST_REPLICAS): ReplicaPlan {
  const diff = owned.length - desiredReplicas(rs);
  if (diff < 0) return { action: 'create', count: Math.min(-diff, burst) };
  if (diff > 0) return { action: 'delete', pods: podsToDelete(owned, related, Math.min(diff, burst)) };
  return { action: 'none' };
}
