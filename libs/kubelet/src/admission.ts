/**
 * Pod admission, as the kubelet's resource-fit admit handler: a pod runs on this node only if
 * the requests of the pods already admitted (and not terminal) plus its own fit the node's
 * allocatable. Requests are each pod's effective requests (libs/api's podRequests, the same the
 * scheduler uses: app containers and sidecars, or the largest init container with the sidecars
 * started before it). A refused pod is Failed with reason OutOf<resource> and Kubernetes' message.
 * Pure: no I/O.
 */
import { podRequests, resourceAmount, type Pod } from '@skiff/api';

/** What the node offers to pods (from its allocatable). */
export interface NodeAllocatable {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
}

export type AdmissionResult = { admit: true } | { admit: false; reason: string; message: string };

/**
 * Whether `pod` fits next to `admitted` (the node's other admitted, non-terminal pods). Checks
 * the pod count, then cpu, then memory, and names the first that does not fit.
 */
export function admitPod(pod: Readonly<Pod>, admitted: readonly Readonly<Pod>[], node: NodeAllocatable): AdmissionResult {
  if (admitted.length + 1 > node.pods) {
    return { admit: false, reason: 'OutOfpods', message: `Node didn't have enough resource: pods, requested: 1, used: ${admitted.length}, capacity: ${node.pods}` };
  }
  const want = cpuAndMemory(pod);
  const used = admitted.map(cpuAndMemory).reduce((a, b) => ({ cpuMillis: a.cpuMillis + b.cpuMillis, memoryBytes: a.memoryBytes + b.memoryBytes }), { cpuMillis: 0, memoryBytes: 0 });
  if (want.cpuMillis > 0 && used.cpuMillis + want.cpuMillis > node.cpuMillis) {
    return { admit: false, reason: 'OutOfcpu', message: `Pod Node didn't have enough resource: cpu, requested: ${want.cpuMillis}, used: ${used.cpuMillis}, capacity: ${node.cpuMillis}` };
  }
  if (want.memoryBytes > 0 && used.memoryBytes + want.memoryBytes > node.memoryBytes) {
    return { admit: false, reason: 'OutOfmemory', message: `Pod Node didn't have enough resource: memory, requested: ${want.memoryBytes}, used: ${used.memoryBytes}, capacity: ${node.memoryBytes}` };
  }
  return { admit: true };
}

/** The pod's effective cpu and memory requests (0 when unset). */
function cpuAndMemory(pod: Readonly<Pod>): { cpuMillis: number; memoryBytes: number } {
  const requests = podRequests(pod);
  return { cpuMillis: requests['cpu'] ?? 0, memoryBytes: requests['memory'] ?? 0 };
}

/** The node's allocatable map ({cpu: "4", memory: "8Gi", pods: "110"}) as numbers. */
export function parseAllocatable(allocatable: Readonly<Record<string, string>>): NodeAllocatable {
  return {
    cpuMillis: allocatable['cpu'] ? resourceAmount('cpu', allocatable['cpu']) : 0,
    memoryBytes: allocatable['memory'] ? resourceAmount('memory', allocatable['memory']) : 0,
    pods: allocatable['pods'] ? Number(allocatable['pods']) : 110,
  };
}
