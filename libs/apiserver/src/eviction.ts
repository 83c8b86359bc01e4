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
  EVICTION_BY_EVICTION_API,
  FailedPreconditionError,
  ForbiddenError,
  labelSelectorMatcher,
  TooManyRequestsError,
  unwrap,
  wrap,
  withDisruptionTarget,
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
/** Kubernetes' EvictionsRetry: 5 attempts. */
const MAX_CAS_ATTEMPTS = 5;
/** The message of every refusal by a budget (the 429's message; the reason follows it). */
export const EVICTION_REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.";

export type EvictionPlan =
  /**
   * Delete the pod without charging any budget (none selects it, it is not running, or it is
   * unhealthy while its budget is met). `resourceVersion`: delete only that version of the pod,
   * so that a pod that became Ready since the decision is not deleted (Kubernetes'
   * shouldEnforceResourceVersion / updateDeletionOptions).
   */
  | { action: 'delete'; resourceVersion?: string; unhealthyUnder?: string }
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

/** A refusal for now (429): the client may retry later (kubectl drain does, every 5 s). */
function refused(why: string): TooManyRequestsError {
  return new TooManyRequestsError(`${EVICTION_REFUSED} ${why}`);
}

/**
 * Kubernetes' checkAndDecrement (pure): the status to write to `pdb` when it allows one more
 * disruption, with `podName` in status.disruptedPods and, when no disruption is left, the
 * DisruptionAllowed condition False (InsufficientPods). Throws TooManyRequestsError while the
 * budget allows none or has not been computed for its current spec, ForbiddenError when its
 * status is broken (negative, or too many unconfirmed evictions).
 */
