/**
 * The controllers' work queue, with client-go's semantics: it holds keys, not events.
 *
 *   add(k) ──> [dirty + queue] ──get()──> processing ──done(k)──> (re-queued if added meanwhile)
 *
 * - A key is queued at most once however often it is added (de-duplication).
 * - A key being processed is never handed to a second worker: adding it meanwhile marks it dirty
 *   and it is queued again when the worker calls done(key).
 * - addAfter delays an add (the earliest of several delays wins); addRateLimited delays it by the
 *   rate limiter (per-key exponential backoff combined with an overall token bucket); forget
 *   clears the key's backoff after a success.
 * - shutDown stops accepting keys; get() still hands out what is queued, then resolves undefined.
 */
import { realClock, type Clock, type TimerHandle } from './clock';
import { controllerRateLimiter, type ControllerRateLimiterOptions, type RateLimiter } from './rate-limiter';

export interface WorkQueueOptions extends ControllerRateLimiterOptions {
  clock?: Clock;
  /** Replaces the default controller rate limiter. */
  rateLimiter?: RateLimiter;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { at: number; timer: TimerHandle }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private shuttingDown = false;
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? controllerRateLimiter(opts, this.clock);
  }

  /** Keys queued and not yet handed out. */
  get length(): number {
    return this.queue.length;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Queues `key` unless it is already queued; ignored after shutDown. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const getter = this.getters.shift();
    if (getter) this.handOut(key, getter);
    else this.queue.push(key);
  }

  /** Adds `key` after `ms` (now when ms <= 0). A pending earlier add for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.waiting.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.clock.setTimer(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, timer });
  }

  /** Adds `key` after the rate limiter's delay (one more failure counted for it). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Clears the key's failure history (call when it was processed successfully). */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** Failures counted for the key since the last forget. */
  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /**
   * The next key to process, waiting until there is one; undefined once the queue is shut down
   * and empty, or when `signal` aborts. The caller must call done(key) when finished with it.
   */
  get(signal?: AbortSignal): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    if (this.shuttingDown || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const getter = (k: string | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(k);
      };
      const onAbort = () => {
        const i = this.getters.indexOf(getter);
        if (i >= 0) this.getters.splice(i, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.getters.push(getter);
    });
  }

  /**
   * Keys as an async iterable, for a worker loop: `for await (const key of queue.keys(signal))
   * { ...; queue.done(key) }`. Ends at shutdown (once empty) or when the signal aborts.
   */
  async *keys(signal?: AbortSignal): AsyncIterable<string> {
    for (;;) {
      const key = await this.get(signal);
      if (key === undefined) return;
      yield key;
    }
  }

  /** Marks the key as processed; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key)) {
      const getter = this.getters.shift();
      if (getter) this.handOut(key, getter);
      else this.queue.push(key);
    }
    this.checkDrained();
  }

  /** Stops accepting keys and drops delayed adds; waiting get() calls resolve undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.waiting.values()) timer.cancel();
    this.waiting.clear();
    for (const getter of this.getters.splice(0)) getter(undefined);
    this.checkDrained();
  }

  /** shutDown, then resolves when every key handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.checkDrained();
    });
  }

  private take(key: string): string {
    this.processing.add(key);
    this.dirty.delete(key);
    return key;
  }

  private handOut(key: string, getter: (key: string) => void): void {
    getter(this.take(key));
  }

  private checkDrained(): void {
    if (this.shuttingDown && this.processing.size === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
