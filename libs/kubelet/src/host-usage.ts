/**
 * The whole machine's usage, as Kubernetes reports a node (its root cgroup): CPU time from the
 * "cpu" line of /proc/stat (everything but idle and iowait), working set from /proc/meminfo
 * (MemTotal - MemFree - Inactive(file), the root cgroup's usage minus its inactive file cache).
 * Only right when the node has the machine to itself (see the kubelet's --node-usage).
 */
import { readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc/stat (USER_HZ, 100 on every Linux architecture Node runs on). */
const USER_HZ = 100;

/** A reading of the machine's counters. */
export interface HostSample {
  /** CPU time used by all processes so far, ns. */
  cpuUsageNanos: number;
  memoryWorkingSetBytes: number;
  timestamp: Date;
}

/** Busy CPU time in ns from /proc/stat: user + nice + system + irq + softirq + steal of the "cpu" line. */
export function parseProcStatCpuNanos(text: string): number {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat: no "cpu" line');
  const [user, nice, system, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1e9) / USER_HZ;
}

/** Working set from /proc/meminfo (kB values): MemTotal - MemFree - Inactive(file), in bytes. */
export function parseMeminfoWorkingSet(text: string): number {
  const kb: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^([^:]+):\s+(\d+)/.exec(line);
    if (match) kb[match[1]] = Number(match[2]);
  }
  if (kb.MemTotal === undefined || kb.MemFree === undefined) throw new Error('/proc/meminfo: no MemTotal or MemFree');
  return Math.max(0, kb.MemTotal - kb.MemFree - (kb['Inactive(file)'] ?? 0)) * 1024;
}

/** Reads the machine's counters now. Rejects when /proc is unreadable or malformed. */
export async function readHostUsage(): Promise<HostSample> {
  const [stat, meminfo] = await Promise.all([readFile('/proc/stat', 'utf8'), readFile('/proc/meminfo', 'utf8')]);
  return { cpuUsageNanos: parseProcStatCpuNanos(stat), memoryWorkingSetBytes: parseMeminfoWorkingSet(meminfo), timestamp: new Date() };
}
