import { CronJob, kindFor } from '../index';
import { validateObject } from '../validation';

function cronJob(spec: Record<string, unknown> = {}, jobSpec: Record<string, unknown> = {}): CronJob {
  return CronJob.fromPartial({
    metadata: { name: 'backup', namespace: 'default' },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: { spec: { template: { metadata: { labels: { app: 'backup' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...jobSpec } },
      ...spec,
    },
  });
}
const errorsOf = (cj: CronJob) => validateObject(kindFor('cronjobs'), cj);

describe('CronJob validation (Kubernetes ValidateCronJob)', () => {
  it('accepts a valid CronJob, @every and ? in a day field', () => {
    expect(errorsOf(cronJob())).toEqual([]);
    expect(errorsOf(cronJob({ schedule: '@every 1h30m' }))).toEqual([]);
    expect(errorsOf(cronJob({ schedule: '0 12 ? * MON', timeZone: 'Europe/Paris' }))).toEqual([]);
  });

  it('refuses manualSelector: true in the jobTemplate (NotSupported)', () => {
    const errors = errorsOf(cronJob({}, { manualSelector: true, selector: { matchLabels: { app: 'backup' } } }));
    expect(errors).toContainEqual({ field: 'spec.jobTemplate.spec.manualSelector', detail: 'Unsupported value: true: supported values: "false", "nil"' });
    expect(errors).toContainEqual(expect.objectContaining({ field: 'spec.jobTemplate.spec.selector' }));
  });

  it('refuses robfig-refused schedules and wrongly spelt time zones', () => {
    expect(errorsOf(cronJob({ schedule: '0 0 L * *' }))).toEqual([expect.objectContaining({ field: 'spec.schedule' })]);
    expect(errorsOf(cronJob({ schedule: '0 0 * * 7' }))).toEqual([expect.objectContaining({ field: 'spec.schedule' })]);
    expect(errorsOf(cronJob({ timeZone: 'europe/paris' }))).toEqual([{ field: 'spec.timeZone', detail: 'Invalid value: "europe/paris": unknown time zone europe/paris' }]);
    expect(errorsOf(cronJob({ timeZone: 'utc' }))).toEqual([expect.objectContaining({ field: 'spec.timeZone' })]);
    expect(errorsOf(cronJob({ timeZone: 'Local' }))).toEqual([expect.objectContaining({ field: 'spec.timeZone' })]);
  });
});
