/**
 * NodeResourcesFit (filter): the pod's requests must fit in allocatable minus what placed pods
 * request, for every resource it requests, and the node must have room for one more pod.
 * LeastAllocated and BalancedAllocation (scores): Kubernetes' formulas over cpu and memory.
 */
import type { FilterPlugin, ScorePlugin } from '../framework/plugin';
import { MAX_NODE_SCORE } from '../framework/plugin';
import { SUCCESS, unschedulable } from '../framework/status';

export const filterNodeResourcesFit: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(pod, node) {
    let reasons: string[] | undefined;
    if (node.pods.size + 1 > node.allowedPods) reasons = ['Too many pods'];
    for (const name in pod.requests) {
      const want = pod.requests[name];
      if (want <= 0) continue;
      if (want > (node.allocatable[name] ?? 0) - (node.requested[name] ?? 0)) (reasons ??= []).push(`Insufficient ${name}`);
    }
    if (!reasons) return SUCCESS;
    if (reasons.length > 1) reasons.sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0));
    return unschedulable(...reasons);
  },
};

/** cpu first, then memory, then the rest by name (Kubernetes' order of checks). */
function order(reason: string): number {
  return reason === 'Too many pods' ? -1 : reason === 'Insufficient cpu' ? 0 : reason === 'Insufficient memory' ? 1 : 2;
}

function leastRequested(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** Prefers nodes with more free cpu and memory after placing the pod (equal weights). */
export const leastAllocatedScore: ScorePlugin = {
  name: 'NodeResourcesLeastAllocated',
  weight: 1,
  score(pod, node) {
    const resources: [number, number][] = [
      [node.nonZeroCpu + pod.nonZeroCpu, node.allocatable.cpu ?? 0],
      [node.nonZeroMemory + pod.nonZeroMemory, node.allocatable.memory ?? 0],
    ];
    let sum = 0;
    let weights = 0;
    for (const [requested, capacity] of resources) {
      if (capacity === 0) continue;
      sum += leastRequested(requested, capacity);
      weights++;
    }
    return weights ? Math.floor(sum / weights) : 0;
  },
};

/** Prefers nodes whose cpu and memory fractions stay close after placing the pod. */
export const balancedAllocationScore: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  score(pod, node) {
    const fractions: number[] = [];
    for (const name of ['cpu', 'memory']) {
      const capacity = node.allocatable[name] ?? 0;
      if (capacity === 0) continue;
      const requested = (node.requested[name] ?? 0) + (pod.requests[name] ?? 0);
      fractions.push(Math.min(1, requested / capacity));
    }
    const std = fractions.length === 2 ? Math.abs((fractions[0] - fractions[1]) / 2) : 0;
    return Math.floor((1 - std) * MAX_NODE_SCORE);
  },
};
