import type { Guard, KeyValue, ListResult, SideWrites, Storage, StorageEvent } from '@skiff/storage';
import type { Histogram } from 'prom-client';

/** A Storage that times every request in a histogram labelled by operation; behaviour unchanged. */
export class InstrumentedStorage implements Storage {
  constructor(
    private readonly inner: Storage,
    private readonly seconds: Histogram<'operation'>,
  ) {}

  private async timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const end = this.seconds.startTimer({ operation });
    try {
      return await run();
    } finally {
      end();
    }
  }

  get(key: string, signal?: AbortSignal): Promise<KeyValue | undefined> {
    return this.timed('get', () => this.inner.get(key, signal));
  }
  list(prefix: string, signal?: AbortSignal): Promise<ListResult> {
    return this.timed('list', () => this.inner.list(prefix, signal));
  }
  listKey(key: string, signal?: AbortSignal): Promise<ListResult> {
    return this.timed('list', () => this.inner.listKey(key, signal));
  }
  create(key: string, value: Uint8Array, guard?: Guard, side?: SideWrites, ttlSeconds?: number): Promise<number> {
    return this.timed('create', () => this.inner.create(key, value, guard, side, ttlSeconds));
  }
  update(key: string, value: Uint8Array, expectedRevision: number, side?: SideWrites, ttlSeconds?: number): Promise<number> {
    return this.timed('update', () => this.inner.update(key, value, expectedRevision, side, ttlSeconds));
  }
  delete(key: string, expectedRevision?: number, side?: SideWrites): Promise<{ revision: number; value: Uint8Array }> {
    return this.timed('delete', () => this.inner.delete(key, expectedRevision, side));
  }
  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<StorageEvent[]> {
    return this.inner.watch(prefix, afterRevision, signal);
  }
  currentRevision(): Promise<number> {
    return this.timed('current_revision', () => this.inner.currentRevision());
  }
  compact(revision: number): Promise<void> {
    return this.timed('compact', () => this.inner.compact(revision));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
