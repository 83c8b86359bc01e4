/**
 * NodeSelector and NodeAffinity: the pod's spec.nodeSelector labels and its required node
 * affinity must hold on the node (filters); its preferred node affinity terms add their
 * weights to the node's score (normalised, weight 2 as in Kubernetes).
 */
import type { FilterPlugin, ScorePlugin } from '../framework/plugin';
import { defaultNormalize } from '../framework/plugin';
import { SUCCESS, unresolvable } from '../framework/status';
import { anyTermMatches, termMatches } from './node-selector-terms';

/** Kubernetes' reason for both plugins, so that the message counts them together. */
export const ERR_REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

/** Every key=value of spec.nodeSelector must be a label of the node. */
export const nodeSelectorFilter: FilterPlugin = {
  name: 'NodeSelector',
  skip: (pod) => !pod.nodeSelector,
  filter(pod, node) {
    const selector = pod.nodeSelector;
    if (!selector) return SUCCESS;
    const labels = node.labels;
    for (const k in selector) if (labels[k] !== selector[k]) return unresolvable(ERR_REASON_AFFINITY);
    return SUCCESS;
  },
};

/** requiredDuringSchedulingIgnoredDuringExecution: at least one term must match the node. */
export const nodeAffinityFilter: FilterPlugin = {
  name: 'NodeAffinity',
  skip: (pod) => !pod.requiredAffinity,
  filter(pod, node) {
    const required = pod.requiredAffinity;
    if (!required) return SUCCESS;
    return anyTermMatches(required.nodeSelectorTerms, node.node) ? SUCCESS : unresolvable(ERR_REASON_AFFINITY);
  },
};

/** preferredDuringSchedulingIgnoredDuringExecution: the sum of the weights of matching terms. */
export const nodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  skip: (pod) => pod.preferredAffinity.length === 0,
  score(pod, node) {
    const preferred = pod.preferredAffinity;
    if (preferred.length === 0) return 0;
    let sum = 0;
    for (const term of preferred) if (term.weight !== 0 && termMatches(term.preference, node.node)) sum += term.weight;
    return sum;
  },
  normalize: (scores) => defaultNormalize(scores, false),
};
