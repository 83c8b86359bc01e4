/**
 * Resource quantities ("500m", "2", "128Mi", "1G", "1e3"), as Kubernetes' resource.Quantity.
 * CONTRACT: parse functions throw InvalidError-free plain Errors; callers add the field path.
 *
 * Grammar (Kubernetes'): `[+-]digits[.digits](suffix)?` where suffix is a decimal SI suffix
 * (n u m "" k M G T P E), a binary suffix (Ki Mi Gi Ti Pi Ei) or a decimal exponent (e3, E-2).
 * Values are computed exactly (as a rational of big integers) before being turned into numbers,
 * so "0.1" is exactly 100 millicores and never 101.
 */

const DECIMAL_SUFFIX: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;
/** Exponents beyond this are refused: no real resource is that large or small. */
const MAX_EXPONENT = 100;

/** An exact value: numerator / denominator (denominator > 0). */
interface Rational {
  num: bigint;
  den: bigint;
}

/** Parses the text exactly; throws a plain Error on bad syntax. */
function parseRational(quantity: string): Rational {
  const m = typeof quantity === 'string' ? QUANTITY.exec(quantity) : null;
  if (!m) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  const [, sign, number, exponent, suffix] = m;
  const [whole, fraction = ''] = number.split('.');
  let num = BigInt((whole || '0') + fraction);
  let den = 10n ** BigInt(fraction.length);
  let exp10 = 0;
  if (exponent) exp10 = Number(exponent.slice(1));
  else if (suffix && suffix in BINARY_SUFFIX) num *= 2n ** BigInt(BINARY_SUFFIX[suffix]);
  else exp10 = DECIMAL_SUFFIX[suffix ?? ''];
  if (Math.abs(exp10) > MAX_EXPONENT) throw new Error(`quantity exponent out of range: ${quantity}`);
  if (exp10 >= 0) num *= 10n ** BigInt(exp10);
  else den *= 10n ** BigInt(-exp10);
  if (sign === '-') num = -num;
  return { num, den };
}

/** Rounds num/den up (towards +infinity), as Kubernetes' MilliValue/Value do. */
function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den > 0n ? q + 1n : q;
}

/** CPU in millicores: "500m" -> 500, "2" -> 2000, "0.1" -> 100. Fractions of a millicore round up. */
export function parseCpuMillis(quantity: string): number {
  const { num, den } = parseRational(quantity);
  return Number(ceilDiv(num * 1000n, den));
}

/** A quantity in base units (bytes for memory): "128Mi" -> 134217728, "1k" -> 1000, "100m" -> 0.1. */
export function parseQuantity(quantity: string): number {
  const { num, den } = parseRational(quantity);
  if (num % den === 0n) return Number(num / den);
  return Number(num) / Number(den);
}

/** A quantity in whole base units, rounded up as Kubernetes' Value(): "1500m" -> 2, "1Ki" -> 1024. */
export function parseQuantityCeil(quantity: string): number {
  const { num, den } = parseRational(quantity);
  return Number(ceilDiv(num, den));
}

/** True when the text is a valid quantity. */
export function isQuantity(quantity: string): boolean {
  try {
    parseRational(quantity);
    return true;
  } catch {
    return false;
  }
}

/**
 * Compares two valid quantities exactly: negative when a < b, 0 when equal, positive when a > b.
 * Throws a plain Error when either is not a quantity.
 */
export function compareQuantities(a: string, b: string): number {
  const x = parseRational(a);
  const y = parseRational(b);
  const diff = x.num * y.den - y.num * x.den;
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
}

/** Millicores as Kubernetes prints CPU: 500 -> "500m", 2000 -> "2", 0 -> "0". */
export function formatCpuMillis(millis: number): string {
  const m = Math.ceil(millis);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

const BINARY_UNITS = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;

/**
 * Bytes in the largest binary suffix that divides them exactly: 134217728 -> "128Mi",
 * 3072 -> "3Ki", 1536 -> "1536" (not a whole number of Ki), 1000 -> "1000". Fractions of a
 * byte round up.
 */
export function formatBytes(bytes: number): string {
  const n = Math.ceil(bytes);
  if (n !== 0) {
    for (const unit of BINARY_UNITS) {
      const size = 2 ** BINARY_SUFFIX[unit];
      if (n % size === 0) return `${n / size}${unit}`;
    }
  }
  return String(n);
}

/** Bytes as whole mebibytes, rounded down, as `kubectl top` prints memory: 134217728 -> "128Mi". */
export function formatMebibytes(bytes: number): string {
  return `${Math.floor(bytes / 2 ** 20)}Mi`;
}
