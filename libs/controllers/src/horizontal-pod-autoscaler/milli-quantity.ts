/**
 * Milli-units as the autoscaler reports them (Kubernetes' resource.NewMilliQuantity(v, DecimalSI)
 * printed canonically): the status' averageValue of CPU in millicores, of memory in milli-bytes.
 *   250 -> "250m", 2000 -> "2", 1500 -> "1500m", 3000000 -> "3k", 104857600000 -> "104857600"
 */

const DECIMAL_SUFFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E'] as const;

/**
 * The canonical text of `milli` thousandths of a unit (rounded to a whole number of them first):
 * whole units with the largest decimal suffix that keeps the number whole, else "<n>m".
 */
export function formatMilliQuantity(milli: number): string {
  const m = Math.round(milli);
  if (m % 1000 !== 0) return `${m}m`;
  let units = m / 1000;
  let suffix = 0;
  while (units !== 0 && units % 1000 === 0 && suffix < DECIMAL_SUFFIXES.length - 1) {
    units /= 1000;
    suffix++;
  }
  return `${units}${DECIMAL_SUFFIXES[suffix]}`;
}
