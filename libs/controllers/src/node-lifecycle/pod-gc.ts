/**
 * Pod garbage collection (Kubernetes' PodGC, the parts a dead node needs), decided without I/O.
 * Both cases end in a force delete (grace 0), because no kubelet will ever confirm:
 *
 *   orphaned: bound to a node that does not exist. The node must have been missing from the
 *     cache for a quarantine period (Kubernetes' 40 s: a node may register just after a pod
 *     names it), then its absence is confirmed with a live read before deleting.
 *   terminating on an unreachable node: the pod is being deleted and its node carries the
 *     node.kubernetes.io/unreachable:NoExecute taint (its kubelet stopped heartbeating and the
 *     node lifecycle controller gave up on it); deleted once its grace period is over
 *     (deletionTimestamp, which the apiserver sets to request time + grace).
 *
 * Everything else is kept: a pod on a live node is for its kubelet to finish.
 */
import { TAINT_UNREACHABLE, type Node, type Pod } from '@skiff/api';

export type PodGcDecision =
  | { action: 'keep' }
  /** Decide again after this long. */
  | { action: 'wait'; afterMs: number }
  /** Force-delete; for 'orphaned', only once a live read confirms the node is gone. */
  | { action: 'force-delete'; reason: 'orphaned' | 'terminating-on-unreachable-node' };

export interface PodGcInput {
  pod: Readonly<Pod>;
  /** The pod's node from the cache; undefined when it is not there. */
  node: Readonly<Node> | undefined;
  /** Since when (ms) the controller has seen the node missing; undefined: not seen missing before. */
  nodeMissingSince: number | undefined;
  now: number;
  quarantineMs: number;
}

/** Whether the node carries the unreachable NoExecute taint. */
export function isUnreachable(node: Readonly<Node>): boolean {
  return (node.spec?.taints ?? []).some((t) => t.key === TAINT_UNREACHABLE && t.effect === 'NoExecute');
}

/** Decides what pod GC does with one pod (see the file comment). */
export function decidePodGc({ pod, node, nodeMissingSince, now, quarantineMs }: PodGcInput): PodGcDecision {
  if (!pod.spec?.nodeName) return { action: 'keep' };
  if (!node) {
    const since = nodeMissingSince ?? now;
    const left = since + quarantineMs - now;
    return left > 0 ? { action: 'wait', afterMs: left } : { action: 'force-delete', reason: 'orphaned' };
  }
  const deletion = pod.metadata?.deletionTimestamp;
  if (!deletion || !isUnreachable(node)) return { action: 'keep' };
  const left = deletion.getTime() - now;
  return left > 0 ? { action: 'wait', afterMs: left } : { action: 'force-delete', reason: 'terminating-on-unreachable-node' };
}
