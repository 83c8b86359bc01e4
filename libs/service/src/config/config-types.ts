/**
 * The value types of component configuration keys (see config-schema.ts). Each type parses a
 * flag or environment text (`fromText`) and a YAML value from the config file (`fromYaml`), and
 * throws a plain Error whose message says what is wrong with the value (the loader adds the key
 * and where the value came from). Pure: no I/O.
 *
 * Durations: a bare number is SECONDS (as every duration flag has always taken: "10", "0.5");
 * anything else is a Go duration, a sequence of <decimal><unit> with units ns, us (µs), ms, s, m,
 * h ("10s", "1m30s", "500ms", "1.5h"). Negative durations are refused. The value is in whole
 * milliseconds (rounded).
 */
import { isIP } from 'node:net';
import { isQuantity } from '@skiff/api';

export interface ConfigType<T> {
  /** How --help names the value: "host:port", "duration", "int 1..5", "url,...". */
  readonly name: string;
  /** Parses a flag's or an environment variable's text; throws Error(problem). */
  fromText(text: string): T;
  /** Parses a value of the YAML config file; throws Error(problem). */
  fromYaml(value: unknown): T;
  /** The value as a user writes it (for --help's defaults). */
  format(value: T): string;
  /** The text a bare flag stands for ("--leader-elect" = "true"); unset: the flag needs a value. */
  readonly bare?: string;
}

/** What a YAML value is, for messages: "a mapping", "a list", "a number". */
function yamlKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** A scalar type: YAML strings, numbers and booleans are parsed as their text; lists and mappings are refused. */
function scalar<T>(name: string, fromText: (text: string) => T, format: (value: T) => string = String): ConfigType<T> {
  return {
    name,
    fromText,
    fromYaml: (value) => {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return fromText(String(value));
      throw new Error(`want ${name}, not ${yamlKind(value)}`);
    },
    format,
  };
}

/** Any text. */
export function stringType(): ConfigType<string> {
  return scalar('string', (text) => text);
}

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/** A boolean, as Go's strconv.ParseBool: 1 t T true TRUE True / 0 f F false FALSE False (YAML true/false). */
export function boolType(): ConfigType<boolean> {
  const type = scalar('bool', (text) => {
    if (TRUE.has(text)) return true;
    if (FALSE.has(text)) return false;
    throw new Error('not a boolean (true or false)');
  });
  return { ...type, bare: 'true' };
}

export interface RangeOptions {
  min?: number;
  max?: number;
  /** The value must be greater than `min`, not equal. */
  aboveMin?: boolean;
}

/** The range as help and messages show it: "1..5", ">= 0", "> 0". */
function rangeText({ min, max, aboveMin }: RangeOptions, format: (n: number) => string = String): string {
  if (min !== undefined && max !== undefined && !aboveMin) return `${format(min)}..${format(max)}`;
  const parts = [min !== undefined ? `${aboveMin ? '>' : '>='} ${format(min)}` : '', max !== undefined ? `<= ${format(max)}` : ''];
  return parts.filter(Boolean).join(', ');
}

function checkRange(value: number, range: RangeOptions, format?: (n: number) => string): void {
  const { min, max, aboveMin } = range;
  const low = min !== undefined && (aboveMin ? value <= min : value < min);
  if (low || (max !== undefined && value > max)) throw new Error(`out of range: must be ${rangeText(range, format)}`);
}

/** An integer (decimal digits, optional sign) within the range. */
export function intType(range: RangeOptions = {}): ConfigType<number> {
  const shown = rangeText(range);
  return scalar(shown ? `int ${shown}` : 'int', (text) => {
    if (!/^[+-]?\d+$/.test(text.trim())) throw new Error('not an integer');
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new Error('not an integer (too large)');
    checkRange(n, range);
    return n;
  });
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number ("0.1", "2", "1e3") within the range. */
export function numberType(range: RangeOptions = {}): ConfigType<number> {
  const shown = rangeText(range);
  return scalar(shown ? `number ${shown}` : 'number', (text) => {
    if (!DECIMAL.test(text.trim())) throw new Error('not a number');
    const n = Number(text);
    checkRange(n, range);
    return n;
  });
}

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses a duration to milliseconds (see the header: a bare number is seconds, otherwise Go's
 * syntax). Throws Error on anything else, negatives included.
 */
export function parseDurationMs(text: string): number {
  const s = text.trim();
  if (/^(\d+\.?\d*|\.\d+)$/.test(s)) return Math.round(Number(s) * 1000);
  if (s === '') throw new Error('not a duration (want seconds, e.g. "10", or "10s", "1m30s", "500ms")');
  let ms = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < s.length) {
    const m = DURATION_PART.exec(s);
    if (!m) throw new Error('not a duration (want seconds, e.g. "10", or "10s", "1m30s", "500ms")');
    ms += Number(m[1]) * DURATION_UNIT_MS[m[2]];
  }
  return Math.round(ms);
}

