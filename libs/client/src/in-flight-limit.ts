/**
 * A counting semaphore for work in flight (binds, writes): `acquire()` resolves once fewer than `max`
 * slots are taken and takes one; `release()` gives it back and wakes the oldest waiter. Waiting
 * costs one promise per waiter, whatever is in flight (unlike Promise.race over the tasks,
 * which hangs a reaction on every task per wait).
 */
export class InFlightLimit {
  private taken = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new Error(`in-flight limit must be at least 1, not ${max}`);
  }

  /** Slots taken now. */
  get inFlight(): number {
    return this.taken;
  }

  /** Takes a slot, waiting (first come, first served) while all are taken. */
  acquire(): Promise<void> {
    if (this.taken < this.max && this.waiters.length === 0) {
      this.taken++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Gives a slot back: it passes straight to the oldest waiter, if any. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else if (this.taken > 0) this.taken--;
  }
}
