/**
 * The apiserver's half of the watch pipeline (ARCHITECTURE.md "The watch pipeline"): one ordered
 * etcd watch on /registry/ feeding the NATS JetStream stream, one WatchEvent per revision.
 *
 *   ┌─> read the stream's last message (revision R, resource revision map)
 *   │   watch etcd after R ──> publish rev r, expecting last = previous rev ──> next change
 *   │          │                         │ refused (another apiserver published): resync
 *   └──────────┴─────────────────────────┘ NATS down / unknown outcome: back off, resync
 *
 * Resuming from what the stream holds (not from memory) is what makes a restart, an outage or a
 * second apiserver neither skip nor repeat a revision.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { CompactedError } from '@skiff/api';
import { ensureWatchStream, isJetStreamRefusal, WatchPublisher, WrongLastRevisionError, type BusConnection, type WatchStreamOptions } from '@skiff/bus';
import type { Logger } from '@skiff/service';
import type { Storage } from '@skiff/storage';
import type { ApiserverMetrics } from './apiserver-metrics';
import { REGISTRY_PREFIX } from './registry-keys';
import { encodeWatchEvent } from './watch-event-encoding';

export interface PublisherLoopOptions {
  storage: Storage;
  bus: BusConnection;
  logger: Logger;
  metrics: ApiserverMetrics;
  /** The watch stream's configuration ensured at start and after failures (replicas, limits). */
  stream?: WatchStreamOptions;
  /** Called with the revision up to which the stream is known complete (for compaction). */
  onPublished?: (revision: number) => void;
  /** How long to wait for JetStream's ack before treating the outcome as unknown (resync); default 3 s. */
  publishTimeoutMs?: number;
  /** Backoff between attempts while NATS fails; default 100 ms doubling to 2 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Unacknowledged publishes at most; enough to keep NATS busy, small enough to resend cheaply. */
const MAX_IN_FLIGHT = 256;


/**
 * Publishes every change under /registry/ on the watch stream until signal aborts; never
 * throws for NATS or etcd failures (logs, backs off and resynchronises from the stream).
 * An empty stream starts from etcd's current revision. If etcd compacted history the stream
 * never got, the publisher jumps to the current revision and sets every resource's previous
 * revision header to that point, so informers detect the gap and relist.
 */
export async function runWatchPublisher(options: PublisherLoopOptions, signal: AbortSignal): Promise<void> {
  const { storage, bus, logger, metrics } = options;
  const publisher = new WatchPublisher(bus, { timeoutMs: options.publishTimeoutMs ?? 3_000 });
  const initialBackoff = options.initialBackoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 2_000;
  let backoff = initialBackoff;
  let skipTo = 0; // after a compaction gap: resume here, previous revisions unknown below it
  let streamReady = false;

  while (!signal.aborted) {
    try {
      if (!streamReady) {
        await ensureWatchStream(bus, options.stream).catch((err: unknown) => {
          // A refusal (e.g. 3 replicas asked of a NATS without 3 clustered JetStream servers)
          // stops every watch: say so loudly, not as one more retry.
          if (isJetStreamRefusal(err)) logger.error({ err, replicas: options.stream?.replicas ?? 1 }, 'JetStream refuses the watch stream: no watch events until it is fixed (--watch-stream-replicas at most the NATS cluster size; replicas > 1 need clustered JetStream)');
          throw err;
        });
        streamReady = true;
      }
      const last = await publisher.lastPublished();
      let revision = last?.revision ?? 0;
      let resourceRevisions: Record<string, number> = { ...(last?.resourceRevisions ?? {}) };
      let floor = 0;
      let after = revision;
      if (skipTo > revision) {
        after = skipTo;
        floor = skipTo;
        resourceRevisions = {};
      } else if (!last) {
        // An empty stream (new, or its data lost): start at the present, and make every first
        // event point back to here so that informers that saw an older state relist.
        after = await storage.currentRevision();
        floor = after;
      }
      options.onPublished?.(after);
      logger.info({ lastPublished: revision, watchFrom: after }, 'watch publisher resuming');

      // Publishes are pipelined (up to MAX_IN_FLIGHT unacknowledged); each pins the stream
      // sequence before it, so the first refusal or loss makes every later one fail too, and
      // the loop resynchronises from what the stream really holds.
      const inFlight: Promise<void>[] = [];
      let failure: unknown;
      const stopWatch = new AbortController();
      for await (const batch of storage.watch(REGISTRY_PREFIX, after, AbortSignal.any([signal, stopWatch.signal]))) {
        const received = performance.now();
        for (const change of batch) {
          if (failure !== undefined) break;
          if (change.revision <= revision) continue; // already on the stream
          const encoded = encodeWatchEvent(change);
          if (!encoded) continue;
          const { head, payload } = encoded;
          const prev = resourceRevisions[head.resource] ?? floor;
          const next = { ...resourceRevisions, [head.resource]: change.revision };
          const published = change.revision;
          const ack = publisher.publishEncoded(head, payload, prev, next, revision).then(
            () => {
              metrics.publishedRevision.set(published);
              metrics.publishLagSeconds.observe((performance.now() - received) / 1000);
              options.onPublished?.(published);
              backoff = initialBackoff;
            },
            (err: unknown) => {
              failure ??= err;
              stopWatch.abort();
            },
          );
          revision = change.revision;
          resourceRevisions = next;
          inFlight.push(ack);
          if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
        }
        if (failure !== undefined) break;
      }
      await Promise.all(inFlight);
      if (failure !== undefined) throw failure;
    } catch (err) {
      if (signal.aborted) break;
      if (err instanceof WrongLastRevisionError) {
        metrics.publishFailures.inc({ reason: err.duplicate ? 'duplicate' : 'wrong_last_revision' });
        logger.debug({ reason: err.message }, 'publish refused: resynchronising with the stream');
        continue;
      }
      if (err instanceof CompactedError) {
        metrics.publishFailures.inc({ reason: 'compacted' });
        try {
          skipTo = await storage.currentRevision();
          logger.error({ resumeAt: skipTo }, 'etcd history the stream did not get was compacted: skipping to the current revision (informers will relist)');
          continue;
        } catch (readErr) {
          err = readErr;
        }
      }
      metrics.publishFailures.inc({ reason: 'error' });
      streamReady = false;
      logger.warn({ err, retryInMs: backoff }, 'watch publishing failed: retrying');
      await delay(backoff, undefined, { signal }).catch(() => undefined); // ends early on abort
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  }
}
