/**
 * The last state this apiserver saw of objects it recently read or wrote: key -> (mod revision,
 * stored bytes), bounded by a byte budget, least recently used out first.
 *
 * An entry may be stale (another apiserver wrote since, or the object was deleted and created
 * again): it is only ever the starting point of a compare-and-swap on its revision, which fails
 * when it is stale, and the caller then reads etcd. A (key, mod revision) pair names one stored
 * value forever, so a write that succeeds from an entry is exactly the write a fresh read would
 * have made. Kubernetes' Cacher hands GuaranteedUpdate its watch cache's object the same way.
 */

export interface RecentObject {
  /** The key's mod revision when it held `bytes`. */
  readonly revision: number;
  /** The stored (protobuf) value; never changed after it is remembered. */
  readonly bytes: Uint8Array;
}

/** Default budget: room for about 100,000 typical pods. */
export const DEFAULT_RECENT_OBJECT_BYTES = 64 * 1024 * 1024;

export class RecentObjects {
  /** Insertion order is recency order (a touched entry is moved to the end). */
  private readonly entries = new Map<string, RecentObject>();
  private bytes = 0;

  constructor(private readonly maxBytes = DEFAULT_RECENT_OBJECT_BYTES) {}

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes of the values held (at most the budget). */
  get heldBytes(): number {
    return this.bytes;
  }

  /** The last state seen of `key`, if still held (it becomes the most recently used). */
  get(key: string): RecentObject | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /**
   * `key` held `bytes` at `revision`. An older revision than the one held is ignored (answers
   * of concurrent calls arrive in any order). A value larger than the whole budget is not kept.
   */
  remember(key: string, revision: number, bytes: Uint8Array): void {
    const old = this.entries.get(key);
    if (old && old.revision > revision) return;
    if (old) this.drop(key, old);
    if (bytes.length > this.maxBytes) return;
    this.entries.set(key, { revision, bytes });
    this.bytes += bytes.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(oldest, entry);
    }
  }

  /** `key` was deleted (or its state is unknown): forget it. */
  forget(key: string): void {
    const entry = this.entries.get(key);
    if (entry) this.drop(key, entry);
  }

  private drop(key: string, entry: RecentObject): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes.length;
  }
}
