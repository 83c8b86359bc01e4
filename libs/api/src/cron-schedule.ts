/**
 * CronJob schedules as Kubernetes reads them (robfig/cron's standard parser): five fields
 * (minute hour day-of-month month day-of-week) or one of the macros @yearly, @annually, @monthly,
 * @weekly, @daily, @midnight, @hourly; evaluated in an IANA time zone (the controller-manager's
 * local zone when the CronJob names none). Parsing and the calendar are cron-parser's.
 * CONTRACT: pure; parseCronSchedule throws CronScheduleError with a one-line reason for bad input.
 */
import { CronExpressionParser } from 'cron-parser';

/** The macros Kubernetes accepts, as the five fields they stand for. */
const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export class CronScheduleError extends Error {
  override name = 'CronScheduleError';
}

export interface CronSchedule {
  /** The first schedule time strictly after `after`. */
  next(after: Date): Date;
  /**
   * The schedule times in (after, until], oldest first, at most `limit` of them (Kubernetes stops
   * counting missed starts at 100).
   */
  between(after: Date, until: Date, limit: number): Date[];
}

/** True when `zone` is an IANA time zone this runtime knows ("Etc/UTC", "Europe/Paris"). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

/**
 * Parses a CronJob schedule in `timeZone` (undefined: the process's local zone). Throws
 * CronScheduleError for a schedule Kubernetes refuses: not five fields, an unknown macro, a value
 * out of range, or a TZ= / CRON_TZ= prefix (Kubernetes wants the timeZone field instead).
 */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule {
  const text = schedule.trim();
  if (/^(CRON_)?TZ=/.test(text)) throw new CronScheduleError('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  let fields = text;
  if (text.startsWith('@')) {
    const expanded = MACROS[text.toLowerCase()];
    if (!expanded) throw new CronScheduleError(`unrecognized descriptor: ${text}`);
    fields = expanded;
  } else {
    const count = text.split(/\s+/).filter(Boolean).length;
    if (count !== 5) throw new CronScheduleError(`expected exactly 5 fields, found ${count}: ${text}`);
  }
  if (timeZone !== undefined && !isKnownTimeZone(timeZone)) throw new CronScheduleError(`unknown time zone ${timeZone}`);
  const expression = (after: Date) => {
    try {
      return CronExpressionParser.parse(fields, { currentDate: after, tz: timeZone });
    } catch (err) {
      throw new CronScheduleError((err as Error).message);
    }
  };
  expression(new Date(0)); // validate now, not at the first use
  return {
    next: (after) => expression(after).next().toDate(),
    between(after, until, limit) {
      const times: Date[] = [];
      const it = expression(after);
      while (times.length < limit) {
        const t = it.next().toDate();
        if (t.getTime() > until.getTime()) break;
        times.push(t);
      }
      return times;
    },
  };
}
