/**
 * Which pods a ReplicaSet owns, adopts and releases: the ControllerRefManager rules of
 * ../controller-ref-manager.ts applied to pods, with the ReplicaSet's controller reference.
 */
import type { LabelMatcher, OwnerReference, Pod, ReplicaSet } from '@skiff/api';
import { adoptedCopy as adopted, claimObjects, type Claims } from '../controller-ref-manager';
import { newControllerRef } from '../owner-refs';

export { releasedCopy } from '../controller-ref-manager';
export type PodClaims = Claims<Pod>;

/** Sorts `pods` (of the RS's namespace) into owned / adopt / release for `rs`. */
export function claimPods(rs: Readonly<ReplicaSet>, selector: LabelMatcher, pods: readonly Readonly<Pod>[]): PodClaims {
  return claimObjects(rs, selector, pods);
}

/** The controller reference a ReplicaSet puts on its pods. */
export function replicaSetRef(rs: Readonly<ReplicaSet>): OwnerReference {
  return newControllerRef(rs, 'apps/v1', 'ReplicaSet');
}

/** A copy of `pod` with `rs` added as its controller (other owner references kept). */
export function adoptedCopy(pod: Readonly<Pod>, rs: Readonly<ReplicaSet>): Pod {
  return adopted(pod, replicaSetRef(rs));
}
