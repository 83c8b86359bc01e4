/**
 * What a user sees for a pod that fits nowhere, as kube-scheduler writes it: the pod's
 * PodScheduled condition False with reason Unschedulable and the message, and a Warning Event
 * FailedScheduling from default-scheduler (the recorder bumps one Event's count on repeats).
 * The pure part (the condition) is separate from the writes (reportUnschedulable).
 */
import { ConflictError, Condition, NotFoundError, type Pod } from '@skiff/api';
import { typed, type EventRecorder, type SkiffClient } from '@skiff/client';

export const UNSCHEDULABLE_REASON = 'Unschedulable';
export const FAILED_SCHEDULING = 'FailedScheduling';

/**
 * The pod's conditions with PodScheduled=False/Unschedulable/message, or undefined when the pod
 * already says exactly that (no write needed). lastTransitionTime moves only when the status
 * changes, as Kubernetes does.
 */
export function withUnschedulableCondition(conditions: readonly Condition[], message: string, now: Date): Condition[] | undefined {
  const old = conditions.find((c) => c.type === 'PodScheduled');
  if (old && old.status === 'False' && old.reason === UNSCHEDULABLE_REASON && old.message === message) return undefined;
  const next = Condition.fromPartial({
    type: 'PodScheduled',
    status: 'False',
    reason: UNSCHEDULABLE_REASON,
    message,
    lastTransitionTime: old?.status === 'False' ? old.lastTransitionTime : now,
    lastProbeTime: undefined,
  });
  return [...conditions.filter((c) => c.type !== 'PodScheduled'), next];
}

/**
 * Writes the condition (UpdateStatus, compare-and-swap on the pod as read; on a conflict it reads
 * the pod again, up to 3 times) and records the Event. Resolves quietly when the pod is gone or
 * got bound meanwhile; rejects on other API errors (the caller logs them).
 */
export async function reportUnschedulable(
  client: SkiffClient,
  recorder: EventRecorder,
  podKey: { namespace: string; name: string },
  message: string,
  opts: { now?: () => Date; signal?: AbortSignal },
): Promise<void> {
  const now = opts.now ?? (() => new Date());
  const pods = typed(client, 'pod');
  let pod: Pod | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      pod = await pods.get(podKey.namespace, podKey.name, { signal: opts.signal });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    if (pod.spec?.nodeName || pod.metadata?.deletionTimestamp) return;
    const conditions = withUnschedulableCondition(pod.status?.conditions ?? [], message, now());
    if (!conditions) break;
    try {
      pod = await pods.updateStatus({ ...pod, status: { ...(pod.status as NonNullable<Pod['status']>), conditions } }, { signal: opts.signal });
      break;
    } catch (err) {
      if (err instanceof NotFoundError) return;
      if (!(err instanceof ConflictError) || attempt === 2) throw err;
    }
  }
  if (pod) recorder.warning(pod, FAILED_SCHEDULING, message, 'Pod');
}
