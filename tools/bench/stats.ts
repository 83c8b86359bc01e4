/** Small helpers for benchmark figures. */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function summarize(samples: readonly number[]): { p50: number; p90: number; p99: number; max: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1], n: sorted.length };
}

/** Runs `task(i)` for i in [0, total) with at most `inFlight` running at once; returns seconds taken. */
export async function runConcurrently(total: number, inFlight: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, worker));
  return (performance.now() - started) / 1000;
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);