export function chargeBudget(pdb: Readonly<PodDisruptionBudget>, podName: string, now: Date): PodDisruptionBudgetStatus {
  const name = pdb.metadata?.name ?? '';
  const status = pdb.status;
  if (!status || Number(status.observedGeneration) < Number(pdb.metadata?.generation ?? 0)) throw refused(`The disruption budget ${name} is still being processed by the server.`);
  if (status.disruptionsAllowed < 0) throw new ForbiddenError(`poddisruptionbudgets.policy "${name}" is forbidden: pdb disruptions allowed is negative`);
  const disrupted = status.disruptedPods ?? {};
  if (Object.keys(disrupted).length > MAX_DISRUPTED_PODS) throw new ForbiddenError(`poddisruptionbudgets.policy "${name}" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller`);
  if (status.disruptionsAllowed === 0) throw refused(`The disruption budget ${name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`);
  const next: PodDisruptionBudgetStatus = { ...structuredClone(status), disruptionsAllowed: status.disruptionsAllowed - 1, disruptedPods: { ...disrupted, [podName]: now } };
  if (next.disruptionsAllowed === 0) {
    const old = next.conditions.find((c) => c.type === 'DisruptionAllowed');
    const condition = { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', lastTransitionTime: old?.status === 'False' ? old.lastTransitionTime : now };
    next.conditions = [...next.conditions.filter((c) => c.type !== 'DisruptionAllowed'), condition];
  }
  return next;
}

/**
 * Decides an eviction of `pod` given the budgets of its namespace (pure), as Kubernetes'
 * EvictionREST.Create:
 *   - a pod that is finished, never ran (Pending) or is being deleted is deleted at once
 *     (canIgnorePDB); a Pending one only at the version read;
 *   - no budget selects it: deleted (at the version read);
 *   - more than one: FailedPreconditionError (Kubernetes answers 500 with the same message);
 *   - not Ready: deleted without charging when the budget says AlwaysAllow, or when it is met
 *     (currentHealthy >= desiredHealthy > 0), at the version read;
 *   - otherwise the budget is charged (chargeBudget, which may refuse).
 */
export function planEviction(pod: Readonly<Pod>, budgets: readonly Readonly<PodDisruptionBudget>[], now: Date): EvictionPlan {
  const phase = pod.status?.phase;
  const version = pod.metadata?.resourceVersion || undefined;
  if (pod.metadata?.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed') return { action: 'delete' };
  if (phase === 'Pending') return { action: 'delete', resourceVersion: version };
  const matching = budgets.filter((b) => selects(b, pod));
  if (matching.length === 0) return { action: 'delete', resourceVersion: version };
  if (matching.length > 1) throw new FailedPreconditionError('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  const pdb = matching[0];
  if (!isReady(pod)) {
    const policy = pdb.spec?.unhealthyPodEvictionPolicy || 'IfHealthyBudget';
    const status = pdb.status;
    const unhealthyUnder = pdb.metadata?.name ?? '';
    if (policy === 'AlwaysAllow') return { action: 'delete', resourceVersion: version, unhealthyUnder };
    if (status && status.desiredHealthy > 0 && status.currentHealthy >= status.desiredHealthy) return { action: 'delete', resourceVersion: version, unhealthyUnder };
  }
  return { action: 'charge', pdb, status: chargeBudget(pdb, pod.metadata?.name ?? '', now) };
}

const PODS = kindFor('pods');
/** Attempts at writing the DisruptionTarget condition on a pod that keeps changing. */
const MAX_CONDITION_ATTEMPTS = 5;

/**
 * Writes DisruptionTarget=True (EvictionByEvictionAPI) on the pod's status before it is deleted,
 * as Kubernetes' addConditionAndDeletePod, and resolves with the pod's resourceVersion after it.
 * With `version` (a precondition in force) the write is made only on that version of the pod
 * (ConflictError otherwise); without, on the latest one (read again after a conflict).
 */
async function markDisruptionTarget(store: GenericStore, read: Readonly<Pod>, version: string | undefined, now: Date): Promise<string> {
  let pod = read;
  for (let attempt = 1; ; attempt++) {
    if (version !== undefined && pod.metadata?.resourceVersion !== version) {
      throw new ConflictError(`Precondition failed: ResourceVersion in precondition: ${version}, ResourceVersion in object meta: ${pod.metadata?.resourceVersion}`);
    }
    const { status, changed } = withDisruptionTarget(pod.status, EVICTION_BY_EVICTION_API, now);
    if (!changed) return pod.metadata?.resourceVersion ?? '';
    try {
      const written = unwrap(await store.updateStatus(wrap(PODS, { ...pod, status } as never))).object as Pod;
      return written.metadata?.resourceVersion ?? '';
    } catch (err) {
      if (!(err instanceof ConflictError) || version !== undefined || attempt >= MAX_CONDITION_ATTEMPTS) throw err;
      pod = unwrap(await store.get(PODS.resource, read.metadata?.namespace ?? '', read.metadata?.name ?? '')).object as Pod;
      if (pod.metadata?.uid !== read.metadata?.uid) throw new ConflictError(`Precondition failed: UID in precondition: ${read.metadata?.uid}, UID in object meta: ${pod.metadata?.uid}`);
    }
  }
}
const BUDGETS = kindFor('poddisruptionbudgets');

/**
 * Evicts a pod (see the file comment): reads it and its namespace's budgets, charges the budget
 * (from a fresh read when another eviction changed it first, up to 5 attempts), then deletes the
 * pod gracefully (request.gracePeriodSeconds, or the pod's own) on the pod's uid, so that a pod
 * re-created under the same name is not the one deleted. An uncharged deletion is made at the
 * version read: when the pod changed meanwhile, it is decided again (or, for an unhealthy pod,
 * refused with TooManyRequestsError as Kubernetes, since it may have become Ready). Before the
 * delete, the pod's status gets DisruptionTarget=True (EvictionByEvictionAPI). Returns the
 * pod as the delete left it. dryRun decides and writes nothing.
 */
export async function evictPod(store: GenericStore, request: EvictRequest, now: () => Date): Promise<ApiObject> {
  const callerVersion = request.preconditions?.resourceVersion || undefined;
  for (let attempt = 1; ; attempt++) {
    const pod = unwrap(await store.get(PODS.resource, request.namespace, request.name)).object as Pod;
    if (request.preconditions?.uid && request.preconditions.uid !== pod.metadata?.uid) {
      throw new ConflictError(`Precondition failed: UID in precondition: ${request.preconditions.uid}, UID in object meta: ${pod.metadata?.uid}`);
    }
    const budgets = (await store.list({ resource: BUDGETS.resource, namespace: request.namespace })).items.map((o) => unwrap(o).object as PodDisruptionBudget);
    const plan = planEviction(pod, budgets, now());
    if (request.dryRun) return wrap(PODS, pod as never);
    const retry = attempt < MAX_CAS_ATTEMPTS && !callerVersion;
    if (plan.action === 'charge') {
      try {
        await store.updateStatus(wrap(BUDGETS, { ...plan.pdb, status: plan.status } as never));
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        if (attempt < MAX_CAS_ATTEMPTS) continue;
        throw new ConflictError(`couldn't update PodDisruptionBudget "${plan.pdb.metadata?.name}" due to conflicts`, { cause: err });
      }
    }
    try {
      const version = callerVersion ?? (plan.action === 'delete' ? plan.resourceVersion : undefined);
      const marked = await markDisruptionTarget(store, pod, version, now());
      return await store.delete({
        resource: PODS.resource,
        namespace: request.namespace,
        name: request.name,
        // The version check moves on to the version the condition was written at (as Kubernetes).
        preconditions: { uid: pod.metadata?.uid, resourceVersion: version === undefined ? undefined : marked },
        gracePeriodSeconds: request.gracePeriodSeconds,
        propagationPolicy: '',
        dryRun: false,
      });
    } catch (err) {
      if (!(err instanceof ConflictError) || plan.action !== 'delete' || callerVersion) throw err;
      // As Kubernetes: the unhealthy pod may have become Ready since; the client retries.
      if (plan.unhealthyUnder !== undefined) throw refused(`The disruption budget ${plan.unhealthyUnder} is still being processed by the server.`);
      if (retry) continue;
      throw err;
    }
  }
}
