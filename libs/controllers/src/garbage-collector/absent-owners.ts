/**
 * Owner uids the apiserver has confirmed absent (Kubernetes' absentOwnerCache): a uid never comes
 * back, so once an owner is known gone the garbage collector need not ask again for each of its
 * many dependents. Bounded: the least recently used uid is forgotten first.
 */
export class AbsentOwners {
  private readonly uids = new Map<string, true>();

  constructor(private readonly capacity = 1_000) {}

  has(uid: string): boolean {
    if (!this.uids.has(uid)) return false;
    this.uids.delete(uid); // refresh: most recently used last
    this.uids.set(uid, true);
    return true;
  }

  add(uid: string): void {
    this.uids.delete(uid);
    this.uids.set(uid, true);
    while (this.uids.size > this.capacity) this.uids.delete(this.uids.keys().next().value as string);
  }

  get size(): number {
    return this.uids.size;
  }
}
