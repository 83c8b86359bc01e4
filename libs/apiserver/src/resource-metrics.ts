/**
 * PodMetrics and NodeMetrics (metrics.k8s.io) from what kubelets report in their Summary (pure),
 * as metrics-server builds them: usage {cpu, memory} as quantities, the sample's time as
 * timestamp, the CPU rate's window as window.
 */
import { ContainerMetrics, NodeMetrics, PodMetrics, type CPUStats, type MemoryStats, type Node, type NodeStats, type Pod, type PodStats } from '@skiff/api';
import { formatMemoryBytes, formatNanoCores } from './metrics-quantities';

/** usage {cpu, memory} of one CPU and memory reading. */
export function usageOf(cpu: Readonly<CPUStats> | undefined, memory: Readonly<MemoryStats> | undefined): Record<string, string> {
  return { cpu: formatNanoCores(cpu?.usageNanoCores ?? 0), memory: formatMemoryBytes(memory?.workingSetBytes ?? 0) };
}

/** The pod's metrics from its kubelet's PodStats (which the caller matched by uid). */
export function podMetricsOf(pod: Readonly<Pod>, stats: Readonly<PodStats>): PodMetrics {
  return PodMetrics.fromPartial({
    metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, labels: { ...(pod.metadata?.labels ?? {}) } },
    timestamp: stats.cpu?.time,
    window: stats.cpu?.window,
    containers: stats.containers.map((c) => ContainerMetrics.fromPartial({ name: c.name, usage: usageOf(c.cpu, c.memory) })),
  });
}

/** The node's metrics from its kubelet's NodeStats; undefined while the kubelet has no CPU rate yet. */
export function nodeMetricsOf(node: Readonly<Node>, stats: Readonly<NodeStats> | undefined): NodeMetrics | undefined {
  if (!stats?.cpu?.time) return undefined;
  return NodeMetrics.fromPartial({
    metadata: { name: node.metadata?.name, labels: { ...(node.metadata?.labels ?? {}) } },
    timestamp: stats.cpu.time,
    window: stats.cpu.window,
    usage: usageOf(stats.cpu, stats.memory),
  });
}
