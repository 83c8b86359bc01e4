/** Small builders of Nodes and Pods for the scheduler's unit tests. */
import { Node, Pod, type Affinity, type Taint, type Toleration } from '@skiff/api';
import { nodeInfoOf, type NodeInfo } from './framework/node-info';
import { podInfoOf, type PodInfo } from './framework/pod-info';

export interface NodeSpecLite {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Partial<Taint>[];
  unschedulable?: boolean;
  ready?: 'True' | 'False' | 'Unknown' | null;
}

export function node(name: string, o: NodeSpecLite = {}): Node {
  const allocatable: Record<string, string> = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
  return Node.fromPartial({
    metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { unschedulable: o.unschedulable ?? false, taints: o.taints ?? [] },
    status: { capacity: allocatable, allocatable, conditions: o.ready === null ? [] : [{ type: 'Ready', status: o.ready ?? 'True' }] },
  });
}

export interface PodSpecLite {
  cpu?: string;
  memory?: string;
  /** More containers, each with these requests. */
  containers?: { cpu?: string; memory?: string; hostPort?: number; hostIP?: string; protocol?: string }[];
  /** Init containers in order, each with these requests; `sidecar` makes it restartPolicy Always. */
  initContainers?: { cpu?: string; memory?: string; sidecar?: boolean }[];
  nodeSelector?: Record<string, string>;
  tolerations?: Partial<Toleration>[];
  owner?: string;
  hostPort?: number;
  nodeName?: string;
  affinity?: Affinity;
  priority?: number;
  schedulerName?: string;
  uid?: string;
}

export function pod(name: string, o: PodSpecLite = {}): Pod {
  const requests = (c: { cpu?: string; memory?: string }) => ({ ...(c.cpu ? { cpu: c.cpu } : {}), ...(c.memory ? { memory: c.memory } : {}) });
  const containers = [
    { name: 'app', image: 'busybox', resources: { requests: requests(o), limits: {} }, ports: o.hostPort ? [{ containerPort: 80, hostPort: o.hostPort, protocol: 'TCP' }] : [] },
    ...(o.containers ?? []).map((c, i) => ({
      name: `c${i}`,
      image: 'busybox',
      resources: { requests: requests(c), limits: {} },
      ports: c.hostPort ? [{ containerPort: 80, hostPort: c.hostPort, hostIP: c.hostIP ?? '', protocol: c.protocol ?? 'TCP' }] : [],
    })),
  ];
  const initContainers = (o.initContainers ?? []).map((c, i) => ({
    name: `init${i}`,
    image: 'busybox',
    resources: { requests: requests(c), limits: {} },
    ...(c.sidecar ? { restartPolicy: 'Always' } : {}),
  }));
  return Pod.fromPartial({
    metadata: {
      name,
      namespace: 'default',
      uid: o.uid ?? `uid-${name}`,
      resourceVersion: '1',
      ownerReferences: o.owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: `uid-${o.owner}`, controller: true }] : [],
    },
    spec: {
      containers,
      initContainers,
      nodeSelector: o.nodeSelector ?? {},
      tolerations: o.tolerations ?? [],
      nodeName: o.nodeName ?? '',
      affinity: o.affinity,
      priority: o.priority ?? 0,
      schedulerName: o.schedulerName ?? 'default-scheduler',
    },
    status: { phase: 'Pending' },
  });
}

export function podInfo(name: string, o: PodSpecLite = {}): PodInfo {
  return podInfoOf(pod(name, o));
}

/** A NodeInfo with the given pods placed on it. */
export function nodeInfo(name: string, o: NodeSpecLite = {}, pods: PodInfo[] = []): NodeInfo {
  return nodeInfoOf(node(name, o), pods);
}
