import { CRONJOB_SCHEDULED_TIMESTAMP, CronJob, cronJobJobName, Job, type CronJobSpec, type CronJobStatus, type ObjectReference } from '@skiff/api';
import { jobReference, planCronJob, sameCronJobStatus } from './cronjob-plan';

const at = (iso: string) => new Date(iso);
const CREATED = at('2024-01-01T10:00:30Z');

function cronJobOf(spec: Partial<CronJobSpec> = {}, status: Partial<CronJobStatus> = {}, meta: { deletionTimestamp?: Date } = {}): CronJob {
  return CronJob.fromPartial({
    metadata: { name: 'tick', namespace: 'ns', uid: 'cj-uid', creationTimestamp: CREATED, ...meta },
    spec: {
      schedule: '*/5 * * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { metadata: { labels: { app: 'tick' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
    status: { active: [], ...status },
  });
}

interface JobOptions {
  finished?: 'Complete' | 'Failed';
  startTime?: Date;
  completionTime?: Date;
}

function jobOf(name: string, { finished, startTime, completionTime }: JobOptions = {}): Job {
  return Job.fromPartial({
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: 'cj-uid', controller: true }] },
    spec: {},
    status: {
      startTime,
      completionTime,
      conditions: finished ? [{ type: finished, status: 'True', reason: '', message: '' }] : [{ type: 'Suspended', status: 'False', reason: '', message: '' }],
    },
  });
}

const refOf = (job: Job): ObjectReference => jobReference(job);
const reasons = (plan: { events: { reason: string }[] }) => plan.events.map((e) => e.reason);

