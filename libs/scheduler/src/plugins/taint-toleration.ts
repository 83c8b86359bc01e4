/**
 * TaintToleration: a node's NoSchedule and NoExecute taints must each be tolerated by the pod
 * (filter); untolerated PreferNoSchedule taints lower the node's score (weight 3 as in
 * Kubernetes). Matching follows Kubernetes' Toleration.ToleratesTaint.
 */
import { tolerated } from '@skiff/api';
import type { FilterPlugin, ScorePlugin } from '../framework/plugin';
import { defaultNormalize } from '../framework/plugin';
import { SUCCESS, unresolvable } from '../framework/status';

export const taintTolerationFilter: FilterPlugin = {
  name: 'TaintToleration',
  filter(pod, node) {
    if (node.hardTaints.length === 0) return SUCCESS;
    for (const taint of node.hardTaints) {
      if (!tolerated(pod.tolerations, taint)) return unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
    }
    return SUCCESS;
  },
};

export const taintTolerationScore: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  score(pod, node) {
    if (node.softTaints.length === 0) return 0;
    let count = 0;
    for (const taint of node.softTaints) if (!tolerated(pod.tolerations, taint)) count++;
    return count;
  },
  normalize: (scores) => defaultNormalize(scores, true),
};
