/**
 * What the garbage collector does with one object, decided without I/O (Kubernetes'
 * attemptToDeleteItem, processDeletingDependentsItem and orphanDependents):
 *
 *   as a dependent (it has ownerReferences):
 *     each owner is solid (exists, same uid, not waiting), dangling (gone, or another object with
 *     another uid holds its name), waiting (being deleted in the foreground) or unresolvable
 *     (unknown kind, or a namespaced owner of a cluster-scoped object: never collected)
 *       no dangling / waiting owner ──────────────> nothing
 *       some solid owner ─────────────────────────> remove the dangling and waiting references
 *       waiting owner and dependents of its own ──> delete it Foreground (its dependents first)
 *       otherwise ────────────────────────────────> delete it (Orphan / Foreground if it already
 *                                                   carries that finalizer, else Background)
 *   as an owner being deleted (deletionTimestamp set):
 *       orphan finalizer ─────> remove its reference from every dependent, then the finalizer
 *       foregroundDeletion ───> dependents still blocking (blockOwnerDeletion)? process the
 *                               dependents not yet being deleted and wait; none? drop the finalizer
 */
import { KINDS, type KindInfo, type KubeObject, type OwnerReference } from '@skiff/api';

/** The finalizer a Foreground delete puts on the owner (metav1.FinalizerDeleteDependents). */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** The finalizer an Orphan delete puts on the owner (metav1.FinalizerOrphanDependents). */
export const ORPHAN_FINALIZER = 'orphan';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** How an owner reference stands (see the diagram above). */
export type OwnerClass = 'solid' | 'dangling' | 'waiting' | 'unresolvable';

export interface ClassifiedOwner {
  ref: Readonly<OwnerReference>;
  class: OwnerClass;
}

/** Where an owner reference points: the owner's kind and informer key, or why it cannot be resolved. */
export type OwnerLocation = { info: KindInfo; key: string } | { unresolvable: 'unknown-kind' | 'invalid-namespace' };

export type DependentDecision =
  | { action: 'none' }
  | { action: 'removeOwnerReferences'; uids: string[] }
  | { action: 'delete'; propagationPolicy: PropagationPolicy };

export type OwnerDecision<T> =
  | { action: 'none' }
  /** Remove the owner's reference from each dependent, then the orphan finalizer from the owner. */
  | { action: 'orphan'; dependents: readonly T[] }
  /** No dependent blocks the owner any more: drop the foregroundDeletion finalizer. */
  | { action: 'removeFinalizer'; finalizer: string }
  /** Dependents block the owner: collect `process` (those not yet being deleted) and wait. */
  | { action: 'waitForDependents'; process: readonly T[]; blocking: number };

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The kind an owner reference names (matched by kind and API group), or undefined. */
export function ownerKindOf(ref: Readonly<OwnerReference>): KindInfo | undefined {
  return KINDS.find((k) => k.kind === ref.kind && groupOf(k.apiVersion) === groupOf(ref.apiVersion));
}

/**
 * Where the owner named by `ref` lives for a dependent in `namespace` ('' when cluster-scoped):
 * a namespaced owner is in the dependent's namespace; a cluster-scoped dependent cannot have a
 * namespaced owner (Kubernetes reports OwnerRefInvalidNamespace and never collects it).
 */
export function locateOwner(ref: Readonly<OwnerReference>, namespace: string): OwnerLocation {
  const info = ownerKindOf(ref);
  if (!info) return { unresolvable: 'unknown-kind' };
  if (!info.namespaced) return { info, key: ref.name };
  if (!namespace) return { unresolvable: 'invalid-namespace' };
  return { info, key: `${namespace}/${ref.name}` };
}

/** Whether the object is being deleted and carries `finalizer`. */
export function deletingWith(object: Readonly<KubeObject> | undefined, finalizer: string): boolean {
  return !!object?.metadata?.deletionTimestamp && (object.metadata.finalizers ?? []).includes(finalizer);
}

/**
 * Classifies one reference given the object found under the owner's name (undefined: none):
 * another uid under that name counts as absent.
 */
export function classifyOwner(ref: Readonly<OwnerReference>, found: Readonly<KubeObject> | undefined): OwnerClass {
  if (!found || found.metadata?.uid !== ref.uid) return 'dangling';
  return deletingWith(found, FOREGROUND_FINALIZER) ? 'waiting' : 'solid';
}

/**
 * Decides what to do with an object that has owner references, given each reference's class
 * and whether the object has dependents of its own. An object already being deleted is left
 * alone (its deletion is a one-way trip; as an owner it is handled by decideForOwner).
 */
export function decideForDependent(object: Readonly<KubeObject>, owners: readonly ClassifiedOwner[], hasDependents: boolean): DependentDecision {
  const meta = object.metadata;
  if (!meta || meta.deletionTimestamp || owners.length === 0) return { action: 'none' };
  const gone = owners.filter((o) => o.class === 'dangling' || o.class === 'waiting');
  if (gone.length === 0) return { action: 'none' };
  if (owners.some((o) => o.class === 'solid' || o.class === 'unresolvable')) {
    if (owners.every((o) => o.class !== 'solid')) return { action: 'none' }; // unresolvable owners keep it, untouched
    return { action: 'removeOwnerReferences', uids: [...new Set(gone.map((o) => o.ref.uid))] };
  }
  if (owners.some((o) => o.class === 'waiting') && hasDependents) return { action: 'delete', propagationPolicy: 'Foreground' };
  const finalizers = meta.finalizers ?? [];
  if (finalizers.includes(ORPHAN_FINALIZER)) return { action: 'delete', propagationPolicy: 'Orphan' };
  if (finalizers.includes(FOREGROUND_FINALIZER)) return { action: 'delete', propagationPolicy: 'Foreground' };
  return { action: 'delete', propagationPolicy: 'Background' };
}

/** The reference to the owner with `uid` among the object's owner references, if any. */
export function referenceTo(object: Readonly<KubeObject>, uid: string): Readonly<OwnerReference> | undefined {
  return object.metadata?.ownerReferences?.find((ref) => ref.uid === uid);
}

/**
 * Decides what to do for an owner being deleted with the orphan or foregroundDeletion
 * finalizer, given the cached objects that reference its uid. Orphaning comes first when both
 * finalizers are present.
 */
export function decideForOwner<T extends KubeObject>(owner: Readonly<KubeObject>, dependents: readonly T[]): OwnerDecision<T> {
  const uid = owner.metadata?.uid ?? '';
  const mine = dependents.filter((d) => !!uid && !!referenceTo(d, uid));
  if (deletingWith(owner, ORPHAN_FINALIZER)) return { action: 'orphan', dependents: mine };
  if (!deletingWith(owner, FOREGROUND_FINALIZER)) return { action: 'none' };
  const blocking = mine.filter((d) => referenceTo(d, uid)?.blockOwnerDeletion);
  if (blocking.length === 0) return { action: 'removeFinalizer', finalizer: FOREGROUND_FINALIZER };
  return { action: 'waitForDependents', process: mine.filter((d) => !d.metadata?.deletionTimestamp), blocking: blocking.length };
}

/** The object's owner references without those to `uids` (a new array; the object is not changed). */
export function withoutOwnerReferences(object: Readonly<KubeObject>, uids: readonly string[]): OwnerReference[] {
  return (object.metadata?.ownerReferences ?? []).filter((ref) => !uids.includes(ref.uid)).map((ref) => ({ ...ref }));
}
