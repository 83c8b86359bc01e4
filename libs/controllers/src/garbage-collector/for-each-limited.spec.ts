import { forEachLimited } from './for-each-limited';

describe('forEachLimited', () => {
  it('calls fn for every item with at most `limit` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      seen.push(n);
      inFlight--;
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('rejects with the first error and starts nothing after it', async () => {
    const started: number[] = [];
    const run = forEachLimited([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await new Promise((r) => setImmediate(r));
      if (n === 2) throw new Error('boom 2');
    });
    await expect(run).rejects.toThrow('boom 2');
    expect(started).toEqual([1, 2, 3]);
  });

  it('does nothing for no items', async () => {
    await forEachLimited([], 4, () => Promise.reject(new Error('never')));
  });
});
