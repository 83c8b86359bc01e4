/**
 * The extension points, one small interface each (kube-scheduler's framework in miniature).
 * Plugins are pure: same pod, same node, same answer.
 */
import type { NodeInfo } from './node-info';
import type { PodInfo } from './pod-info';
import type { Snapshot } from './snapshot';
import type { Status } from './status';

/** The highest score a plugin gives a node (after normalisation). */
export const MAX_NODE_SCORE = 100;

/** Decides whether a pod may run on a node. Returns a Status; never throws for "does not fit". */
export interface FilterPlugin {
  readonly name: string;
  /**
   * True when the filter passes every node for this pod whatever the node (e.g. the pod asks
   * for no host port), so the framework need not run it: Kubernetes' PreFilter returning Skip.
   * Absent: never skipped.
   */
  skip?(pod: PodInfo): boolean;
  filter(pod: PodInfo, node: NodeInfo): Status;
}

/**
 * Ranks the nodes that passed every filter. `preScore` (when present) computes once per cycle
 * what `score` then reads for each node (Kubernetes' PreScore writing its CycleState); `score`
 * gives a raw number per node; `normalize` (when present) maps the raw scores of all feasible
 * nodes to 0..MAX_NODE_SCORE. The framework multiplies the result by `weight` and adds the
 * plugins up.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each plugin has its own cycle state type
export interface ScorePlugin<State = any> {
  readonly name: string;
  readonly weight: number;
  /**
   * True when the plugin would give every node the same score for this pod (e.g. no preferred
   * affinity), so that it cannot change the choice and the framework need not run it:
   * Kubernetes' PreScore returning Skip. Absent: never skipped.
   */
  skip?(pod: PodInfo): boolean;
  preScore?(pod: PodInfo, snapshot: Snapshot): State;
  /** `state` is what preScore returned for this cycle (undefined without a preScore). */
  score(pod: PodInfo, node: NodeInfo, state?: State): number;
  normalize?(scores: readonly number[]): number[];
}

/**
 * Kubernetes' DefaultNormalizeScore: scales scores so that the highest becomes MAX_NODE_SCORE
 * (reversed: the highest becomes 0 and 0 becomes MAX_NODE_SCORE). All zero stays all zero
 * (reversed: all MAX_NODE_SCORE).
 */
export function defaultNormalize(scores: readonly number[], reverse: boolean): number[] {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) return scores.map(() => (reverse ? MAX_NODE_SCORE : 0));
  return scores.map((s) => {
    const scaled = Math.floor((MAX_NODE_SCORE * s) / max);
    return reverse ? MAX_NODE_SCORE - scaled : scaled;
  });
}
