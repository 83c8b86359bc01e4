/**
 * The default profile: filters in kube-scheduler's order (cheap and unresolvable first) and the
 * scores with Kubernetes' default weights.
 */
import type { FilterPlugin, ScorePlugin } from './framework/plugin';
import { nodeReadyFilter, nodeUnschedulableFilter } from './plugins/node-condition';
import { nodeAffinityFilter, nodeAffinityScore, nodeSelectorFilter } from './plugins/node-affinity';
import { nodePortsFilter } from './plugins/node-ports';
import { balancedAllocationScore, filterNodeResourcesFit, leastAllocatedScore } from './plugins/node-resources';
import { ownerSpreadScore } from './plugins/owner-spread';
import { taintTolerationFilter, taintTolerationScore } from './plugins/taint-toleration';

export const DEFAULT_FILTERS: readonly FilterPlugin[] = [
  nodeUnschedulableFilter,
  nodeReadyFilter,
  taintTolerationFilter,
  nodeSelectorFilter,
  nodeAffinityFilter,
  nodePortsFilter,
  filterNodeResourcesFit,
];

export const DEFAULT_SCORES: readonly ScorePlugin[] = [
  taintTolerationScore,
  nodeAffinityScore,
  leastAllocatedScore,
  balancedAllocationScore,
  ownerSpreadScore,
];
