/**
 * Kubernetes' (UID-tracking) ControllerExpectations: what a controller has asked the apiserver
 * to do for one key and not yet seen in its informer cache, so that a sync running before the
 * cache catches up does not create or delete the same pods again.
 *
 *   expectCreations(key, n) ─> add = n      creationObserved(key) ─> add - 1
 *   expectDeletions(key, pods) ─> del = |pods|, remember the pod keys
 *   deletionObserved(key, pod) ─> del - 1, once per remembered pod key
 *
 * satisfied(key) is true when nothing is recorded for the key, when add <= 0 and del <= 0, or
 * when the record is older than the timeout (5 minutes): a lost event then only delays the
 * controller, it never blocks it. Not thread-safe in any sense that matters to Node: every
 * method is synchronous.
 */

/** How long an unfulfilled expectation holds a key back (Kubernetes' ExpectationsTimeout). */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface ExpectationRecord {
  add: number;
  del: number;
  /** Pod keys whose deletion is expected. */
  deleting: Set<string>;
  /** When the expectations were set (ms). */
  at: number;
}

export class ControllerExpectations {
  private readonly records = new Map<string, ExpectationRecord>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly timeoutMs = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  /** True when the controller may act on `key` (see the class comment). */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.now() - r.at > this.timeoutMs;
  }

  /** Ms until the expectations of `key` expire (0 when satisfied). */
  msUntilExpiry(key: string): number {
    const r = this.records.get(key);
    if (!r || this.satisfied(key)) return 0;
    return Math.max(1, r.at + this.timeoutMs - this.now() + 1);
  }

  /** Replaces the expectations of `key`: `count` creations in flight. */
  expectCreations(key: string, count: number): void {
    this.records.set(key, { add: count, del: 0, deleting: new Set(), at: this.now() });
  }

  /** Replaces the expectations of `key`: the deletion of each of `podKeys` in flight. */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    const deleting = new Set(podKeys);
    this.records.set(key, { add: 0, del: deleting.size, deleting, at: this.now() });
  }

  /** Replaces the expectations of `key`: `creations` pods and the deletion of each of `podKeys` in flight (a DaemonSet does both in one sync). */
  expect(key: string, creations: number, podKeys: readonly string[]): void {
    const deleting = new Set(podKeys);
    this.records.set(key, { add: creations, del: deleting.size, deleting, at: this.now() });
  }

  /** One creation seen (or given up on). No-op for a key with no record. */
  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.add--;
  }

  /**
   * The deletion of `podKey` seen (or given up on). Counts once per pod key that was expected;
   * other pods and repeats are ignored.
   */
  deletionObserved(key: string, podKey: string): void {
    const r = this.records.get(key);
    if (r?.deleting.delete(podKey)) r.del--;
  }

  /** Forgets `key` (its owner is gone). */
  delete(key: string): void {
    this.records.delete(key);
  }

  /** The pending counts of `key` (for logs and tests). */
  pending(key: string): { add: number; del: number } | undefined {
    const r = this.records.get(key);
    return r && { add: r.add, del: r.del };
  }
}
