/**
 * A namespace's life in the apiserver, as Kubernetes' namespace registry has it, in pure
 * functions:
 *
 *   create ──> Active, spec.finalizers ⊇ ["kubernetes"]
 *   delete ──> Terminating: deletionTimestamp set; nothing new may be created inside
 *              (the namespace controller now deletes the content, then drops "kubernetes")
 *   spec.finalizers and metadata.finalizers both empty (and, when Delete decides, no content)
 *          ──> removed
 *
 * spec.finalizers changes only through UpdateStatus (our form of Kubernetes' /finalize
 * subresource), so that applying a manifest without them never skips the content deletion.
 */
import { InvalidError } from '@skiff/api';
import { deepCopy, metaOf, type StoredObject } from './object-access';

/** The finalizer the namespace controller owns (v1.FinalizerKubernetes). */
export const NAMESPACE_FINALIZER = 'kubernetes';

interface NamespaceShape extends StoredObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string };
}

/** The namespace's spec.finalizers ([] when none). */
export function specFinalizersOf(object: StoredObject): string[] {
  return (object as NamespaceShape).spec?.finalizers ?? [];
}

/** Create: the "kubernetes" finalizer is always there (mutates `object`). */
export function prepareNamespaceForCreate(object: StoredObject): void {
  const ns = object as NamespaceShape;
  const finalizers = specFinalizersOf(ns);
  if (!finalizers.includes(NAMESPACE_FINALIZER)) ns.spec = { ...ns.spec, finalizers: [...finalizers, NAMESPACE_FINALIZER] };
}

/** Update: spec.finalizers stay as stored (mutates `next`). */
export function keepSpecFinalizers(next: StoredObject, stored: StoredObject): void {
  (next as NamespaceShape).spec = { ...(next as NamespaceShape).spec, finalizers: [...specFinalizersOf(stored)] };
}

/**
 * UpdateStatus (finalize): spec.finalizers as requested (mutates `next`); a terminating
 * namespace cannot gain one (InvalidError).
 */
export function finalizeSpecFinalizers(next: StoredObject, requested: StoredObject, stored: StoredObject): void {
  const wanted = specFinalizersOf(requested);
  if (metaOf(stored).deletionTimestamp) {
    const added = wanted.filter((f) => !specFinalizersOf(stored).includes(f));
    if (added.length) throw new InvalidError([{ field: 'spec.finalizers', detail: `no new finalizers can be added while the namespace is terminating (${added.join(', ')})` }]);
  }
  (next as NamespaceShape).spec = { ...(next as NamespaceShape).spec, finalizers: [...wanted] };
}

/** No finalizer of either kind is left: the namespace may go (once empty). */
export function namespaceFinalized(object: StoredObject): boolean {
  return specFinalizersOf(object).length === 0 && metaOf(object).finalizers.length === 0;
}

/** The namespace marked for deletion: deletionTimestamp now, phase Terminating (a new object). */
export function markTerminating(stored: StoredObject, now: Date): StoredObject {
  const next = deepCopy(stored) as NamespaceShape;
  metaOf(next).deletionTimestamp = now;
  metaOf(next).deletionGracePeriodSeconds = 0;
  next.status = { ...next.status, phase: 'Terminating' };
  return next;
}