describe('planCronJob: when to run', () => {
  it('runs nothing before the first schedule time and requeues at it (+100 ms)', () => {
    const plan = planCronJob(cronJobOf(), [], at('2024-01-01T10:02:00Z'));
    expect(plan.create).toBeUndefined();
    expect(plan.requeueAfterMs).toBe(3 * 60_000 + 100);
    expect(plan.statusChanged).toBe(false);
    expect(plan.events).toEqual([]);
  });

  it('creates the Job of a due schedule time: deterministic name, template, scheduled timestamp, controller ref; requeues at the next time', () => {
    const plan = planCronJob(cronJobOf(), [], at('2024-01-01T10:05:10Z'));
    const scheduled = at('2024-01-01T10:05:00Z');
    expect(plan.create?.scheduledTime).toEqual(scheduled);
    expect(plan.create?.job.metadata).toMatchObject({
      name: cronJobJobName('tick', scheduled),
      namespace: 'ns',
      labels: { app: 'tick' },
      annotations: { [CRONJOB_SCHEDULED_TIMESTAMP]: '2024-01-01T10:05:00Z' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(plan.create?.job.spec?.template?.spec?.restartPolicy).toBe('Never');
    expect(plan.requeueAfterMs).toBe(4 * 60_000 + 50_000 + 100);
    // The created Job's reference and lastScheduleTime are the controller's to add.
    expect(plan.status.active).toEqual([]);
  });

  it('accepts a number (ms) as now', () => {
    expect(planCronJob(cronJobOf(), [], at('2024-01-01T10:05:10Z').getTime()).create?.scheduledTime).toEqual(at('2024-01-01T10:05:00Z'));
  });

  it('catches up on missed times only once: the most recent one, no Warning for a few', () => {
    const plan = planCronJob(cronJobOf({}, { lastScheduleTime: at('2024-01-01T10:00:00Z') }), [], at('2024-01-01T10:37:00Z'));
    expect(plan.create?.scheduledTime).toEqual(at('2024-01-01T10:35:00Z'));
    expect(reasons(plan)).toEqual([]);
    expect(plan.requeueAfterMs).toBe(3 * 60_000 + 100);
  });

  it('more than 100 missed times: TooManyMissedTimes, still one run of the most recent', () => {
    const plan = planCronJob(cronJobOf({ schedule: '* * * * *' }, { lastScheduleTime: at('2024-01-01T10:00:00Z') }), [], at('2024-01-01T12:00:30Z'));
    expect(plan.create?.scheduledTime).toEqual(at('2024-01-01T12:00:00Z'));
    expect(plan.events).toEqual([{ type: 'Warning', reason: 'TooManyMissedTimes', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' }]);
  });

  it('exactly 100 missed times is not too many', () => {
    const plan = planCronJob(cronJobOf({ schedule: '* * * * *' }, { lastScheduleTime: at('2024-01-01T10:00:00Z') }), [], at('2024-01-01T11:40:30Z'));
    expect(plan.create?.scheduledTime).toEqual(at('2024-01-01T11:40:00Z'));
    expect(reasons(plan)).toEqual([]);
  });

  it('startingDeadlineSeconds: a time older than the deadline is skipped (MissSchedule) and the next one awaited', () => {
    const cronJob = cronJobOf({ startingDeadlineSeconds: 60 }, { lastScheduleTime: at('2024-01-01T10:00:00Z') });
    const plan = planCronJob(cronJob, [], at('2024-01-01T10:07:00Z'));
    expect(plan.create).toBeUndefined();
    expect(plan.events).toEqual([{ type: 'Warning', reason: 'MissSchedule', message: 'Missed scheduled time to start a job: Mon, 01 Jan 2024 10:05:00 +0000' }]);
    expect(plan.requeueAfterMs).toBe(3 * 60_000 + 100);
  });

  it('startingDeadlineSeconds: a time within the deadline runs', () => {
    const cronJob = cronJobOf({ startingDeadlineSeconds: 200 }, { lastScheduleTime: at('2024-01-01T10:00:00Z') });
    expect(planCronJob(cronJob, [], at('2024-01-01T10:07:00Z')).create?.scheduledTime).toEqual(at('2024-01-01T10:05:00Z'));
  });

  it('startingDeadlineSeconds bounds the count of missed times: no TooManyMissedTimes', () => {
    const cronJob = cronJobOf({ schedule: '* * * * *', startingDeadlineSeconds: 300 }, { lastScheduleTime: at('2024-01-01T00:00:00Z') });
    const plan = planCronJob(cronJob, [], at('2024-01-01T12:00:30Z'));
    expect(plan.create?.scheduledTime).toEqual(at('2024-01-01T12:00:00Z'));
    expect(reasons(plan)).toEqual([]);
  });

  it('never runs a time twice: lastScheduleTime, or its Job already active', () => {
    const now = at('2024-01-01T10:06:00Z');
    expect(planCronJob(cronJobOf({}, { lastScheduleTime: at('2024-01-01T10:05:00Z') }), [], now).create).toBeUndefined();
    const running = jobOf(cronJobJobName('tick', at('2024-01-01T10:05:00Z')));
    const plan = planCronJob(cronJobOf({}, { active: [refOf(running)] }), [running], now);
    expect(plan.create).toBeUndefined();
    expect(plan.requeueAfterMs).toBe(4 * 60_000 + 100);
  });

  it('suspend: no run and no requeue (an unsuspend is a CronJob update), the status is still kept', () => {
    const done = jobOf('old', { finished: 'Complete', completionTime: at('2024-01-01T10:01:00Z') });
    const plan = planCronJob(cronJobOf({ suspend: true }, { active: [refOf(done)] }), [done], at('2024-01-01T10:05:10Z'));
    expect(plan.create).toBeUndefined();
    expect(plan.requeueAfterMs).toBeUndefined();
    expect(plan.status.active).toEqual([]);
    expect(plan.status.lastSuccessfulTime).toEqual(at('2024-01-01T10:01:00Z'));
    expect(plan.statusChanged).toBe(true);
  });

  it('a CronJob being deleted only has its status kept', () => {
    const plan = planCronJob(cronJobOf({}, {}, { deletionTimestamp: at('2024-01-01T10:05:00Z') }), [], at('2024-01-01T10:05:10Z'));
    expect(plan.create).toBeUndefined();
    expect(plan.requeueAfterMs).toBeUndefined();
  });

  it('an unknown time zone or a schedule that does not parse: a Warning, nothing else', () => {
    const zone = planCronJob(cronJobOf({ timeZone: 'Mars/Olympus' }), [], at('2024-01-01T10:05:10Z'));
    expect(zone).toMatchObject({ create: undefined, requeueAfterMs: undefined });
    expect(zone.events).toEqual([{ type: 'Warning', reason: 'UnknownTimeZone', message: 'invalid timeZone: "Mars/Olympus": unknown time zone Mars/Olympus' }]);
    const bad = planCronJob(cronJobOf({ schedule: '61 * * * *' }), [], at('2024-01-01T10:05:10Z'));
    expect(bad).toMatchObject({ create: undefined, requeueAfterMs: undefined });
    expect(reasons(bad)).toEqual(['UnparseableSchedule']);
  });
});

describe('planCronJob: concurrencyPolicy', () => {
  const now = at('2024-01-01T10:05:10Z');
  const running = jobOf('tick-running');

  it('Allow: a new Job beside the running one', () => {
    const plan = planCronJob(cronJobOf({ concurrencyPolicy: 'Allow' }, { active: [refOf(running)] }), [running], now);
    expect(plan.create).toBeDefined();
    expect(plan.deletions).toEqual([]);
    expect(plan.status.active.map((r) => r.name)).toEqual(['tick-running']);
  });

  it('Forbid: no new Job while one is active (JobAlreadyActive); requeue at the next time', () => {
    const plan = planCronJob(cronJobOf({ concurrencyPolicy: 'Forbid' }, { active: [refOf(running)] }), [running], now);
    expect(plan.create).toBeUndefined();
    expect(plan.events).toEqual([{ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' }]);
    expect(plan.requeueAfterMs).toBe(4 * 60_000 + 50_000 + 100);
  });

  it('Forbid: a finished Job leaves the active list (SawCompletedJob) and the next one runs', () => {
    const finished = jobOf('tick-done', { finished: 'Complete', completionTime: at('2024-01-01T10:04:00Z') });
    const plan = planCronJob(cronJobOf({ concurrencyPolicy: 'Forbid' }, { active: [refOf(finished)] }), [finished], now);
    expect(plan.create).toBeDefined();
    expect(plan.events).toEqual([{ type: 'Normal', reason: 'SawCompletedJob', message: 'Saw completed job: tick-done, condition: Complete' }]);
    expect(plan.status.active).toEqual([]);
  });

  it('Replace: the active Jobs are deleted, then the new one created', () => {
    const other = jobOf('tick-other');
    const plan = planCronJob(cronJobOf({ concurrencyPolicy: 'Replace' }, { active: [refOf(running), refOf(other)] }), [running, other], now);
    expect(plan.deletions).toEqual([
      { namespace: 'ns', name: 'tick-running', uid: 'uid-tick-running', reason: 'replace' },
      { namespace: 'ns', name: 'tick-other', uid: 'uid-tick-other', reason: 'replace' },
    ]);
    expect(plan.create).toBeDefined();
    expect(plan.status.active).toEqual([]);
  });

  it('Replace deletes nothing when no time is due', () => {
    const plan = planCronJob(cronJobOf({ concurrencyPolicy: 'Replace' }, { active: [refOf(running)], lastScheduleTime: at('2024-01-01T10:05:00Z') }), [running], now);
    expect(plan.deletions).toEqual([]);
    expect(plan.create).toBeUndefined();
  });
});

describe('planCronJob: status', () => {
  const now = at('2024-01-01T10:02:00Z');

  it('lastSuccessfulTime is the latest completionTime of a Complete Job; Failed Jobs do not count', () => {
    const jobs = [
      jobOf('a', { finished: 'Complete', completionTime: at('2024-01-01T09:00:00Z') }),
      jobOf('b', { finished: 'Complete', completionTime: at('2024-01-01T09:30:00Z') }),
      jobOf('c', { finished: 'Failed', completionTime: at('2024-01-01T09:45:00Z') }),
    ];
    const plan = planCronJob(cronJobOf({}, { lastSuccessfulTime: at('2024-01-01T08:00:00Z') }), jobs, now);
    expect(plan.status.lastSuccessfulTime).toEqual(at('2024-01-01T09:30:00Z'));
  });

  it('an active Job that is gone: MissingJob, out of the list; unless the apiserver still has it', () => {
    const gone = jobOf('gone');
    const plan = planCronJob(cronJobOf({}, { active: [refOf(gone)] }), [], now);
    expect(plan.status.active).toEqual([]);
    expect(plan.events).toEqual([{ type: 'Normal', reason: 'MissingJob', message: 'Active job went missing: gone' }]);
    const kept = planCronJob(cronJobOf({}, { active: [refOf(gone)] }), [], now, { stillExisting: new Set(['uid-gone']) });
    expect(kept.status.active).toHaveLength(1);
    expect(kept.statusChanged).toBe(false);
  });

  it('an unfinished Job not in the active list: UnexpectedJob (not adopted into the list)', () => {
    const plan = planCronJob(cronJobOf(), [jobOf('stray')], now);
    expect(plan.events).toEqual([{ type: 'Warning', reason: 'UnexpectedJob', message: 'Saw a job that the controller did not create or forgot: stray' }]);
    expect(plan.status.active).toEqual([]);
  });

  it('sameCronJobStatus compares active uids and times', () => {
    const job = jobOf('x');
    expect(sameCronJobStatus(undefined, { active: [] })).toBe(true);
    expect(sameCronJobStatus({ active: [refOf(job)] }, { active: [{ ...refOf(job), resourceVersion: '9' }] })).toBe(true);
    expect(sameCronJobStatus({ active: [] }, { active: [], lastScheduleTime: now })).toBe(false);
  });
});

describe('planCronJob: history limits', () => {
  const now = at('2024-01-01T10:02:00Z');
  const minute = (m: number) => at(`2024-01-01T09:${String(m).padStart(2, '0')}:00Z`);

  it('deletes the oldest finished Jobs (by startTime) beyond successfulJobsHistoryLimit and failedJobsHistoryLimit; never unfinished ones', () => {
    const jobs = [
      jobOf('ok-3', { finished: 'Complete', startTime: minute(3) }),
      jobOf('ok-1', { finished: 'Complete', startTime: minute(1) }),
      jobOf('ok-5', { finished: 'Complete', startTime: minute(5) }),
      jobOf('ok-2', { finished: 'Complete', startTime: minute(2) }),
      jobOf('ok-4', { finished: 'Complete', startTime: minute(4) }),
      jobOf('bad-1', { finished: 'Failed', startTime: minute(1) }),
      jobOf('bad-2', { finished: 'Failed', startTime: minute(2) }),
      jobOf('running-0', { startTime: minute(0) }),
    ];
    const plan = planCronJob(cronJobOf(), jobs, now);
    expect(plan.deletions.map((d) => [d.name, d.reason])).toEqual([
      ['ok-1', 'history'],
      ['ok-2', 'history'],
      ['bad-1', 'history'],
    ]);
  });

  it('Jobs without a startTime count as newest; equal start times go by name', () => {
    const jobs = [jobOf('b', { finished: 'Complete', startTime: minute(1) }), jobOf('none', { finished: 'Complete' }), jobOf('a', { finished: 'Complete', startTime: minute(1) })];
    expect(planCronJob(cronJobOf({ successfulJobsHistoryLimit: 1 }), jobs, now).deletions.map((d) => d.name)).toEqual(['a', 'b']);
  });

  it('a limit of 0 keeps no finished Job, and a pruned Job leaves the active list silently', () => {
    const done = jobOf('done', { finished: 'Failed', startTime: minute(1) });
    const plan = planCronJob(cronJobOf({ failedJobsHistoryLimit: 0 }, { active: [refOf(done)] }), [done], now);
    expect(plan.deletions.map((d) => d.name)).toEqual(['done']);
    expect(plan.status.active).toEqual([]);
    expect(reasons(plan)).toEqual([]);
  });

  it('no limits: nothing pruned', () => {
    const jobs = [1, 2, 3, 4, 5].map((m) => jobOf(`ok-${m}`, { finished: 'Complete', startTime: minute(m) }));
    expect(planCronJob(cronJobOf({ successfulJobsHistoryLimit: undefined }), jobs, now).deletions).toEqual([]);
  });
});

describe('planCronJob: schedules, macros and time zones', () => {
  it('@hourly runs at the top of the hour', () => {
    const cronJob = cronJobOf({ schedule: '@hourly' });
    expect(planCronJob(cronJob, [], at('2024-01-01T10:59:59Z')).create).toBeUndefined();
    const plan = planCronJob(cronJob, [], at('2024-01-01T11:00:00Z'));
    expect(plan.create?.scheduledTime).toEqual(at('2024-01-01T11:00:00Z'));
    expect(plan.requeueAfterMs).toBe(3_600_000 + 100);
  });

  it('@daily in a time zone runs at that zone\'s midnight', () => {
    const cronJob = cronJobOf({ schedule: '@daily', timeZone: 'Asia/Tokyo' });
    const plan = planCronJob(cronJob, [], at('2024-01-01T15:00:05Z'));
    expect(plan.create?.scheduledTime).toEqual(at('2024-01-01T15:00:00Z'));
    expect(plan.create?.job.metadata?.annotations[CRONJOB_SCHEDULED_TIMESTAMP]).toBe('2024-01-02T00:00:00+09:00');
  });

  it('a daily 09:00 in America/New_York stays 09:00 local across the spring DST change', () => {
    const cronJob = cronJobOf({ schedule: '0 9 * * *', timeZone: 'America/New_York' }, { lastScheduleTime: at('2024-03-09T14:00:00Z') });
    // 09:00 EST is 14:00Z; after the change on 10 March, 09:00 EDT is 13:00Z.
    expect(planCronJob(cronJob, [], at('2024-03-09T14:00:01Z')).requeueAfterMs).toBe(23 * 3_600_000 - 1000 + 100);
    expect(planCronJob(cronJob, [], at('2024-03-10T12:59:59Z')).create).toBeUndefined();
    const plan = planCronJob(cronJob, [], at('2024-03-10T13:00:30Z'));
    expect(plan.create?.scheduledTime).toEqual(at('2024-03-10T13:00:00Z'));
    expect(plan.create?.job.metadata?.annotations[CRONJOB_SCHEDULED_TIMESTAMP]).toBe('2024-03-10T09:00:00-04:00');
  });

  it('and across the autumn change (25 hours between runs)', () => {
    const cronJob = cronJobOf({ schedule: '0 9 * * *', timeZone: 'America/New_York' }, { lastScheduleTime: at('2024-11-02T13:00:00Z') });
    expect(planCronJob(cronJob, [], at('2024-11-02T13:00:00Z')).requeueAfterMs).toBe(25 * 3_600_000 + 100);
    expect(planCronJob(cronJob, [], at('2024-11-03T14:00:00Z')).create?.scheduledTime).toEqual(at('2024-11-03T14:00:00Z'));
  });

  it('the same schedule in two zones runs at different instants', () => {
    const now = at('2024-01-01T14:00:30Z');
    expect(planCronJob(cronJobOf({ schedule: '0 9 * * *', timeZone: 'America/New_York' }), [], now).create?.scheduledTime).toEqual(at('2024-01-01T14:00:00Z'));
    expect(planCronJob(cronJobOf({ schedule: '0 9 * * *', timeZone: 'Europe/Paris' }), [], now).create).toBeUndefined();
  });

  it('a monthly schedule catches up on its latest missed time', () => {
    const cronJob = cronJobOf({ schedule: '0 0 1 * *' }, { lastScheduleTime: at('2024-01-01T00:00:00Z') });
    const plan = planCronJob(cronJob, [], at('2024-05-15T00:00:00Z'));
    expect(plan.create?.scheduledTime).toEqual(at('2024-05-01T00:00:00Z'));
    expect(plan.requeueAfterMs).toBe(at('2024-06-01T00:00:00Z').getTime() + 100 - at('2024-05-15T00:00:00Z').getTime());
  });

  it('no timeZone: the schedule is read in the process\'s local zone (minutes do not depend on it)', () => {
    const plan = planCronJob(cronJobOf({ timeZone: undefined }), [], at('2024-01-01T10:05:10Z'));
    expect(plan.create?.scheduledTime).toEqual(at('2024-01-01T10:05:00Z'));
    expect(plan.create?.job.metadata?.annotations[CRONJOB_SCHEDULED_TIMESTAMP]).toBe('2024-01-01T10:05:00Z');
  });
});
