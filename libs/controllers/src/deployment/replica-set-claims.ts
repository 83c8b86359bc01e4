/**
 * Which ReplicaSets a Deployment owns, adopts and releases (Kubernetes' ClaimReplicaSets),
 * decided over the ReplicaSets of its namespace:
 *
 *   controller ref to another owner ─────────────────────────> not ours, left alone
 *   controller ref to this Deployment, selector matches ─────> owned
 *   controller ref to this Deployment, no longer matching ───> release (unless the Deployment is being deleted)
 *   no controller ref, selector matches, neither the
 *     Deployment nor the ReplicaSet is being deleted ────────> adopt
 *   anything else ───────────────────────────────────────────> ignored
 *
 * Pure; adoptedCopy/releasedCopy return new objects for the update and never change the cache.
 */
import { labelSelectorMatcher, type Deployment, type OwnerReference, type ReplicaSet } from '@skiff/api';
import { controllerRefOf, newControllerRef } from '../owner-refs';

export interface ReplicaSetClaims {
  /** Controlled by the Deployment and matching its selector. */
  owned: Readonly<ReplicaSet>[];
  /** Orphans matching the selector: the Deployment should become their controller. */
  adopt: Readonly<ReplicaSet>[];
  /** Controlled by the Deployment but no longer matching: it should remove its owner reference. */
  release: Readonly<ReplicaSet>[];
}

/** Sorts the ReplicaSets of the Deployment's namespace into owned / adopt / release. */
export function claimReplicaSets(d: Readonly<Deployment>, replicaSets: readonly Readonly<ReplicaSet>[]): ReplicaSetClaims {
  const claims: ReplicaSetClaims = { owned: [], adopt: [], release: [] };
  const uid = d.metadata?.uid ?? '';
  const deleting = Boolean(d.metadata?.deletionTimestamp);
  const selector = labelSelectorMatcher(d.spec?.selector);
  for (const rs of replicaSets) {
    if ((rs.metadata?.namespace ?? '') !== (d.metadata?.namespace ?? '')) continue;
    const matches = !selector.empty && selector.matches(rs.metadata?.labels);
    const ref = controllerRefOf(rs);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches) claims.owned.push(rs);
      else if (!deleting) claims.release.push(rs);
      continue;
    }
    if (deleting || !matches || rs.metadata?.deletionTimestamp) continue;
    claims.adopt.push(rs);
  }
  return claims;
}

/** The controller reference a Deployment puts on its ReplicaSets. */
export function deploymentRef(d: Readonly<Deployment>): OwnerReference {
  return newControllerRef(d, 'apps/v1', 'Deployment');
}

/** A copy of `rs` with `d` as its controller (other owner references kept). */
export function adoptedCopy(rs: Readonly<ReplicaSet>, d: Readonly<Deployment>): ReplicaSet {
  const copy = structuredClone(rs) as ReplicaSet;
  const meta = copy.metadata!;
  meta.ownerReferences = [...(meta.ownerReferences ?? []).filter((r) => r.uid !== d.metadata?.uid), deploymentRef(d)];
  return copy;
}

/** A copy of `rs` without the owner reference to the owner with `ownerUid`. */
export function releasedCopy(rs: Readonly<ReplicaSet>, ownerUid: string): ReplicaSet {
  const copy = structuredClone(rs) as ReplicaSet;
  copy.metadata!.ownerReferences = (copy.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
  return copy;
}
