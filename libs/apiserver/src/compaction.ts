/**
 * Periodic etcd compaction. Each tick samples the current revision; the target is the newest
 * revision sampled at least `retentionMs` ago, kept at least `minRevisions` behind the current
 * revision and never past what the watch publisher has put on NATS (so a restarted publisher can
 * always resume from etcd's history).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@skiff/service';
import type { Storage } from '@skiff/storage';
import type { ApiserverMetrics } from './apiserver-metrics';

export interface RevisionSample {
  atMs: number;
  revision: number;
}

export interface CompactionPolicy {
  retentionMs: number;
  minRevisions: number;
}

/**
 * The revision to compact to (0: nothing to do). Pure. `published` undefined means the
 * publisher has not reported yet: then nothing is compacted.
 */
export function compactionTarget(samples: readonly RevisionSample[], nowMs: number, current: number, published: number | undefined, policy: CompactionPolicy, alreadyCompacted: number): number {
  if (published === undefined) return 0;
  let old = 0;
  for (const s of samples) if (nowMs - s.atMs >= policy.retentionMs && s.revision > old) old = s.revision;
  const target = Math.min(old, current - policy.minRevisions, published);
  return target > alreadyCompacted ? target : 0;
}

export interface CompactorOptions {
  storage: Storage;
  intervalMs: number;
  policy: CompactionPolicy;
  /** The last revision published on NATS (undefined while unknown). */
  publishedRevision: () => number | undefined;
  logger: Logger;
  metrics: ApiserverMetrics;
  now?: () => number;
}

/** Runs compaction every intervalMs until signal aborts; failures are logged and retried next tick. */
export async function runCompactor(options: CompactorOptions, signal: AbortSignal): Promise<void> {
  const now = options.now ?? Date.now;
  let samples: RevisionSample[] = [];
  let compacted = 0;
  while (!signal.aborted) {
    try {
      const current = await options.storage.currentRevision();
      samples.push({ atMs: now(), revision: current });
      const target = compactionTarget(samples, now(), current, options.publishedRevision(), options.policy, compacted);
      if (target > 0) {
        await options.storage.compact(target);
        compacted = target;
        options.metrics.compactedRevision.set(target);
        options.logger.info({ revision: target }, 'compacted etcd');
      }
      // Keep the samples still needed: the newest old-enough one and everything younger.
      const cutoff = now() - options.policy.retentionMs;
      const oldEnough = samples.filter((s) => s.atMs <= cutoff);
      samples = [...oldEnough.slice(-1), ...samples.filter((s) => s.atMs > cutoff)];
    } catch (err) {
      options.logger.warn({ err }, 'compaction failed');
    }
    await delay(options.intervalMs, undefined, { signal }).catch(() => undefined); // ends early on abort
  }
}
