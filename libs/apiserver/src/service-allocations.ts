/**
 * What a Service holds from the apiserver's pools, as pure functions: its ClusterIP and its node
 * ports, the etcd keys that record them (one key per allocated IP or port, written in the same
 * transaction as the Service, so that two apiservers never hand out one twice and a restart
 * forgets nothing), and the values an update may leave out (Kubernetes' patchAllocatedValues).
 */
import type { Service } from '@skiff/api';

/** `/registry/ipallocations/<ip>`: the Service holding that ClusterIP (value: AllocationOwner as JSON). */
export const SERVICE_IP_PREFIX = '/registry/ipallocations/';
/** `/registry/servicenodeports/<port>`: the Service holding that node port (value: AllocationOwner as JSON). */
export const NODE_PORT_PREFIX = '/registry/servicenodeports/';

/** Recorded in an allocation key: the Service that holds it. */
export interface AllocationOwner {
  namespace: string;
  name: string;
  uid: string;
}

export function serviceIpKey(ip: string): string {
  return SERVICE_IP_PREFIX + ip;
}

export function nodePortKey(port: number): string {
  return NODE_PORT_PREFIX + String(port);
}

/** True for types whose ports get node ports (NodePort and LoadBalancer). */
export function needsNodePorts(type: string | undefined): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

/** True when the service has (or wants) a ClusterIP of its own: anything but headless ("None"). */
export function isHeadless(svc: Readonly<Service>): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** The allocation keys a stored Service holds: its ClusterIP (unless empty or "None") and its distinct node ports. */
export function allocationKeysOf(svc: Readonly<Service> | undefined): string[] {
  const keys: string[] = [];
  const ip = svc?.spec?.clusterIP ?? '';
  if (ip && ip !== 'None') keys.push(serviceIpKey(ip));
  for (const port of new Set((svc?.spec?.ports ?? []).map((p) => p.nodePort ?? 0))) {
    if (port) keys.push(nodePortKey(port));
  }
  return keys;
}

/**
 * For an update (mutates `next`): values the request left empty are kept from the stored
 * Service, as Kubernetes does so that re-applying a manifest without them is not a change of an
 * immutable field. clusterIP (and clusterIPs) when empty; each port's nodePort when empty, the
 * type still needs node ports, and the stored service had a port with the same port number and
 * protocol.
 */
export function keepAllocatedValues(next: Service, stored: Readonly<Service>): void {
  const spec = next.spec;
  const old = stored.spec;
  if (!spec || !old) return;
  if (!spec.clusterIP && old.clusterIP) {
    spec.clusterIP = old.clusterIP;
    if (!spec.clusterIPs?.length) spec.clusterIPs = [...(old.clusterIPs?.length ? old.clusterIPs : [old.clusterIP])];
  }
  if (!needsNodePorts(spec.type) || !needsNodePorts(old.type)) return;
  for (const port of spec.ports ?? []) {
    if (port.nodePort) continue;
    const before = (old.ports ?? []).find((p) => p.port === port.port && (p.protocol || 'TCP') === (port.protocol || 'TCP'));
    if (before?.nodePort) port.nodePort = before.nodePort;
  }
}
