/**
 * CronJob schedules as Kubernetes reads them (robfig/cron v3's standard parser, ParseStandard):
 *
 *   - five fields: minute hour day-of-month month day-of-week. Each field is a comma list of
 *     `*` or `?` (the whole range), `N`, `N-M`, each optionally `/step` (`N/step` = `N-max/step`);
 *     months and days of the week also by name (jan..dec, sun..sat, any case). Day of week is
 *     0-6 (7 is refused); `L`, `W`, `#` and other extensions are refused. When day-of-month and
 *     day-of-week are both restricted a day matches either; when one is `*` or `?`, both must.
 *   - a descriptor, spelt exactly (case matters): @yearly, @annually, @monthly, @weekly, @daily,
 *     @midnight, @hourly, or `@every <duration>` (Go's duration syntax: 90s, 5m, 1h30m): a fixed
 *     interval, whole seconds (at least 1 s), counted from the time it is asked about.
 *
 * Times are those of an IANA time zone (the controller-manager's local zone when the CronJob
 * names none), whose name must be spelt exactly (Go's LoadLocation reads the zone file by name:
 * "utc" or "europe/paris" are refused). The calendar walk for five fields is cron-parser's, over
 * the value lists parsed here.
 * CONTRACT: pure; parseCronSchedule throws CronScheduleError with a one-line reason for bad input.
 */
import { CronExpressionParser } from 'cron-parser';

/** The descriptors (robfig's parseDescriptor), as the five fields they stand for. */
const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const EVERY = '@every ';

export class CronScheduleError extends Error {
  override name = 'CronScheduleError';
}

export interface CronSchedule {
  /** The first schedule time strictly after `after`. */
  next(after: Date): Date;
}

interface Bounds {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: Object.fromEntries(MONTH_NAMES.map((n, i) => [n, i + 1])) },
  { min: 0, max: 6, names: Object.fromEntries(DAY_NAMES.map((n, i) => [n, i])) },
];

/** Go's strconv.Atoi, non-negative (robfig's mustParseInt). */
function mustParseInt(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new CronScheduleError(`failed to parse int from ${expr}: strconv.Atoi: parsing "${expr}": invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new CronScheduleError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, bounds: Bounds): number {
  const named = bounds.names?.[expr.toLowerCase()];
  return named ?? mustParseInt(expr);
}

/** One comma part of a field (robfig's getRange): its values, and whether it is a star. */
function parseRange(expr: string, bounds: Bounds, values: Set<number>): boolean {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = bounds.min;
    end = bounds.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0], bounds);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], bounds);
    else throw new CronScheduleError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]);
    if (lowAndHigh.length === 1) end = bounds.max; // "N/step" is "N-max/step"
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronScheduleError(`too many slashes: ${expr}`);
  }
  if (start < bounds.min) throw new CronScheduleError(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
  if (end > bounds.max) throw new CronScheduleError(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
  if (start > end) throw new CronScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronScheduleError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) values.add(v);
  return star;
}

/** A field as cron-parser should read it: "*" for a star, else the explicit sorted values. */
function normalizeField(field: string, bounds: Bounds): string {
  const parts = field.split(',').filter((p) => p !== '');
  if (parts.length === 0) throw new CronScheduleError(`empty field: ${field}`);
  const values = new Set<number>();
  let star = false;
  for (const part of parts) star = parseRange(part, bounds, values) || star;
  return star ? '*' : [...values].sort((a, b) => a - b).join(',');
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in ms ("1h30m", "90s", "1.5h"; "0" alone is 0). */
export function parseGoDuration(text: string): number {
  const fail = () => new CronScheduleError(`time: invalid duration "${text}"`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw fail();
  let total = 0;
  const part = /^([0-9]*(?:\.[0-9]*)?)([a-zµμ]+)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m && /^[0-9.]+$/.test(s)) throw new CronScheduleError(`time: missing unit in duration "${text}"`);
    if (!m || m[1] === '' || m[1] === '.') throw fail();
    const unit = DURATION_UNITS[m[2]];
    if (unit === undefined) throw new CronScheduleError(`time: unknown unit "${m[2]}" in duration "${text}"`);
    total += Number(m[1]) * unit;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** robfig's Every: a fixed delay, whole seconds, at least one. */
function constantDelay(spec: string): CronSchedule {
  let ms: number;
  try {
    ms = parseGoDuration(spec.slice(EVERY.length));
  } catch (err) {
    throw new CronScheduleError(`failed to parse duration ${spec}: ${(err as Error).message}`);
  }
  const delay = Math.max(1000, ms - (ms % 1000));
  // ConstantDelaySchedule.Next: t + delay, t's fraction of a second dropped.
  return { next: (after) => new Date(after.getTime() - (((after.getTime() % 1000) + 1000) % 1000) + delay) };
}

let canonicalZones: Set<string> | undefined;
/** Names spelt as IANA spells them that Intl does not list as canonical. */
const KNOWN_ALIASES = ['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Etc/Universal', 'Etc/Zulu', 'Universal', 'Zulu', 'Greenwich', 'Etc/Greenwich', 'UCT', 'Etc/UCT'];

/**
 * True when `zone` is an IANA time zone name, spelt exactly ("Etc/UTC", "Europe/Paris"; not
 * "utc" or "europe/paris", which Go's LoadLocation refuses although Intl accepts them).
 */
export function isKnownTimeZone(zone: string): boolean {
  if (zone.length === 0 || /\s/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    return false;
  }
  canonicalZones ??= new Set([...Intl.supportedValuesOf('timeZone'), ...KNOWN_ALIASES]);
  if (canonicalZones.has(zone)) return true;
  const lower = zone.toLowerCase();
  for (const name of canonicalZones) if (name.toLowerCase() === lower) return false; // a known name, other case
  // Another alias ("US/Eastern"): IANA names start each part with a capital or a digit.
  return zone.split('/').every((part) => /^[A-Z0-9]/.test(part));
}

/**
 * Parses a CronJob schedule in `timeZone` (undefined: the process's local zone). Throws
 * CronScheduleError for a schedule Kubernetes refuses (see the file comment), or a TZ= / CRON_TZ=
 * prefix (Kubernetes wants the timeZone field instead).
 */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule {
  if (schedule.length === 0) throw new CronScheduleError('empty spec string');
  if (/^(CRON_)?TZ=/.test(schedule.trim())) throw new CronScheduleError('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  if (timeZone !== undefined && !isKnownTimeZone(timeZone)) throw new CronScheduleError(`unknown time zone ${timeZone}`);
  let text: string;
  if (schedule.startsWith('@')) {
    if (schedule.startsWith(EVERY)) return constantDelay(schedule);
    const expanded = DESCRIPTORS[schedule];
    if (!expanded) throw new CronScheduleError(`unrecognized descriptor: ${schedule}`);
    text = expanded;
  } else {
    const fields = schedule.split(/\s+/).filter(Boolean);
    if (fields.length !== 5) throw new CronScheduleError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
    text = fields.map((f, i) => normalizeField(f, FIELDS[i])).join(' ');
  }
  const expression = (after: Date) => {
    try {
      return CronExpressionParser.parse(text, { currentDate: after, tz: timeZone });
    } catch (err) {
      throw new CronScheduleError((err as Error).message);
    }
  };
  expression(new Date(0)); // validate now, not at the first use
  return { next: (after) => expression(after).next().toDate() };
}
