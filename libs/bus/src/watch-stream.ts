/**
 * The JetStream stream that carries watch events (see subjects.ts for the wire contract).
 */
import { DiscardPolicy, nanos, RetentionPolicy, StorageType, type StreamConfig } from 'nats';
import type { BusConnection } from './connection';
import { WATCH_STREAM, WATCH_SUBJECT_PREFIX } from './subjects';

export interface WatchStreamOptions {
  /** How long events stay on the stream; default 24 h. Informers further behind relist. */
  maxAgeMs?: number;
  /** At most this many events stay on the stream (oldest dropped first); default 1,000,000. */
  maxMsgs?: number;
  /** Window in which a repeated message id (revision) is dropped; default 2 min (capped at maxAge). */
  duplicateWindowMs?: number;
  /**
   * Copies of the stream kept by a NATS cluster (JetStream's num_replicas: 1, 3 or 5; at most the
   * cluster's size; more than 1 needs clustered JetStream). Default 1. ensureWatchStream raises the
   * count of an existing stream to it but never lowers it (see there).
   */
  replicas?: number;
}

/** The stream configuration ensureWatchStream applies (pure, for tests and docs). */
export function watchStreamConfig(opts: WatchStreamOptions = {}): Partial<StreamConfig> & { name: string } {
  const maxAgeMs = opts.maxAgeMs ?? 24 * 3600_000;
  const duplicateWindowMs = Math.min(opts.duplicateWindowMs ?? 120_000, maxAgeMs);
  return {
    name: WATCH_STREAM,
    subjects: [`${WATCH_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(maxAgeMs),
    max_msgs: opts.maxMsgs ?? 1_000_000,
    duplicate_window: nanos(duplicateWindowMs),
    num_replicas: opts.replicas ?? 1,
  };
}

/**
 * Creates the watch stream, or updates its limits when it exists. Safe to call from several
 * processes at once (a lost creation race becomes an update). Rejects when JetStream is not
 * available or refuses the configuration (e.g. more replicas than the cluster has servers, or
 * replicas > 1 on a server that is not clustered).
 *
 * Replicas: an existing stream with fewer replicas than asked is raised to `opts.replicas`
 * (JetStream changes num_replicas on update in clustered mode and copies the stream to the new
 * peers); one with more keeps its count, so that an apiserver started with the default (1) never
 * shrinks a highly available stream. Lowering is an operator's deliberate act (`nats stream edit`).
 */
export async function ensureWatchStream(bus: BusConnection, opts: WatchStreamOptions = {}): Promise<void> {
  const config = watchStreamConfig(opts);
  const { storage: _storage, retention: _retention, name, ...mutable } = config;
  let existing: number;
  try {
    existing = (await bus.manager.streams.info(name)).config.num_replicas;
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    try {
      await bus.manager.streams.add(config);
      return;
    } catch (addErr) {
      if (!isAlreadyInUse(addErr)) throw addErr;
      existing = (await bus.manager.streams.info(name)).config.num_replicas;
    }
  }
  await bus.manager.streams.update(name, { ...mutable, num_replicas: Math.max(existing ?? 1, mutable.num_replicas ?? 1) });
}

/** Whether JetStream answered with a refusal (an API error: bad config, too many replicas), not a lost connection. */
export function isJetStreamRefusal(err: unknown): boolean {
  return apiErrorCode(err) !== undefined;
}

function apiErrorCode(err: unknown): number | undefined {
  const apiError = (err as { api_error?: { err_code?: number } } | undefined)?.api_error;
  return apiError?.err_code;
}

function isStreamNotFound(err: unknown): boolean {
  return apiErrorCode(err) === 10059 || /stream not found/i.test(String((err as Error)?.message));
}

function isAlreadyInUse(err: unknown): boolean {
  return apiErrorCode(err) === 10058 || /already in use/i.test(String((err as Error)?.message));
}
