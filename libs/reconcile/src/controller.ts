/**
 * The controller runtime (sample-controller's loop, controller-runtime's contract): informer
 * handlers only enqueue keys; workers take a key, call the reconciler, and act on its answer.
 *
 *   informer change ─map─> key ─> WorkQueue ─get─> reconcile(key, signal)
 *                                     ^              │ returns           -> forget (done)
 *                                     │              │ { requeueAfterMs }-> forget, add after the delay
 *                                     └──────────────┤ throws            -> add rate-limited (backoff)
 *                                                    │ TerminalError     -> forget, logged, no retry
 *
 * The reconciler gets no event type: the same code runs for create, update, delete and resync,
 * reading the current state from the informers' caches. Workers start only after every watched
 * informer has synced. A key is never reconciled by two workers at once. Each reconcile is
 * bounded by `timeoutMs` (its signal aborts then, or when the controller stops).
 */
import { WorkQueue, type Informer, type WorkQueueOptions } from '@skiff/client';
import { keyOf, type KindCase, type ObjectOf } from '@skiff/api';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { controllerMetrics, type ControllerMetrics } from './controller-metrics';

/** What a reconcile asks for besides "done". */
export interface ReconcileResult {
  /** Reconcile this key again after this long (a timed wait, e.g. minReadySeconds). */
  requeueAfterMs?: number;
}

/** Reconciles one key; throws to be retried with backoff. */
export type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileResult | void>;

/** An error a retry cannot fix (logged once, the key is not retried until it changes again). */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}

export interface ControllerOptions {
  /** Names the controller in logs and metrics: 'replicaset', 'deployment', ... */
  name: string;
  reconcile: Reconcile;
  /** Concurrent workers; 1. (Keys are never processed twice at once regardless.) */
  workers?: number;
  /** Per-reconcile deadline; 60 s. */
  timeoutMs?: number;
  queue?: WorkQueueOptions;
  log?: Logger;
  /** Registers skiff_controller_* metrics here. */
  registry?: Registry;
}

/** Keys an object maps to: its own key, an owner's key, or none. */
export type KeyMapper<T> = (object: Readonly<T>) => Iterable<string> | string | undefined;

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly log: Logger;
  private readonly informers: Informer<KindCase>[] = [];
  private readonly metrics?: ControllerMetrics;

  constructor(private readonly options: ControllerOptions) {
    this.name = options.name;
    this.queue = new WorkQueue(options.queue);
    this.log = (options.log ?? pino({ level: 'silent' })).child({ controller: options.name });
    if (options.registry) this.metrics = controllerMetrics(options.registry);
    this.metrics?.track(this);
  }

  /**
   * Enqueues the keys `map` gives for every change of `informer` (default: the object's own
   * key). On an update both the old and the new object's keys are enqueued (a pod whose labels
   * changed concerns its old and its new owner).
   */
  watch<C extends KindCase>(informer: Informer<C>, map?: KeyMapper<ObjectOf<C>>): this {
    const toKeys = map ?? ((o: Readonly<ObjectOf<C>>) => keyOf(o.metadata));
    const enqueue = (object: Readonly<ObjectOf<C>>) => {
      const keys = toKeys(object);
      if (keys === undefined) return;
      if (typeof keys === 'string') this.queue.add(keys);
      else for (const key of keys) this.queue.add(key);
    };
    informer.addHandler({
      onAdd: enqueue,
      onUpdate: (old, object) => {
        if (old !== object) enqueue(old);
        enqueue(object);
      },
      onDelete: enqueue,
    });
    this.informers.push(informer as unknown as Informer<KindCase>);
    return this;
  }

  /** Queues a key by hand (e.g. from a timer or another controller). */
  enqueue(key: string, afterMs = 0): void {
    if (afterMs > 0) this.queue.addAfter(key, afterMs);
    else this.queue.add(key);
  }

  /**
   * Waits for the watched informers to sync, then runs the workers until `signal` aborts;
   * resolves when every worker has finished its current reconcile.
   */
  async start(signal: AbortSignal): Promise<void> {
    const onAbort = () => this.queue.shutDown();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      try {
        await Promise.all(this.informers.map((i) => i.synced(signal)));
      } catch {
        return; // stopped before the caches synced
      }
      this.log.info({ workers: this.options.workers ?? 1 }, 'controller started');
      await Promise.all(Array.from({ length: this.options.workers ?? 1 }, () => this.worker(signal)));
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.queue.shutDown();
    }
  }

  private async worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get(signal);
      if (key === undefined || signal.aborted) {
        if (key !== undefined) this.queue.done(key);
        return;
      }
      try {
        await this.processKey(key, signal);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async processKey(key: string, signal: AbortSignal): Promise<void> {
    const bounded = new AbortController();
    const onAbort = () => bounded.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => bounded.abort(new Error(`reconcile of ${key} timed out`)), this.options.timeoutMs ?? 60_000);
    const started = performance.now();
    let result: ReconcileResult | void;
    try {
      result = await this.options.reconcile(key, bounded.signal);
      this.metrics?.observe(this.name, 'success', performance.now() - started);
      this.queue.forget(key);
      if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof TerminalError) {
        this.metrics?.observe(this.name, 'terminal', performance.now() - started);
        this.queue.forget(key);
        this.log.error({ key, err }, 'reconcile failed for good');
        return;
      }
      this.metrics?.observe(this.name, 'error', performance.now() - started);
      const retries = this.queue.numRequeues(key);
      this.log[retries >= 3 ? 'warn' : 'debug']({ key, retries, err: summary(err) }, 'reconcile failed; retrying');
      this.queue.addRateLimited(key);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }
}

function summary(err: unknown): unknown {
  return err instanceof Error ? { name: err.name, message: err.message } : err;
}
