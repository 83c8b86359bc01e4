/**
 * CPU usage as a rate, from two samples of a cumulative counter (as metrics-server and cAdvisor
 * compute it): (used2 - used1) / (t2 - t1), in billionths of a core, over the window t2 - t1.
 */

/** A reading of a cumulative CPU counter. */
export interface CpuSample {
  /** CPU time used so far, ns. */
  cpuUsageNanos: number;
  timestamp: Date;
}

/** The average rate between two samples. */
export interface CpuRate {
  /** Average use over the window, in billionths of a core (1e9 = one core busy). */
  nanoCores: number;
  windowMs: number;
}

/**
 * The rate from `previous` to `current`; undefined when no time passed between them or the
 * counter went backwards (a different process, e.g. a restarted container), as metrics-server
 * drops such pairs.
 */
export function cpuRate(previous: Readonly<CpuSample>, current: Readonly<CpuSample>): CpuRate | undefined {
  const windowMs = current.timestamp.getTime() - previous.timestamp.getTime();
  const used = current.cpuUsageNanos - previous.cpuUsageNanos;
  if (windowMs <= 0 || used < 0) return undefined;
  return { nanoCores: Math.round((used * 1_000) / windowMs), windowMs };
}
