/**
 * What a hollow container pretends to use, so that scale tests see plausible `top` figures and
 * metrics traffic: a steady CPU rate and a steady working set, by default a fraction of what the
 * container asks for (fixed per container: derived from its id), or what a test sets.
 *
 *   cpu:    10% to 50% of requests.cpu (else limits.cpu, else 100m)
 *   memory: 30% to 70% of requests.memory (else limits.memory, else 64Mi)
 *
 * Cumulative CPU is integrated piecewise, so changing the rate later keeps the counter monotonic.
 */
import { createHash } from 'node:crypto';
import { parseCpuMillis, parseQuantity, type ResourceRequirements } from '@skiff/api';

/** A steady usage. */
export interface HollowUsage {
  /** CPU rate, millicores. */
  cpuMillis: number;
  /** Working set, bytes. */
  memoryBytes: number;
}

/** A running counter of CPU time: `nanos` at time `at` (ms), growing at the usage's rate. */
export interface CpuCounter {
  nanos: number;
  at: number;
}

const DEFAULT_CPU_MILLIS = 100;
const DEFAULT_MEMORY_BYTES = 64 * 2 ** 20;

/** A number in [0, 1) fixed by `seed` (the first 32 bits of its SHA-256). */
function fraction(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0) / 2 ** 32;
}

/** The usage a hollow container with these resources and this id pretends to have (see the module comment). */
export function defaultHollowUsage(resources: Readonly<ResourceRequirements> | undefined, id: string): HollowUsage {
  const cpu = resources?.requests?.cpu ?? resources?.limits?.cpu;
  const memory = resources?.requests?.memory ?? resources?.limits?.memory;
  const cpuBasis = cpu ? parseCpuMillis(cpu) : DEFAULT_CPU_MILLIS;
  const memoryBasis = memory ? parseQuantity(memory) : DEFAULT_MEMORY_BYTES;
  return {
    cpuMillis: Math.round(cpuBasis * (0.1 + 0.4 * fraction(`${id}/cpu`))),
    memoryBytes: Math.round(memoryBasis * (0.3 + 0.4 * fraction(`${id}/memory`))),
  };
}

/** The counter's value at `now` (ms), at `cpuMillis` since counter.at (no time runs backwards). */
export function cpuNanosAt(counter: Readonly<CpuCounter>, cpuMillis: number, now: number): number {
  return counter.nanos + Math.round(cpuMillis * 1_000 * Math.max(0, now - counter.at));
}
