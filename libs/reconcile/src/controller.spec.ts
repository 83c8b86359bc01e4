import { Registry } from 'prom-client';
import { Controller, TerminalError, type Reconcile } from './controller';

/** Resolves when `check` holds (polling every ms), or fails after 2 s. */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in 2 s');
    await new Promise((r) => setTimeout(r, 1));
  }
}

function run(reconcile: Reconcile, workers = 1, registry?: Registry) {
  const stop = new AbortController();
  const controller = new Controller({ name: 'test', reconcile, workers, queue: { baseDelayMs: 1, maxDelayMs: 20 }, registry });
  const done = controller.start(stop.signal);
  return { controller, stop: () => (stop.abort(), done) };
}

describe('Controller', () => {
  it('reconciles each queued key; a key added several times while queued is reconciled once', async () => {
    const seen: string[] = [];
    const { controller, stop } = run(async (key) => void seen.push(key));
    controller.enqueue('ns/a');
    controller.enqueue('ns/a');
    controller.enqueue('ns/b');
    await until(() => seen.length === 2);
    await stop();
    expect(seen.sort()).toEqual(['ns/a', 'ns/b']);
  });

  it('retries a failing key with backoff until it succeeds, then forgets its failures', async () => {
    let calls = 0;
    const { controller, stop } = run(async () => {
      calls++;
      if (calls < 4) throw new Error('transient');
    });
    controller.enqueue('k');
    await until(() => calls === 4);
    expect(controller.queue.numRequeues('k')).toBe(0);
    await stop();
  });

  it('does not retry a TerminalError', async () => {
    let calls = 0;
    const { controller, stop } = run(async () => {
      calls++;
      throw new TerminalError('bad spec');
    });
    controller.enqueue('k');
    await until(() => calls === 1);
    await new Promise((r) => setTimeout(r, 50));
    await stop();
    expect(calls).toBe(1);
  });

  it('reconciles again after requeueAfterMs', async () => {
    const at: number[] = [];
    const { controller, stop } = run(async () => {
      at.push(Date.now());
      return at.length === 1 ? { requeueAfterMs: 30 } : undefined;
    });
    controller.enqueue('k');
    await until(() => at.length === 2);
    await stop();
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(25);
  });

  it('never reconciles one key on two workers at once, but runs different keys in parallel', async () => {
    let active = 0;
    let maxSameKey = 0;
    let maxActive = 0;
    const perKey = new Map<string, number>();
    let calls = 0;
    const { controller, stop } = run(async (key) => {
      calls++;
      active++;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
      maxSameKey = Math.max(maxSameKey, perKey.get(key) ?? 0);
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 10));
      perKey.set(key, (perKey.get(key) ?? 1) - 1);
      active--;
    }, 4);
    controller.enqueue('a');
    controller.enqueue('b');
    await until(() => active === 2);
    controller.enqueue('a'); // while 'a' is being reconciled: queued again, after it
    await until(() => calls === 3 && active === 0);
    await stop();
    expect(maxSameKey).toBe(1);
    expect(maxActive).toBe(2);
  });

  it('stops: aborts the running reconcile and resolves once it returned', async () => {
    let aborted = false;
    const { controller, stop } = run(
      (_key, signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          }),
        ),
    );
    controller.enqueue('k');
    await until(() => controller.queue.length === 0);
    await stop();
    expect(aborted).toBe(true);
  });

  it('counts reconciles by result in its metrics', async () => {
    const registry = new Registry();
    let calls = 0;
    const { controller, stop } = run(async () => {
      if (++calls === 1) throw new Error('once');
    }, 1, registry);
    controller.enqueue('k');
    await until(() => calls === 2);
    await stop();
    const text = await registry.metrics();
    expect(text).toContain('skiff_controller_reconcile_total{controller="test",result="error"} 1');
    expect(text).toContain('skiff_controller_reconcile_total{controller="test",result="success"} 1');
  });
});
