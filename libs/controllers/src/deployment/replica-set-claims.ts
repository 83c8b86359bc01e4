/**
 * Which ReplicaSets a Deployment owns, adopts and releases: the ControllerRefManager rules of
 * ../controller-ref-manager.ts applied to ReplicaSets, with the Deployment's selector (an empty
 * one matches nothing) and controller reference.
 */
import { labelSelectorMatcher, type Deployment, type OwnerReference, type ReplicaSet } from '@skiff/api';
import { adoptedCopy as adopted, claimObjects, type Claims } from '../controller-ref-manager';
import { newControllerRef } from '../owner-refs';

export { releasedCopy } from '../controller-ref-manager';
export type ReplicaSetClaims = Claims<ReplicaSet>;

/** Sorts the ReplicaSets of the Deployment's namespace into owned / adopt / release. */
export function claimReplicaSets(d: Readonly<Deployment>, replicaSets: readonly Readonly<ReplicaSet>[]): ReplicaSetClaims {
  return claimObjects(d, labelSelectorMatcher(d.spec?.selector), replicaSets);
}

/** The controller reference a Deployment puts on its ReplicaSets. */
export function deploymentRef(d: Readonly<Deployment>): OwnerReference {
  return newControllerRef(d, 'apps/v1', 'Deployment');
}

/** A copy of `rs` with `d` as its controller (other owner references kept). */
export function adoptedCopy(rs: Readonly<ReplicaSet>, d: Readonly<Deployment>): ReplicaSet {
  return adopted(rs, deploymentRef(d));
}
