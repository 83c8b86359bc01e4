/**
 * A shared informer (client-go's sense): a local, always-converging cache of one kind, fed by a
 * List from the apiserver and the watch stream on NATS, with handlers and change notifications
 * for controllers. Controllers read only from it; writes go to the apiserver.
 *
 *        ┌────────────── any error: backoff, then again from the top ──────────────┐
 *        v                                                                         │
 *   subscribe (NATS, buffering) ─> List (items, revision R) ─> replace cache ─> apply events
 *                                       synthetic add/update/delete           (skip <= R, gap -> relist)
 *
 * Guarantees: after every cycle the cache equals the List plus every later event, in revision
 * order; an event missed for any reason (NATS restart, consumer lost, publisher gap seen through
 * Skiff-Prev-Revision) causes a relist, never a silent divergence. start() never gives up.
 */
import pino, { type Logger } from 'pino';
import {
  findKind,
  kindOfCase,
  parseFieldSelector,
  parseLabelSelector,
  selectedWatchShard,
  type FieldMatcher,
  type KindCase,
  type KindInfo,
  type LabelMatcher,
  type ObjectOf,
  type WatchEvent,
} from '@skiff/api';
import { objectFilter, shardFilter, subscribeWatch, type BusConnection } from '@skiff/bus';
import { realClock, type Clock, type TimerHandle } from './clock';
import { InformerStore, NAMESPACE_INDEX, type Delta, type IndexFunc } from './informer-store';
import type { SkiffClient } from './skiff-client';
import { unwrapAs } from './typed-client';
import { applyWatchEvent, type ApplierState } from './watch-applier';

export interface InformerHandler<T> {
  onAdd?(object: Readonly<T>): void;
  /** Also called with old === object on a periodic resync. */
  onUpdate?(old: Readonly<T>, object: Readonly<T>): void;
  onDelete?(old: Readonly<T>): void;
}

export interface InformerOptions<C extends KindCase> {
  client: SkiffClient;
  bus: BusConnection;
  /** The kind: its oneof case ('pod') or its KindInfo (at run time any name findKind knows also works). */
  resource: C | KindInfo<C>;
  /** Only objects of this namespace; empty: all. */
  namespace?: string;
  labelSelector?: string;
  /** A selector pinning the kind's watch-shard field (`spec.nodeName=<node>`) also narrows the NATS consumer to that shard. */
  fieldSelector?: string;
  /**
   * Only the object of this name (in `namespace`; Kubernetes' per-object reflector with
   * `metadata.name=<name>`): the List selects it by name and the NATS consumer filters on its
   * subject alone, so no other object's event reaches this process. The per-resource
   * Skiff-Prev-Revision gap check does not apply then (it counts other objects' events, which are
   * not delivered); each event carries the object's whole state, so applying a newer one is always
   * right, and a loss on the bus is still caught by the subscription and leads to a relist.
   */
  name?: string;
  log?: Logger;
  /** Extra indexes: name -> values an object is indexed under (e.g. pods by spec.nodeName). */
  indexers?: Record<string, IndexFunc<ObjectOf<C>>>;
  /** Re-deliver every cached object to handlers as an update this often (no API calls); 0: never. */
  resyncMs?: number;
  /** Relist backoff: first delay and cap (ms); 100 and 5,000. */
  backoffMs?: { initial?: number; max?: number };
  /** NATS consumer heartbeat (see subscribeWatch); 2,000 ms. */
  heartbeatMs?: number;
  /** Per-List deadline; 60 s. */
  listTimeoutMs?: number;
  clock?: Clock;
}

/** Why the informer relists: a missed event seen through Skiff-Prev-Revision. */
export class WatchGapError extends Error {
  override readonly name = 'WatchGapError';
}

function resolveKind<C extends KindCase>(resource: C | KindInfo<C>): KindInfo<C> {
  if (typeof resource !== 'string') return resource;
  const info = findKind(resource) ?? kindOfCase(resource);
  return info as unknown as KindInfo<C>;
}

export class Informer<C extends KindCase, T extends ObjectOf<C> = ObjectOf<C>> {
  readonly info: KindInfo<C>;
  private readonly store: InformerStore<T>;
  private readonly state: ApplierState = { lastRevision: 0 };
  private readonly handlers = new Set<InformerHandler<T>>();
  private readonly listeners = new Set<(key: string) => void>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly labelMatcher: LabelMatcher | undefined;
  private readonly fieldMatcher: FieldMatcher | undefined;
  /** opts.fieldSelector, with `metadata.name=<opts.name>` when one object is watched. */
  private readonly fieldSelector: string;
  /**
   * The NATS consumer's filter: one object's subject (opts.name), one shard's (a field selector
   * pinning the kind's watch-shard field, e.g. a kubelet's `spec.nodeName=<node>`), or undefined
   * for every event of the kind. When narrowed, the per-resource Skiff-Prev-Revision gap check
   * does not apply (it counts events this consumer is not sent); a loss on the bus is still caught
   * by the subscription and leads to a relist.
   */
  private readonly filterSubject: string | undefined;
  private syncedFlag = false;
  private resolveSynced!: () => void;
  private readonly syncedPromise = new Promise<void>((resolve) => (this.resolveSynced = resolve));
  private relists = 0;
  private started = false;

