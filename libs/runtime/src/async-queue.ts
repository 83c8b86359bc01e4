/**
 * An unbounded push queue read as an async iterable: producers push(), end() or fail(); one
 * consumer iterates. Ending (or breaking out of the loop) runs the onClose callback once, so a
 * Docker stream behind the queue is destroyed when the reader stops. Items pushed after the end
 * are dropped.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiting?: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void };
  private done = false;
  private error: unknown;
  private closed = false;

  constructor(private readonly onClose: () => void = () => undefined) {}

  /** Adds an item (ignored after end/fail). */
  push(item: T): void {
    if (this.done) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** No more items: the consumer gets what is queued, then the end. */
  end(): void {
    this.finish(undefined);
  }

  /** Like end(), but the consumer's next read after the queued items throws `error`. */
  fail(error: unknown): void {
    this.finish(error ?? new Error('stream failed'));
  }

  private finish(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    if (this.waiting && this.items.length === 0) {
      const w = this.waiting;
      this.waiting = undefined;
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
        if (this.done) return this.error ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
      },
      return: () => {
        this.done = true;
        this.items = [];
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
