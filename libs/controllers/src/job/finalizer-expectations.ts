/**
 * Kubernetes' uidTrackingExpectations for the Job tracking finalizer: the uids of pods whose
 * finalizer the controller has removed (and counted) but whose update the pod cache does not show
 * yet. A sync treats them as already counted, so that a stale cache never counts a pod twice.
 *
 *   expect(job, uids) ──> pending ──pod seen without the finalizer, or deleted──> observed(job, uid)
 *
 * Synchronous; no timeout (a removal that failed is observed at once by the caller).
 */
export class FinalizerExpectations {
  private readonly byJob = new Map<string, Set<string>>();

  expect(jobKey: string, uids: Iterable<string>): void {
    const set = this.byJob.get(jobKey) ?? new Set<string>();
    for (const uid of uids) set.add(uid);
    if (set.size > 0) this.byJob.set(jobKey, set);
  }

  observed(jobKey: string, uid: string): void {
    const set = this.byJob.get(jobKey);
    if (!set) return;
    set.delete(uid);
    if (set.size === 0) this.byJob.delete(jobKey);
  }

  /** The uids still pending for the Job (a copy). */
  pending(jobKey: string): Set<string> {
    return new Set(this.byJob.get(jobKey) ?? []);
  }

  delete(jobKey: string): void {
    this.byJob.delete(jobKey);
  }
}
