/**
 * The namespace controller's decisions, without I/O (Kubernetes' namespaced_resources_deleter):
 *
 *   namespace not being deleted ───────────────────────> nothing
 *   being deleted, "kubernetes" not in spec.finalizers ─> delete it again (the apiserver removes
 *                                                         it once empty and without finalizers)
 *   otherwise: delete every object in it (all namespaced kinds), list again and
 *     something failed ─> conditions say so; retry with backoff
 *     something remains ─> conditions say what (and which finalizers hold it); look again after
 *                          estimate/2 + 1 s (estimate: the longest pod grace period, or 15 s for
 *                          finalizers), or sooner when content is deleted
 *     nothing remains ──> drop "kubernetes" from spec.finalizers (the apiserver removes the
 *                          namespace when no finalizer is left)
 */
import { KINDS, type Condition, type KindInfo, type Pod } from '@skiff/api';

/** The finalizer the namespace controller owns (v1.FinalizerKubernetes). */
export const NAMESPACE_FINALIZER = 'kubernetes';

/** Kubernetes' wait for content held by finalizers (finalizerEstimateSeconds). */
export const FINALIZER_ESTIMATE_SECONDS = 15;

/** What is left in the namespace after a deletion pass. */
export interface ContentState {
  /** Objects still there, by kind. */
  remaining: { info: KindInfo; count: number }[];
  /** Finalizer -> how many remaining objects carry it. */
  finalizers: Map<string, number>;
  /** Errors of this pass ("pods: ..."), empty when every delete and list worked. */
  failures: string[];
}

/** Every kind that lives in a namespace: what a namespace deletion deletes. */
export function namespacedKinds(): KindInfo[] {
  return KINDS.filter((k) => k.namespaced);
}

/** The kind's group-qualified resource as Kubernetes prints it: "pods.", "replicasets.apps". */
export function groupResource(info: KindInfo): string {
  const slash = info.apiVersion.indexOf('/');
  return `${info.resource}.${slash < 0 ? '' : info.apiVersion.slice(0, slash)}`;
}

/**
 * Seconds the pods may take to terminate: the longest terminationGracePeriodSeconds of the
 * pods that are not finished (Kubernetes' estimateGracefulTerminationForPods).
 */
export function estimateGracefulTermination(pods: readonly Readonly<Pod>[]): number {
  let estimate = 0;
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    estimate = Math.max(estimate, Number(pod.spec?.terminationGracePeriodSeconds ?? 0));
  }
  return estimate;
}

/** When to look again at a namespace whose content is still going: estimate/2 + 1 seconds (in ms). */
export function requeueAfterMs(state: ContentState, podEstimateSeconds: number): number {
  const estimate = Math.max(podEstimateSeconds, state.finalizers.size > 0 ? FINALIZER_ESTIMATE_SECONDS : 0);
  return (Math.floor(estimate / 2) + 1) * 1000;
}

/** True when the namespace is empty and every delete worked: it can be finalized. */
export function contentGone(state: ContentState): boolean {
  return state.failures.length === 0 && state.remaining.every((r) => r.count === 0);
}

function condition(type: string, failed: boolean, reasons: [ok: string, failed: string], messages: [ok: string, failed: string], now: Date): Condition {
  return { type, status: failed ? 'True' : 'False', reason: reasons[failed ? 1 : 0], message: messages[failed ? 1 : 0], lastTransitionTime: now };
}

/**
 * The namespace's deletion conditions for `state`, as Kubernetes words them. A condition whose
 * status did not change keeps its lastTransitionTime from `previous`; other conditions in
 * `previous` are kept as they are.
 */
export function deletionConditions(state: ContentState, previous: readonly Condition[], now: Date): Condition[] {
  const remaining = state.remaining.filter((r) => r.count > 0).map((r) => `${groupResource(r.info)} has ${r.count} resource instances`).sort();
  const finalizers = [...state.finalizers].map(([f, n]) => `${f} in ${n} resource instances`).sort();
  const computed = [
    condition(
      'NamespaceDeletionContentFailure',
      state.failures.length > 0,
      ['ContentDeleted', 'ContentDeletionFailed'],
      ['All content successfully deleted, may be waiting on finalization', `Failed to delete all resource types, ${state.failures.length} remaining: ${state.failures.join(', ')}`],
      now,
    ),
    condition('NamespaceContentRemaining', remaining.length > 0, ['ContentRemoved', 'SomeResourcesRemain'], ['All content successfully removed', `Some resources are remaining: ${remaining.join(', ')}`], now),
    condition(
      'NamespaceFinalizersRemaining',
      finalizers.length > 0,
      ['ContentHasNoFinalizers', 'SomeFinalizersRemain'],
      ['All content-preserving finalizers finished', `Some content in the namespace has finalizers remaining: ${finalizers.join(', ')}`],
      now,
    ),
  ];
  const byType = new Map(previous.map((c) => [c.type, c]));
  const result = previous.filter((c) => !computed.some((n) => n.type === c.type)).map((c) => ({ ...c }));
  for (const next of computed) {
    const old = byType.get(next.type);
    result.push(old && old.status === next.status ? { ...next, lastTransitionTime: old.lastTransitionTime } : next);
  }
  return result;
}

/** True when two condition lists say the same (times aside): no status write needed. */
export function sameConditions(a: readonly Condition[], b: readonly Condition[]): boolean {
  const key = (list: readonly Condition[]) => JSON.stringify(list.map((c) => [c.type, c.status, c.reason, c.message]).sort());
  return key(a) === key(b);
}
