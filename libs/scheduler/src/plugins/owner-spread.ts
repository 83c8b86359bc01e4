/**
 * OwnerSpread (kube-scheduler's SelectorSpread, by controller owner): prefers nodes running
 * fewer pods of the same controlling owner, so that a ReplicaSet's replicas spread out.
 * Normalised so that the node with the fewest such pods scores MAX_NODE_SCORE; weight 2.
 */
import type { ScorePlugin } from '../framework/plugin';
import { MAX_NODE_SCORE } from '../framework/plugin';

export const ownerSpreadScore: ScorePlugin = {
  name: 'OwnerSpread',
  weight: 2,
  score(pod, node) {
    return pod.ownerUid ? (node.ownerCounts.get(pod.ownerUid) ?? 0) : 0;
  },
  normalize(scores) {
    let max = 0;
    for (const s of scores) if (s > max) max = s;
    if (max === 0) return scores.map(() => MAX_NODE_SCORE);
    return scores.map((s) => Math.floor((MAX_NODE_SCORE * (max - s)) / max));
  },
};
