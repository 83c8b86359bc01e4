/**
 * What one sync of a CronJob decides (Kubernetes' cronjob controller v2: cleanupFinishedJobs and
 * syncCronJob), over the CronJob and the Jobs it controls, at `now`:
 *
 *   1. history: finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit, oldest
 *      (status.startTime, then name) first, are deleted.
 *   2. status: finished Jobs leave status.active (SawCompletedJob); active refs whose Job is gone
 *      leave it (MissingJob); an unfinished Job not in it is reported (UnexpectedJob);
 *      lastSuccessfulTime follows the latest completionTime of a Complete Job.
 *   3. nothing more for a CronJob being deleted, with an unknown time zone (UnknownTimeZone), a
 *      schedule that does not parse (UnparseableSchedule) or that is suspended: no requeue.
 *   4. the most recent unmet schedule time (ONE catch-up run however many were missed; more than
 *      100 missed: TooManyMissedTimes), unless older than startingDeadlineSeconds (MissSchedule),
 *      already run (in status.active by name, or = lastScheduleTime), or, with Forbid, while a Job
 *      is active (JobAlreadyActive). Replace deletes the active Jobs first. Then the Job is created
 *      (jobFromCronJob: deterministic name, so a retry meets AlreadyExists).
 *   5. requeue at the next schedule time + 100 ms.
 *
 * CONTRACT: pure, no I/O; the inputs (informer cache) are never changed. The plan's status is the
 * status after the deletions and before the creation: the controller adds the created Job's
 * reference (its uid is known only then) and sets lastScheduleTime to plan.create.scheduledTime.
 */
import { cronJobJobName, CronScheduleError, formatRfc1123z, isKnownTimeZone, jobFromCronJob, parseCronSchedule, type CronJob, type CronJobStatus, type CronSchedule, type Job, type ObjectReference } from '@skiff/api';
import { finishedCondition } from '../job/job-conditions';
import { InvalidScheduleError, mostRecentScheduleTime, nextScheduleDelayMs } from './schedule-times';

/** An Event to record on the CronJob. */
export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * A Job to delete (propagation Background). `history`: a finished Job beyond the history limits
 * (a failure is reported and the sync goes on); `replace`: an active Job that concurrencyPolicy
 * Replace stops (a failure stops the sync before the creation, the Job stays active).
 */
export interface JobDeletion {
  namespace: string;
  name: string;
  uid: string;
  reason: 'history' | 'replace';
}

export interface CronJobPlan {
  /** The status after the deletions, before the creation (see the file comment). */
  status: CronJobStatus;
  /** Whether `status` differs from the CronJob's. */
  statusChanged: boolean;
  /** Events not tied to a write, to record at once. */
  events: PlannedEvent[];
  /** In order: history, then replace. */
  deletions: JobDeletion[];
  /** The Job to create for the schedule time that is due. */
  create?: { job: Job; scheduledTime: Date };
  /** Sync again after this long (the next schedule time); undefined: only when something changes. */
  requeueAfterMs?: number;
}

export interface PlanCronJobOptions {
  /**
   * uids of Jobs in status.active that the cache lacks but the apiserver still has (the
   * controller asks before calling it missing, as Kubernetes does): they stay active.
   */
  stillExisting?: ReadonlySet<string>;
}

/** How a Job finished: 'Complete' or 'Failed' (its condition with status "True"), or undefined. */
export function jobFinishedAs(job: Readonly<Job>): 'Complete' | 'Failed' | undefined {
  return finishedCondition(job)?.type as 'Complete' | 'Failed' | undefined;
}

/** A reference to `job` for status.active (Kubernetes' getRef). */
export function jobReference(job: Readonly<Job>): ObjectReference {
  const meta = job.metadata;
  return { kind: 'Job', apiVersion: 'batch/v1', namespace: meta?.namespace ?? '', name: meta?.name ?? '', uid: meta?.uid ?? '', resourceVersion: meta?.resourceVersion ?? '', fieldPath: '' };
}

const time = (d: Date | undefined) => d?.getTime();

/** Whether two statuses have the same active Jobs (by uid, in order) and times. */
export function sameCronJobStatus(a: Readonly<CronJobStatus> | undefined, b: Readonly<CronJobStatus>): boolean {
  const uids = (s: Readonly<CronJobStatus> | undefined) => (s?.active ?? []).map((r) => r.uid).join(',');
  return uids(a) === uids(b) && time(a?.lastScheduleTime) === time(b.lastScheduleTime) && time(a?.lastSuccessfulTime) === time(b.lastSuccessfulTime);
}

