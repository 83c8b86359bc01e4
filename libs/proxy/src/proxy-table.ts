/**
 * The proxy table: what one proxy should listen on and where each listener sends connections,
 * computed from Services and Endpoints (informer caches) alone. Pure: no I/O, no clock.
 *
 * For every port of a Service with a ClusterIP (not headless):
 *   - a listener on ClusterIP:port/protocol;
 *   - for type NodePort (with a node port), a listener on each of the proxy's node IPs at it.
 * Each listener's backends are the ready addresses of the Endpoints port of the same name and
 * protocol (Kubernetes' rule), as ip:port (the pod IP and target port): pod IPs are routable
 * cluster-wide (the pod network, pod-network/), so every endpoint is reached the same way, on
 * whatever node it runs; a hand-made Endpoints may point at any IP.
 * Sockets the proxy serves itself (cluster DNS at the DNS Service's ClusterIP:53) are left out.
 */
import type { Endpoints, EndpointSubset, Service, ServicePort } from '@skiff/api';

export type Protocol = 'TCP' | 'UDP';
export type SessionAffinity = 'None' | 'ClientIP';

/** Where a connection goes. */
export interface Backend {
  host: string;
  port: number;
}

/** One socket the proxy binds, and what it balances over. */
export interface ListenerSpec {
  /** Unique per socket: "TCP/10.96.0.5:80". */
  id: string;
  protocol: Protocol;
  host: string;
  port: number;
  /** The Service, "namespace/name". */
  service: string;
  /** The service port's name ('' for a single unnamed port). */
  portName: string;
  /** 'cluster' for ClusterIP:port, 'node' for nodeIP:nodePort. */
  kind: 'cluster' | 'node';
  sessionAffinity: SessionAffinity;
  /** Ready backends, in Endpoints order, without duplicates. */
  backends: Backend[];
}

export interface ProxyTableInput {
  services: readonly Readonly<Service>[];
  /** The Endpoints of "namespace/name", if any. */
  endpointsOf(key: string): Readonly<Endpoints> | undefined;
  /** Addresses NodePort services are served on. */
  nodeIPs: readonly string[];
  /** Listener ids ("UDP/10.96.0.10:53") the proxy serves itself: no listener is made for them. */
  reserved?: ReadonlySet<string>;
}

/** "TCP" unless the port says "UDP" (Kubernetes' default). */
export function protocolOf(protocol: string | undefined): Protocol {
  return protocol?.toUpperCase() === 'UDP' ? 'UDP' : 'TCP';
}

/** The listener id of a socket: "TCP/10.96.0.5:80". */
export function listenerId(protocol: Protocol, host: string, port: number): string {
  return `${protocol}/${host}:${port}`;
}

/** True when the service has a virtual IP the proxy serves (set, not "None"). */
function hasClusterIP(service: Readonly<Service>): boolean {
  const ip = service.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

/**
 * The ready backends (ip:targetPort) of one service port in `endpoints`. Duplicates (one address
 * listed twice) are kept once.
 */
export function backendsFor(port: Readonly<ServicePort>, endpoints: Readonly<Endpoints> | undefined): Backend[] {
  const protocol = protocolOf(port.protocol);
  const seen = new Set<string>();
  const out: Backend[] = [];
  for (const subset of endpoints?.subsets ?? []) {
    for (const backend of subsetBackends(subset, port.name ?? '', protocol)) {
      const key = `${backend.host}:${backend.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(backend);
    }
  }
  return out;
}

function subsetBackends(subset: Readonly<EndpointSubset>, portName: string, protocol: Protocol): Backend[] {
  const targetPort = subset.ports.find((p) => (p.name ?? '') === portName && protocolOf(p.protocol) === protocol)?.port ?? 0;
  if (targetPort <= 0) return [];
  return subset.addresses.filter((address) => address.ip).map((address) => ({ host: address.ip, port: targetPort }));
}

/**
 * Every listener the proxy wants, sorted by id. When two services claim one socket (a NodePort
 * clash cannot happen through the apiserver, but a hand-set one could), the first by service key
 * wins and the other is left out.
 */
export function proxyTable(input: ProxyTableInput): ListenerSpec[] {
  const byId = new Map<string, ListenerSpec>();
  const services = [...input.services].sort((a, b) => serviceKey(a).localeCompare(serviceKey(b)));
  for (const service of services) {
    if (!hasClusterIP(service) || service.metadata?.deletionTimestamp) continue;
    const key = serviceKey(service);
    const endpoints = input.endpointsOf(key);
    const sessionAffinity: SessionAffinity = service.spec?.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None';
    for (const port of service.spec?.ports ?? []) {
      if (!port.port) continue;
      const protocol = protocolOf(port.protocol);
      const backends = backendsFor(port, endpoints);
      const base = { protocol, service: key, portName: port.name ?? '', sessionAffinity };
      const sockets: { host: string; port: number; kind: 'cluster' | 'node' }[] = [{ host: service.spec?.clusterIP ?? '', port: port.port, kind: 'cluster' }];
      if (service.spec?.type === 'NodePort' && port.nodePort > 0) {
        for (const ip of input.nodeIPs) sockets.push({ host: ip, port: port.nodePort, kind: 'node' });
      }
      for (const socket of sockets) {
        const id = listenerId(protocol, socket.host, socket.port);
        if (byId.has(id) || input.reserved?.has(id)) continue;
        byId.set(id, { id, ...base, ...socket, backends: backends.map((b) => ({ ...b })) });
      }
    }
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

function serviceKey(service: Readonly<Service>): string {
  return `${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`;
}