/** Milliseconds as a Go duration: 300000 -> "5m", 1500 -> "1.5s", 250 -> "250ms", 0 -> "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

/** A duration in milliseconds (see parseDurationMs), within the range (given in milliseconds). */
export function durationType(range: RangeOptions = {}): ConfigType<number> {
  const shown = rangeText(range, formatDuration);
  return scalar(shown ? `duration ${shown}` : 'duration', (text) => {
    const ms = parseDurationMs(text);
    checkRange(ms, range, formatDuration);
    return ms;
  }, formatDuration);
}

/** A Kubernetes quantity ("500m", "8Gi", "4"), kept as its text. */
export function quantityType(): ConfigType<string> {
  return scalar('quantity', (text) => {
    if (!isQuantity(text.trim())) throw new Error('not a quantity (e.g. "500m", "2", "8Gi")');
    return text.trim();
  });
}

/** One of the given words. */
export function enumType<const V extends string>(values: readonly V[]): ConfigType<V> {
  return scalar(values.join('|'), (text) => {
    if (!(values as readonly string[]).includes(text)) throw new Error(`not one of ${values.join(', ')}`);
    return text as V;
  });
}

/** An IPv4 or IPv6 address. */
export function ipType(): ConfigType<string> {
  return scalar('ip', (text) => {
    if (!isIP(text)) throw new Error('not an IP address');
    return text;
  });
}

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** True for an IP address or an RFC 1123 host name. */
export function isHost(host: string): boolean {
  return isIP(host) !== 0 || HOSTNAME.test(host);
}

