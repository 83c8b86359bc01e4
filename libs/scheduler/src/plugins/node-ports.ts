/**
 * NodePorts: a pod's host ports must be free on the node. Two ports conflict when protocol and
 * port are equal and the addresses overlap (the same IP, or either is 0.0.0.0), as Kubernetes'
 * HostPortInfo decides.
 */
import type { FilterPlugin } from '../framework/plugin';
import type { HostPort } from '../framework/pod-info';
import { SUCCESS, unschedulable } from '../framework/status';

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

/** True when the two host ports cannot both be bound. */
export function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.protocol !== b.protocol || a.port !== b.port) return false;
  return a.hostIP === b.hostIP || a.hostIP === '0.0.0.0' || b.hostIP === '0.0.0.0';
}

export const nodePortsFilter: FilterPlugin = {
  name: 'NodePorts',
  skip: (pod) => pod.hostPorts.length === 0,
  filter(pod, node) {
    for (const wanted of pod.hostPorts) {
      if (node.usedPorts.some((used) => portsConflict(wanted, used))) return unschedulable(ERR_REASON_PORTS);
    }
    return SUCCESS;
  },
};
