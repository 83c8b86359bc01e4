/**
 * The disruption controller's decisions (Kubernetes' pkg/controller/disruption, trySync and its
 * helpers), pure over plain data: which pods a budget covers, how many it expects, how many must
 * stay healthy, which evictions are still unconfirmed, and the status to write.
 *
 *   pods selected ──> expectedPods, desiredHealthy   (getExpectedPodCount)
 *                ──> disruptedPods still pending       (buildDisruptedPodMap, 2 min DeletionTimeout)
 *                ──> currentHealthy                    (Ready, not deleting, not just evicted)
 *   disruptionsAllowed = max(0, currentHealthy - desiredHealthy), 0 while no pod is expected
 *
 * CONTRACT: pure; time is passed in (ms); nothing here throws except expectedPodCount, whose
 * ExpectedCountError means "cannot tell" (the controller then fails safe: no disruption allowed).
 */
import { labelSelectorMatcher, scaledValue, type Condition, type Deployment, type OwnerReference, type Pod, type PodDisruptionBudget, type PodDisruptionBudgetStatus, type ReplicaSet, type StatefulSet } from '@skiff/api';
import { controllerRefOf } from '../owner-refs';

/** How long an eviction may stay unconfirmed before the budget stops counting it (Kubernetes' DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
export const SUFFICIENT_PODS = 'SufficientPods';
export const INSUFFICIENT_PODS = 'InsufficientPods';
export const SYNC_FAILED = 'SyncFailed';

/** Reads of the controllers a pod may have (from the informers' caches); undefined when absent. */
export interface ControllerLookup {
  replicaSet(namespace: string, name: string): Readonly<ReplicaSet> | undefined;
  deployment(namespace: string, name: string): Readonly<Deployment> | undefined;
  statefulSet(namespace: string, name: string): Readonly<StatefulSet> | undefined;
}

/** A controller that could not be found or has no scale: the expected count cannot be computed. */
export class ExpectedCountError extends Error {
  override readonly name = 'ExpectedCountError';
}

const isReady = (pod: Readonly<Pod>) => pod.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * The pods of the budget's namespace its selector selects (policy/v1: an empty selector selects
 * every pod, a missing one none); none for an invalid selector.
 */
export function podsForBudget(pdb: Readonly<PodDisruptionBudget>, podsOfNamespace: readonly Readonly<Pod>[]): Readonly<Pod>[] {
  const selector = pdb.spec?.selector;
  if (!selector) return [];
  try {
    const matcher = labelSelectorMatcher(selector);
    return podsOfNamespace.filter((p) => matcher.matches(p.metadata?.labels ?? {}));
  } catch {
    return [];
  }
}

/** Whether the budget selects this pod (same rules as podsForBudget). */
export function budgetSelects(pdb: Readonly<PodDisruptionBudget>, pod: Readonly<Pod>): boolean {
  return podsForBudget(pdb, [pod]).length === 1;
}

/**
 * The scale of the controller a pod's controllerRef names, as Kubernetes' finders: a ReplicaSet
 * controlled by a Deployment counts as the Deployment (its spec.replicas), a bare ReplicaSet and
 * a StatefulSet by their own spec.replicas (unset: 1). The uid must match the reference.
 * undefined when no supported controller matches.
 */
export function controllerScale(ref: Readonly<OwnerReference>, namespace: string, lookup: ControllerLookup): { uid: string; replicas: number } | undefined {
  const replicasOf = (o: { spec?: { replicas?: number } }) => o.spec?.replicas ?? 1;
  if (ref.kind === 'ReplicaSet') {
    const rs = lookup.replicaSet(namespace, ref.name);
    if (!rs || rs.metadata?.uid !== ref.uid) return undefined;
    const parent = controllerRefOf(rs);
    if (parent?.kind === 'Deployment') {
      const deployment = lookup.deployment(namespace, parent.name);
      if (!deployment || deployment.metadata?.uid !== parent.uid) return undefined;
      return { uid: parent.uid, replicas: replicasOf(deployment) };
    }
    return { uid: rs.metadata?.uid ?? '', replicas: replicasOf(rs) };
  }
  if (ref.kind === 'StatefulSet') {
    const sts = lookup.statefulSet(namespace, ref.name);
    if (!sts || sts.metadata?.uid !== ref.uid) return undefined;
    return { uid: ref.uid, replicas: replicasOf(sts) };
  }
  return undefined;
}

/**
 * Kubernetes' getExpectedScale: the sum of the scales of the controllers of `pods`, each counted
 * once. Pods without a controller are returned as unmanaged (they add nothing). Throws
 * ExpectedCountError for a pod whose controller is not found or not supported.
 */
