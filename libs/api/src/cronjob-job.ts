/**
 * The Job a CronJob runs, built from its jobTemplate: by the CronJob controller for a scheduled
 * time (Kubernetes' getJobFromTemplate2) and by `skiff create job NAME --from=cronjob/X` for a
 * manual run (kubectl's createJobFromCronJob). Shared here so that the CLI and the controller
 * build the same object.
 *
 * CONTRACT: pure; the CronJob is never changed (template fields are deep-copied). The Job has no
 * selector and no generated labels: the apiserver adds them when it creates the Job.
 */
import { Job, type CronJob, type OwnerReference } from './gen';
import { CRONJOB_SCHEDULED_TIMESTAMP } from './job-labels';

/** On a Job created by hand from a CronJob (`create job --from=cronjob/x`): the value "manual". */
export const CRONJOB_INSTANTIATE_ANNOTATION = 'cronjob.kubernetes.io/instantiate';

/**
 * The name of the Job a CronJob runs for `scheduledTime`: `<cronjob>-<minutes since the epoch>`.
 * Deterministic, so that a controller retrying after a crash meets AlreadyExists instead of
 * running the same schedule twice (Kubernetes' getJobName).
 */
export function cronJobJobName(cronJobName: string, scheduledTime: Date): string {
  return `${cronJobName}-${Math.floor(scheduledTime.getTime() / 60_000)}`;
}

/** The UTC offset of `timeZone` at `time`, in minutes (east positive). */
function zoneOffsetMinutes(time: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(time);
  const field = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wallAsUtc = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
  const wholeSeconds = Math.floor(time.getTime() / 1000) * 1000;
  return Math.round((wallAsUtc - wholeSeconds) / 60_000);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * `time` as RFC 3339 (whole seconds) in `timeZone`, as Go's time.RFC3339: "2024-03-10T03:30:00-04:00",
 * "Z" for a zero offset. No time zone: UTC (Go's LoadLocation("")), as Kubernetes writes the
 * scheduled-timestamp annotation of a CronJob without spec.timeZone.
 */
export function formatRfc3339InZone(time: Date, timeZone?: string): string {
  const offset = timeZone ? zoneOffsetMinutes(time, timeZone) : 0;
  const wall = new Date(Math.floor(time.getTime() / 1000) * 1000 + offset * 60_000);
  const date = `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
  const clock = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`;
  if (offset === 0) return `${date}T${clock}Z`;
  const abs = Math.abs(offset);
  return `${date}T${clock}${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * The Job `cronJob` runs, from its jobTemplate (labels, annotations and spec copied), in the
 * CronJob's namespace, controlled by the CronJob.
 *
 * - `scheduledTime` given (the controller): named `cronJobJobName(cronJob, scheduledTime)` unless
 *   `name` is given, annotated `batch.kubernetes.io/cronjob-scheduled-timestamp` (RFC 3339 in the
 *   CronJob's time zone), controller reference with blockOwnerDeletion (metav1.NewControllerRef).
 * - `scheduledTime` undefined (a manual run, kubectl's `create job --from=cronjob/x`): named
 *   `name` (required: throws without it), annotated `cronjob.kubernetes.io/instantiate: manual`
 *   (the template's annotations win over it, as kubectl copies them after), controller reference
 *   without blockOwnerDeletion.
 */
export function jobFromCronJob(cronJob: Readonly<CronJob>, scheduledTime: Date | undefined, name?: string): Job {
  const meta = cronJob.metadata;
  const template = cronJob.spec?.jobTemplate;
  const cronJobName = meta?.name ?? '';
  const ownerRef: OwnerReference = { apiVersion: 'batch/v1', kind: 'CronJob', name: cronJobName, uid: meta?.uid ?? '', controller: true };
  const annotations: Record<string, string> = {};
  let jobName: string;
  if (scheduledTime) {
    Object.assign(annotations, template?.metadata?.annotations);
    annotations[CRONJOB_SCHEDULED_TIMESTAMP] = formatRfc3339InZone(scheduledTime, cronJob.spec?.timeZone);
    ownerRef.blockOwnerDeletion = true;
    jobName = name ?? cronJobJobName(cronJobName, scheduledTime);
  } else {
    if (!name) throw new Error(`a Job created by hand from CronJob ${cronJobName} needs a name`);
    annotations[CRONJOB_INSTANTIATE_ANNOTATION] = 'manual';
    Object.assign(annotations, template?.metadata?.annotations);
    jobName = name;
  }
  const job = Job.fromPartial({
    metadata: {
      name: jobName,
      namespace: meta?.namespace ?? '',
      labels: { ...template?.metadata?.labels },
      annotations,
      ownerReferences: [ownerRef],
    },
  });
  job.spec = template?.spec ? structuredClone(template.spec) : Job.fromPartial({ spec: {} }).spec;
  return job;
}
