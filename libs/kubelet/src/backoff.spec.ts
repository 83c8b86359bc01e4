import { FakeClock } from '@skiff/client';
import { backoffDelayMs, crashLoopDelayMs, DEFAULT_BACKOFF, KeyedBackoff } from './backoff';

describe('backoff', () => {
  it('doubles from 10 s to a 5 min cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelayMs(n, DEFAULT_BACKOFF))).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
    expect(backoffDelayMs(0, DEFAULT_BACKOFF)).toBe(0);
  });

  it('measures a crash loop delay from when the container ended, by its restart count', () => {
    const s = { baseMs: 100, maxMs: 1_000 };
    const finishedAt = new Date(10_000);
    const startedAt = new Date(9_990);
    expect(crashLoopDelayMs({ restartCount: 0, startedAt, finishedAt }, 10_000, s)).toBe(0); // first restart: at once
    expect(crashLoopDelayMs({ restartCount: 1, startedAt, finishedAt }, 10_000, s)).toBe(100);
    expect(crashLoopDelayMs({ restartCount: 1, startedAt, finishedAt }, 10_060, s)).toBe(40);
    expect(crashLoopDelayMs({ restartCount: 1, startedAt, finishedAt }, 10_100, s)).toBe(0);
    expect(crashLoopDelayMs({ restartCount: 3, startedAt, finishedAt }, 10_000, s)).toBe(400);
    expect(crashLoopDelayMs({ restartCount: 9, startedAt, finishedAt }, 10_000, s)).toBe(1_000);
    // ran for 2 x max before it crashed: the loop starts over
    expect(crashLoopDelayMs({ restartCount: 9, startedAt: new Date(0), finishedAt }, 10_000, s)).toBe(0);
  });

  it('keeps a per-key backoff on the injected clock', () => {
    const clock = new FakeClock(0);
    const b = new KeyedBackoff({ baseMs: 100, maxMs: 300 }, clock);
    expect(b.remainingMs('a')).toBe(0);
    expect(b.failure('a')).toBe(100);
    clock.advance(30);
    expect(b.remainingMs('a')).toBe(70);
    expect([b.failure('a'), b.failure('a'), b.failure('a')]).toEqual([200, 300, 300]);
    expect(b.failures('a')).toBe(4);
    b.failure('uid/x');
    b.resetPrefix('uid/');
    b.reset('a');
    expect(b.remainingMs('a') + b.remainingMs('uid/x')).toBe(0);
  });
});
