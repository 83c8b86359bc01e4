/**
 * A node with what is already placed on it (bound and assumed pods), immutable: adding or
 * removing a pod returns a new NodeInfo, so a snapshot handed to a scheduling cycle never
 * changes under it.
 */
import type { Node } from '@skiff/api';
import type { HostPort, PodInfo } from './pod-info';
import { addResources, parseResources, subtractResources, type Resources } from './resources';

export interface NodeInfo {
  readonly name: string;
  readonly node: Readonly<Node>;
  /** status.allocatable without "pods" (cpu millicores, memory bytes, ...). */
  readonly allocatable: Resources;
  /** status.allocatable.pods (0 when unset, as in Kubernetes: nothing fits). */
  readonly allowedPods: number;
  /** Sum of the placed pods' requests. */
  readonly requested: Resources;
  /** Sum of the placed pods' requests with the scoring defaults for unset cpu / memory. */
  readonly nonZeroCpu: number;
  readonly nonZeroMemory: number;
  /** Placed pods by uid. */
  readonly pods: ReadonlyMap<string, PodInfo>;
  readonly usedPorts: readonly HostPort[];
  /** Placed pods per controlling owner uid. */
  readonly ownerCounts: ReadonlyMap<string, number>;
}

function allocatableOf(node: Readonly<Node>): { allocatable: Resources; allowedPods: number } {
  let parsed: Record<string, number>;
  try {
    parsed = parseResources(node.status?.allocatable);
  } catch {
    parsed = {};
  }
  const { pods = 0, ...allocatable } = parsed;
  return { allocatable, allowedPods: pods };
}

/** A NodeInfo for `node` holding `pods`. A malformed allocatable counts as empty (nothing fits). */
export function nodeInfoOf(node: Readonly<Node>, pods: Iterable<PodInfo> = []): NodeInfo {
  let info: NodeInfo = {
    name: node.metadata?.name ?? '',
    node,
    ...allocatableOf(node),
    requested: {},
    nonZeroCpu: 0,
    nonZeroMemory: 0,
    pods: new Map(),
    usedPorts: [],
    ownerCounts: new Map(),
  };
  for (const pod of pods) info = withPod(info, pod);
  return info;
}

/** The same pods on an updated Node object (new labels, taints, allocatable, conditions). */
export function withNode(info: NodeInfo, node: Readonly<Node>): NodeInfo {
  return { ...info, node, name: node.metadata?.name ?? info.name, ...allocatableOf(node) };
}

/** `info` with `pod` placed on it (replacing a pod of the same uid). */
export function withPod(info: NodeInfo, pod: PodInfo): NodeInfo {
  const base = info.pods.has(pod.uid) ? withoutPod(info, pod.uid) : info;
  const pods = new Map(base.pods);
  pods.set(pod.uid, pod);
  const ownerCounts = new Map(base.ownerCounts);
  if (pod.ownerUid) ownerCounts.set(pod.ownerUid, (ownerCounts.get(pod.ownerUid) ?? 0) + 1);
  return {
    ...base,
    pods,
    requested: addResources(base.requested, pod.requests),
    nonZeroCpu: base.nonZeroCpu + pod.nonZeroCpu,
    nonZeroMemory: base.nonZeroMemory + pod.nonZeroMemory,
    usedPorts: pod.hostPorts.length ? [...base.usedPorts, ...pod.hostPorts] : base.usedPorts,
    ownerCounts,
  };
}

/** `info` without the pod of this uid (unchanged when it is not there). */
export function withoutPod(info: NodeInfo, uid: string): NodeInfo {
  const pod = info.pods.get(uid);
  if (!pod) return info;
  const pods = new Map(info.pods);
  pods.delete(uid);
  const ownerCounts = new Map(info.ownerCounts);
  if (pod.ownerUid) {
    const n = (ownerCounts.get(pod.ownerUid) ?? 0) - 1;
    if (n > 0) ownerCounts.set(pod.ownerUid, n);
    else ownerCounts.delete(pod.ownerUid);
  }
  return {
    ...info,
    pods,
    requested: subtractResources(info.requested, pod.requests),
    nonZeroCpu: info.nonZeroCpu - pod.nonZeroCpu,
    nonZeroMemory: info.nonZeroMemory - pod.nonZeroMemory,
    usedPorts: pod.hostPorts.length ? [...pods.values()].flatMap((p) => p.hostPorts) : info.usedPorts,
    ownerCounts,
  };
}

/** Pods placed on the node. */
export function podCount(info: NodeInfo): number {
  return info.pods.size;
}
