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
    // Kubernetes' order of checks (and of the reasons): pods, cpu, memory, the rest by name.
    let reasons: string[] | undefined;
    if (node.podCount + 1 > node.allowedPods) reasons = ['Too many pods'];
    if (pod.cpu > 0 && pod.cpu > node.allocatableCpu - node.requestedCpu) (reasons ??= []).push('Insufficient cpu');
    if (pod.memory > 0 && pod.memory > node.allocatableMemory - node.requestedMemory) (reasons ??= []).push('Insufficient memory');
    for (const [name, want] of pod.otherRequests) {
      if (want > (node.allocatable[name] ?? 0) - (node.requested[name] ?? 0)) (reasons ??= []).push(`Insufficient ${name}`);
    }
    return reasons ? unschedulable(...reasons) : SUCCESS;
  },
};

function leastRequested(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** Prefers nodes with more free cpu and memory after placing the pod (equal weights). */
export const leastAllocatedScore: ScorePlugin = {
  name: 'NodeResourcesLeastAllocated',
  weight: 1,
  score(pod, node) {
    const cpu = node.allocatableCpu;
    const memory = node.allocatableMemory;
    let sum = 0;
    let weights = 0;
    if (cpu !== 0) {
      sum += leastRequested(node.nonZeroCpu + pod.nonZeroCpu, cpu);
      weights++;
    }
    if (memory !== 0) {
      sum += leastRequested(node.nonZeroMemory + pod.nonZeroMemory, memory);
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
    const cpu = node.allocatableCpu;
    const memory = node.allocatableMemory;
    // With one resource (or none) there is nothing to balance: std 0.
    if (cpu === 0 || memory === 0) return MAX_NODE_SCORE;
    const cpuFraction = Math.min(1, (node.requestedCpu + pod.cpu) / cpu);
    const memoryFraction = Math.min(1, (node.requestedMemory + pod.memory) / memory);
    const std = Math.abs((cpuFraction - memoryFraction) / 2);
    return Math.floor((1 - std) * MAX_NODE_SCORE);
  },
};
