/**
 * What a ReplicaSet counts about a pod, as Kubernetes' podutil: a pod is active while it is
 * neither terminal (Succeeded/Failed) nor being deleted; ready when its Ready condition is True;
 * available once it has been ready for minReadySeconds (strictly longer, measured from the Ready
 * condition's lastTransitionTime).
 */
import type { Condition, Pod } from '@skiff/api';

/** Counts towards replicas: not Succeeded/Failed and no deletionTimestamp. */
export function isPodActive(pod: Readonly<Pod>): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

/** The pod's Ready condition, if the kubelet has reported one. */
export function podReadyCondition(pod: Readonly<Pod>): Readonly<Condition> | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Ready=True. */
export function isPodReady(pod: Readonly<Pod>): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** When the pod became ready (ms), or undefined when it is not ready or the time is unknown. */
export function podReadySince(pod: Readonly<Pod>): number | undefined {
  const ready = podReadyCondition(pod);
  if (ready?.status !== 'True' || !ready.lastTransitionTime) return undefined;
  return ready.lastTransitionTime.getTime();
}

/**
 * Ready for more than `minReadySeconds` at `now` (ms). With minReadySeconds 0 this is
 * isPodReady; otherwise a ready pod with no transition time is never available.
 */
export function isPodAvailable(pod: Readonly<Pod>, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = podReadySince(pod);
  return since !== undefined && since + minReadySeconds * 1000 < now;
}

/**
 * How long (ms, >= 1) until a ready pod becomes available, or undefined when it already is, is
 * not ready, or never will be by waiting (no transition time).
 */
export function msUntilAvailable(pod: Readonly<Pod>, minReadySeconds: number, now: number): number | undefined {
  if (minReadySeconds <= 0 || isPodAvailable(pod, minReadySeconds, now)) return undefined;
  const since = podReadySince(pod);
  if (since === undefined) return undefined;
  return Math.max(1, since + minReadySeconds * 1000 - now + 1);
}
