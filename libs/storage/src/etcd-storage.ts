import { AsyncLocalStorage } from 'node:async_hooks';
import { ExponentialBackoff, handleWhen, noop, retry } from 'cockatiel';
import { AlreadyExistsError, CompactedError, ConflictError, NotFoundError, UnavailableError } from '@skiff/api';
import { Etcd3, type ComparatorBuilder, GRPCDeadlineExceededError, GRPCUnavailableError, isRecoverableError, type IKeyValue, type IWatchResponse } from 'etcd3';
import { LeaseManager } from './lease-manager';
import { SideKeyExistsError, type Guard, type KeyValue, type ListResult, type SideWrites, type Storage, type StorageEvent } from './storage';

export interface EtcdStorageOptions {
  /** etcd client URLs, e.g. ["http://127.0.0.1:2379"]. */
  endpoints: string[];
  /** Per-request deadline (default 10 s). */
  timeoutMs?: number;
  /** Deadline of one attempt of a write transaction (default 2.5 s; the client makes up to 4 attempts, on different members). */
  writeAttemptTimeoutMs?: number;
}

function toKeyValue(kv: IKeyValue): KeyValue {
  return { key: kv.key.toString(), value: kv.value, modRevision: Number(kv.mod_revision), createRevision: Number(kv.create_revision) };
}

/**
 * The storage error for an etcd client failure: etcd unreachable, timed out or all hosts failed
 * (the client's circuit breaker) is UnavailableError, so callers see UNAVAILABLE and retry;
 * anything else is returned as it is.
 */
function storageError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof UnavailableError) return err;
  const unreachable =
    err instanceof GRPCUnavailableError || err instanceof GRPCDeadlineExceededError || err.name === 'BrokenCircuitError' || isRecoverableError(err);
  return unreachable ? new UnavailableError(`etcd is unavailable: ${err.message}`, { cause: err }) : err;
}

/** Keys read per etcd range request when listing. */
const LIST_PAGE_SIZE = 1000;

/** The end of the key range that holds every key starting with `prefix` (etcd's prefix end). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key
}

/** etcd's "required revision has been compacted" (not its "future revision", also OUT_OF_RANGE). */
function isCompacted(err: unknown): boolean {
  return /compacted/i.test(String((err as Error)?.message));
}

/**
 * Counts the attempts the etcd3 client makes for one request (its call-options factory runs once
 * per attempt, in the caller's async context): more than one means it retried on another member.
 */
const attemptCounter = new AsyncLocalStorage<{ count: number }>();

/** Whether the stored bytes are the ones a write sent (see "Writes whose outcome is unknown" below). */
function sameBytes(stored: Buffer | Uint8Array | undefined, written: Uint8Array): boolean {
  return !!stored && Buffer.compare(Buffer.from(stored), Buffer.from(written)) === 0;
}

/**
 * Storage on etcd v3 (the only code in Skiff that talks to etcd).
 *
 * Several members: `endpoints` lists every member; the etcd3 client spreads requests over them in
 * a random order per request and retries a request that failed with a recoverable error (member
 * unreachable, deadline exceeded) on the next member (4 attempts in all). A write attempt has a
 * 2.5 s deadline: one caught on a follower when the leader died would otherwise wait out etcd's
 * own request timeout (7 s). A dead member refuses connections, so its requests move on at once;
 * a member whose machine vanished is noticed by keep-alive pings (10 s + 5 s) or by the deadline.
 *
 * Writes whose outcome is unknown: when a member dies after committing a write but before
 * answering, the etcd3 client sends the same transaction to another member. Every write here is
 * a compare-and-swap (create: the key must not exist; update/delete: its mod revision), so the
 * repeated transaction cannot apply twice: its compare fails. create() and update() then look at
 * the value their failed transaction read back: if the key holds exactly the bytes this write
 * sent (and, for update, has moved past the expected revision) and the client did retry the
 * transaction, the write did happen and is reported as done at that revision, never as a conflict. A write is therefore acknowledged at
 * most once and never lost after an acknowledgement; one that cannot be confirmed fails with
 * UnavailableError or ConflictError, which callers see. Limits: after a retry, a concurrent
 * writer that stored byte-identical data is indistinguishable (the state asked for is in place
 * either way); a delete() retried after it committed reports NotFoundError (as a repeated DELETE
 * does: callers treat it as done).
 */
