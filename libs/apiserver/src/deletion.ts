/**
 * What a Delete does to a stored object, decided without I/O (Kubernetes' BeforeDelete plus
 * finalizers and graceful pod deletion):
 *
 *   preconditions fail ─────────────────────────────> ConflictError (ABORTED)
 *   Foreground / Orphan ──> add foregroundDeletion / orphan finalizer
 *   pod bound to a node, not terminal, grace > 0 ──> mark: deletionTimestamp = now + grace,
 *                                                    deletionGracePeriodSeconds = grace
 *   finalizers present ──────────────────────────────> mark: deletionTimestamp = now (grace 0)
 *   otherwise ───────────────────────────────────────> remove now
 *
 * A marked object is removed later, when an update drops its last finalizer and no grace period
 * is pending (the kubelet confirms a graceful pod with a grace-0 delete).
 */
import { ConflictError, type KindInfo, type Preconditions } from '@skiff/api';
import { deepCopy, metaOf, type StoredObject } from './object-access';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';
/** A pod's grace period when neither the request nor the pod names one (Kubernetes' default). */
export const DEFAULT_POD_GRACE_SECONDS = 30;

export interface DeleteOptions {
  preconditions?: Preconditions;
  gracePeriodSeconds?: number;
  /** Background (default), Foreground or Orphan. */
  propagationPolicy?: string;
}

export type DeleteDecision =
  /** Remove the key now. */
  | { action: 'remove' }
  /** Write this object (marked for deletion) instead. */
  | { action: 'mark'; object: StoredObject }
  /** Already marked and nothing new to record: return the stored object. */
  | { action: 'none' };

/** Throws ConflictError when a Delete's uid / resourceVersion preconditions do not hold. */
export function checkPreconditions(object: StoredObject, preconditions: Preconditions | undefined, what: string): void {
  const meta = metaOf(object);
  if (preconditions?.uid && preconditions.uid !== meta.uid) {
    throw new ConflictError(`precondition failed for ${what}: uid is ${meta.uid}, not ${preconditions.uid}`);
  }
  if (preconditions?.resourceVersion && preconditions.resourceVersion !== meta.resourceVersion) {
    throw new ConflictError(`precondition failed for ${what}: resourceVersion is ${meta.resourceVersion}, not ${preconditions.resourceVersion}`);
  }
}

function podGraceSeconds(object: StoredObject, requested: number | undefined): number {
  const pod = object as { spec?: { nodeName?: string; terminationGracePeriodSeconds?: number }; status?: { phase?: string } };
  const bound = !!pod.spec?.nodeName;
  const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  if (!bound || terminal) return 0;
  return Math.max(0, Number(requested ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_POD_GRACE_SECONDS));
}

/** Decides what Delete does to `stored` (preconditions are checked by the caller). Pure: `stored` is not changed. */
export function decideDelete(info: KindInfo, stored: StoredObject, options: DeleteOptions, now: Date): DeleteDecision {
  const next = deepCopy(stored);
  const meta = metaOf(next);
  const old = metaOf(stored);
  let changed = false;

  const policyFinalizer = options.propagationPolicy === 'Foreground' ? FOREGROUND_FINALIZER : options.propagationPolicy === 'Orphan' ? ORPHAN_FINALIZER : undefined;
  if (policyFinalizer && !meta.finalizers.includes(policyFinalizer) && !old.deletionTimestamp) {
    meta.finalizers = [...meta.finalizers, policyFinalizer];
    changed = true;
  }

  let grace = 0;
  if (info.case === 'pod') grace = podGraceSeconds(stored, options.gracePeriodSeconds); // only pods delete gracefully

  if (old.deletionTimestamp) {
    // Already marked: a shorter grace period (the kubelet's grace-0 confirmation) shortens it.
    const current = Number(old.deletionGracePeriodSeconds ?? 0);
    if (info.case === 'pod' && options.gracePeriodSeconds !== undefined && grace < current) {
      meta.deletionGracePeriodSeconds = grace;
      meta.deletionTimestamp = new Date(now.getTime() + grace * 1000);
      changed = true;
    }
    if (meta.finalizers.length === 0 && Number(meta.deletionGracePeriodSeconds ?? 0) === 0) return { action: 'remove' };
    return changed ? { action: 'mark', object: next } : { action: 'none' };
  }

  if (grace === 0 && meta.finalizers.length === 0) return { action: 'remove' };
  meta.deletionTimestamp = new Date(now.getTime() + grace * 1000);
  meta.deletionGracePeriodSeconds = grace;
  if (meta.generation > 0) meta.generation += 1;
  return { action: 'mark', object: next };
}
