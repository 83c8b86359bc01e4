/**
 * Which pods a ReplicaSet owns, adopts and releases (Kubernetes' ControllerRefManager.ClaimPods),
 * decided over the active pods of its namespace:
 *
 *   controller ref to another owner ─────────────────────────> not ours, left alone
 *   controller ref to this RS, selector matches ─────────────> owned
 *   controller ref to this RS, selector no longer matches ───> release (unless the RS is being deleted)
 *   no controller ref, selector matches, neither the RS nor
 *     the pod is being deleted ──────────────────────────────> adopt
 *   anything else ───────────────────────────────────────────> ignored
 *
 * Pure; adoptedCopy/releasedCopy return new objects for the update and never change the cache.
 */
import type { LabelMatcher, OwnerReference, Pod, ReplicaSet } from '@skiff/api';
import { controllerRefOf, newControllerRef } from '../owner-refs';

export interface PodClaims {
  /** Controlled by the RS and matching its selector. */
  owned: Readonly<Pod>[];
  /** Orphans matching the selector: the RS should set itself as their controller. */
  adopt: Readonly<Pod>[];
  /** Controlled by the RS but no longer matching: the RS should remove its owner reference. */
  release: Readonly<Pod>[];
}

/** Sorts `pods` (of the RS's namespace) into owned / adopt / release for `rs`. */
export function claimPods(rs: Readonly<ReplicaSet>, selector: LabelMatcher, pods: readonly Readonly<Pod>[]): PodClaims {
  const claims: PodClaims = { owned: [], adopt: [], release: [] };
  const uid = rs.metadata?.uid ?? '';
  const rsDeleting = Boolean(rs.metadata?.deletionTimestamp);
  for (const pod of pods) {
    if ((pod.metadata?.namespace ?? '') !== (rs.metadata?.namespace ?? '')) continue;
    const matches = selector.matches(pod.metadata?.labels);
    const ref = controllerRefOf(pod);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches) claims.owned.push(pod);
      else if (!rsDeleting) claims.release.push(pod);
      continue;
    }
    if (rsDeleting || !matches || pod.metadata?.deletionTimestamp) continue;
    claims.adopt.push(pod);
  }
  return claims;
}

/** The controller reference a ReplicaSet puts on its pods. */
export function replicaSetRef(rs: Readonly<ReplicaSet>): OwnerReference {
  return newControllerRef(rs, 'apps/v1', 'ReplicaSet');
}

/** A copy of `pod` with `rs` added as its controller (other owner references kept). */
export function adoptedCopy(pod: Readonly<Pod>, rs: Readonly<ReplicaSet>): Pod {
  const copy = structuredClone(pod) as Pod;
  const meta = copy.metadata!;
  meta.ownerReferences = [...(meta.ownerReferences ?? []).filter((r) => r.uid !== rs.metadata?.uid), replicaSetRef(rs)];
  return copy;
}

/** A copy of `pod` without the owner reference to the owner with `ownerUid`. */
export function releasedCopy(pod: Readonly<Pod>, ownerUid: string): Pod {
  const copy = structuredClone(pod) as Pod;
  copy.metadata!.ownerReferences = (copy.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
  return copy;
}
