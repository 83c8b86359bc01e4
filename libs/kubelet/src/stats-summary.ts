/**
 * The Summary rpc's answer (proto skiff.node.v1.StatsSummary, Kubernetes' /stats/summary) from
 * the collector's snapshot (pure).
 */
import { CPUStats, MemoryStats, StatsSummary, type Duration } from '@skiff/api';
import type { UsageFigures } from './pod-usage';
import type { UsageSnapshot } from './resource-metrics-collector';

/** Milliseconds as a protobuf Duration. */
export function durationOfMs(ms: number): Duration {
  const whole = Math.floor(ms);
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}

function cpuOf(f: Readonly<UsageFigures>): CPUStats {
  return { time: f.time, usageNanoCores: f.usageNanoCores, usageCoreNanoSeconds: f.usageCoreNanoSeconds, window: durationOfMs(f.windowMs) };
}

function memoryOf(f: Readonly<UsageFigures>): MemoryStats {
  return { time: f.time, workingSetBytes: f.workingSetBytes };
}

/** The summary of node `nodeName` from `snapshot`; no node figures until the collector has them. */
export function statsSummary(nodeName: string, snapshot: Readonly<UsageSnapshot>, resolutionMs: number): StatsSummary {
  const { node } = snapshot;
  return StatsSummary.fromPartial({
    node: { nodeName, cpu: node && cpuOf(node), memory: node && memoryOf(node) },
    pods: snapshot.pods.map((p) => ({
      podRef: { namespace: p.pod.namespace, name: p.pod.name, uid: p.pod.uid },
      containers: p.containers.map((c) => ({ name: c.name, cpu: cpuOf(c), memory: memoryOf(c) })),
      cpu: cpuOf(p.total),
      memory: memoryOf(p.total),
    })),
    resolution: durationOfMs(resolutionMs),
  });
}
