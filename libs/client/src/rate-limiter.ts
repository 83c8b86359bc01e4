/**
 * How long to wait before retrying a key, as client-go's workqueue rate limiters: per-item
 * exponential backoff, an overall token bucket, and the maximum of several.
 */
import { realClock, type Clock } from './clock';

export interface RateLimiter {
  /** Milliseconds to wait before `key` is processed again; counts one more failure for it. */
  when(key: string): number;
  /** Clears the key's failure history (call after it succeeded). */
  forget(key: string): void;
  /** How many times `when` was called for the key since the last forget. */
  numRequeues(key: string): number;
}

/** base * 2^failures, capped at max, per key. */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * A token bucket over all keys: `qps` tokens per second, at most `burst` saved. Each `when`
 * reserves a token and returns how long until it is available (Go's rate.Limiter.Reserve).
 */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps = 10,
    private readonly burst = 100,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  forget(): void {}

  numRequeues(): number {
    return 0;
  }
}

/** The longest wait of several limiters (each counts the failure). */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.numRequeues(key)));
  }
}

export interface ControllerRateLimiterOptions {
  /** Per-item backoff start; 5 ms. */
  baseDelayMs?: number;
  /** Per-item backoff cap; 1000 s. */
  maxDelayMs?: number;
  /** Overall retries per second; 10. */
  qps?: number;
  /** Overall burst; 100. */
  burst?: number;
}

/** client-go's DefaultControllerRateLimiter: max(per-item exponential, overall token bucket). */
export function controllerRateLimiter(opts: ControllerRateLimiterOptions = {}, clock: Clock = realClock): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialRateLimiter(opts.baseDelayMs ?? 5, opts.maxDelayMs ?? 1_000_000),
    new BucketRateLimiter(opts.qps ?? 10, opts.burst ?? 100, clock),
  );
}
