/**
 * The labels, annotations and finalizer Kubernetes' Job machinery puts on Jobs and their pods, and
 * the selector the apiserver generates for a Job without `manualSelector` (Kubernetes'
 * generateSelector): its pods carry the Job's uid and name; the selector picks the uid.
 */
import type { Job } from './gen';

export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
/** On an Indexed Job's pods (label and annotation): the completion index. */
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
/** Kept on a Job's pods until the controller has counted them (Kubernetes' job tracking). */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** On the Jobs a CronJob creates: when it was scheduled (RFC 3339). */
export const CRONJOB_SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** The pod labels generateJobSelector adds. */
export const GENERATED_JOB_LABELS = [LEGACY_JOB_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL, JOB_CONTROLLER_UID_LABEL, JOB_NAME_LABEL] as const;

/**
 * Gives a Job without manualSelector the generated selector and pod labels (mutates `job`):
 * template labels controller-uid / job-name (new and legacy keys) unless the user set them, and
 * selector matchLabels {batch.kubernetes.io/controller-uid: uid}. Needs metadata.uid and name.
 */
export function generateJobSelector(job: Job): void {
  const spec = job.spec;
  if (!spec || spec.manualSelector) return;
  const uid = job.metadata?.uid ?? '';
  const name = job.metadata?.name ?? '';
  spec.template ??= { metadata: undefined, spec: undefined };
  spec.template.metadata ??= { name: '', generateName: '', namespace: '', uid: '', resourceVersion: '', generation: 0, labels: {}, annotations: {}, ownerReferences: [], finalizers: [] };
  const labels = (spec.template.metadata.labels ??= {});
  labels[LEGACY_JOB_CONTROLLER_UID_LABEL] ??= uid;
  labels[LEGACY_JOB_NAME_LABEL] ??= name;
  labels[JOB_CONTROLLER_UID_LABEL] ??= uid;
  labels[JOB_NAME_LABEL] ??= name;
  spec.selector ??= { matchLabels: {}, matchExpressions: [] };
  spec.selector.matchLabels ??= {};
  spec.selector.matchLabels[JOB_CONTROLLER_UID_LABEL] ??= uid;
}