/** Splits "host:port" / "[v6]:port"; throws Error naming the problem. The port is 0..65535. */
export function splitHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new Error('not a host:port address');
  const host = m[1] ?? m[2];
  if (m[1] !== undefined && isIP(host) !== 6) throw new Error(`"[${host}]" is not an IPv6 address`);
  if (!isHost(host)) throw new Error(`"${host}" is not an IP address or host name`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port ${port} is out of range 0..65535`);
  return { host, port };
}

/** "host:port" with the host an IP or a host name (IPv6 in brackets) and the port 0..65535. */
export function addressType(): ConfigType<string> {
  return scalar('host:port', (text) => {
    splitHostPort(text);
    return text.trim();
  });
}

/** An IPv4 or IPv6 network "address/prefix". */
export function cidrType(): ConfigType<string> {
  return scalar('cidr', (text) => {
    const [ip, prefix, ...rest] = text.trim().split('/');
    const family = isIP(ip ?? '');
    if (!family || rest.length || !prefix) throw new Error('not a CIDR (e.g. 10.244.0.0/16)');
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) throw new Error(`prefix length "${prefix}" is out of range 0..${family === 4 ? 32 : 128}`);
    return text.trim();
  });
}

export interface ListOptions {
  /** Fewer items is an error (e.g. an apiserver needs an etcd endpoint). */
  minItems?: number;
  /** Names the items in messages: "etcd URL". */
  itemName?: string;
}

/**
 * A list: comma-separated text (blanks dropped) or a YAML list; every item is parsed by `item`.
 * An item's error names the item.
 */
export function listType<T>(item: ConfigType<T>, options: ListOptions = {}): ConfigType<T[]> {
  const build = (texts: string[]): T[] => {
    const values = texts.map((t) => {
      try {
        return item.fromText(t);
      } catch (err) {
        if (texts.length === 1) throw err;
        throw new Error(`item ${JSON.stringify(t)}: ${(err as Error).message}`);
      }
    });
    if (values.length < (options.minItems ?? 0)) throw new Error(`needs at least ${options.minItems} ${options.itemName ?? 'item'}${options.minItems === 1 ? '' : 's'}`);
    return values;
  };
  const split = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    name: `${item.name},...`,
    fromText: (text) => build(split(text)),
    fromYaml: (value) => {
      if (typeof value === 'string') return build(split(value));
      if (value === null) return build([]);
      if (!Array.isArray(value)) throw new Error(`want a list, not ${yamlKind(value)}`);
      return build(value.map((v) => {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
        throw new Error(`want a list of scalars, found ${yamlKind(v)}`);
      }));
    },
    format: (values) => values.map((v) => item.format(v)).join(','),
  };
}

/** A list of strings (comma separated). */
export function stringListType(options: ListOptions = {}): ConfigType<string[]> {
  return listType(stringType(), options);
}

/** A URL whose scheme is one of `schemes` and which names a host. */
export function urlType(schemes: readonly string[]): ConfigType<string> {
  const shown = schemes.length === 2 && schemes.join() === 'http,https' ? 'http(s)' : schemes.join('/');
  const article = /^[aeioh]/.test(shown) ? 'an' : 'a';
  return scalar(`${shown} URL`, (text) => {
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      throw new Error(`not ${article} ${shown} URL`);
    }
    if (!schemes.includes(url.protocol.replace(/:$/, '')) || !url.hostname) throw new Error(`not ${article} ${shown} URL`);
    return text.trim();
  });
}

export interface MapOptions<V> {
  /** The keys allowed; any key when unset. */
  keys?: readonly string[];
  /** The values' type; any text when unset. */
  value?: ConfigType<V>;
}

/** key=value pairs: "a=1,b=2" or a YAML mapping; keys are unique. */
export function mapType<V = string>(options: MapOptions<V> = {}): ConfigType<Record<string, V>> {
  const valueType = (options.value ?? stringType()) as ConfigType<V>;
  const build = (pairs: [string, string][]): Record<string, V> => {
    const out: Record<string, V> = {};
    for (const [k, v] of pairs) {
      if (!k) throw new Error(`item "${k}=${v}": empty key`);
      if (options.keys && !options.keys.includes(k)) throw new Error(`key "${k}" is not one of ${options.keys.join(', ')}`);
      if (k in out) throw new Error(`key "${k}" is given twice`);
      try {
        out[k] = valueType.fromText(v);
      } catch (err) {
        throw new Error(`key "${k}": ${(err as Error).message}`);
      }
    }
    return out;
  };
  const fromText = (text: string) =>
    build(text.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
      const eq = item.indexOf('=');
      if (eq < 0) throw new Error(`item "${item}" is not key=value`);
      return [item.slice(0, eq).trim(), item.slice(eq + 1).trim()];
    }));
  return {
    name: 'key=value,...',
    fromText,
    fromYaml: (value) => {
      if (typeof value === 'string') return fromText(value);
      if (value === null) return {};
      if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`want a mapping or key=value,..., not ${yamlKind(value)}`);
      return build(Object.entries(value).map(([k, v]) => {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [k, String(v)];
        throw new Error(`key "${k}": want a scalar, not ${yamlKind(v)}`);
      }));
    },
    format: (map) => Object.entries(map).map(([k, v]) => `${k}=${valueType.format(v)}`).join(','),
  };
}

/**
 * A type made from an existing parser of flag text (e.g. a lib's parseTaints): YAML lists are
 * joined with ",", YAML mappings become "k=v,...". `parse` throws Error(problem).
 */
export function customType<T>(name: string, parse: (text: string) => T, format: (value: T) => string = String): ConfigType<T> {
  return {
    name,
    fromText: parse,
    fromYaml: (value) => {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return parse(String(value));
      if (value === null) return parse('');
      if (Array.isArray(value)) return parse(value.map(String).join(','));
      return parse(Object.entries(value as object).map(([k, v]) => `${k}=${String(v)}`).join(','));
    },
    format,
  };
}

/** The value types, for declaring keys: `key(t.duration(), {...})`. */
export const t = {
  string: stringType,
  bool: boolType,
  int: intType,
  number: numberType,
  duration: durationType,
  quantity: quantityType,
  enum: enumType,
  ip: ipType,
  address: addressType,
  cidr: cidrType,
  list: listType,
  strings: stringListType,
  url: urlType,
  urls: (schemes: readonly string[], options: ListOptions = {}) => listType(urlType(schemes), options),
  addresses: (options: ListOptions = {}) => listType(addressType(), options),
  ips: (options: ListOptions = {}) => listType(ipType(), options),
  map: mapType,
  custom: customType,
};
