/**
 * Pod usage as an autoscaler reads it (Kubernetes' HPA metrics client, GetResourceMetric): each
 * pod's containers summed, CPU in millicores (each container's quantity rounded up, as
 * MilliValue), memory in bytes, with the sample's timestamp and window.
 */
import { parseCpuMillis, parseQuantity, type Duration, type PodMetrics } from '@skiff/api';
import type { MetricsOptions, SkiffClient } from './skiff-client';

/** One pod's usage. */
export interface PodResourceUsage {
  cpuMillis: number;
  memoryBytes: number;
  /** When the figures were sampled. */
  timestamp: Date;
  /** The time CPU was averaged over, ms. */
  windowMs: number;
}

/** Milliseconds of a protobuf Duration (0 when absent). */
export function durationMs(duration: Readonly<Duration> | undefined): number {
  return duration ? duration.seconds * 1000 + duration.nanos / 1e6 : 0;
}

/**
 * The pod's usage summed over its containers, or over the one named `container` (undefined when
 * the pod has no such container, as the HPA's container resource metrics). Malformed quantities
 * throw a plain Error (the apiserver never sends them).
 */
export function podResourceUsage(metrics: Readonly<PodMetrics>, container?: string): PodResourceUsage | undefined {
  const containers = container === undefined ? metrics.containers : metrics.containers.filter((c) => c.name === container);
  if (container !== undefined && !containers.length) return undefined;
  return {
    cpuMillis: containers.reduce((n, c) => n + parseCpuMillis(c.usage.cpu ?? '0'), 0),
    memoryBytes: containers.reduce((n, c) => n + parseQuantity(c.usage.memory ?? '0'), 0),
    timestamp: metrics.timestamp ?? new Date(0),
    windowMs: durationMs(metrics.window),
  };
}

/**
 * The usage of every pod in `namespace` matching `labelSelector`, by pod name (the autoscaler's
 * question). Pods without metrics are absent from the map; errors are the client's.
 */
export async function podUsageByName(
  client: Pick<SkiffClient, 'podMetrics'>,
  namespace: string,
  labelSelector: string,
  options: MetricsOptions & { container?: string } = {},
): Promise<Map<string, PodResourceUsage>> {
  const list = await client.podMetrics(namespace, labelSelector, options);
  const out = new Map<string, PodResourceUsage>();
  for (const item of list.items) {
    const usage = podResourceUsage(item, options.container);
    if (usage && item.metadata?.name) out.set(item.metadata.name, usage);
  }
  return out;
}
