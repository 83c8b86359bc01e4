/**
 * Values of flags as kubectl reads them: booleans (pflag's strconv.ParseBool) and durations.
 * Each throws an Error naming the bad value; commands turn it into `error: ...`, exit 1.
 */

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/**
 * A `--flag [bool]` value: absent -> fallback, bare flag -> true, else a Go boolean. A short
 * flag written `-w=false` reaches us as "=false" (commander keeps the "="), so it is dropped.
 */
export function parseBoolFlag(value: boolean | string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  const text = value.startsWith('=') ? value.slice(1) : value;
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw new Error(`invalid boolean "${value}"`);
}

/** Parses "30", "30s", "2m", "1h", "500ms" into milliseconds; throws on anything else. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration "${text}": use e.g. 30s, 2m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return Number(match[1]) * unit;
}
