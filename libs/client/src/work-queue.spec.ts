import { FakeClock } from './clock';
import { BucketRateLimiter, controllerRateLimiter, ItemExponentialRateLimiter } from './rate-limiter';
import { WorkQueue } from './work-queue';

describe('rate limiters', () => {
  it('backs off per item exponentially up to the cap, and forgets', () => {
    const limiter = new ItemExponentialRateLimiter(5, 1_000_000);
    expect([1, 2, 3, 4].map(() => limiter.when('a'))).toEqual([5, 10, 20, 40]);
    expect(limiter.when('b')).toBe(5);
    expect(limiter.numRequeues('a')).toBe(4);
    for (let i = 0; i < 40; i++) limiter.when('a');
    expect(limiter.when('a')).toBe(1_000_000);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.when('a')).toBe(5);
  });

  it('lets a burst through, then spaces requests at qps', () => {
    const clock = new FakeClock();
    const bucket = new BucketRateLimiter(10, 100, clock);
    const delays = Array.from({ length: 103 }, (_, i) => bucket.when(`k${i}`));
    expect(delays.slice(0, 100).every((d) => d === 0)).toBe(true);
    expect(delays.slice(100)).toEqual([100, 200, 300]);
    clock.advance(1_000);
    // Ten tokens came back; three were already promised.
    expect(bucket.when('x')).toBe(0);
  });

  it('the controller limiter takes the longest of both', () => {
    const clock = new FakeClock();
    const limiter = controllerRateLimiter({ burst: 1, qps: 1 }, clock);
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('b')).toBe(1_000);
  });
});

describe('WorkQueue', () => {
  it('hands out keys in order, de-duplicated', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    expect(q.length).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
  });

  it('never hands a key being processed to a second worker, and re-queues it after done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const first = await q.get();
    expect(first).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0);
    const second = q.get();
    let handed: string | undefined;
    void second.then((k) => (handed = k));
    await Promise.resolve();
    expect(handed).toBeUndefined();
    q.done('a');
    expect(await second).toBe('a');
    q.done('a');
    expect(q.length).toBe(0);
  });

  it('wakes a waiting worker on add', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const pending = q.get();
    q.add('x');
    expect(await pending).toBe('x');
  });

  it('delays addAfter until the clock says so; the earliest delay wins', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 1_000);
    q.addAfter('a', 200);
    q.addAfter('a', 5_000);
    expect(q.length).toBe(0);
    clock.advance(199);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
    clock.advance(10_000);
    expect(q.length).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('rate limits re-adds with per-key backoff until forget', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addRateLimited('a');
    clock.advance(4);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    q.addRateLimited('a');
    clock.advance(9);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
    expect(q.numRequeues('a')).toBe(2);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
  });

  it('shuts down: no new keys, queued keys still handed out, waiting workers released', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.add('a');
    q.addAfter('later', 100);
    q.shutDown();
    q.add('b');
    clock.advance(1_000);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBeUndefined();
    const keys: string[] = [];
    for await (const k of q.keys()) keys.push(k);
    expect(keys).toEqual([]);
  });

  it('releases a waiting worker at shutdown and when its signal aborts', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const controller = new AbortController();
    const aborted = q.get(controller.signal);
    controller.abort();
    expect(await aborted).toBeUndefined();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
  });

  it('drains: resolves once every key in progress is done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const key = (await q.get()) as string;
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    q.done(key);
    await drain;
    expect(drained).toBe(true);
  });

  it('runs workers over keys() until shutdown', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) q.add(`k${i % 3}`);
    const worker = (async () => {
      for await (const key of q.keys()) {
        seen.push(key);
        q.done(key);
      }
    })();
    await new Promise((r) => setImmediate(r));
    q.shutDown();
    await worker;
    expect(seen.sort()).toEqual(['k0', 'k1', 'k2']);
  });
});
