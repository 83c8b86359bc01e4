/**
 * The CronJob controller in-process (runControllerManager with only "cronjob", no leader
 * election) against real etcd, NATS and the built apiserver, on a fake clock (ControllerContext
 * `now`). There is no Job controller: the test finishes Jobs itself by writing their status
 * conditions. Moving the fake clock wakes nothing up (the work queue's timers are real), so after
 * each move the test touches the CronJob (an annotation), which makes the controller sync it,
 * as its requeue timer would at the schedule time.
 *
 * Each test starts the fake clock at the wall clock before it creates its CronJob (so the first
 * schedule time is the next minute after creation), uses its own CronJob name, and deletes the
 * CronJob at its end.
 */
import { ConflictError, CronJob, CRONJOB_SCHEDULED_TIMESTAMP, cronJobJobName, JobStatus, type CronJobSpec, type Event, type Job } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

const NS = 'default';
const MINUTE = 60_000;

describe('CronJob controller against the real apiserver (fake clock)', () => {
  let env: ControllersTestEnv;
  let cronJobs: TypedClient<'cronJob'>;
  let jobs: TypedClient<'job'>;
  let clock = Date.now();
  /** How often the controller read the fake clock at each value: a read is a sync at that time. */
  const clockReads = new Map<number, number>();
  const readClock = () => {
    clockReads.set(clock, (clockReads.get(clock) ?? 0) + 1);
    return clock;
  };

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['cronjob'], now: readClock });
    cronJobs = env.typed('cronJob');
    jobs = env.typed('job');
  }, 90_000);

  afterAll(() => env?.stop(), 30_000);

  /** Creates the CronJob (every minute, UTC) with the clock at the wall clock; resolves with it and its first schedule time. */
  async function createCronJob(name: string, spec: Partial<CronJobSpec> = {}): Promise<{ cronJob: CronJob; first: Date }> {
    clock = Date.now();
    const cronJob = await cronJobs.create(
      CronJob.fromPartial({
        metadata: { name, namespace: NS },
        spec: {
          schedule: '* * * * *',
          timeZone: 'Etc/UTC',
          concurrencyPolicy: 'Allow',
          jobTemplate: {
            metadata: { labels: { cronjob: name } },
            spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['true'] }] } } },
          },
          ...spec,
        },
      }),
    );
    const created = cronJob.metadata?.creationTimestamp?.getTime() ?? clock;
    return { cronJob, first: new Date((Math.floor(created / MINUTE) + 1) * MINUTE) };
  }

  /** Moves the fake clock to `time` + 1 s and touches the CronJob so that it syncs now. */
  async function advanceTo(name: string, time: Date): Promise<void> {
    clock = time.getTime() + 1000;
    for (;;) {
      const cronJob = await cronJobs.get(NS, name);
      cronJob.metadata!.annotations['test/clock'] = String(clock);
      try {
        await cronJobs.update(cronJob);
        return;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }

  /** The Jobs the CronJob `name` controls, by name. */
  async function jobsOf(name: string): Promise<Job[]> {
    const { items } = await jobs.list({ namespace: NS });
    return items.filter((j) => j.metadata?.ownerReferences.some((r) => r.kind === 'CronJob' && r.name === name && r.controller)).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  }

  const jobNames = async (name: string) => (await jobsOf(name)).map((j) => j.metadata?.name ?? '');

  /** Waits until the CronJob's Jobs are exactly `expected` (names). */
  function waitJobs(name: string, expected: string[]): Promise<string[]> {
    const want = [...expected].sort();
    return waitFor(`${name}'s jobs to be ${want.join(', ')}`, async () => {
      const names = await jobNames(name);
      return JSON.stringify(names) === JSON.stringify(want) ? names : undefined;
    }, { timeoutMs: 15_000 });
  }

  /** Waits until the CronJob's status.active holds exactly these Jobs (names). */
  function waitActive(name: string, expected: string[]): Promise<CronJob> {
    const want = [...expected].sort();
    return waitFor(`${name}'s status.active to be [${want.join(', ')}]`, async () => {
      const cronJob = await cronJobs.get(NS, name);
      const active = (cronJob.status?.active ?? []).map((r) => r.name).sort();
      return JSON.stringify(active) === JSON.stringify(want) ? cronJob : undefined;
    }, { timeoutMs: 15_000 });
  }

  async function eventsOf(name: string, reason: string): Promise<Event[]> {
    const { items } = await env.typed('event').list({ namespace: NS });
    return items.filter((e) => e.involvedObject?.kind === 'CronJob' && e.involvedObject.name === name && e.reason === reason);
  }

  const waitEvent = (name: string, reason: string, message?: string) =>
    waitFor(`a ${reason} event on ${name}`, async () => {
      const found = (await eventsOf(name, reason)).filter((e) => message === undefined || e.message === message);
      return found.length > 0 ? found : undefined;
    }, { timeoutMs: 15_000 });

  /** Plays the Job controller: the Job finished (Complete or Failed) after starting at `startTime`. */
  async function finish(jobName: string, type: 'Complete' | 'Failed', startTime: Date): Promise<void> {
    for (;;) {
      const job = await jobs.get(NS, jobName);
      const completionTime = new Date(startTime.getTime() + 5000);
      job.status = JobStatus.fromPartial({
        ...job.status,
        startTime,
        completionTime: type === 'Complete' ? completionTime : undefined,
        succeeded: type === 'Complete' ? 1 : 0,
        failed: type === 'Failed' ? 1 : 0,
        conditions: [{ type, status: 'True', lastTransitionTime: completionTime, lastProbeTime: completionTime, reason: type === 'Failed' ? 'BackoffLimitExceeded' : '', message: '' }],
      });
      try {
        await jobs.updateStatus(job);
        return;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }

  const at = (first: Date, minutes: number) => new Date(first.getTime() + minutes * MINUTE);

  it('creates a Job at each schedule time (nothing before): deterministic name, template, scheduled timestamp, controller ref, status and events', async () => {
    const { cronJob, first } = await createCronJob('every');
    try {
      // Synced at creation (and touched): no schedule time has come yet.
      await advanceTo('every', new Date(first.getTime() - 30_000));
      // The controller synced the CronJob with the clock 29 s before the first schedule time
      // (it reads the clock once per sync, before it decides) and created nothing. A Job it had
      // created then would also break the exact lists awaited below.
      const before = clock;
      await waitFor('a sync before the first schedule time', async () => (clockReads.get(before) ?? 0) > 0);
      expect(await jobNames('every')).toEqual([]);
      expect((await cronJobs.get(NS, 'every')).status?.lastScheduleTime).toBeUndefined();

      await advanceTo('every', first);
      const name1 = cronJobJobName('every', first);
      await waitJobs('every', [name1]);
      const [job] = await jobsOf('every');
      expect(job.metadata?.labels).toMatchObject({ cronjob: 'every' });
      expect(job.metadata?.annotations[CRONJOB_SCHEDULED_TIMESTAMP]).toBe(first.toISOString().replace('.000Z', 'Z'));
      expect(job.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'every', uid: cronJob.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      expect(job.spec?.selector?.matchLabels).toBeDefined(); // generated by the apiserver
      const status = (await waitActive('every', [name1])).status;
      expect(status?.lastScheduleTime).toEqual(first);
      expect(status?.active[0]).toMatchObject({ kind: 'Job', apiVersion: 'batch/v1', namespace: NS, name: name1, uid: job.metadata?.uid });
      await waitEvent('every', 'SuccessfulCreate', `Created job ${name1}`);

      // Allow: the next minute runs beside the unfinished first Job.
      const second = at(first, 1);
      await advanceTo('every', second);
      const name2 = cronJobJobName('every', second);
      await waitJobs('every', [name1, name2]);
      await waitActive('every', [name1, name2]);

      // A controller-manager that starts afresh (no memory) runs no time twice, and the next one once.
      await env.restartControllers();
      await advanceTo('every', new Date(second.getTime() + 20_000));
      const third = at(first, 2);
      await advanceTo('every', third);
      const name3 = cronJobJobName('every', third);
      await waitJobs('every', [name1, name2, name3]);
      await waitActive('every', [name1, name2, name3]);
      expect(await eventsOf('every', 'UnexpectedJob')).toEqual([]);
      expect(await eventsOf('every', 'FailedCreate')).toEqual([]);
    } finally {
      await cronJobs.delete(NS, 'every');
    }
  }, 60_000);

  it('misses several minutes (controller down): one catch-up run of the most recent time', async () => {
    const { first } = await createCronJob('catchup');
    try {
      await advanceTo('catchup', at(first, 5));
      const name = cronJobJobName('catchup', at(first, 5));
      await waitJobs('catchup', [name]);
      const cronJob = await waitActive('catchup', [name]);
      expect(cronJob.status?.lastScheduleTime).toEqual(at(first, 5));
    } finally {
      await cronJobs.delete(NS, 'catchup');
    }
  }, 60_000);

  it('Forbid: skips a time while a Job is active (JobAlreadyActive), runs once it finished', async () => {
    const { first } = await createCronJob('forbid', { concurrencyPolicy: 'Forbid' });
    try {
      await advanceTo('forbid', first);
      const name1 = cronJobJobName('forbid', first);
      await waitActive('forbid', [name1]);

      await advanceTo('forbid', at(first, 1));
      await waitEvent('forbid', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      expect(await jobNames('forbid')).toEqual([name1]);

      // The first Job completes: the time still due (no deadline) runs now.
      await finish(name1, 'Complete', first);
      const name2 = cronJobJobName('forbid', at(first, 1));
      await waitJobs('forbid', [name1, name2]);
      const cronJob = await waitActive('forbid', [name2]);
      expect(cronJob.status?.lastSuccessfulTime).toEqual(new Date(first.getTime() + 5000));
      await waitEvent('forbid', 'SawCompletedJob', `Saw completed job: ${name1}, condition: Complete`);
    } finally {
      await cronJobs.delete(NS, 'forbid');
    }
  }, 60_000);

  it('Replace: deletes the active Job and creates the new one', async () => {
    const { first } = await createCronJob('replace', { concurrencyPolicy: 'Replace' });
    try {
      await advanceTo('replace', first);
      const name1 = cronJobJobName('replace', first);
      await waitActive('replace', [name1]);

      await advanceTo('replace', at(first, 1));
      const name2 = cronJobJobName('replace', at(first, 1));
      await waitJobs('replace', [name2]);
      await waitActive('replace', [name2]);
      await waitEvent('replace', 'SuccessfulDelete', `Deleted job ${name1}`);
      await waitEvent('replace', 'SuccessfulCreate', `Created job ${name2}`);
      expect(await eventsOf('replace', 'FailedDelete')).toEqual([]);
    } finally {
      await cronJobs.delete(NS, 'replace');
    }
  }, 60_000);

  it('history limits: keeps the newest 2 succeeded and 1 failed Jobs, deletes older finished ones', async () => {
    const { first } = await createCronJob('history', { successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    try {
      const outcomes = ['Complete', 'Complete', 'Complete', 'Failed', 'Failed'] as const;
      const names: string[] = [];
      for (const [i, outcome] of outcomes.entries()) {
        const time = at(first, i);
        await advanceTo('history', time);
        const name = cronJobJobName('history', time);
        names.push(name);
        await waitActive('history', [name]);
        await finish(name, outcome, time);
        await waitActive('history', []);
      }
      await waitJobs('history', [names[1], names[2], names[4]]);
      const deletes = await waitFor('2 SuccessfulDelete events', async () => {
        const list = await eventsOf('history', 'SuccessfulDelete');
        return list.length === 2 ? list : undefined;
      });
      expect(deletes.map((e) => e.message).sort()).toEqual([`Deleted job ${names[0]}`, `Deleted job ${names[3]}`].sort());
      const cronJob = await cronJobs.get(NS, 'history');
      expect(cronJob.status?.lastSuccessfulTime).toEqual(new Date(at(first, 2).getTime() + 5000));
      expect(cronJob.status?.lastScheduleTime).toEqual(at(first, 4));
    } finally {
      await cronJobs.delete(NS, 'history');
    }
  }, 90_000);
});
