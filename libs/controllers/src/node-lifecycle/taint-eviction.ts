/**
 * Taint-based eviction (Kubernetes' taint eviction controller), decided without I/O: a pod on a
 * node with NoExecute taints
 *   - that it does not tolerate is evicted at once;
 *   - that it tolerates with tolerationSeconds is evicted when the earliest of those runs out,
 *     counted from each taint's timeAdded (so a restarted controller keeps the same deadline);
 *   - that it tolerates without tolerationSeconds (forever) is kept.
 * Per taint, the first toleration that matches it counts (Kubernetes' GetMatchingTolerations).
 * A taint removed before its deadline cancels the eviction: the decision is taken again each time.
 */
import { toleratesTaint, type Pod, type Taint, type Toleration } from '@skiff/api';

export type EvictionDecision =
  /** No NoExecute taint concerns the pod (or it tolerates them all forever). */
  | { action: 'keep' }
  /** Delete the pod now because of `taint`. */
  | { action: 'evict'; taint: Taint }
  /** Decide again at `evictAt` (ms): the earliest toleration deadline. */
  | { action: 'wait'; evictAt: number; taint: Taint };

/**
 * Decides for a pod with `tolerations` on a node with `taints` at `now` (ms). `addedAt` gives a
 * NoExecute taint's start (its timeAdded, or when the controller first saw it when unset).
 * Taints of other effects are ignored; a negative tolerationSeconds counts as 0.
 */
export function decideEviction(tolerations: readonly Readonly<Toleration>[], taints: readonly Readonly<Taint>[], now: number, addedAt: (taint: Readonly<Taint>) => number): EvictionDecision {
  let earliest: { at: number; taint: Taint } | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const toleration = tolerations.find((t) => toleratesTaint(t, taint));
    if (!toleration) return { action: 'evict', taint: { ...taint } };
    if (toleration.tolerationSeconds === undefined || toleration.tolerationSeconds === null) continue;
    const at = addedAt(taint) + Math.max(0, Number(toleration.tolerationSeconds)) * 1000;
    if (!earliest || at < earliest.at) earliest = { at, taint: { ...taint } };
  }
  if (!earliest) return { action: 'keep' };
  if (earliest.at <= now) return { action: 'evict', taint: earliest.taint };
  return { action: 'wait', evictAt: earliest.at, taint: earliest.taint };
}

/** Whether the taint eviction controller looks at the pod at all: bound, not terminal, not being deleted. */
export function isEvictable(pod: Readonly<Pod>): boolean {
  const phase = pod.status?.phase;
  return !!pod.spec?.nodeName && !pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** The NoExecute taints of a node's taint list. */
export function noExecuteTaints(taints: readonly Readonly<Taint>[] | undefined): Readonly<Taint>[] {
  return (taints ?? []).filter((t) => t.effect === 'NoExecute');
}
