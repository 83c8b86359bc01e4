/**
 * Whether a DaemonSet should run its pod on a node (Kubernetes' NodeShouldRunDaemonPod and its
 * predicates), judged on the template with the daemon tolerations added:
 *
 *   spec.nodeName set to another node, nodeSelector or required
 *   node affinity not matching ───────────────────────────────> shouldRun false, shouldContinueRunning false
 *   an untolerated NoSchedule/NoExecute taint, but no
 *   untolerated NoExecute one ────────────────────────────────> shouldRun false, shouldContinueRunning true
 *   an untolerated NoExecute taint ───────────────────────────> false, false
 *   otherwise ────────────────────────────────────────────────> true, true
 *
 * shouldRun: a pod should be created there; shouldContinueRunning: a pod already there may stay
 * (a NoSchedule taint added later does not evict it). Resources are not checked: the scheduler
 * does that when it binds the pod. CONTRACT: pure.
 */
import { anyTermMatches, tolerated, type DaemonSet, type Node, type PodSpec } from '@skiff/api';
import { daemonPodSpec } from './daemon-pod';

export interface NodeDecision {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

/** spec.nodeName, nodeSelector and required node affinity all allow `node`. */
export function fitsNodeSelection(spec: Readonly<PodSpec>, node: Readonly<Node>): boolean {
  const name = node.metadata?.name ?? '';
  if (spec.nodeName && spec.nodeName !== name) return false;
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required && !anyTermMatches(required.nodeSelectorTerms ?? [], node)) return false;
  return true;
}

/** The decision for one node, with `spec` the daemon pod spec (daemonPodSpec) of the DaemonSet. */
export function nodeDecisionForSpec(spec: Readonly<PodSpec>, node: Readonly<Node>): NodeDecision {
  if (!fitsNodeSelection(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = spec.tolerations ?? [];
  let fits = true;
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (tolerated(tolerations, taint)) continue;
    if (taint.effect === 'NoExecute') return { shouldRun: false, shouldContinueRunning: false };
    fits = false;
  }
  return { shouldRun: fits, shouldContinueRunning: true };
}

/** Kubernetes' NodeShouldRunDaemonPod for `ds` on `node`. */
export function nodeShouldRunDaemonPod(ds: Readonly<DaemonSet>, node: Readonly<Node>): NodeDecision {
  return nodeDecisionForSpec(daemonPodSpec(ds), node);
}
