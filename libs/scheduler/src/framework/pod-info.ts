/**
 * What the scheduler needs to know about a pod, computed once per pod (not once per node):
 * its effective requests (libs/api's podRequests: app containers and sidecars, or the largest
 * init container with the sidecars started before it), host ports, owner and placement constraints.
 */
import { keyOf, podRequests, type NodeSelector, type Pod, type PreferredSchedulingTerm, type Toleration } from '@skiff/api';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, type Resources } from './resources';

/** A host port a pod occupies on its node. hostIP "0.0.0.0" means every address. */
export interface HostPort {
  readonly protocol: string;
  readonly hostIP: string;
  readonly port: number;
}

export interface PodInfo {
  readonly pod: Readonly<Pod>;
  /** "namespace/name". */
  readonly key: string;
  readonly uid: string;
  /** The pod's effective requests (cpu millicores, memory bytes, other resources), as Kubernetes' PodRequests. */
  readonly requests: Resources;
  /** requests.cpu and requests.memory (0 when unset), flat: every filter run reads them. */
  readonly cpu: number;
  readonly memory: number;
  /** The requests of other resources than cpu and memory, above 0, sorted by name. */
  readonly otherRequests: readonly (readonly [name: string, amount: number])[];
  /** Effective requests with kube-scheduler's per-container defaults for unset cpu (100m) and memory (200Mi), for scoring. */
  readonly nonZeroCpu: number;
  readonly nonZeroMemory: number;
  readonly hostPorts: readonly HostPort[];
  /** uid of the controlling owner (ReplicaSet, ...), for spreading; '' when none. */
  readonly ownerUid: string;
  /** spec.nodeSelector, undefined when it has no entries. */
  readonly nodeSelector: Readonly<Record<string, string>> | undefined;
  readonly tolerations: readonly Toleration[];
  readonly requiredAffinity: NodeSelector | undefined;
  readonly preferredAffinity: readonly PreferredSchedulingTerm[];
}

const NON_MISSING_REQUESTS: Resources = { cpu: DEFAULT_MILLI_CPU_REQUEST, memory: DEFAULT_MEMORY_REQUEST };

/**
 * Builds the PodInfo of a pod. Throws a plain Error when a request is not a valid quantity
 * (validation prevents that for stored pods).
 */
export function podInfoOf(pod: Readonly<Pod>): PodInfo {
  const requests = podRequests(pod);
  const nonZero = podRequests(pod, { nonMissingContainerRequests: NON_MISSING_REQUESTS });
  // Host ports: the app containers' only, as kube-scheduler's NodePorts.
  const hostPorts: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort > 0) hostPorts.push({ protocol: p.protocol || 'TCP', hostIP: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? undefined;
  const nodeSelector = pod.spec?.nodeSelector;
  const otherRequests = Object.entries(requests)
    .filter(([name, amount]) => name !== 'cpu' && name !== 'memory' && amount > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    pod,
    key: keyOf(pod.metadata),
    uid: pod.metadata?.uid ?? '',
    requests,
    cpu: requests.cpu ?? 0,
    memory: requests.memory ?? 0,
    otherRequests,
    nonZeroCpu: nonZero.cpu ?? 0,
    nonZeroMemory: nonZero.memory ?? 0,
    hostPorts,
    ownerUid: owner?.uid ?? '',
    nodeSelector: nodeSelector && Object.keys(nodeSelector).length ? nodeSelector : undefined,
    tolerations: tolerationsOf(pod),
    requiredAffinity: requiredAffinity(pod),
    preferredAffinity: preferredAffinity(pod),
  };
}

/** The pod's required node affinity, if any. */
export function requiredAffinity(pod: Readonly<Pod>): NodeSelector | undefined {
  return pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
}

/** The pod's preferred node affinity terms. */
export function preferredAffinity(pod: Readonly<Pod>): readonly PreferredSchedulingTerm[] {
  return pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
}

/** The pod's tolerations. */
export function tolerationsOf(pod: Readonly<Pod>): readonly Toleration[] {
  return pod.spec?.tolerations ?? [];
}
