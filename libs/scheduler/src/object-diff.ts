/**
 * Structural equality of decoded API objects (plain objects, arrays, Dates), to tell whether an
 * update changed something the scheduler cares about. Missing and undefined members are equal.
 */
export function deepEqualIgnoring(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqualIgnoring(item, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const key of new Set([...Object.keys(ra), ...Object.keys(rb)])) if (!deepEqualIgnoring(ra[key], rb[key])) return false;
    return true;
  }
  return (a ?? undefined) === (b ?? undefined);
}
