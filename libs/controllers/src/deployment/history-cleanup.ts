/**
 * revisionHistoryLimit (Kubernetes' cleanupDeployment): of the old ReplicaSets not already being
 * deleted, all but the newest `revisionHistoryLimit` (by revision) are deleted, but only those
 * that are empty: 0 replicas asked, 0 reported, status up to date with their spec.
 * CONTRACT: no I/O; plans deletions on the PlanBuilder.
 */
import type { ReplicaSet } from '@skiff/api';
import type { PlanBuilder } from './deployment-plan';
import { compareByCreation, specReplicas } from './replica-counts';
import { revisionOf } from './revision-annotations';

/** Oldest revision first; equal revisions by creation. */
export function byRevision<T extends Readonly<ReplicaSet>>(replicaSets: readonly T[]): T[] {
  return [...replicaSets].sort((a, b) => (revisionOf(a) ?? 0) - (revisionOf(b) ?? 0) || compareByCreation(a, b));
}

/** Plans the deletions; returns the ReplicaSets chosen. */
export function cleanupHistory(b: PlanBuilder, oldRSs: readonly ReplicaSet[]): ReplicaSet[] {
  const limit = b.deployment.spec?.revisionHistoryLimit;
  if (limit === undefined) return [];
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const excess = cleanable.length - limit;
  if (excess <= 0) return [];
  // A ReplicaSet this sync also resizes is judged next time, on what is stored.
  const chosen = byRevision(cleanable)
    .slice(0, excess)
    .filter((rs) => !b.isWritten(rs) && (rs.status?.replicas ?? 0) === 0 && specReplicas(rs) === 0 && (rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0));
  for (const rs of chosen) b.delete(rs);
  return chosen;
}
