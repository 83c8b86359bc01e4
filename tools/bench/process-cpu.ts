/** CPU time of processes and of the machine, for benchmarks that say where the cycles went. */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/** The line every benchmark starts with: the 1-minute load average against the CPU count. */
export function machineLoadLine(): string {
  return `machine load average (1 min) before the run: ${(loadavg()[0] ?? 0).toFixed(2)} on ${availableParallelism()} CPUs (other work on the machine skews every figure)`;
}

/** A meter of the whole machine: the returned function gives its busy fraction (0-1) since, from /proc/stat. */
export function machineBusy(): () => number {
  const read = () => {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  const before = read();
  return () => {
    const after = read();
    return 1 - (after.idle - before.idle) / Math.max(1, after.total - before.total);
  };
}

/** CPU time (user + system) the process has used so far, in ms, from /proc/<pid>/stat (Linux). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** CPU time of this process (user + system), in ms. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * A meter over named processes: `start()` records their CPU now; the returned `stop()` gives the
 * CPU each used since, in ms (a process that exited in between counts as NaN). `self` names this
 * process.
 */
export function cpuMeter(pids: Readonly<Record<string, number | 'self'>>): { start(): () => Record<string, number> } {
  const read = (pid: number | 'self') => {
    try {
      return pid === 'self' ? ownCpuMs() : cpuMs(pid);
    } catch {
      return NaN;
    }
  };
  return {
    start() {
      const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, read(pid)]));
      return () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, read(pid) - before[name]]));
    },
  };
}

/** "etcd 1.20, nats 0.40, ..." (ms per operation) and the total. */
export function perOperation(used: Readonly<Record<string, number>>, operations: number): string {
  const parts = Object.entries(used).map(([name, ms]) => `${name} ${(ms / operations).toFixed(3)}`);
  const total = Object.values(used).reduce((a, b) => a + b, 0) / operations;
  return `${parts.join(', ')}; total ${total.toFixed(3)} ms`;
}
