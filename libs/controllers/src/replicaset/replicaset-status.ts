/**
 * A ReplicaSet's status from the pods it owns (Kubernetes' calculateStatus):
 *
 *   replicas              active pods owned
 *   fullyLabeledReplicas  of those, the ones carrying every label of the template
 *   readyReplicas         of those, Ready
 *   availableReplicas     of those, ready for more than minReadySeconds
 *   observedGeneration    metadata.generation of the spec these counts answer
 *   conditions            ReplicaFailure=True (FailedCreate / FailedDelete) while creating or
 *                         deleting pods fails; removed after a sync that succeeds
 *
 * Pure: time is a parameter.
 */
import { Condition, mapSelectorMatcher, type Pod, type ReplicaSet, type ReplicaSetStatus } from '@skiff/api';
import { isPodAvailable, isPodReady, msUntilAvailable } from '../pods/pod-availability';

export const REPLICA_FAILURE = 'ReplicaFailure';

/** What went wrong in the last manageReplicas, for the ReplicaFailure condition. */
export interface ManageFailure {
  reason: 'FailedCreate' | 'FailedDelete';
  message: string;
}

/** The status `rs` should have given the active pods it owns, at `now` (ms). */
export function calculateStatus(rs: Readonly<ReplicaSet>, owned: readonly Readonly<Pod>[], failure: ManageFailure | undefined, now: number): ReplicaSetStatus {
  const templateLabels = mapSelectorMatcher(rs.spec?.template?.metadata?.labels);
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of owned) {
    if (templateLabels.matches(pod.metadata?.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, now)) available++;
    }
  }
  let conditions = [...(rs.status?.conditions ?? [])];
  const existing = conditions.find((c) => c.type === REPLICA_FAILURE);
  if (failure && !existing) {
    conditions.push(Condition.fromPartial({ type: REPLICA_FAILURE, status: 'True', reason: failure.reason, message: failure.message, lastTransitionTime: new Date(now) }));
  } else if (!failure && existing) {
    conditions = conditions.filter((c) => c.type !== REPLICA_FAILURE);
  }
  return {
    replicas: owned.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation ?? 0,
    conditions,
  };
}

function sameCondition(a: Readonly<Condition>, b: Readonly<Condition>): boolean {
  return (
    a.type === b.type &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.lastTransitionTime?.getTime() === b.lastTransitionTime?.getTime()
  );
}

/** True when `next` differs from the stored `current` status (so it must be written). */
export function statusChanged(current: Readonly<ReplicaSetStatus> | undefined, next: Readonly<ReplicaSetStatus>): boolean {
  if (!current) return true;
  const counts: (keyof ReplicaSetStatus)[] = ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'];
  if (counts.some((k) => (current[k] ?? 0) !== next[k])) return true;
  const [a, b] = [current.conditions ?? [], next.conditions];
  return a.length !== b.length || a.some((c, i) => !sameCondition(c, b[i]));
}

/**
 * When to look at `rs` again for pods that are ready but not yet available (ms; the soonest
 * such pod), or undefined when none is waiting on minReadySeconds.
 */
export function availabilityRecheckMs(rs: Readonly<ReplicaSet>, owned: readonly Readonly<Pod>[], now: number): number | undefined {
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let soonest: number | undefined;
  for (const pod of owned) {
    const wait = msUntilAvailable(pod, minReadySeconds, now);
    if (wait !== undefined && (soonest === undefined || wait < soonest)) soonest = wait;
  }
  return soonest;
}
