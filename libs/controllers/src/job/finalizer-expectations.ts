/**
 * Kubernetes' uidTrackingExpectations for the Job tracking finalizer: the uids of pods whose
 * finalizer the controller has removed (and counted) but whose update the pod cache does not show
 * yet. A sync treats them as already counted, so that a stale cache never counts a pod twice.
 *
 *   expect(job, uids) ──> pending ──pod seen without the finalizer, or deleted──> observed(uid)
 *
 * An observation is by pod uid alone (a uid belongs to one Job's expectations at a time): a pod
 * released or re-owned while its removal is pending no longer names the Job, and must still clear
 * it. Synchronous; no timeout (a removal that failed is observed at once by the caller).
 */
export class FinalizerExpectations {
  private readonly byJob = new Map<string, Set<string>>();
  private readonly jobOfUid = new Map<string, string>();

  expect(jobKey: string, uids: Iterable<string>): void {
    const set = this.byJob.get(jobKey) ?? new Set<string>();
    for (const uid of uids) {
      const previous = this.jobOfUid.get(uid);
      if (previous !== undefined && previous !== jobKey) this.observed(uid);
      set.add(uid);
      this.jobOfUid.set(uid, jobKey);
    }
    if (set.size > 0) this.byJob.set(jobKey, set);
  }

  /** The pod with `uid` was seen without the finalizer, or deleted: whichever Job expected it. */
  observed(uid: string): void {
    const jobKey = this.jobOfUid.get(uid);
    if (jobKey === undefined) return;
    this.jobOfUid.delete(uid);
    const set = this.byJob.get(jobKey);
    if (!set) return;
    set.delete(uid);
    if (set.size === 0) this.byJob.delete(jobKey);
  }

  /** The uids still pending for the Job (a copy). */
  pending(jobKey: string): Set<string> {
    return new Set(this.byJob.get(jobKey) ?? []);
  }

  /** Forgets the Job (deleted) and its uids. */
  delete(jobKey: string): void {
    for (const uid of this.byJob.get(jobKey) ?? []) this.jobOfUid.delete(uid);
    this.byJob.delete(jobKey);
  }

  /** How many uids are pending over all Jobs (for tests and metrics). */
  get size(): number {
    return this.jobOfUid.size;
  }
}
