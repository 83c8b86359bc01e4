import { FakeClock } from '@skiff/client';
import { SchedulingQueue } from './scheduling-queue';

async function popKey(q: SchedulingQueue): Promise<{ key: string; cycle: number } | undefined> {
  const ac = new AbortController();
  const p = q.pop(ac.signal);
  await Promise.resolve();
  ac.abort();
  return p;
}

describe('SchedulingQueue', () => {
  let clock: FakeClock;
  let q: SchedulingQueue;
  beforeEach(() => {
    clock = new FakeClock(1_000_000);
    q = new SchedulingQueue({ clock, initialBackoffMs: 1_000, maxBackoffMs: 10_000, unschedulableTimeoutMs: 60_000 });
  });

  it('hands out higher priority first, then in order of arrival, each key once', async () => {
    q.add('a');
    q.add('b', 10);
    q.add('c');
    q.add('a');
    expect((await popKey(q))?.key).toBe('b');
    expect((await popKey(q))?.key).toBe('a');
    expect((await popKey(q))?.key).toBe('c');
    expect(await popKey(q)).toBeUndefined();
  });

  it('wakes a waiting pop when a pod arrives', async () => {
    const p = q.pop();
    q.add('x');
    expect((await p)?.key).toBe('x');
  });

  it('keeps an unschedulable pod until a cluster event, then applies its backoff', async () => {
    q.add('p');
    const { cycle } = (await popKey(q))!;
    q.addUnschedulable('p', cycle);
    expect(q.counts()).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    clock.advance(500);
    q.moveAllToActiveOrBackoff();
    expect(q.counts()).toEqual({ active: 0, backoff: 1, unschedulable: 0 });
    clock.advance(499);
    expect(await popKey(q)).toBeUndefined();
    clock.advance(1);
    expect((await popKey(q))?.key).toBe('p');
  });

  it('doubles the backoff per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => q.backoffMs(n))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('sends a pod to backoff, not unschedulable, when a cluster event came during its cycle', async () => {
    q.add('p');
    const { cycle } = (await popKey(q))!;
    q.moveAllToActiveOrBackoff();
    q.addUnschedulable('p', cycle);
    expect(q.counts().backoff).toBe(1);
    clock.advance(1_000);
    expect((await popKey(q))?.key).toBe('p');
  });

  it('retries an unschedulable pod after the timeout without any event', async () => {
    q.add('p');
    q.addUnschedulable('p', (await popKey(q))!.cycle);
    clock.advance(60_000);
    expect((await popKey(q))?.key).toBe('p');
  });

  it('forgets deleted pods, wherever they are', async () => {
    q.add('a');
    q.add('b');
    q.delete('a');
    const b = (await popKey(q))!;
    q.addBackoff(b.key);
    q.delete('b');
    clock.advance(20_000);
    expect(await popKey(q)).toBeUndefined();
    expect(q.has('b')).toBe(false);
  });

  it('ignores an add for a pod in flight (its cycle decides)', async () => {
    q.add('p');
    await popKey(q);
    q.add('p');
    expect(await popKey(q)).toBeUndefined();
  });

  it('an update moves an unschedulable pod back (after its backoff)', async () => {
    q.add('p');
    q.addUnschedulable('p', (await popKey(q))!.cycle);
    clock.advance(2_000);
    q.add('p');
    expect((await popKey(q))?.key).toBe('p');
  });

  it('close() ends waiting pops', async () => {
    const p = q.pop();
    q.close();
    expect(await p).toBeUndefined();
  });
});
