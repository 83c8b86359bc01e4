/** Waiting on a watch, for the benchmarks. */
/**
 * Resolves when `done()` holds for the objects a watch shows (checked on every event, by name);
 * rejects after `timeoutMs` or when the watch ends first.
 */
export async function watchUntil<T extends { metadata?: { name?: string } }>(
  events: (signal: AbortSignal) => AsyncIterable<{ type: string; object: T }>,
  done: (objects: ReadonlyMap<string, T>) => boolean,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new Error(`${what}: not done after ${timeoutMs} ms`)), timeoutMs);
  const objects = new Map<string, T>();
  try {
    for await (const ev of events(stop.signal)) {
      const name = ev.object.metadata?.name ?? '';
      if (ev.type === 'DELETED') objects.delete(name);
      else objects.set(name, ev.object);
      if (done(objects)) return;
    }
    throw stop.signal.reason ?? new Error(`${what}: the watch ended`);
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}
