/**
 * Helpers for skiff.meta.v1.IntOrString (targetPort: 8080 | "http", maxSurge: 1 | "25%").
 * CONTRACT: pure; `scaledValue` throws a plain Error for a string that is not "N%".
 */
import type { IntOrString } from './gen';

/** An IntOrString from a plain scalar. */
export function intOrString(value: number | string): IntOrString {
  return typeof value === 'number' ? { value: { $case: 'intVal', value } } : { value: { $case: 'strVal', value } };
}

/** The plain scalar of an IntOrString; undefined when unset. */
export function intOrStringValue(value: IntOrString | undefined): number | string | undefined {
  return value?.value?.value;
}

/** True when the IntOrString holds nothing. */
export function isIntOrStringEmpty(value: IntOrString | undefined): boolean {
  return value?.value === undefined;
}

/**
 * An int, or a percentage of `total` (Kubernetes' GetScaledValueFromIntOrPercent): "25%" of 10 is
 * 3 when rounding up, 2 when rounding down. Unset counts as 0.
 */
export function scaledValue(value: IntOrString | undefined, total: number, roundUp: boolean): number {
  const v = value?.value;
  if (!v) return 0;
  if (v.$case === 'intVal') return v.value;
  const m = /^(\d+)%$/.exec(v.value);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage: "${v.value}"`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}
