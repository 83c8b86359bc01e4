/**
 * The Recreate strategy (Kubernetes' recreate.go): scale every old ReplicaSet to 0; wait until
 * no old pod runs (none counted in their status, and none of their pods, terminating ones
 * included, is anything but Succeeded/Failed); only then create or scale up the new
 * ReplicaSet to spec.replicas. Old and new pods never run together.
 * CONTRACT: no I/O; changes only the PlanBuilder's working copies.
 */
import type { Pod, ReplicaSet } from '@skiff/api';
import type { PlanBuilder } from './deployment-plan';
import { actualReplicaCount, activeReplicaSets } from './replica-counts';

/** Scales the active old ReplicaSets to 0; returns whether any changed. */
export function scaleDownOldForRecreate(b: PlanBuilder, oldRSs: readonly ReplicaSet[]): boolean {
  let scaled = false;
  for (const rs of activeReplicaSets(oldRSs)) if (b.scaleIfNeeded(rs, 0)) scaled = true;
  return scaled;
}

/** Whether an old ReplicaSet still reports pods or still has a pod that is not finished. */
export function oldPodsRunning(newRS: Readonly<ReplicaSet> | undefined, oldRSs: readonly Readonly<ReplicaSet>[], podsByReplicaSet: ReadonlyMap<string, readonly Readonly<Pod>[]>): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podsByReplicaSet) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    if (pods.some((pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed')) return true;
  }
  return false;
}
