/**
 * Which pods a ReplicaSet deletes first when it has too many (Kubernetes' ActivePodsWithRanks).
 * A pod sorts earlier (is deleted sooner) when, comparing in order:
 *
 *   1. it is unscheduled and the other is not
 *   2. its phase is earlier in Pending < Unknown < Running (no phase counts as Pending)
 *   3. it is not ready and the other is
 *   4. its controller.kubernetes.io/pod-deletion-cost annotation is lower (absent or invalid: 0)
 *   5. its node runs more of the related pods (pods of the same ReplicaSet, or of every
 *      ReplicaSet of the same Deployment): spreading is kept
 *   6. both ready: it became ready later (an unknown ready time first)
 *   7. its containers restarted more (the highest restart count of any container)
 *   8. it is newer (an unknown creation time first)
 *
 * Kubernetes' LogarithmicScaleDown compares 6 and 8 in powers-of-two buckets of age; we compare
 * exact times. Pure: nothing here reads a clock.
 */
import type { Pod } from '@skiff/api';
import { isPodActive, isPodReady, podReadySince } from './pod-availability';

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDER: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/** A pod and how many related active pods share its node. */
export interface RankedPod {
  pod: Readonly<Pod>;
  /** Related active pods on the same node (the pod itself included when it is related). */
  rank: number;
}

/** The pod-deletion-cost annotation as an int32; 0 when absent or not a valid int32. */
export function podDeletionCost(pod: Readonly<Pod>): number {
  const text = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (text === undefined || !/^[+-]?\d+$/.test(text.trim())) return 0;
  const value = Number(text.trim());
  return value >= -(2 ** 31) && value < 2 ** 31 ? value : 0;
}

/** The highest restartCount among the pod's containers. */
export function maxContainerRestarts(pod: Readonly<Pod>): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

/** Orders two times so that an unknown one comes first, then the later one (Kubernetes' afterOrZero). */
function laterFirst(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return b - a;
}

/** Negative when `a` should be deleted before `b`, positive when after, 0 when equal (see above). */
export function compareForDeletion(a: RankedPod, b: RankedPod): number {
  const [pa, pb] = [a.pod, b.pod];
  const [na, nb] = [pa.spec?.nodeName ?? '', pb.spec?.nodeName ?? ''];
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  const [oa, ob] = [PHASE_ORDER[pa.status?.phase ?? ''] ?? 0, PHASE_ORDER[pb.status?.phase ?? ''] ?? 0];
  if (oa !== ob) return oa - ob;
  const [ra, rb] = [isPodReady(pa), isPodReady(pb)];
  if (ra !== rb) return ra ? 1 : -1;
  const [ca, cb] = [podDeletionCost(pa), podDeletionCost(pb)];
  if (ca !== cb) return ca - cb;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (ra && rb) {
    const byReady = laterFirst(podReadySince(pa), podReadySince(pb));
    if (byReady !== 0) return byReady;
  }
  const [xa, xb] = [maxContainerRestarts(pa), maxContainerRestarts(pb)];
  if (xa !== xb) return xb - xa;
  return laterFirst(pa.metadata?.creationTimestamp?.getTime(), pb.metadata?.creationTimestamp?.getTime());
}

/** Ranks `pods` by how many active `related` pods run on the same node. */
export function rankByRelatedPodsOnSameNode(pods: readonly Readonly<Pod>[], related: readonly Readonly<Pod>[]): RankedPod[] {
  const onNode = new Map<string, number>();
  for (const pod of related) {
    if (!isPodActive(pod)) continue;
    const node = pod.spec?.nodeName ?? '';
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  return pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
}

/**
 * The `count` pods of `pods` to delete first (all of them when count >= pods.length), ranked
 * against `related` (see the order above). Does not change its inputs.
 */
export function podsToDelete(pods: readonly Readonly<Pod>[], related: readonly Readonly<Pod>[], count: number): Readonly<Pod>[] {
  if (count <= 0) return [];
  if (count >= pods.length) return [...pods];
  return rankByRelatedPodsOnSameNode(pods, related)
    .sort(compareForDeletion)
    .slice(0, count)
    .map((r) => r.pod);
}