export function expectedScale(pods: readonly Readonly<Pod>[], lookup: ControllerLookup): { expected: number; unmanaged: string[] } {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerRefOf(pod);
    if (!ref) {
      unmanaged.push(pod.metadata?.name ?? '');
      continue;
    }
    if (scales.has(ref.uid)) continue;
    const scale = controllerScale(ref, pod.metadata?.namespace ?? '', lookup);
    if (!scale) throw new ExpectedCountError(`found no controllers for pod "${pod.metadata?.name}"`);
    scales.set(scale.uid, scale.replicas);
  }
  return { expected: [...scales.values()].reduce((a, b) => a + b, 0), unmanaged };
}

/**
 * Kubernetes' getExpectedPodCount: with maxUnavailable (int or %) the expected count is the
 * controllers' scale and desiredHealthy = expected - maxUnavailable (rounded up, at least 0);
 * with an int minAvailable the expected count is the number of selected pods and desiredHealthy
 * that int; with a percentage minAvailable, that share of the controllers' scale (rounded up).
 * Neither set: 0 and 0.
 */
export function expectedPodCount(pdb: Readonly<PodDisruptionBudget>, pods: readonly Readonly<Pod>[], lookup: ControllerLookup): { expected: number; desiredHealthy: number; unmanaged: string[] } {
  const spec = pdb.spec;
  const scaled = (value: Parameters<typeof scaledValue>[0], total: number) => {
    try {
      return scaledValue(value, total, true);
    } catch (err) {
      throw new ExpectedCountError((err as Error).message);
    }
  };
  if (spec?.maxUnavailable?.value) {
    const { expected, unmanaged } = expectedScale(pods, lookup);
    return { expected, desiredHealthy: Math.max(0, expected - scaled(spec.maxUnavailable, expected)), unmanaged };
  }
  const min = spec?.minAvailable?.value;
  if (min?.$case === 'intVal') return { expected: pods.length, desiredHealthy: min.value, unmanaged: [] };
  if (min?.$case === 'strVal') {
    const { expected, unmanaged } = expectedScale(pods, lookup);
    return { expected, desiredHealthy: scaled(spec?.minAvailable, expected), unmanaged };
  }
  return { expected: 0, desiredHealthy: 0, unmanaged: [] };
}

/**
 * Kubernetes' buildDisruptedPodMap: the entries of status.disruptedPods still pending — the pod
 * exists, is not being deleted, and was evicted less than DeletionTimeout ago. Also the pods
 * whose deletion is overdue (Kubernetes' NotDeleted warning) and the earliest time an entry
 * expires (recheck then).
 */
export function pendingDisruptions(pdb: Readonly<PodDisruptionBudget>, pods: readonly Readonly<Pod>[], nowMs: number): { disruptedPods: Record<string, Date>; overdue: string[]; recheckAtMs?: number } {
  const recorded = pdb.status?.disruptedPods ?? {};
  const disruptedPods: Record<string, Date> = {};
  const overdue: string[] = [];
  let recheckAtMs: number | undefined;
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp) continue;
    const at = recorded[name];
    if (!at) continue;
    const expires = new Date(at).getTime() + DELETION_TIMEOUT_MS;
    if (expires < nowMs) {
      overdue.push(name);
      continue;
    }
    disruptedPods[name] = new Date(at);
    if (recheckAtMs === undefined || expires < recheckAtMs) recheckAtMs = expires;
  }
  return { disruptedPods, overdue, recheckAtMs };
}

/** Kubernetes' countHealthyPods: Ready pods neither being deleted nor evicted less than DeletionTimeout ago. */
export function countHealthy(pods: readonly Readonly<Pod>[], disruptedPods: Readonly<Record<string, Date>>, nowMs: number): number {
  return pods.filter((pod) => {
    if (pod.metadata?.deletionTimestamp) return false;
    const at = disruptedPods[pod.metadata?.name ?? ''];
    if (at && new Date(at).getTime() + DELETION_TIMEOUT_MS > nowMs) return false;
    return isReady(pod);
  }).length;
}

/**
 * Sets condition `type` (apimeta.SetStatusCondition): the transition time changes only when the
 * status does; reason and message are replaced. Returns a new list.
 */
export function setCondition(conditions: readonly Condition[], next: Omit<Condition, 'lastTransitionTime'>, nowMs: number): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : new Date(nowMs);
  const condition: Condition = { ...(old ?? {}), ...next, lastTransitionTime };
  return old ? conditions.map((c) => (c.type === next.type ? condition : c)) : [...conditions, condition];
}

