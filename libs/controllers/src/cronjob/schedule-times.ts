/**
 * Which schedule time a CronJob is due for, and when to look again (Kubernetes'
 * pkg/controller/cronjob/utils.go: mostRecentScheduleTime, nextScheduleTime,
 * nextScheduleTimeDuration).
 *
 *   earliest = status.lastScheduleTime ?? metadata.creationTimestamp
 *              (moved up to now - startingDeadlineSeconds when that is later)
 *   t1 = next(earliest), t2 = next(t1)
 *   now < t1  -> nothing due
 *   now < t2  -> t1 is due (one missed start)
 *   otherwise -> the most recent schedule time <= now is due; the number of missed starts is
 *                estimated from t2 - t1 (> 100: "many", a Warning)
 *
 * CONTRACT: pure; throws InvalidScheduleError when two schedule times are less than a second apart.
 */
import type { CronJob, CronSchedule } from '@skiff/api';

/** Requeues land this long after the schedule time (Kubernetes' nextScheduleDelta, for clock skew). */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed start times than this is "too many" (a TooManyMissedTimes Warning). */
export const MAX_MISSED_SCHEDULES = 100;

export type MissedSchedules = 'none' | 'few' | 'many';

export class InvalidScheduleError extends Error {
  override name = 'InvalidScheduleError';
}

export interface MostRecentSchedule {
  /** lastScheduleTime or creationTimestamp (or the starting deadline, when asked and later). */
  earliest: Date;
  /** The most recent schedule time in (earliest, now], if any. */
  mostRecent?: Date;
  missed: MissedSchedules;
}

/** Kubernetes' mostRecentScheduleTime (see the file comment). */
export function mostRecentScheduleTime(cronJob: Readonly<CronJob>, now: Date, schedule: CronSchedule, includeStartingDeadline: boolean): MostRecentSchedule {
  let earliest = cronJob.status?.lastScheduleTime ?? cronJob.metadata?.creationTimestamp ?? new Date(0);
  const deadlineSeconds = cronJob.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && deadlineSeconds !== undefined) {
    // The controller schedules nothing older than this.
    const schedulingDeadline = new Date(now.getTime() - deadlineSeconds * 1000);
    if (schedulingDeadline.getTime() > earliest.getTime()) earliest = schedulingDeadline;
  }
  const t1 = schedule.next(earliest);
  const t2 = schedule.next(t1);
  if (now.getTime() < t1.getTime()) return { earliest, missed: 'none' };
  if (now.getTime() < t2.getTime()) return { earliest, mostRecent: t1, missed: 'none' };

  const periodSeconds = Math.round((t2.getTime() - t1.getTime()) / 1000);
  if (periodSeconds < 1) throw new InvalidScheduleError('time difference between two schedules is less than 1 second');
  // A rough count (Kubernetes' own): how many periods of t2 - t1 fit between t1 and now.
  const elapsedSeconds = Math.trunc((now.getTime() - t1.getTime()) / 1000);
  const missedCount = Math.trunc(elapsedSeconds / periodSeconds) + 1;
  // Start one period early so that irregular schedules ("0 0 1 * *") still find the latest time.
  const potentialEarliest = new Date(t1.getTime() + (missedCount - 2) * periodSeconds * 1000);
  let mostRecent: Date | undefined;
  for (let t = schedule.next(potentialEarliest); t.getTime() <= now.getTime(); t = schedule.next(t)) mostRecent = t;
  const missed: MissedSchedules = missedCount > MAX_MISSED_SCHEDULES ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/**
 * How long until the sync after `now` should run: the schedule time after the most recent one
 * (ignoring the starting deadline), plus NEXT_SCHEDULE_DELTA_MS (Kubernetes'
 * nextScheduleTimeDuration). Never throws: a broken schedule aims at the next time after now.
 */
export function nextScheduleDelayMs(cronJob: Readonly<CronJob>, now: Date, schedule: CronSchedule): number {
  let from: Date;
  try {
    const { earliest, mostRecent, missed } = mostRecentScheduleTime(cronJob, now, schedule, false);
    from = mostRecent ?? (missed === 'none' ? earliest : now);
  } catch {
    from = now;
  }
  return schedule.next(from).getTime() + NEXT_SCHEDULE_DELTA_MS - now.getTime();
}
