/**
 * What the Job controller reads from and writes into its pods (Kubernetes' job_controller.go
 * helpers): the tracking finalizer, when a pod counts as failed, when it finished, and the pod a
 * Job creates from its template.
 * CONTRACT: pure; inputs are never changed.
 */
import { JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER, Pod, type EnvVar, type Job, type OwnerReference } from '@skiff/api';
import { newControllerRef } from '../owner-refs';
import { podNamePrefix } from '../pods/pod-template';
import { indexedPodGenerateName } from './completion-indexes';

/** The env var an Indexed Job's containers get (from the downward API). */
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** The fieldPath of that env var. */
export const COMPLETION_INDEX_FIELD_PATH = `metadata.annotations['${JOB_COMPLETION_INDEX}']`;

/** The controller reference a Job puts on its pods (batch/v1 Job, blockOwnerDeletion). */
export function jobRef(job: Readonly<Job>): OwnerReference {
  return newControllerRef(job, 'batch/v1', 'Job');
}

export function hasTrackingFinalizer(pod: Readonly<Pod>): boolean {
  return (pod.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
}

/** A copy of `pod` without the tracking finalizer. */
export function withoutTrackingFinalizer(pod: Readonly<Pod>): Pod {
  const copy = structuredClone(pod) as Pod;
  copy.metadata!.finalizers = (copy.metadata?.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
  return copy;
}

export function isPodTerminal(pod: Readonly<Pod>): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Neither terminal nor being deleted (counts in status.active). */
export function isPodActive(pod: Readonly<Pod>): boolean {
  return !isPodTerminal(pod) && !pod.metadata?.deletionTimestamp;
}

/** Being deleted but not terminal yet (status.terminating). */
export function isPodTerminating(pod: Readonly<Pod>): boolean {
  return !isPodTerminal(pod) && Boolean(pod.metadata?.deletionTimestamp);
}

export function isPodReady(pod: Readonly<Pod>): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Whether `pod` counts as failed (Kubernetes' isPodFailed): phase Failed; or being deleted
 * before it succeeded (a pod that disappears would otherwise never be counted). With a
 * podFailurePolicy Kubernetes waits for the Failed phase of a deleted pod; Skiff's kubelet
 * confirms a deletion (grace period 0) without writing a terminal phase, so here a deleted pod
 * counts once its grace period is over (deletionGracePeriodSeconds 0) or when it was never bound
 * to a node (no kubelet will ever report it; Kubernetes' pod GC marks such pods Failed).
 */
export function isPodFailed(pod: Readonly<Pod>, job: Readonly<Job>): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed') return true;
  if (phase === 'Succeeded' || !pod.metadata?.deletionTimestamp) return false;
  if (job.spec?.podFailurePolicy) return !pod.spec?.nodeName || Number(pod.metadata.deletionGracePeriodSeconds ?? -1) === 0;
  return true;
}

/**
 * When the pod finished (ms), as Kubernetes' getFinishedTime: the latest container finishedAt,
 * else a Ready=False condition's transition, else the deletion timestamp less the grace period,
 * else its creation.
 */
export function podFinishedAt(pod: Readonly<Pod>): number {
  const finished = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]
    .map((s) => s.state?.terminated?.finishedAt?.getTime())
    .filter((t): t is number => t !== undefined && t > 0);
  if (finished.length > 0) return Math.max(...finished);
  const ready = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready' && c.status === 'False');
  if (ready?.lastTransitionTime) return ready.lastTransitionTime.getTime();
  const deletedAt = finishTimeFromDeletion(pod);
  if (deletedAt !== undefined) return deletedAt;
  return pod.metadata?.creationTimestamp?.getTime() ?? 0;
}

/**
 * When a deleted pod stopped (ms), as Kubernetes' getFinishTimeFromDeletionTimestamp: the
 * apiserver sets deletionTimestamp to the request time plus the grace period, so the grace period
 * is taken off again. undefined when the pod is not being deleted.
 */
export function finishTimeFromDeletion(pod: Readonly<Pod>): number | undefined {
  const at = pod.metadata?.deletionTimestamp;
  if (!at) return undefined;
  return at.getTime() - Number(pod.metadata?.deletionGracePeriodSeconds ?? 0) * 1000;
}

function withIndexEnv(env: readonly EnvVar[] | undefined): EnvVar[] {
  const list = [...(env ?? [])];
  if (!list.some((e) => e.name === JOB_COMPLETION_INDEX_ENV)) {
    list.push({ name: JOB_COMPLETION_INDEX_ENV, value: '', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: COMPLETION_INDEX_FIELD_PATH } } });
  }
  return list;
}

/**
 * A new pod for `job` (no name: the apiserver generates one): the template's metadata and spec,
 * the tracking finalizer and the Job as controller. With `index` (Indexed Jobs): generateName
 * "<job>-<index>-", the index as annotation and label, JOB_COMPLETION_INDEX in every container's
 * env, hostname "<job>-<index>".
 */
export function podForJob(job: Readonly<Job>, index?: number): Pod {
  const template = job.spec?.template;
  const name = job.metadata?.name ?? '';
  const finalizers = [...(template?.metadata?.finalizers ?? [])];
  if (!finalizers.includes(JOB_TRACKING_FINALIZER)) finalizers.push(JOB_TRACKING_FINALIZER);
  const pod = Pod.fromPartial({
    metadata: {
      generateName: index === undefined ? podNamePrefix(name) : indexedPodGenerateName(name, index),
      namespace: job.metadata?.namespace ?? '',
      labels: { ...template?.metadata?.labels },
      annotations: { ...template?.metadata?.annotations },
      finalizers,
      ownerReferences: [jobRef(job)],
    },
    spec: structuredClone(template?.spec),
  });
  if (index !== undefined) {
    pod.metadata!.annotations[JOB_COMPLETION_INDEX] = String(index);
    pod.metadata!.labels[JOB_COMPLETION_INDEX] = String(index);
    const spec = pod.spec!;
    spec.hostname = `${name}-${index}`;
    spec.containers = spec.containers.map((c) => ({ ...c, env: withIndexEnv(c.env) }));
    spec.initContainers = (spec.initContainers ?? []).map((c) => ({ ...c, env: withIndexEnv(c.env) }));
  }
  return pod;
}
