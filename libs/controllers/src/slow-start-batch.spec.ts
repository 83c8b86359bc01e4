import { slowStartBatch } from './slow-start-batch';

/** Records the size of each batch (calls started before any of them settles). */
function recorder(failOnCall?: number) {
  const batches: number[] = [];
  let calls = 0;
  let inFlight = 0;
  const fn = async () => {
    const call = ++calls;
    if (inFlight === 0) batches.push(0);
    inFlight++;
    batches[batches.length - 1]++;
    await Promise.resolve();
    inFlight--;
    if (call === failOnCall) throw new Error(`call ${call} failed`);
  };
  return { fn, batches, calls: () => calls };
}

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4, 8, ... until count calls are made', async () => {
    const r = recorder();
    expect(await slowStartBatch(20, 1, r.fn)).toEqual({ successes: 20 });
    expect(r.batches).toEqual([1, 2, 4, 8, 5]);
  });

  it('stops after the first batch with a failure and reports successes and the error', async () => {
    const r = recorder(5); // in the third batch (calls 4-7)
    const result = await slowStartBatch(100, 1, r.fn);
    expect(result.successes).toBe(6);
    expect((result.error as Error).message).toBe('call 5 failed');
    expect(r.calls()).toBe(7);
    expect(r.batches).toEqual([1, 2, 4]);
  });

  it('a failure of the very first call makes no further call; zero does nothing', async () => {
    const r = recorder(1);
    expect((await slowStartBatch(500, 1, r.fn)).successes).toBe(0);
    expect(r.calls()).toBe(1);
    const none = recorder();
    expect(await slowStartBatch(0, 1, none.fn)).toEqual({ successes: 0 });
    expect(none.calls()).toBe(0);
  });
});
