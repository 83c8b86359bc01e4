/**
 * Kubernetes' slowStartBatch: call `fn` `count` times in batches of `initialBatchSize`, then twice
 * as many each batch (1, 2, 4, ...), the calls of a batch running concurrently. After a batch in
 * which any call failed no further batch starts, so a template the apiserver rejects costs one
 * call, not hundreds.
 */

export interface BatchResult {
  /** Calls that resolved. */
  successes: number;
  /** The first error of the failed batch, if any. */
  error?: unknown;
}

/** Never rejects: failures are reported in the result. */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<BatchResult> {
  let remaining = count;
  let successes = 0;
  for (let size = Math.min(remaining, Math.max(1, initialBatchSize)); size > 0; size = Math.min(2 * size, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: size }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += size - failed.length;
    if (failed.length > 0) return { successes, error: failed[0].reason };
    remaining -= size;
  }
  return { successes };
}
