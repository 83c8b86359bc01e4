/**
 * ownerReferences helpers: the controller reference (the one owner with controller: true) is how
 * a ReplicaSet knows its pods and a Deployment its ReplicaSets; the garbage collector follows all
 * owner references.
 */
import type { KubeObject, OwnerReference } from '@skiff/api';

/** The owner reference with controller: true, if any. */
export function controllerRefOf(object: Readonly<KubeObject>): OwnerReference | undefined {
  return object.metadata?.ownerReferences?.find((ref) => ref.controller);
}

/** Whether `object` is controlled by the owner with this uid. */
export function isControlledBy(object: Readonly<KubeObject>, ownerUid: string): boolean {
  return controllerRefOf(object)?.uid === ownerUid;
}

/** The controller reference an owner puts on what it creates (blockOwnerDeletion, as Kubernetes). */
export function newControllerRef(owner: Readonly<KubeObject>, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** Index function: the uid of the object's controller ("" entries are not indexed). */
export function controllerUidIndex(object: Readonly<KubeObject>): string[] {
  const uid = controllerRefOf(object)?.uid;
  return uid ? [uid] : [];
}

/** Index function: the uids of all the object's owners. */
export function ownerUidsIndex(object: Readonly<KubeObject>): string[] {
  return (object.metadata?.ownerReferences ?? []).map((ref) => ref.uid).filter(Boolean);
}

/** Index names used with the shared informers. */
export const BY_CONTROLLER_UID = 'byControllerUid';
/** Objects by the uid of each of their owners (ownerUidsIndex): how the garbage collector finds dependents. */
export const BY_OWNER_UIDS = 'byOwnerUids';
