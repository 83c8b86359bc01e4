/**
 * Runs `fn` over `items` with at most `limit` calls in flight (the garbage collector orphans
 * many dependents of one owner at once, as Kubernetes does, without flooding the apiserver).
 * Resolves when every call succeeded; otherwise rejects with the first error once the calls
 * already started have settled (no new call starts after a failure).
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async () => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure) throw failure.err;
}
