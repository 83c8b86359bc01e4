/**
 * Leases for keys that expire (Events: Kubernetes' --event-ttl), shared as Kubernetes' apiserver
 * shares them (storage/etcd3 leaseManager): a lease granted for a TTL is reused by later writes
 * for a short while (5% of the TTL, at most 60 s) and for at most 1,000 keys, and is granted for
 * TTL + that while, so that every key lives at least its TTL and at most TTL + 60 s, and etcd
 * holds few leases.
 */
export interface LeaseGranter {
  /** Grants an etcd lease of `ttlSeconds`; resolves with its id. */
  grant(ttlSeconds: number): Promise<string>;
}

const REUSE_PERCENT = 0.05;
const MAX_REUSE_SECONDS = 60;
const MAX_KEYS_PER_LEASE = 1_000;

interface Current {
  id: Promise<string>;
  /** Until when (ms) writes may take it. */
  reusableUntil: number;
  keys: number;
}

export class LeaseManager {
  /** The lease being handed out, per TTL. */
  private readonly current = new Map<number, Current>();

  constructor(
    private readonly granter: LeaseGranter,
    private readonly now: () => number = Date.now,
  ) {}

  /** A lease id for a key that must live `ttlSeconds` (a whole number of seconds, at least 1). */
  async leaseFor(ttlSeconds: number): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new Error(`a key's TTL must be a whole number of seconds >= 1, not ${ttlSeconds}`);
    const now = this.now();
    const reuseSeconds = Math.min(Math.floor(ttlSeconds * REUSE_PERCENT), MAX_REUSE_SECONDS);
    let lease = this.current.get(ttlSeconds);
    if (!lease || now >= lease.reusableUntil || lease.keys >= MAX_KEYS_PER_LEASE) {
      const id = this.granter.grant(ttlSeconds + reuseSeconds);
      lease = { id, reusableUntil: now + reuseSeconds * 1000, keys: 0 };
      this.current.set(ttlSeconds, lease);
      // A failed grant is not reused: the next write asks again.
      id.catch(() => {
        if (this.current.get(ttlSeconds) === lease) this.current.delete(ttlSeconds);
      });
    }
    lease.keys++;
    return lease.id;
  }
}
