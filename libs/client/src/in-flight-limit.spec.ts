import { InFlightLimit } from './in-flight-limit';

describe('InFlightLimit', () => {
  it('lets max tasks in, then one more per release, in arrival order', async () => {
    const limit = new InFlightLimit(2);
    const order: string[] = [];
    await limit.acquire();
    await limit.acquire();
    expect(limit.inFlight).toBe(2);
    const third = limit.acquire().then(() => order.push('third'));
    const fourth = limit.acquire().then(() => order.push('fourth'));
    await Promise.resolve();
    expect(order).toEqual([]);
    limit.release();
    await third;
    expect(order).toEqual(['third']);
    expect(limit.inFlight).toBe(2);
    limit.release();
    await fourth;
    limit.release();
    limit.release();
    expect(limit.inFlight).toBe(0);
    limit.release(); // an extra release never goes below zero
    expect(limit.inFlight).toBe(0);
  });

  it('never has more than max in flight under a burst', async () => {
    const limit = new InFlightLimit(3);
    let running = 0;
    let peak = 0;
    const task = async () => {
      await limit.acquire();
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      limit.release();
    };
    await Promise.all(Array.from({ length: 50 }, task));
    expect([peak, limit.inFlight]).toEqual([3, 0]);
  });

  it('refuses a limit below one', () => {
    expect(() => new InFlightLimit(0)).toThrow(/at least 1/);
  });
});