  constructor(private readonly opts: InformerOptions<C>) {
    this.info = resolveKind(opts.resource);
    this.store = new InformerStore<T>(opts.indexers as Record<string, IndexFunc<T>> | undefined);
    this.log = (opts.log ?? pino({ level: 'silent' })).child({ informer: this.info.resource });
    this.clock = opts.clock ?? realClock;
    this.labelMatcher = opts.labelSelector ? parseLabelSelector(opts.labelSelector) : undefined;
    this.fieldSelector = [opts.fieldSelector, opts.name !== undefined ? `metadata.name=${opts.name}` : ''].filter(Boolean).join(',');
    this.fieldMatcher = this.fieldSelector ? parseFieldSelector(this.info as unknown as KindInfo, this.fieldSelector) : undefined;
    const shard = selectedWatchShard(this.info as unknown as KindInfo, this.fieldMatcher);
    this.filterSubject =
      opts.name !== undefined
        ? objectFilter(this.info.resource, opts.namespace ?? '', opts.name)
        : shard !== undefined
          ? shardFilter(this.info.resource, shard)
          : undefined;
  }

  /** True once the first List has been loaded into the cache. */
  get hasSynced(): boolean {
    return this.syncedFlag;
  }

  /** Resolves once the first List has been loaded (rejects if `signal` aborts first). */
  synced(signal?: AbortSignal): Promise<void> {
    if (!signal) return this.syncedPromise;
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void this.syncedPromise.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** The newest revision the cache reflects. */
  get revision(): number {
    return this.state.lastRevision;
  }

  /** How many times the informer has listed (1 after the first sync). */
  get listCount(): number {
    return this.relists;
  }

  // ---- the lister (read-only views of the cache) ----

  /** The cached object for "namespace/name" (or "name"), or undefined. Do not mutate it. */
  get(key: string): Readonly<T> | undefined {
    return this.store.get(key);
  }

  /** Cached objects, optionally only those matching a label selector ("app=web"). */
  list(selector?: string | LabelMatcher): Readonly<T>[] {
    const all = this.store.list();
    if (!selector) return all;
    const matcher = typeof selector === 'string' ? parseLabelSelector(selector) : selector;
    return all.filter((o) => matcher.matches(o.metadata?.labels));
  }

  /** Cached objects of one namespace. */
  byNamespace(namespace: string): Readonly<T>[] {
    return this.store.byIndex(NAMESPACE_INDEX, namespace);
  }

  /** Adds index functions before the informer starts (throws after, or for a name in use). */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    if (this.started) throw new Error(`indexes must be added to the ${this.info.resource} informer before it starts`);
    this.store.addIndexers(indexers);
  }

  /** Cached objects under `value` of a custom index given in `indexers`. */
  byIndex(name: string, value: string): Readonly<T>[] {
    return this.store.byIndex(name, value);
  }

  keys(): string[] {
    return this.store.keys();
  }

  get size(): number {
    return this.store.size;
  }

  // ---- notifications ----

  /**
   * Registers handlers (called synchronously, in revision order; exceptions are logged and
   * ignored). A handler added after the sync first gets an add for every cached object.
   * Returns a function that removes it.
   */
  addHandler(handler: InformerHandler<T>): () => void {
    this.handlers.add(handler);
    for (const key of this.store.keys()) this.call(handler, { type: 'add', key, object: this.store.get(key) as Readonly<T> });
    return () => this.handlers.delete(handler);
  }

