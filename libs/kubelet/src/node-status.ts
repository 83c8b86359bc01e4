/**
 * The Node object a kubelet registers and keeps fresh, computed without I/O: capacity from the
 * runtime's view of the host (or flags, for hollow nodes), allocatable = capacity minus the
 * system reservation, Kubernetes' well-known labels, addresses, the kubelet endpoint, nodeInfo
 * and the Ready condition with its heartbeat. The heartbeat Lease is built here too.
 */
import { ObjectMeta, formatCpuMillis, parseCpuMillis, parseQuantity, type Condition, type Lease, type Node, type NodeStatus, type Taint } from '@skiff/api';
import type { RuntimeInfo } from '@skiff/runtime';

/** The namespace of the nodes' heartbeat Leases (Kubernetes' kube-node-lease). */
export const NODE_LEASE_NAMESPACE = 'skiff-node-lease';
/** How long a Lease holds without renewal (Kubernetes' default 40 s). */
export const NODE_LEASE_DURATION_SECONDS = 40;
export const KUBELET_VERSION = 'skiff-kubelet/0.1.0';

/** Capacity the flags set instead of the host's. */
export interface CapacityOverrides {
  /** "4", "500m" */
  cpu?: string;
  /** "8Gi" */
  memory?: string;
  pods?: number;
}

/** Resources kept for the system (--system-reserved cpu=...,memory=...). */
export interface SystemReserved {
  cpu?: string;
  memory?: string;
}

/** What buildNodeStatus needs. */
export interface NodeParams {
  nodeName: string;
  nodeIP: string;
  hostname: string;
  kubeletPort: number;
  runtime: RuntimeInfo;
  capacity?: CapacityOverrides;
  systemReserved?: SystemReserved;
  /** --node-labels: set at registration only, over the well-known labels (as Kubernetes). */
  labels?: Readonly<Record<string, string>>;
  /** --register-with-taints: set at registration only. */
  taints?: readonly Taint[];
  /** Annotations the kubelet keeps on its Node (skiff.io/local-storage-path), set at every registration. */
  annotations?: Readonly<Record<string, string>>;
}

/** Capacity as the Node reports it: cpu in cores or millicores, memory in Ki (as the kubelet does), pods. */
export function nodeCapacity(runtime: RuntimeInfo, overrides: CapacityOverrides = {}): Record<string, string> {
  return {
    cpu: overrides.cpu ?? String(runtime.cpus),
    memory: overrides.memory ?? `${Math.floor(runtime.memoryBytes / 1024)}Ki`,
    pods: String(overrides.pods ?? 110),
  };
}

/** Capacity minus the reservation, never below zero. */
export function nodeAllocatable(capacity: Readonly<Record<string, string>>, reserved: SystemReserved = {}): Record<string, string> {
  const cpu = Math.max(0, parseCpuMillis(capacity['cpu'] ?? '0') - (reserved.cpu ? parseCpuMillis(reserved.cpu) : 0));
  const memory = Math.max(0, parseQuantity(capacity['memory'] ?? '0') - (reserved.memory ? parseQuantity(reserved.memory) : 0));
  return {
    cpu: formatCpuMillis(cpu),
    memory: memory % 1024 === 0 ? `${memory / 1024}Ki` : String(Math.floor(memory)),
    pods: capacity['pods'] ?? '110',
  };
}

/** Kubernetes' well-known node labels. */
export function nodeLabels(params: Pick<NodeParams, 'nodeName' | 'runtime'>): Record<string, string> {
  return {
    'kubernetes.io/hostname': params.nodeName,
    'kubernetes.io/os': params.runtime.os || 'linux',
    'kubernetes.io/arch': params.runtime.arch || 'amd64',
  };
}

/**
 * The node's status: Ready=True heartbeating at `now`; lastTransitionTime kept from `old` while
 * it stays Ready. Images are not reported.
 */
export function buildNodeStatus(params: NodeParams, now: Date, old?: Readonly<NodeStatus>): NodeStatus {
  const capacity = nodeCapacity(params.runtime, params.capacity);
  const previous = old?.conditions?.find((c) => c.type === 'Ready');
  const ready: Condition = {
    type: 'Ready',
    status: 'True',
    lastTransitionTime: previous?.status === 'True' && previous.lastTransitionTime ? previous.lastTransitionTime : now,
    lastHeartbeatTime: now,
    lastUpdateTime: undefined,
    lastProbeTime: undefined,
    reason: 'KubeletReady',
    message: 'kubelet is posting ready status',
  };
  return {
    capacity,
    allocatable: nodeAllocatable(capacity, params.systemReserved),
    conditions: [ready],
    addresses: [
      { type: 'InternalIP', address: params.nodeIP },
      { type: 'Hostname', address: params.hostname },
    ],
    nodeInfo: {
      machineID: '',
      kernelVersion: params.runtime.kernelVersion,
      osImage: params.runtime.osImage,
      containerRuntimeVersion: params.runtime.version,
      kubeletVersion: KUBELET_VERSION,
      operatingSystem: params.runtime.os,
      architecture: params.runtime.arch,
    },
    daemonEndpoints: { kubeletEndpoint: { port: params.kubeletPort } },
    images: [],
  };
}

/**
 * A new Node object for registration: the well-known labels with the --node-labels over them,
 * and the --register-with-taints.
 */
export function buildNode(params: NodeParams, now: Date): Node {
  return {
    metadata: ObjectMeta.fromPartial({ name: params.nodeName, labels: { ...nodeLabels(params), ...params.labels }, annotations: { ...params.annotations } }),
    spec: { unschedulable: false, taints: (params.taints ?? []).map((t) => ({ ...t })), podCIDR: '' },
    status: buildNodeStatus(params, now),
  };
}

/** The node's heartbeat Lease renewed at `now`. */
export function buildNodeLease(nodeName: string, now: Date, old?: Readonly<Lease>): Lease {
  return {
    metadata: ObjectMeta.fromPartial({ ...(old?.metadata ?? {}), name: nodeName, namespace: NODE_LEASE_NAMESPACE }),
    spec: {
      holderIdentity: nodeName,
      leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS,
      acquireTime: old?.spec?.acquireTime ?? now,
      renewTime: now,
      leaseTransitions: old?.spec?.leaseTransitions ?? 0,
    },
  };
}
