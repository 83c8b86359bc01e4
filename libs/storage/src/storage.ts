/**
 * The apiserver's storage: a narrow, revisioned key-value interface (in the spirit of kine's
 * Backend). Every write returns the etcd revision it committed at; conditional writes are
 * compare-and-swap on the key's mod revision. Errors are the API's typed errors:
 * AlreadyExistsError, NotFoundError, ConflictError (lost compare-and-swap), CompactedError.
 */
import { AlreadyExistsError } from '@skiff/api';

export interface KeyValue {
  key: string;
  value: Uint8Array;
  /** Revision of the last write to this key (the object's resourceVersion). */
  modRevision: number;
  /** Revision at which the key was created. */
  createRevision: number;
}

export interface StorageEvent {
  type: 'put' | 'delete';
  key: string;
  /** The new value (put) or undefined (delete). */
  value?: Uint8Array;
  /** The value before this change (the last state, for delete); undefined on create. */
  prevValue?: Uint8Array;
  /** The revision of this change (mod revision of the key after a put). */
  revision: number;
  /** True when a put created the key. */
  created: boolean;
}

/** A condition on another key for a write: its mod revision must still be `revision`. */
export interface Guard {
  key: string;
  revision: number;
}

/**
 * Other keys written in the same etcd transaction as a write (e.g. the allocation records of a
 * Service's ClusterIP and node ports): every `create` key must not exist yet, or nothing is
 * written and the write fails with SideKeyExistsError naming that key; `delete` keys are removed
 * when present.
 */
export interface SideWrites {
  create?: { key: string; value: Uint8Array }[];
  delete?: string[];
}

/** A write's side `create` key already exists (AlreadyExistsError, with the key). */
export class SideKeyExistsError extends AlreadyExistsError {
  constructor(readonly key: string) {
    super(`${key} already exists`);
  }
}

export interface ListResult {
  items: KeyValue[];
  /** The store revision the list was read at. */
  revision: number;
}

export interface Storage {
  /** The key's current value, or undefined. */
  get(key: string, signal?: AbortSignal): Promise<KeyValue | undefined>;
  /** Every key under prefix (sorted by key) at one revision. */
  list(prefix: string, signal?: AbortSignal): Promise<ListResult>;
  /** The key alone as a list (no item or one) and the store revision it was read at: a list by name. */
  listKey(key: string, signal?: AbortSignal): Promise<ListResult>;
  /**
   * Creates the key; AlreadyExistsError when it exists. With a guard, only while the guard key's
   * mod revision is still `guard.revision` (ConflictError otherwise, e.g. the namespace changed).
   * Returns the commit revision. `side` writes commit in the same transaction (see SideWrites).
   * With `ttlSeconds`, the key is deleted by the store that long (up to 60 s more) after this
   * write (an Event's --event-ttl).
   */
  create(key: string, value: Uint8Array, guard?: Guard, side?: SideWrites, ttlSeconds?: number): Promise<number>;
  /**
   * Replaces the key's value only if its mod revision is still `expectedRevision`: ConflictError
   * if it changed, NotFoundError if it is gone. Returns the commit revision. `side` writes commit
   * in the same transaction (see SideWrites). `ttlSeconds`: as create's, counted from this write.
   */
  update(key: string, value: Uint8Array, expectedRevision: number, side?: SideWrites, ttlSeconds?: number): Promise<number>;
  /**
   * Deletes the key (only if its mod revision is `expectedRevision`, when given): NotFoundError,
   * ConflictError. Returns the commit revision and the deleted value. `side` writes commit in the
   * same transaction (see SideWrites).
   */
  delete(key: string, expectedRevision?: number, side?: SideWrites): Promise<{ revision: number; value: Uint8Array }>;
  /**
   * Changes under prefix after `afterRevision`, in revision order, batch by batch, until signal
   * aborts. Throws CompactedError (at the start or later) when that history is compacted away,
   * and UnavailableError when the connection to the store breaks: watch again from the last
   * revision received (nothing is skipped or repeated that way).
   */
  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<StorageEvent[]>;
  /** The store's current revision. */
  currentRevision(): Promise<number>;
  /** Discards history before `revision` (watches and reads below it fail with CompactedError). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}