  /**
   * Keys of changed objects (added, updated, deleted, resynced) as an async iterable, for a
   * work queue. A key changed several times before it is read appears once. Ends on abort.
   */
  async *changes(signal: AbortSignal): AsyncIterable<string> {
    const pending = new Set<string>();
    let wake: (() => void) | undefined;
    const listener = (key: string) => {
      pending.add(key);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.listeners.add(listener);
    for (const key of this.store.keys()) pending.add(key);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const next = pending.values().next();
        if (next.done) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        pending.delete(next.value);
        yield next.value;
      }
    } finally {
      this.listeners.delete(listener);
      signal.removeEventListener('abort', onAbort);
    }
  }

  // ---- the loop ----

  /**
   * Runs until `signal` aborts, then resolves. Never rejects for a transient failure: NATS or
   * apiserver down, a lost consumer or a gap all lead to a relist after a backoff.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error('an informer can be started once');
    this.started = true;
    const initial = this.opts.backoffMs?.initial ?? 100;
    const max = this.opts.backoffMs?.max ?? 5_000;
    let delay = initial;
    const stopResync = this.startResync();
    try {
      while (!signal.aborted) {
        const cycle = new AbortController();
        const onAbort = () => cycle.abort(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          await this.cycle(cycle.signal, () => (delay = initial));
        } catch (err) {
          if (signal.aborted) break;
          this.log.warn({ err: errorSummary(err), retryInMs: delay }, 'watch interrupted; relisting');
        } finally {
          signal.removeEventListener('abort', onAbort);
          cycle.abort();
        }
        await sleep(this.clock, delay * (0.75 + Math.random() / 2), signal);
        delay = Math.min(max, delay * 2);
      }
    } finally {
      stopResync();
    }
  }

  /** One subscribe + List + watch cycle; throws when it must start over. */
  private async cycle(signal: AbortSignal, onSynced: () => void): Promise<void> {
    const narrowed = this.filterSubject !== undefined;
    const subscription = subscribeWatch(this.opts.bus, this.info.resource, signal, {
      heartbeatMs: this.opts.heartbeatMs,
      filterSubject: this.filterSubject,
    });
    await subscription.ready;
    const list = await this.opts.client.list(this.info.resource, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.fieldSelector || undefined,
      signal,
      timeoutMs: this.opts.listTimeoutMs ?? 60_000,
    });
    const revision = Number(list.resourceVersion);
    if (!Number.isSafeInteger(revision)) throw new Error(`List returned a bad resourceVersion "${list.resourceVersion}"`);
    const items = list.items.map((item) => unwrapAs(this.info, item) as T).filter((o) => this.matches(o));
    const deltas = this.store.replace(items);
    this.state.lastRevision = revision;
    this.relists++;
    this.log.debug({ revision, items: items.length, changes: deltas.length }, 'listed');
    for (const delta of deltas) this.emit(delta);
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      this.resolveSynced();
    }
    onSynced();
    for await (const { event, prevRevision } of subscription) {
      const outcome = applyWatchEvent(
        { store: this.store, state: this.state, unwrap: (e: WatchEvent) => unwrapAs(this.info, e.object) as T, matches: (o) => this.matches(o) },
        event,
        narrowed ? 0 : prevRevision,
      );
      if (outcome.kind === 'gap') {
        throw new WatchGapError(`missed an event of ${this.info.resource}: previous revision ${outcome.prevRevision} > last seen ${outcome.lastRevision}`);
      }
      if (outcome.kind === 'applied' && outcome.delta) this.emit(outcome.delta);
    }
    if (!signal.aborted) throw new Error('the watch subscription ended');
  }

  private matches(object: Readonly<T>): boolean {
    const meta = object.metadata;
    if (this.opts.namespace && meta?.namespace !== this.opts.namespace) return false;
    if (this.labelMatcher && !this.labelMatcher.matches(meta?.labels)) return false;
    if (this.fieldMatcher && !this.fieldMatcher.matches(object)) return false;
    return true;
  }

  private emit(delta: Delta<T>): void {
    for (const handler of this.handlers) this.call(handler, delta);
    for (const listener of this.listeners) listener(delta.key);
  }

  private call(handler: InformerHandler<T>, delta: Delta<T>): void {
    try {
      if (delta.type === 'add') handler.onAdd?.(delta.object);
      else if (delta.type === 'update') handler.onUpdate?.(delta.old, delta.object);
      else handler.onDelete?.(delta.old);
    } catch (err) {
      this.log.error({ err: errorSummary(err), key: delta.key }, 'informer handler failed');
    }
  }

  private startResync(): () => void {
    const every = this.opts.resyncMs ?? 0;
    if (every <= 0) return () => undefined;
    let timer: TimerHandle | undefined;
    const schedule = () => {
      timer = this.clock.setTimer(() => {
        this.resync();
        schedule();
      }, every);
    };
    schedule();
    return () => timer?.cancel();
  }

  /** Re-delivers every cached object to handlers (update with old === new) and change listeners. */
  resync(): void {
    for (const key of this.store.keys()) {
      const object = this.store.get(key) as Readonly<T>;
      this.emit({ type: 'update', key, old: object, object });
    }
  }
}

function errorSummary(err: unknown): { name?: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { message: String(err) };
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimer(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
