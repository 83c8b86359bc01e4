import { CronScheduleError, isKnownTimeZone, parseCronSchedule, parseGoDuration } from './cron-schedule';

const at = (iso: string) => new Date(iso);
const nextOf = (schedule: string, after: string, tz = 'Etc/UTC') => parseCronSchedule(schedule, tz).next(at(after)).toISOString();
const refusal = (schedule: string) => {
  try {
    parseCronSchedule(schedule, 'Etc/UTC');
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(CronScheduleError);
    return (err as Error).message;
  }
};

describe("parseCronSchedule (robfig/cron's standard parser)", () => {
  it('accepts @every <Go duration> as a fixed interval from the time asked about', () => {
    expect(nextOf('@every 5m', '2026-01-01T10:02:00.000Z')).toBe('2026-01-01T10:07:00.000Z');
    expect(nextOf('@every 1h30m', '2026-01-01T10:00:00.000Z')).toBe('2026-01-01T11:30:00.000Z');
    // The fraction of a second of `after` is dropped; under a second counts as one.
    expect(nextOf('@every 90s', '2026-01-01T10:00:00.700Z')).toBe('2026-01-01T10:01:30.000Z');
    expect(nextOf('@every 100ms', '2026-01-01T10:00:00.000Z')).toBe('2026-01-01T10:00:01.000Z');
    expect(refusal('@every five')).toBe('failed to parse duration @every five: time: invalid duration "five"');
    expect(refusal('@every 5d')).toMatch(/unknown unit "d"/);
  });

  it('spells descriptors exactly', () => {
    expect(nextOf('@hourly', '2026-01-01T10:02:00Z')).toBe('2026-01-01T11:00:00.000Z');
    expect(refusal('@HOURLY')).toBe('unrecognized descriptor: @HOURLY');
  });

  it('refuses the extensions robfig refuses (L, W, #) and day of week 7; accepts ? and names', () => {
    expect(refusal('0 0 L * *')).toMatch(/failed to parse int from L/);
    expect(refusal('0 0 15W * *')).toMatch(/failed to parse int from 15W/);
    expect(refusal('0 0 * * 1#2')).toMatch(/failed to parse int from 1#2/);
    expect(refusal('0 0 * * 5L')).toMatch(/failed to parse int from 5L/);
    expect(refusal('0 0 * * 7')).toBe('end of range (7) above maximum (6): 7');
    expect(refusal('0 0 * * 1-7')).toBe('end of range (7) above maximum (6): 1-7');
    expect(refusal('60 * * * *')).toBe('end of range (60) above maximum (59): 60');
    expect(refusal('*/0 * * * *')).toBe('step of range should be a positive number: */0');
    expect(refusal('* * * *')).toBe('expected exactly 5 fields, found 4: [* * * *]');
    expect(nextOf('0 12 ? * MON', '2026-01-01T00:00:00Z')).toBe('2026-01-05T12:00:00.000Z'); // 2026-01-05 is a Monday
    expect(nextOf('0 0 1 Feb ?', '2026-01-01T00:00:00Z')).toBe('2026-02-01T00:00:00.000Z');
  });

  it('N/step runs from N to the maximum; both day fields restricted: either matches', () => {
    expect(nextOf('50/5 * * * *', '2026-01-01T10:56:00Z')).toBe('2026-01-01T11:50:00.000Z');
    // The 15th, or any Monday: Monday 2026-01-05 comes first.
    expect(nextOf('0 0 15 * 1', '2026-01-01T00:00:00Z')).toBe('2026-01-05T00:00:00.000Z');
    // Day of month restricted, day of week * : only the 15th.
    expect(nextOf('0 0 15 * *', '2026-01-01T00:00:00Z')).toBe('2026-01-15T00:00:00.000Z');
  });

  it('time zone names are case-sensitive as Go reads them', () => {
    expect(isKnownTimeZone('Europe/Paris')).toBe(true);
    expect(isKnownTimeZone('Etc/UTC')).toBe(true);
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('US/Eastern')).toBe(true);
    expect(isKnownTimeZone('utc')).toBe(false);
    expect(isKnownTimeZone('europe/paris')).toBe(false);
    expect(isKnownTimeZone('us/eastern')).toBe(false);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
    expect(() => parseCronSchedule('0 * * * *', 'europe/paris')).toThrow('unknown time zone europe/paris');
  });

  it('parses Go durations', () => {
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('0')).toBe(0);
    expect(() => parseGoDuration('')).toThrow(CronScheduleError);
    expect(() => parseGoDuration('5')).toThrow('time: missing unit in duration "5"');
    expect(() => parseGoDuration('h')).toThrow('time: invalid duration "h"');
  });
});
