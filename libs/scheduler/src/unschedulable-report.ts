/**
 * What a user sees for a pod that fits nowhere, as kube-scheduler writes it: the pod's
 * PodScheduled condition False with reason Unschedulable and the message, and a Warning Event
 * FailedScheduling from default-scheduler (created once, then its count bumped).
 * The pure parts (condition, event) are separate from the writes (reportUnschedulable).
 */
import { createHash } from 'node:crypto';
import { AlreadyExistsError, ConflictError, Condition, Event, NotFoundError, type Pod } from '@skiff/api';
import { typed, type SkiffClient } from '@skiff/client';

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

/** A stable event name per pod, reason and message, so that repeats (and a restarted scheduler) bump one Event. */
export function eventName(pod: Readonly<Pod>, reason: string, message: string): string {
  const hash = createHash('sha256').update(`${pod.metadata?.uid}\n${reason}\n${message}`).digest('hex').slice(0, 16);
  return `${(pod.metadata?.name ?? '').slice(0, 200)}.${hash}`;
}

/** The FailedScheduling Event for the pod (count 1). */
export function failedSchedulingEvent(pod: Readonly<Pod>, message: string, now: Date, component: string): Event {
  const meta = pod.metadata;
  return Event.fromPartial({
    metadata: { name: eventName(pod, FAILED_SCHEDULING, message), namespace: meta?.namespace },
    involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: meta?.namespace, name: meta?.name, uid: meta?.uid, resourceVersion: meta?.resourceVersion },
    reason: FAILED_SCHEDULING,
    message,
    source: { component },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type: 'Warning',
    reportingComponent: component,
  });
}

/**
 * Writes the condition (UpdateStatus, compare-and-swap on the pod as read; on a conflict it reads
 * the pod again, up to 3 times) and creates or bumps the Event. Resolves quietly when the pod
 * is gone or got bound meanwhile; rejects on other API errors (the caller logs them).
 */
export async function reportUnschedulable(
  client: SkiffClient,
  podKey: { namespace: string; name: string },
  message: string,
  opts: { component: string; now?: () => Date; signal?: AbortSignal },
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
  if (pod) await recordEvent(client, failedSchedulingEvent(pod, message, now(), opts.component), opts.signal);
}

/** Creates the event, or bumps count and lastTimestamp of the existing one with its name. */
async function recordEvent(client: SkiffClient, event: Event, signal?: AbortSignal): Promise<void> {
  const events = typed(client, 'event');
  try {
    await events.create(event, { signal });
    return;
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await events.get(event.metadata?.namespace ?? '', event.metadata?.name ?? '', { signal });
    try {
      await events.update({ ...existing, count: (existing.count || 1) + 1, lastTimestamp: event.lastTimestamp }, { signal });
      return;
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt === 2) throw err;
    }
  }
}
