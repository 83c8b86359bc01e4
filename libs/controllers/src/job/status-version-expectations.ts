/**
 * A Job-level expectation on the controller's own status writes: the resourceVersion each write
 * returned. Until the Job cache shows that version (or a later one), the cached Job is older than
 * what the controller already wrote, while the pod cache may already show the effects of that
 * sync (finalizers removed, pods created): syncing from the two would miscount (a pod counted in
 * the write but no longer holding its finalizer looks never counted) and create a surplus pod or
 * a second pod for an index. The sync waits for the Job's update event instead.
 *
 *   wrote(job, rv) ──> pending ──cache shows rv or later, or the Job is gone──> satisfied
 *
 * resourceVersions are etcd revisions here: numbers that only grow.
 * CONTRACT: synchronous, no I/O.
 */
export class StatusVersionExpectations {
  private readonly written = new Map<string, number>();

  /** The controller's write of the Job `key` returned `resourceVersion`. */
  wrote(key: string, resourceVersion: string | undefined): void {
    const rv = Number(resourceVersion);
    if (!Number.isSafeInteger(rv)) return;
    if (rv > (this.written.get(key) ?? -1)) this.written.set(key, rv);
  }

  /** Whether the cached Job (at `cachedVersion`) shows every status write; forgets it when so. */
  satisfied(key: string, cachedVersion: string | undefined): boolean {
    const want = this.written.get(key);
    if (want === undefined) return true;
    const have = Number(cachedVersion);
    if (Number.isSafeInteger(have) && have < want) return false;
    this.written.delete(key);
    return true;
  }

  delete(key: string): void {
    this.written.delete(key);
  }
}
