/**
 * Restart and image-pull backoff, as the kubelet's: the n-th delay is base * 2^(n-1), capped at
 * max (10 s doubling to 5 min by default; flags shorten it for tests).
 *
 * Crash-loop delays need no memory: they follow from the restart count the runtime's labels keep
 * (crashLoopDelayMs), so a restarted kubelet keeps honouring them. Image pulls have no such record
 * and use ImagePullBackoff, an in-memory per-key backoff on an injected clock.
 */
import type { Clock } from '@skiff/client';

/** Backoff settings in milliseconds. */
export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

/** Kubernetes' defaults: 10 s doubling to 5 min. */
export const DEFAULT_BACKOFF: BackoffSettings = { baseMs: 10_000, maxMs: 300_000 };

/** The n-th consecutive delay (n >= 1): base * 2^(n-1), at most max; 0 for n <= 0. */
export function backoffDelayMs(n: number, settings: BackoffSettings): number {
  if (n <= 0) return 0;
  return Math.min(settings.maxMs, settings.baseMs * 2 ** Math.min(n - 1, 30));
}

/**
 * How long a container that ended at `finishedAt` and has restarted `restartCount` times must
 * still wait before its next start (0: start now). As the kubelet does, the first restart is
 * immediate, the second waits base, each later one twice the previous, up to max. A container
 * that ran for at least 2 * max before it ended starts over (its crash loop is considered over).
 */
export function crashLoopDelayMs(
  restart: { restartCount: number; startedAt?: Date; finishedAt?: Date },
  now: number,
  settings: BackoffSettings,
): number {
  const finished = restart.finishedAt?.getTime() ?? now;
  const ran = restart.startedAt ? finished - restart.startedAt.getTime() : 0;
  const n = ran >= 2 * settings.maxMs ? 0 : restart.restartCount;
  return Math.max(0, finished + backoffDelayMs(n, settings) - now);
}

/** An in-memory backoff per key (image pulls): each failure doubles the wait; success forgets the key. */
export class KeyedBackoff {
  private readonly entries = new Map<string, { failures: number; until: number }>();

  constructor(
    private readonly settings: BackoffSettings,
    private readonly clock: Clock,
  ) {}

  /** Records a failure; returns the delay before the next try. */
  failure(key: string): number {
    const failures = (this.entries.get(key)?.failures ?? 0) + 1;
    const delay = backoffDelayMs(failures, this.settings);
    this.entries.set(key, { failures, until: this.clock.now() + delay });
    return delay;
  }

  /** Milliseconds left before `key` may be tried again (0: now). */
  remainingMs(key: string): number {
    const entry = this.entries.get(key);
    return entry ? Math.max(0, entry.until - this.clock.now()) : 0;
  }

  /** Consecutive failures recorded for `key`. */
  failures(key: string): number {
    return this.entries.get(key)?.failures ?? 0;
  }

  /** Forgets `key` (after a success). */
  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every key starting with `prefix` (a pod's keys when it goes away). */
  resetPrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