/** Oldest first: by status.startTime (Jobs without one last), then by name (Kubernetes' byJobStartTime). */
function byStartTime(a: Readonly<Job>, b: Readonly<Job>): number {
  const ta = time(a.status?.startTime);
  const tb = time(b.status?.startTime);
  if (ta === undefined && tb !== undefined) return 1;
  if (ta !== undefined && tb === undefined) return -1;
  if (ta !== tb) return (ta ?? 0) - (tb ?? 0);
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** The oldest finished Jobs beyond the history limits (Kubernetes' cleanupFinishedJobs). */
function historyToPrune(cronJob: Readonly<CronJob>, jobs: readonly Readonly<Job>[]): Readonly<Job>[] {
  const beyond = (finished: Readonly<Job>[], limit: number | undefined) => (limit === undefined ? [] : [...finished].sort(byStartTime).slice(0, Math.max(0, finished.length - limit)));
  const succeeded = jobs.filter((j) => jobFinishedAs(j) === 'Complete');
  const failed = jobs.filter((j) => jobFinishedAs(j) === 'Failed');
  return [...beyond(succeeded, cronJob.spec?.successfulJobsHistoryLimit), ...beyond(failed, cronJob.spec?.failedJobsHistoryLimit)];
}

/** Plans one sync of `cronJob` over the Jobs it controls (see the file comment). */
export function planCronJob(cronJob: Readonly<CronJob>, ownedJobs: readonly Readonly<Job>[], now: Date | number, options: PlanCronJobOptions = {}): CronJobPlan {
  const at = new Date(now);
  const spec = cronJob.spec;
  const events: PlannedEvent[] = [];
  const deletions: JobDeletion[] = [];
  const event = (type: PlannedEvent['type'], reason: string, message: string) => events.push({ type, reason, message });
  const status: CronJobStatus = structuredClone(cronJob.status) ?? { active: [] };
  status.active ??= [];
  const removeActive = (uid: string) => (status.active = status.active.filter((r) => r.uid !== uid));
  const done = (requeueAfterMs?: number, create?: CronJobPlan['create']): CronJobPlan => ({ status, statusChanged: !sameCronJobStatus(cronJob.status, status), events, deletions, create, requeueAfterMs });

  // 1. History.
  for (const job of historyToPrune(cronJob, ownedJobs)) {
    const meta = job.metadata;
    deletions.push({ namespace: meta?.namespace ?? '', name: meta?.name ?? '', uid: meta?.uid ?? '', reason: 'history' });
    removeActive(meta?.uid ?? '');
  }

  // 2. Status from the Jobs.
  const ownedUids = new Set(ownedJobs.map((j) => j.metadata?.uid ?? ''));
  const activeBefore = new Set(status.active.map((r) => r.uid));
  for (const job of ownedJobs) {
    const uid = job.metadata?.uid ?? '';
    const finished = jobFinishedAs(job);
    if (!activeBefore.has(uid) && !finished) {
      event('Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.metadata?.name}`);
    } else if (activeBefore.has(uid) && finished) {
      removeActive(uid);
      event('Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata?.name}, condition: ${finished}`);
    }
    if (finished === 'Complete') {
      const completed = job.status?.completionTime;
      if (!status.lastSuccessfulTime || (completed && completed.getTime() > status.lastSuccessfulTime.getTime())) status.lastSuccessfulTime = completed;
    }
  }
  for (const ref of [...status.active]) {
    if (ownedUids.has(ref.uid) || options.stillExisting?.has(ref.uid)) continue;
    event('Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
    removeActive(ref.uid);
  }

  // 3. Nothing to schedule.
  if (cronJob.metadata?.deletionTimestamp) return done();
  const timeZone = spec?.timeZone;
  if (timeZone !== undefined && !isKnownTimeZone(timeZone)) {
    event('Warning', 'UnknownTimeZone', `invalid timeZone: "${timeZone}": unknown time zone ${timeZone}`);
    return done();
  }
  if (spec?.suspend) return done();
  let schedule: CronSchedule;
  try {
    schedule = parseCronSchedule(spec?.schedule ?? '', timeZone);
  } catch (err) {
    if (!(err instanceof CronScheduleError)) throw err;
    event('Warning', 'UnparseableSchedule', `unparseable schedule: "${spec?.schedule}" : ${err.message}`);
    return done();
  }

  // 4. The schedule time that is due.
  let due: ReturnType<typeof mostRecentScheduleTime>;
  try {
    due = mostRecentScheduleTime(cronJob, at, schedule, true);
  } catch (err) {
    if (!(err instanceof InvalidScheduleError || err instanceof CronScheduleError)) throw err;
    event('Warning', 'InvalidSchedule', `invalid schedule: ${spec?.schedule} : ${err.message}`);
    return done();
  }
  const requeue = () => nextScheduleDelayMs(cronJob, at, schedule);
  const deadlineSeconds = spec?.startingDeadlineSeconds;
  const tooLate = (t: Date) => deadlineSeconds !== undefined && t.getTime() + deadlineSeconds * 1000 < at.getTime();
  const scheduledTime = due.mostRecent;
  if (!scheduledTime) {
    // The deadline hid a missed time (Kubernetes reports it only at the boundary; we say it here).
    if (deadlineSeconds !== undefined) {
      const missed = mostRecentScheduleTime(cronJob, at, schedule, false).mostRecent;
      if (missed && tooLate(missed)) event('Warning', 'MissSchedule', `Missed scheduled time to start a job: ${formatRfc1123z(missed)}`);
    }
    return done(requeue());
  }
  if (due.missed === 'many') {
    event('Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  }
  if (tooLate(scheduledTime)) {
    event('Warning', 'MissSchedule', `Missed scheduled time to start a job: ${formatRfc1123z(scheduledTime)}`);
    return done(requeue());
  }
  const jobName = cronJobJobName(cronJob.metadata?.name ?? '', scheduledTime);
  if (status.active.some((r) => r.name === jobName) || time(status.lastScheduleTime) === scheduledTime.getTime()) return done(requeue());
  if (spec?.concurrencyPolicy === 'Forbid' && status.active.length > 0) {
    event('Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
    return done(requeue());
  }
  if (spec?.concurrencyPolicy === 'Replace') {
    for (const ref of status.active) deletions.push({ namespace: ref.namespace, name: ref.name, uid: ref.uid, reason: 'replace' });
    status.active = [];
  }
  const job = jobFromCronJob(cronJob, scheduledTime);
  // The next sync is due after the next schedule time counted from this one.
  const afterCreate = nextScheduleDelayMs({ ...cronJob, status: { ...status, lastScheduleTime: scheduledTime } }, at, schedule);
  return done(afterCreate, { job, scheduledTime });
}