export class EtcdStorage implements Storage {
  private readonly client: Etcd3;
  private readonly leases: LeaseManager;

  /** Runs one storage operation, translating etcd client failures (storageError). */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw storageError(err);
    }
  }

  constructor(options: EtcdStorageOptions) {
    this.client = new Etcd3({
      hosts: options.endpoints,
      // A member that stops answering without closing its connections (its machine is gone) is
      // noticed by pings; etcd's default --grpc-keepalive-min-time is 5 s, so no faster.
      grpcOptions: { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 2_000 },
      // Requests get a deadline; watch streams live as long as their watch. A write attempt gets
      // a short one: a member that forwarded it to a leader that just died holds it until its own
      // request timeout (7 s with default settings) and then fails it; given up on sooner, the
      // write is sent again to another member, where the new leader takes it (see "Writes whose
      // outcome is unknown" above: a write sent twice applies once).
      defaultCallOptions: (call) => {
        if (call.isStream) return {};
        const attempts = attemptCounter.getStore();
        if (attempts) attempts.count++;
        const timeoutMs = options.timeoutMs ?? 10_000;
        return { deadline: Date.now() + (call.method === 'txn' ? Math.min(timeoutMs, options.writeAttemptTimeoutMs ?? 2_500) : timeoutMs) };
      },
      faultHandling: {
        // No circuit breaker per member: a member that is down refuses or has a broken channel
        // and fails at once (a vanished machine: within the keepalive), while the breaker also
        // tripped on live members whose requests were slow during an election, and made every
        // request wait for one probe or fail at once.
        host: () => noop,
        // Up to 4 attempts, each on the next member, after a member failure or a deadline; a
        // short pause between them (a refused connection fails in microseconds).
        global: retry(handleWhen(isRecoverableError), { maxAttempts: 3, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }) }),
      },
    });
    this.leases = new LeaseManager({ grant: async (ttl) => (await this.client.leaseClient.leaseGrant({ TTL: ttl, ID: 0 })).ID });
  }

  /**
   * The put of `key` = `value` for a transaction, on lease `lease` when given. (Built, never
   * awaited: a put builder is thenable, and awaiting it would run it outside the transaction.)
   */
  private putOp(key: string, value: Uint8Array, lease: string | undefined) {
    const put = this.client.put(key).value(Buffer.from(value));
    return lease === undefined ? put : put.lease(lease);
  }

  /** The lease a key written now must be on to live `ttlSeconds`; undefined without a TTL. */
  private leaseFor(ttlSeconds: number | undefined): Promise<string | undefined> {
    return ttlSeconds === undefined ? Promise.resolve(undefined) : this.leases.leaseFor(ttlSeconds);
  }

  /** Commits a write transaction; `retried` tells whether the client sent it more than once. */
  private async commit(txn: ComparatorBuilder): Promise<{ res: Awaited<ReturnType<ComparatorBuilder['commit']>>; retried: boolean }> {
    const attempts = { count: 0 };
    const res = await attemptCounter.run(attempts, () => txn.commit());
    return { res, retried: attempts.count > 1 };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return this.call(async () => {
      const res = await this.client.kv.range({ key: Buffer.from(key) });
      return res.kvs[0] ? toKeyValue(res.kvs[0]) : undefined;
    });
  }

  async listKey(key: string): Promise<ListResult> {
    return this.call(async () => {
      const res = await this.client.kv.range({ key: Buffer.from(key) });
      return { items: res.kvs.map(toKeyValue), revision: Number(res.header.revision) };
    });
  }

  /**
   * Reads the prefix in pages of LIST_PAGE_SIZE keys (a single response for a large prefix would
   * exceed gRPC's message limit), every page at the first page's revision: one consistent
   * snapshot. If that revision is compacted between pages, the whole read starts again.
   */
  async list(prefix: string): Promise<ListResult> {
    return this.call(async () => {
      const rangeEnd = prefixEnd(Buffer.from(prefix));
      for (;;) {
        const items: KeyValue[] = [];
        let revision: string | undefined;
        let from = Buffer.from(prefix);
        try {
          for (;;) {
            const res = await this.client.kv.range({ key: from, range_end: rangeEnd, limit: String(LIST_PAGE_SIZE), revision });
            revision ??= res.header.revision;
            items.push(...res.kvs.map(toKeyValue));
            if (!res.more || res.kvs.length === 0) return { items, revision: Number(revision) };
            from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
          }
        } catch (err) {
          if (!(revision && isCompacted(err))) throw err;
        }
      }
    });
  }

  /** The txn's compare for `side.create` keys (each must not exist) added to `txn`. */
  private sideCompares(txn: ComparatorBuilder, side: SideWrites | undefined): ComparatorBuilder {
    for (const { key } of side?.create ?? []) txn = txn.and(key, 'Create', '==', 0);
    return txn;
  }

  /** The operations of `side` (puts of new keys, deletes). */
  private sideOps(side: SideWrites | undefined) {
    return [
      ...(side?.create ?? []).map(({ key, value }) => this.client.put(key).value(Buffer.from(value))),
      ...(side?.delete ?? []).map((key) => this.client.delete().key(key)),
    ];
  }

  /** After a failed txn whose else branch read `[...leading, ...side.create keys]`: SideKeyExistsError for the first side key found, if any. */
  private throwIfSideKeyExists(responses: { response_range?: { kvs?: unknown[] } }[], leading: number, side: SideWrites | undefined): void {
    (side?.create ?? []).forEach(({ key }, i) => {
      if (responses[leading + i]?.response_range?.kvs?.length) throw new SideKeyExistsError(key);
    });
  }

  async create(key: string, value: Uint8Array, guard?: Guard, side?: SideWrites, ttlSeconds?: number): Promise<number> {
    return this.call(async () => {
      const lease = await this.leaseFor(ttlSeconds);
      let txn = this.client.if(key, 'Create', '==', 0);
      if (guard) txn = txn.and(guard.key, 'Mod', '==', guard.revision);
      txn = this.sideCompares(txn, side);
      const { res, retried } = await this.commit(
        txn
          .then(this.putOp(key, value, lease), ...this.sideOps(side))
          .else(this.client.get(key), ...(side?.create ?? []).map((c) => this.client.get(c.key))),
      );
      if (res.succeeded) return Number(res.header.revision);
      const existing = res.responses[0]?.response_range?.kvs?.[0];
      // Our own create, committed by an attempt whose answer was lost (see the class comment).
      if (retried && existing && existing.create_revision === existing.mod_revision && sameBytes(existing.value, value)) return Number(existing.mod_revision);
      if (existing) throw new AlreadyExistsError(`${key} already exists`);
      this.throwIfSideKeyExists(res.responses, 1, side);
      throw new ConflictError(`${guard?.key} is no longer at revision ${guard?.revision}`);
    });
  }

  async update(key: string, value: Uint8Array, expectedRevision: number, side?: SideWrites, ttlSeconds?: number): Promise<number> {
    return this.call(async () => {
      const lease = await this.leaseFor(ttlSeconds);
      const { res, retried } = await this.commit(
        this.sideCompares(this.client.if(key, 'Mod', '==', expectedRevision), side)
          .then(this.putOp(key, value, lease), ...this.sideOps(side))
          .else(this.client.get(key), ...(side?.create ?? []).map((c) => this.client.get(c.key))),
      );
      if (res.succeeded) return Number(res.header.revision);
      const current = res.responses[0]?.response_range?.kvs?.[0];
      if (!current) throw new NotFoundError(`${key} not found`);
      if (String(current.mod_revision) === String(expectedRevision)) this.throwIfSideKeyExists(res.responses, 1, side);
      // Our own update, committed by an attempt whose answer was lost (see the class comment).
      else if (retried && Number(current.mod_revision) > expectedRevision && sameBytes(current.value, value)) return Number(current.mod_revision);
      throw new ConflictError(`${key} was modified (resourceVersion ${current.mod_revision}, expected ${expectedRevision})`);
    });
  }

  async delete(key: string, expectedRevision?: number, side?: SideWrites): Promise<{ revision: number; value: Uint8Array }> {
    return this.call(async () => {
      // Read the current value first so that an unconditional delete also returns the last state,
      // then delete with compare-and-swap on that revision (retrying if it moved meanwhile).
      for (;;) {
        const current = await this.get(key);
        if (!current) throw new NotFoundError(`${key} not found`);
        if (expectedRevision !== undefined && current.modRevision !== expectedRevision) {
          throw new ConflictError(`${key} was modified (resourceVersion ${current.modRevision}, expected ${expectedRevision})`);
        }
        const res = await this.sideCompares(this.client.if(key, 'Mod', '==', current.modRevision), side)
          .then(this.client.delete().key(key), ...this.sideOps(side))
          .else(...(side?.create ?? []).map((c) => this.client.get(c.key)))
          .commit();
        if (res.succeeded) return { revision: Number(res.header.revision), value: current.value };
        this.throwIfSideKeyExists(res.responses, 0, side);
      }
    });
  }

  async *watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<StorageEvent[]> {
    // A watch from a compacted revision only reports "watcher canceled"; a read at that revision
    // tells the reason reliably, so check first.
    if (afterRevision > 0) {
      try {
        await this.client.kv.range({ key: Buffer.from(prefix), revision: String(afterRevision) });
      } catch (err) {
        if (isCompacted(err)) throw new CompactedError(`revision ${afterRevision} has been compacted`, { cause: err });
        throw err;
      }
    }
    const queue: StorageEvent[][] = [];
    let failure: Error | undefined;
    let lastRevision = afterRevision;
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    const builder = this.client.watch().prefix(prefix).withPreviousKV();
    if (afterRevision > 0) builder.startRevision(String(afterRevision + 1));
    const watcher = await builder.create();
    const onAbort = () => notify();
    signal.addEventListener('abort', onAbort);
    watcher.on('data', (res: IWatchResponse) => {
      if (res.compact_revision && Number(res.compact_revision) > 0 && res.canceled) {
        failure = new CompactedError(`watch history compacted at revision ${res.compact_revision}`);
      } else if (res.events.length) {
        queue.push(
          res.events.map((ev) => ({
            type: ev.type === 'Delete' ? 'delete' : 'put',
            key: ev.kv.key.toString(),
            value: ev.type === 'Delete' ? undefined : ev.kv.value,
            prevValue: ev.prev_kv?.value,
            revision: Number(ev.kv.mod_revision),
            created: ev.type !== 'Delete' && ev.kv.create_revision === ev.kv.mod_revision,
          })),
        );
      }
      notify();
    });
    watcher.on('error', (err: Error) => {
      failure = isCompacted(err) || /cancel/i.test(err.message) ? new CompactedError(`watch canceled: ${err.message}`, { cause: err }) : err;
      notify();
    });
    // The etcd3 library would resume a broken watch from the revision of the last response
    // header, which can lie past events not yet delivered (a catch-up is sent in chunks): end
    // instead, and let the caller resume from the last revision it got.
    watcher.on('disconnected', (err: Error) => {
      failure ??= new UnavailableError(`etcd watch lost its connection after revision ${lastRevision}: resume from there`, { cause: err });
      notify();
    });
    try {
      while (!signal.aborted) {
        const batch = queue.shift();
        if (batch) {
          lastRevision = batch[batch.length - 1].revision;
          yield batch;
          continue;
        }
        if (failure) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      await watcher.cancel().catch(() => undefined);
    }
  }

  async currentRevision(): Promise<number> {
    return this.call(async () => {
      const res = await this.client.kv.range({ key: Buffer.from('\0'), count_only: true });
      return Number(res.header.revision);
    });
  }

  async compact(revision: number): Promise<void> {
    return this.call(async () => {
      try {
        await this.client.kv.compact({ revision: String(revision) });
      } catch (err) {
        if (!isCompacted(err)) throw err; // already compacted past it: nothing to do
      }
    });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