/** Kubernetes' UpdateDisruptionAllowedCondition: True/SufficientPods while a disruption is allowed, else False/InsufficientPods. */
export function disruptionAllowedConditions(conditions: readonly Condition[], disruptionsAllowed: number, nowMs: number): Condition[] {
  const allowed = disruptionsAllowed > 0;
  return setCondition(conditions, { type: DISRUPTION_ALLOWED, status: allowed ? 'True' : 'False', reason: allowed ? SUFFICIENT_PODS : INSUFFICIENT_PODS, message: '' }, nowMs);
}

/** Kubernetes' ConditionsAreUpToDate. */
function conditionsUpToDate(pdb: Readonly<PodDisruptionBudget>): boolean {
  const status = pdb.status;
  const cond = status?.conditions.find((c) => c.type === DISRUPTION_ALLOWED);
  if (!status || !cond || Number(status.observedGeneration) !== Number(pdb.metadata?.generation ?? 0)) return false;
  return status.disruptionsAllowed > 0 ? cond.status === 'True' && cond.reason === SUFFICIENT_PODS : cond.status === 'False' && cond.reason === INSUFFICIENT_PODS;
}

const sameDates = (a: Readonly<Record<string, Date>>, b: Readonly<Record<string, Date>>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] !== undefined && new Date(v).getTime() === new Date(b[k]).getTime());

export interface BudgetSync {
  /** The status to write, or undefined when the stored one is current (Kubernetes' updatePdbStatus). */
  status?: PodDisruptionBudgetStatus;
  /** Sync again at this time (an unconfirmed eviction expires). */
  recheckAtMs?: number;
  /** Selected pods without a controller (Kubernetes' UnmanagedPods warning; only when a scale was needed). */
  unmanaged: string[];
  /** Evicted pods still not deleted after DeletionTimeout (Kubernetes' NotDeleted warning). */
  overdue: string[];
  /** The number of selected pods (none: Kubernetes' NoPods event). */
  selected: number;
}

/**
 * One sync of a budget (Kubernetes' trySync + updatePdbStatus) from the pods of its namespace.
 * Throws ExpectedCountError when the expected count cannot be computed (see failSafeStatus).
 */
export function syncBudget(pdb: Readonly<PodDisruptionBudget>, podsOfNamespace: readonly Readonly<Pod>[], lookup: ControllerLookup, nowMs: number): BudgetSync {
  const pods = podsForBudget(pdb, podsOfNamespace);
  const { expected, desiredHealthy, unmanaged } = expectedPodCount(pdb, pods, lookup);
  const { disruptedPods, overdue, recheckAtMs } = pendingDisruptions(pdb, pods, nowMs);
  const currentHealthy = countHealthy(pods, disruptedPods, nowMs);
  // No disruption while no pod is expected: a budget whose first pods appear is safe until synced.
  const disruptionsAllowed = expected <= 0 ? 0 : Math.max(0, currentHealthy - desiredHealthy);
  const old = pdb.status;
  const generation = Number(pdb.metadata?.generation ?? 0);
  const same =
    !!old &&
    old.currentHealthy === currentHealthy &&
    old.desiredHealthy === desiredHealthy &&
    old.expectedPods === expected &&
    old.disruptionsAllowed === disruptionsAllowed &&
    sameDates(old.disruptedPods ?? {}, disruptedPods) &&
    Number(old.observedGeneration) === generation &&
    conditionsUpToDate(pdb);
  const base = { recheckAtMs, unmanaged, overdue, selected: pods.length };
  if (same) return base;
  return {
    ...base,
    status: {
      currentHealthy,
      desiredHealthy,
      expectedPods: expected,
      disruptionsAllowed,
      disruptedPods,
      observedGeneration: generation,
      conditions: disruptionAllowedConditions(old?.conditions ?? [], disruptionsAllowed, nowMs),
    },
  };
}

/**
 * Kubernetes' failSafe: after a failed sync no disruption is allowed, with DisruptionAllowed
 * False (SyncFailed, the error's message); the rest of the status is kept.
 */
export function failSafeStatus(pdb: Readonly<PodDisruptionBudget>, message: string, nowMs: number): PodDisruptionBudgetStatus {
  const old = pdb.status;
  const status: PodDisruptionBudgetStatus = old
    ? structuredClone(old as PodDisruptionBudgetStatus)
    : { observedGeneration: 0, disruptedPods: {}, disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, conditions: [] };
  status.disruptionsAllowed = 0;
  status.conditions = setCondition(status.conditions ?? [], { type: DISRUPTION_ALLOWED, status: 'False', reason: SYNC_FAILED, message }, nowMs);
  return status;
}
