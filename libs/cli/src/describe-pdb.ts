/**
 * The PodDisruptionBudget part of `skiff describe`, as kubectl's describePodDisruptionBudget:
 *
 *   Name:           web-pdb
 *   Namespace:      default
 *   Min available:  2
 *   Selector:       app=web
 *   Status:
 *       Allowed disruptions:  1
 *       Current:              3
 *       Desired:              2
 *       Total:                3
 *
 * Pure: writes lines through the describer it is given; the caller adds the events.
 */
import { intOrStringValue, type PodDisruptionBudget } from '@skiff/api';
import type { JobDescribeLines } from './describe-job';
import { formatLabelSelector } from './table-columns';

export function describePodDisruptionBudget(d: Pick<JobDescribeLines, 'rows'> & { line(level: number, text: string): void }, pdb: Readonly<PodDisruptionBudget>): void {
  const min = intOrStringValue(pdb.spec?.minAvailable);
  const max = intOrStringValue(pdb.spec?.maxUnavailable);
  const selector = pdb.spec?.selector;
  // kubectl prints the selector as labels.Selector: "" for an empty one (every pod), <unset> for none.
  const selectorText = !selector ? '<unset>' : formatLabelSelector(selector) === '<none>' ? '' : formatLabelSelector(selector);
  d.rows(0, [
    ['Name:', pdb.metadata?.name ?? ''],
    ['Namespace:', pdb.metadata?.namespace ?? ''],
    ...(min !== undefined ? [['Min available:', String(min)]] : max !== undefined ? [['Max unavailable:', String(max)]] : []),
    ['Selector:', selectorText],
  ]);
  d.line(0, 'Status:');
  const status = pdb.status;
  d.rows(0, [
    ['    Allowed disruptions:', String(status?.disruptionsAllowed ?? 0)],
    ['    Current:', String(status?.currentHealthy ?? 0)],
    ['    Desired:', String(status?.desiredHealthy ?? 0)],
    ['    Total:', String(status?.expectedPods ?? 0)],
  ]);
}
