/**
 * The Eviction API (Kubernetes' pods/eviction subresource, EvictionREST): a pod is deleted only
 * when the PodDisruptionBudget that selects it allows one more disruption, and that budget is
 * charged first (status.disruptionsAllowed - 1, the pod in status.disruptedPods) with a
 * compare-and-swap, so that two evictions racing for the last allowed disruption cannot both win.
 * The disruption controller recomputes the budget from the pods it sees.
 *
 * planEviction is the pure decision; evictPod does the reads and writes through the GenericStore.
 */
import {
  ConflictError,
  FailedPreconditionError,
  labelSelectorMatcher,
  TooManyRequestsError,
  unwrap,
  wrap,
  kindFor,
  type ApiObject,
  type EvictRequest,
  type Pod,
  type PodDisruptionBudget,
  type PodDisruptionBudgetStatus,
} from '@skiff/api';
import type { GenericStore } from './generic-store';

/** Kubernetes' MaxDisruptedPodSize: evictions the disruption controller has not confirmed yet. */
export const MAX_DISRUPTED_PODS = 2000;
const MAX_CAS_ATTEMPTS = 5;

export type EvictionPlan =
  /** Delete the pod without charging any budget (none selects it, or it is not running or healthy). */
  | { action: 'delete' }
  /** Write this status to the budget (compare-and-swap), then delete the pod. */
  | { action: 'charge'; pdb: Readonly<PodDisruptionBudget>; status: PodDisruptionBudgetStatus };

const isReady = (pod: Readonly<Pod>) => pod.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Whether a budget selects the pod: a missing selector selects nothing, an empty one everything (policy/v1). */
function selects(pdb: Readonly<PodDisruptionBudget>, pod: Readonly<Pod>): boolean {
  const selector = pdb.spec?.selector;
  if (!selector) return false;
  try {
    return labelSelectorMatcher(selector).matches(pod.metadata?.labels ?? {});
  } catch {
    return false;
  }
}

/**
 * Decides an eviction of `pod` given the budgets of its namespace (pure). Throws
 * TooManyRequestsError while the budget allows no disruption (or has not been computed for its
 * current spec), FailedPreconditionError when more than one budget selects the pod.
 */
export function planEviction(pod: Readonly<Pod>, budgets: readonly Readonly<PodDisruptionBudget>[], now: Date): EvictionPlan {
  const phase = pod.status?.phase;
  // As Kubernetes' canIgnorePDB: a pod that is finished, never ran, or is going anyway.
  if (pod.metadata?.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending') return { action: 'delete' };
  const matching = budgets.filter((b) => selects(b, pod));
  if (matching.length === 0) return { action: 'delete' };
  if (matching.length > 1) throw new FailedPreconditionError('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  const pdb = matching[0];
  const name = pdb.metadata?.name ?? '';
  const status = pdb.status;
  const refused = (why: string) => new TooManyRequestsError(`Cannot evict pod as it would violate the pod's disruption budget. ${why}`);
  if (!status || Number(status.observedGeneration) < Number(pdb.metadata?.generation ?? 0)) throw refused(`The disruption budget ${name} is still being processed by the server.`);
  if (!isReady(pod)) {
    const policy = pdb.spec?.unhealthyPodEvictionPolicy || 'IfHealthyBudget';
    if (policy === 'AlwaysAllow') return { action: 'delete' };
    if (status.desiredHealthy > 0 && status.currentHealthy >= status.desiredHealthy) return { action: 'delete' };
  }
  if (status.disruptionsAllowed <= 0) throw refused(`The disruption budget ${name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`);
  const disrupted = status.disruptedPods ?? {};
  if (Object.keys(disrupted).length >= MAX_DISRUPTED_PODS) throw refused('DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  return { action: 'charge', pdb, status: { ...structuredClone(status), disruptionsAllowed: status.disruptionsAllowed - 1, disruptedPods: { ...disrupted, [pod.metadata?.name ?? '']: now } } };
}

const PODS = kindFor('pods');
const BUDGETS = kindFor('poddisruptionbudgets');

/**
 * Evicts a pod (see the file comment): reads it and its namespace's budgets, charges the budget
 * (retried from a fresh read when another eviction changed it first), then deletes the pod
 * gracefully (request.gracePeriodSeconds, or the pod's own) on the pod's uid, so that a pod
 * re-created under the same name is not the one deleted. Returns the pod as the delete left it.
 * dryRun decides and writes nothing.
 */
export async function evictPod(store: GenericStore, request: EvictRequest, now: () => Date): Promise<ApiObject> {
  for (let attempt = 1; ; attempt++) {
    const pod = unwrap(await store.get(PODS.resource, request.namespace, request.name)).object as Pod;
    if (request.preconditions?.uid && request.preconditions.uid !== pod.metadata?.uid) {
      throw new ConflictError(`Precondition failed for pod ${request.namespace}/${request.name}: UID in precondition: ${request.preconditions.uid}, UID in object meta: ${pod.metadata?.uid}`);
    }
    const budgets = (await store.list({ resource: BUDGETS.resource, namespace: request.namespace })).items.map((o) => unwrap(o).object as PodDisruptionBudget);
    const plan = planEviction(pod, budgets, now());
    if (request.dryRun) return wrap(PODS, pod as never);
    if (plan.action === 'charge') {
      try {
        await store.updateStatus(wrap(BUDGETS, { ...plan.pdb, status: plan.status } as never));
      } catch (err) {
        if (err instanceof ConflictError && attempt < MAX_CAS_ATTEMPTS) continue;
        throw err;
      }
    }
    return store.delete({
      resource: PODS.resource,
      namespace: request.namespace,
      name: request.name,
      preconditions: { uid: pod.metadata?.uid, resourceVersion: request.preconditions?.resourceVersion },
      gracePeriodSeconds: request.gracePeriodSeconds,
      propagationPolicy: '',
      dryRun: false,
    });
  }
}
