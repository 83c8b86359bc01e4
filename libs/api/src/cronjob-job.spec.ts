import { CRONJOB_INSTANTIATE_ANNOTATION, cronJobJobName, formatRfc3339InZone, jobFromCronJob } from './cronjob-job';
import { CronJob } from './gen';
import { CRONJOB_SCHEDULED_TIMESTAMP } from './job-labels';

function cronJobOf(timeZone?: string): CronJob {
  return CronJob.fromPartial({
    metadata: { name: 'backup', namespace: 'ops', uid: 'cj-uid', labels: { owner: 'cronjob-only' }, annotations: { note: 'cronjob-only' } },
    spec: {
      schedule: '*/5 * * * *',
      timeZone,
      concurrencyPolicy: 'Allow',
      jobTemplate: {
        metadata: { labels: { app: 'backup' }, annotations: { team: 'ops' } },
        spec: { backoffLimit: 2, template: { metadata: { labels: { app: 'backup' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['true'] }] } } },
      },
    },
  });
}

describe('cronJobJobName', () => {
  it('is <cronjob>-<minutes since the epoch> of the scheduled time', () => {
    expect(cronJobJobName('backup', new Date('2024-01-01T10:05:00Z'))).toBe(`backup-${Date.UTC(2024, 0, 1, 10, 5) / 60_000}`);
    expect(cronJobJobName('backup', new Date('2024-01-01T10:05:00Z'))).toBe('backup-28401725');
  });
});

describe('formatRfc3339InZone (Go time.RFC3339)', () => {
  const t = new Date('2024-03-10T07:30:00.250Z');
  it.each([
    [undefined, '2024-03-10T07:30:00Z'],
    ['Etc/UTC', '2024-03-10T07:30:00Z'],
    ['America/New_York', '2024-03-10T03:30:00-04:00'],
    ['Asia/Kolkata', '2024-03-10T13:00:00+05:30'],
    ['Europe/London', '2024-03-10T07:30:00Z'],
  ])('in %s', (zone, expected) => {
    expect(formatRfc3339InZone(t, zone)).toBe(expected);
  });

  it('follows DST: the same wall hour has another offset in winter', () => {
    expect(formatRfc3339InZone(new Date('2024-01-10T08:30:00Z'), 'America/New_York')).toBe('2024-01-10T03:30:00-05:00');
  });
});

describe('jobFromCronJob', () => {
  it('for a scheduled time: deterministic name, template labels/annotations, scheduled timestamp, controller ref with blockOwnerDeletion, template spec, no selector', () => {
    const cronJob = cronJobOf('America/New_York');
    const scheduled = new Date('2024-03-10T07:30:00Z');
    const job = jobFromCronJob(cronJob, scheduled);
    expect(job.metadata).toMatchObject({
      name: cronJobJobName('backup', scheduled),
      namespace: 'ops',
      labels: { app: 'backup' },
      annotations: { team: 'ops', [CRONJOB_SCHEDULED_TIMESTAMP]: '2024-03-10T03:30:00-04:00' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'backup', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(job.spec).toEqual(cronJob.spec?.jobTemplate?.spec);
    expect(job.spec?.selector).toBeUndefined();
    expect(job.status).toBeUndefined();
  });

  it('never shares objects with the CronJob (the informer cache stays untouched)', () => {
    const cronJob = cronJobOf();
    const job = jobFromCronJob(cronJob, new Date('2024-01-01T00:00:00Z'));
    job.metadata!.labels.extra = 'x';
    job.metadata!.annotations.extra = 'x';
    job.spec!.template!.spec!.containers[0].image = 'changed';
    expect(cronJob.spec?.jobTemplate?.metadata?.labels).toEqual({ app: 'backup' });
    expect(cronJob.spec?.jobTemplate?.metadata?.annotations).toEqual({ team: 'ops' });
    expect(cronJob.spec?.jobTemplate?.spec?.template?.spec?.containers[0].image).toBe('busybox');
  });

  it('scheduled timestamp in UTC when the CronJob names no time zone (as Kubernetes)', () => {
    const job = jobFromCronJob(cronJobOf(), new Date('2024-01-01T00:05:00Z'));
    expect(job.metadata?.annotations[CRONJOB_SCHEDULED_TIMESTAMP]).toBe('2024-01-01T00:05:00Z');
  });

  it('a manual run (create job --from=cronjob/x): the given name, instantiate=manual, controller ref without blockOwnerDeletion, no scheduled timestamp', () => {
    const job = jobFromCronJob(cronJobOf(), undefined, 'backup-now');
    expect(job.metadata?.name).toBe('backup-now');
    expect(job.metadata?.annotations).toEqual({ [CRONJOB_INSTANTIATE_ANNOTATION]: 'manual', team: 'ops' });
    expect(job.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'backup', uid: 'cj-uid', controller: true }]);
    expect(job.metadata?.labels).toEqual({ app: 'backup' });
  });

  it('a manual run needs a name', () => {
    expect(() => jobFromCronJob(cronJobOf(), undefined)).toThrow(/needs a name/);
  });

  it('a CronJob without a template spec still gives a Job with a spec', () => {
    const cronJob = CronJob.fromPartial({ metadata: { name: 'empty', namespace: 'ns' }, spec: { schedule: '@daily' } });
    expect(jobFromCronJob(cronJob, new Date(0)).spec).toBeDefined();
  });
});
