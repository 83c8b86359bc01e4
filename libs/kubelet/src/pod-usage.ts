/**
 * One collection pass turned into per-pod figures (pure): each running app container's CPU rate
 * since its sample of the previous pass (cpu-rate.ts) and its working set now, summed per pod.
 * A pod is reported only when every running container of it has a rate (metrics-server leaves out
 * pods with incomplete metrics, so that an autoscaler never sees half a pod); a container first
 * seen in this pass gets its rate in the next one.
 */
import type { ContainerStatsSample, PodRef } from '@skiff/runtime';
import { cpuRate } from './cpu-rate';

/** Usage over a window: CPU as a rate, memory at the end of it. */
export interface UsageFigures {
  /** When the (later) sample was taken. */
  time: Date;
  /** Average CPU over the window, billionths of a core. */
  usageNanoCores: number;
  /** Cumulative CPU time, ns. */
  usageCoreNanoSeconds: number;
  windowMs: number;
  workingSetBytes: number;
}

export interface ContainerUsage extends UsageFigures {
  /** The container's name in the pod spec. */
  name: string;
}

export interface PodUsage {
  pod: PodRef;
  /** By container name. */
  containers: ContainerUsage[];
  /** The sum of the containers' (time and window: the latest and the longest). */
  total: UsageFigures;
}

/** The sum of figures taken in one pass; undefined for none. */
export function sumUsage(figures: readonly UsageFigures[]): UsageFigures | undefined {
  if (!figures.length) return undefined;
  return {
    time: new Date(Math.max(...figures.map((f) => f.time.getTime()))),
    usageNanoCores: figures.reduce((n, f) => n + f.usageNanoCores, 0),
    usageCoreNanoSeconds: figures.reduce((n, f) => n + f.usageCoreNanoSeconds, 0),
    windowMs: Math.max(...figures.map((f) => f.windowMs)),
    workingSetBytes: figures.reduce((n, f) => n + f.workingSetBytes, 0),
  };
}

/**
 * The pods' usage from this pass's `samples` and the previous pass's (by container id), ordered
 * by namespace and name; see the module comment for which pods are left out.
 */
export function podUsages(previous: ReadonlyMap<string, ContainerStatsSample>, samples: readonly ContainerStatsSample[]): PodUsage[] {
  const byPod = new Map<string, { pod: PodRef; containers: ContainerUsage[]; complete: boolean }>();
  for (const sample of samples) {
    let entry = byPod.get(sample.pod.uid);
    if (!entry) byPod.set(sample.pod.uid, (entry = { pod: sample.pod, containers: [], complete: true }));
    const before = previous.get(sample.id);
    const rate = before && cpuRate(before, sample);
    if (!rate) {
      entry.complete = false;
      continue;
    }
    entry.containers.push({
      name: sample.name,
      time: sample.timestamp,
      usageNanoCores: rate.nanoCores,
      usageCoreNanoSeconds: sample.cpuUsageNanos,
      windowMs: rate.windowMs,
      workingSetBytes: sample.memoryWorkingSetBytes,
    });
  }
  const out: PodUsage[] = [];
  for (const { pod, containers, complete } of byPod.values()) {
    if (!complete) continue;
    containers.sort((a, b) => a.name.localeCompare(b.name));
    out.push({ pod, containers, total: sumUsage(containers)! });
  }
  return out.sort((a, b) => a.pod.namespace.localeCompare(b.pod.namespace) || a.pod.name.localeCompare(b.pod.name));
}
