/** Thrown by a waitFor check when waiting longer cannot help (the process it waits for exited): waitFor rethrows it at once. */
export class GiveUp extends Error {}

/**
 * Polls `check` until it returns a truthy value (returned) or the deadline passes (throws with
 * `what` and the last error), or a check throws GiveUp. Use instead of sleeps: tests wait for conditions, never for time.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
