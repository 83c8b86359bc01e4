/**
 * The kubelet's resource metrics (Kubernetes: cAdvisor's housekeeping feeding the Summary API):
 * every `resolution` one pass samples every running app container of the node
 * (runtime.listContainerStats: one listing and each container's cgroup files) and, from the
 * previous pass, computes CPU rates (pod-usage.ts). The latest figures are kept for the Summary
 * rpc, which never touches the runtime itself, so asking is cheap and the cost of collection does
 * not grow with the number of callers.
 *
 * Node figures (`nodeUsage`):
 *   'pods'    (default) the sum of this node's pod containers. Honest when several kubelets share
 *             a machine (development clusters, hollow nodes): each node shows what its pods use,
 *             not the machine's total several times over. The kubelet itself and other processes
 *             on the machine are not counted.
 *   'machine' the whole machine (/proc/stat, /proc/meminfo), as Kubernetes reports a node: for a
 *             kubelet that has its machine to itself.
 *
 *   pass n-1 ──samples──┐
 *   pass n   ──samples──┴─> podUsages ─> snapshot {node, pods}  <── Summary rpc reads it
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerRuntime, ContainerStatsSample } from '@skiff/runtime';
import type { Logger } from '@skiff/service';
import { cpuRate } from './cpu-rate';
import { readHostUsage, type HostSample } from './host-usage';
import { podUsages, type PodUsage, type UsageFigures } from './pod-usage';

/** What node figures stand for; see the module comment. */
export type NodeUsageSource = 'pods' | 'machine';

/** Parses --node-usage; throws a plain Error naming the accepted values. */
export function parseNodeUsageSource(value: string): NodeUsageSource {
  if (value === 'pods' || value === 'machine') return value;
  throw new Error(`invalid --node-usage "${value}": must be pods or machine`);
}

/** Kubernetes' default housekeeping interval. */
export const DEFAULT_METRICS_RESOLUTION_MS = 10_000;

export interface ResourceMetricsCollectorOptions {
  runtime: ContainerRuntime;
  /** Time between passes; default DEFAULT_METRICS_RESOLUTION_MS. */
  resolutionMs?: number;
  /** Default 'pods'. */
  nodeUsage?: NodeUsageSource;
  /** The machine's counters (for 'machine'); default readHostUsage. */
  readHost?: () => Promise<HostSample>;
  /** The clock for pass times; default the system's. */
  now?: () => Date;
  log: Logger;
}

/** The latest figures: the node's (once two passes were made) and its pods'. */
export interface UsageSnapshot {
  node?: UsageFigures;
  pods: PodUsage[];
}

/** Collects resource usage; see the module comment. */
export class ResourceMetricsCollector {
  readonly resolutionMs: number;
  private readonly nodeUsage: NodeUsageSource;
  private previous = new Map<string, ContainerStatsSample>();
  private previousPass?: Date;
  private previousHost?: HostSample;
  private snapshot: UsageSnapshot = { pods: [] };

  constructor(private readonly options: ResourceMetricsCollectorOptions) {
    this.resolutionMs = options.resolutionMs ?? DEFAULT_METRICS_RESOLUTION_MS;
    this.nodeUsage = options.nodeUsage ?? 'pods';
  }

  /** The latest figures (empty before the second pass). */
  latest(): UsageSnapshot {
    return this.snapshot;
  }

  /**
   * One pass: samples every running container (and the machine, for 'machine'), replaces the
   * snapshot and returns it. Rejects when the runtime cannot list; the snapshot then stays.
   */
  async collect(signal?: AbortSignal): Promise<UsageSnapshot> {
    const passAt = this.options.now?.() ?? new Date();
    const samples = await this.options.runtime.listContainerStats(signal);
    const pods = podUsages(this.previous, samples);
    this.previous = new Map(samples.map((s) => [s.id, s]));
    const node = this.nodeUsage === 'machine' ? await this.machineUsage() : this.podsTotal(samples, pods, passAt);
    this.previousPass = passAt;
    this.snapshot = { node, pods };
    return this.snapshot;
  }

  /**
   * Runs a pass every resolution until `signal` aborts (the first at once); a failed pass is
   * logged and the next one comes as planned. Resolves once stopped.
   */
  async start(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = Date.now();
      try {
        await this.collect(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.options.log.warn({ err }, 'resource metrics collection failed');
      }
      const wait = Math.max(0, this.resolutionMs - (Date.now() - started));
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }

  /** 'pods': rated containers' CPU, every container's memory, over the time since the last pass. */
  private podsTotal(samples: readonly ContainerStatsSample[], pods: readonly PodUsage[], passAt: Date): UsageFigures | undefined {
    if (!this.previousPass) return undefined;
    return {
      time: passAt,
      usageNanoCores: pods.reduce((n, p) => n + p.total.usageNanoCores, 0),
      usageCoreNanoSeconds: samples.reduce((n, s) => n + s.cpuUsageNanos, 0),
      windowMs: passAt.getTime() - this.previousPass.getTime(),
      workingSetBytes: samples.reduce((n, s) => n + s.memoryWorkingSetBytes, 0),
    };
  }

  /** 'machine': the host's counters against the previous pass's; undefined when unreadable or first. */
  private async machineUsage(): Promise<UsageFigures | undefined> {
    let host: HostSample;
    try {
      host = await (this.options.readHost ?? readHostUsage)();
    } catch (err) {
      this.options.log.warn({ err }, 'reading the machine usage failed');
      return undefined;
    }
    const before = this.previousHost;
    this.previousHost = host;
    const rate = before && cpuRate(before, host);
    if (!rate) return undefined;
    return { time: host.timestamp, usageNanoCores: rate.nanoCores, usageCoreNanoSeconds: host.cpuUsageNanos, windowMs: rate.windowMs, workingSetBytes: host.memoryWorkingSetBytes };
  }
}
