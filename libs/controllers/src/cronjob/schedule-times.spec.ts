import { CronJob, parseCronSchedule, type CronSchedule } from '@skiff/api';
import { InvalidScheduleError, mostRecentScheduleTime, nextScheduleDelayMs } from './schedule-times';

const at = (iso: string) => new Date(iso);
const everyFive = parseCronSchedule('*/5 * * * *', 'Etc/UTC');

function cronJobOf(lastScheduleTime?: Date, startingDeadlineSeconds?: number): CronJob {
  return CronJob.fromPartial({
    metadata: { name: 'c', namespace: 'ns', creationTimestamp: at('2024-01-01T10:00:30Z') },
    spec: { schedule: '*/5 * * * *', startingDeadlineSeconds },
    status: { active: [], lastScheduleTime },
  });
}

describe('mostRecentScheduleTime (Kubernetes utils.go)', () => {
  it('counts from creationTimestamp without a lastScheduleTime', () => {
    expect(mostRecentScheduleTime(cronJobOf(), at('2024-01-01T10:04:59Z'), everyFive, true)).toEqual({ earliest: at('2024-01-01T10:00:30Z'), missed: 'none' });
    expect(mostRecentScheduleTime(cronJobOf(), at('2024-01-01T10:05:00Z'), everyFive, true)).toMatchObject({ mostRecent: at('2024-01-01T10:05:00Z'), missed: 'none' });
  });

  it('several missed: the most recent, "few"; over 100: "many"', () => {
    const last = at('2024-01-01T10:00:00Z');
    expect(mostRecentScheduleTime(cronJobOf(last), at('2024-01-01T10:21:00Z'), everyFive, true)).toMatchObject({ mostRecent: at('2024-01-01T10:20:00Z'), missed: 'few' });
    expect(mostRecentScheduleTime(cronJobOf(last), at('2024-01-02T10:21:00Z'), everyFive, true)).toMatchObject({ mostRecent: at('2024-01-02T10:20:00Z'), missed: 'many' });
  });

  it('@every: fixed intervals from creationTimestamp, then from lastScheduleTime; requeue at the next one', () => {
    const every = parseCronSchedule('@every 5m', 'Etc/UTC');
    const created = cronJobOf();
    expect(mostRecentScheduleTime(created, at('2024-01-01T10:05:29Z'), every, true).mostRecent).toBeUndefined();
    expect(mostRecentScheduleTime(created, at('2024-01-01T10:05:30Z'), every, true)).toMatchObject({ mostRecent: at('2024-01-01T10:05:30Z') });
    expect(mostRecentScheduleTime(created, at('2024-01-01T10:12:00Z'), every, true)).toMatchObject({ mostRecent: at('2024-01-01T10:10:30Z'), missed: 'few' });
    const ran = cronJobOf(at('2024-01-01T10:10:30Z'));
    expect(mostRecentScheduleTime(ran, at('2024-01-01T10:12:00Z'), every, true).mostRecent).toBeUndefined();
    expect(nextScheduleDelayMs(ran, at('2024-01-01T10:12:00Z'), every)).toBe(3.5 * 60_000 + 100);
  });

  it('the starting deadline moves the earliest time up only when asked', () => {
    const cronJob = cronJobOf(at('2024-01-01T10:00:00Z'), 60);
    expect(mostRecentScheduleTime(cronJob, at('2024-01-01T10:07:00Z'), everyFive, true)).toEqual({ earliest: at('2024-01-01T10:06:00Z'), missed: 'none' });
    expect(mostRecentScheduleTime(cronJob, at('2024-01-01T10:07:00Z'), everyFive, false).mostRecent).toEqual(at('2024-01-01T10:05:00Z'));
  });

  it('schedule times less than a second apart are an InvalidScheduleError', () => {
    const stuck: CronSchedule = { next: (after) => new Date(after.getTime() + 1) };
    expect(() => mostRecentScheduleTime(cronJobOf(), at('2024-01-01T11:00:00Z'), stuck, false)).toThrow(InvalidScheduleError);
  });
});

describe('nextScheduleDelayMs (nextScheduleTimeDuration)', () => {
  it('the next time after the last one, + 100 ms', () => {
    expect(nextScheduleDelayMs(cronJobOf(at('2024-01-01T10:05:00Z')), at('2024-01-01T10:06:00Z'), everyFive)).toBe(4 * 60_000 + 100);
  });

  it('with unmet times: the time after the most recent one', () => {
    expect(nextScheduleDelayMs(cronJobOf(at('2024-01-01T10:05:00Z')), at('2024-01-01T10:31:00Z'), everyFive)).toBe(4 * 60_000 + 100);
  });

  it('a broken schedule still requeues: the next time after now', () => {
    const stuck: CronSchedule = { next: (after) => new Date(after.getTime() + 1) };
    expect(nextScheduleDelayMs(cronJobOf(), at('2024-01-01T11:00:00Z'), stuck)).toBe(101);
  });
});
