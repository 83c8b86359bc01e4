import type { WatchMessage } from './watch-subscription';

/** For tests: collects a subscription's messages in the background; `error` holds how it ended, if it threw. */
export function collect(iterable: AsyncIterable<WatchMessage>) {
  const out = { messages: [] as WatchMessage[], error: undefined as unknown, done: false };
  void (async () => {
    try {
      for await (const m of iterable) out.messages.push(m);
    } catch (err) {
      out.error = err;
    } finally {
      out.done = true;
    }
  })();
  return out;
}
