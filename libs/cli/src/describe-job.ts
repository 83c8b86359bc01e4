/**
 * The Job and CronJob parts of `skiff describe`, as kubectl's describeJob and describeCronJob
 * lay them out: their own header (Name, Namespace, Selector, Labels, Annotations... with no
 * CreationTimestamp), aligned as one tabwriter block up to "Pod Template:", then the pod template.
 * Pure: writes lines through the describer it is given; the caller adds the events.
 */
import type { CronJob, Job, JobSpec, ObjectMeta, PodTemplateSpec } from '@skiff/api';
import { humanDuration } from './age';
import { annotationRows, describeTime, labelRows } from './describe-fields';
import { formatLabelSelector } from './table-columns';

export { annotationRows, labelRows } from './describe-fields';

/** The part of describe.ts' Describer this needs. */
export interface JobDescribeLines {
  /** Tab-aligned rows (Go's tabwriter, padding 2). */
  rows(level: number, rows: readonly (readonly string[])[]): void;
  /** kubectl's DescribePodTemplate ("Pod Template:" and what is under it). */
  podTemplate(template: PodTemplateSpec | undefined): void;
}

/**
 * kubectl's capIndexesListOrNone: "<none>" for no indexes; past `softLimit` characters the list
 * is cut after the next comma and ends with "...".
 */
export function capIndexes(indexes: string, softLimit = 50): string {
  if (!indexes) return '<none>';
  const comma = indexes.indexOf(',', softLimit);
  return comma < 0 ? indexes : `${indexes.slice(0, comma + 1)}...`;
}

function controlledBy(meta: ObjectMeta | undefined): string[][] {
  const owner = meta?.ownerReferences.find((o) => o.controller);
  return owner ? [['Controlled By:', `${owner.kind}/${owner.name}`]] : [];
}

/** The "Pods Statuses" value: "2 Active (1 Ready) / 3 Succeeded / 0 Failed" ("(N Ready)" only when the status has it). */
export function podsStatuses(job: Readonly<Job>): string {
  const s = job.status;
  const ready = s?.ready === undefined ? '' : ` (${s.ready} Ready)`;
  return `${s?.active ?? 0} Active${ready} / ${s?.succeeded ?? 0} Succeeded / ${s?.failed ?? 0} Failed`;
}

/** Writes a Job as kubectl's describeJob (without the events). */
export function describeJob(d: JobDescribeLines, job: Readonly<Job>): void {
  const meta = job.metadata;
  const spec = job.spec;
  const status = job.status;
  const rows: string[][] = [
    ['Name:', meta?.name ?? ''],
    ['Namespace:', meta?.namespace ?? ''],
    ['Selector:', formatLabelSelector(spec?.selector)],
    ...labelRows('Labels', meta?.labels),
    ...annotationRows('Annotations', meta?.annotations),
    ...controlledBy(meta),
  ];
  if (spec?.parallelism !== undefined) rows.push(['Parallelism:', String(spec.parallelism)]);
  rows.push(['Completions:', spec?.completions === undefined ? '<unset>' : String(spec.completions)]);
  if (spec?.completionMode) rows.push(['Completion Mode:', spec.completionMode]);
  if (spec?.suspend !== undefined) rows.push(['Suspend:', String(spec.suspend)]);
  if (spec?.backoffLimit !== undefined) rows.push(['Backoff Limit:', String(spec.backoffLimit)]);
  if (spec?.ttlSecondsAfterFinished !== undefined) rows.push(['TTL Seconds After Finished:', String(spec.ttlSecondsAfterFinished)]);
  if (status?.startTime) rows.push(['Start Time:', describeTime(status.startTime)]);
  if (status?.completionTime) rows.push(['Completed At:', describeTime(status.completionTime)]);
  if (status?.startTime && status.completionTime) rows.push(['Duration:', humanDuration(status.completionTime.getTime() - status.startTime.getTime())]);
  if (spec?.activeDeadlineSeconds !== undefined) rows.push(['Active Deadline Seconds:', `${spec.activeDeadlineSeconds}s`]);
  rows.push(['Pods Statuses:', podsStatuses(job)]);
  if (spec?.completionMode === 'Indexed') rows.push(['Completed Indexes:', capIndexes(status?.completedIndexes ?? '')]);
  d.rows(0, rows);
  d.podTemplate(spec?.template);
}

/** kubectl's describeJobTemplate rows (the pod template follows). */
function jobTemplateRows(spec: Readonly<JobSpec> | undefined): string[][] {
  const rows: string[][] = [
    ['Selector:', spec?.selector ? formatLabelSelector(spec.selector) : '<unset>'],
    ['Parallelism:', spec?.parallelism === undefined ? '<unset>' : String(spec.parallelism)],
    ['Completions:', spec?.completions === undefined ? '<unset>' : String(spec.completions)],
  ];
  if (spec?.activeDeadlineSeconds !== undefined) rows.push(['Active Deadline Seconds:', `${spec.activeDeadlineSeconds}s`]);
  return rows;
}

const orUnset = (value: number | undefined, unit = '') => (value === undefined ? '<unset>' : `${value}${unit}`);

/** Writes a CronJob as kubectl's describeCronJob (without the events). */
export function describeCronJob(d: JobDescribeLines, cronJob: Readonly<CronJob>): void {
  const meta = cronJob.metadata;
  const spec = cronJob.spec;
  const status = cronJob.status;
  d.rows(0, [
    ['Name:', meta?.name ?? ''],
    ['Namespace:', meta?.namespace ?? ''],
    ...labelRows('Labels', meta?.labels),
    ...annotationRows('Annotations', meta?.annotations),
    ['Schedule:', spec?.schedule ?? ''],
    ['Concurrency Policy:', spec?.concurrencyPolicy ?? ''],
    ['Suspend:', spec?.suspend === undefined ? '<unset>' : spec.suspend ? 'True' : 'False'],
    ['Successful Job History Limit:', orUnset(spec?.successfulJobsHistoryLimit)],
    ['Failed Job History Limit:', orUnset(spec?.failedJobsHistoryLimit)],
    ['Starting Deadline Seconds:', orUnset(spec?.startingDeadlineSeconds === undefined ? undefined : Number(spec.startingDeadlineSeconds), 's')],
    ...jobTemplateRows(spec?.jobTemplate?.spec),
  ]);
  d.podTemplate(spec?.jobTemplate?.spec?.template);
  const active = status?.active ?? [];
  d.rows(0, [
    ['Last Schedule Time:', status?.lastScheduleTime ? describeTime(status.lastScheduleTime) : '<unset>'],
    ['Active Jobs:', active.length ? active.map((j) => j.name).join(', ') : '<none>'],
  ]);
}
