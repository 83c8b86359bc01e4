/**
 * The message of an unschedulable pod, word for word as kube-scheduler's FitError:
 * "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node
 * affinity/selector." Each reason counted over the nodes, the "N reason" strings sorted as
 * strings (Go's sort.Strings: "10 x" sorts before "2 y"), joined by ", ".
 */
import type { Status } from './framework/status';

/** Kubernetes' message when the cluster has no nodes at all. */
export const NO_NODES_MESSAGE = 'no nodes available to schedule pods';

/** The FitError message for `numAllNodes` nodes, given the failing status of each node. */
export function fitErrorMessage(numAllNodes: number, statuses: Iterable<Status>): string {
  if (numAllNodes === 0) return NO_NODES_MESSAGE;
  const histogram = new Map<string, number>();
  for (const status of statuses) for (const reason of status.reasons) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
  const parts = [...histogram].map(([reason, n]) => `${n} ${reason}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let message = `0/${numAllNodes} nodes are available:`;
  if (parts.length) message += ` ${parts.join(', ')}.`;
  return message;
}
