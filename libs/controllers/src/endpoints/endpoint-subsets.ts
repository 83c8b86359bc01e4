/**
 * The pure half of the endpoints controller (Kubernetes' pkg/controller/endpoint syncService and
 * RepackSubsets): which addresses and ports a Service's Endpoints should hold, given the pods its
 * selector matches.
 *
 * - A pod counts when it has an IP, is not terminal (Succeeded/Failed) and is not terminating
 *   (a terminating pod counts only with publishNotReadyAddresses, as Kubernetes).
 * - Ready pods (Ready=True, or any counted pod with publishNotReadyAddresses) go to `addresses`,
 *   the others to `notReadyAddresses`.
 * - Each service port resolves per pod from targetPort: a number as is, a name through the pod's
 *   container ports of that name and protocol; a pod lacking the named port is left out of that
 *   port (and of the Endpoints when it lacks them all). A headless service without ports lists
 *   its pods with no ports.
 * - Each address carries the pod's IP, node (nodeName, hostIP), a reference to the pod and, when
 *   the pod's spec.subdomain names the service, its spec.hostname (endpointHostname). Pod
 *   IPs are routable cluster-wide (the pod network), so the proxy reaches every endpoint at
 *   ip:port; addresses carry no host ports.
 * - Addresses with the same port set share a subset. Ports sort by name, port and protocol;
 *   addresses by IP then pod uid; subsets by their ports: equal inputs give equal output, so a
 *   resync that changes nothing writes nothing (compare with sameSubsets).
 *
 * CONTRACT: pure, no I/O; never throws.
 */
import { EndpointSubset, intOrStringValue, type EndpointAddress, type EndpointPort, type Pod, type Service, type ServicePort } from '@skiff/api';

/** Kubernetes' label on the Endpoints of a headless service (clusterIP None). */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** Protocol with its default. */
function protocolOf(protocol: string | undefined): string {
  return protocol || 'TCP';
}

/** Ready=True. */
function isPodReady(pod: Readonly<Pod>): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Kubernetes' ShouldPodBeInEndpoints: an IP, not terminal, and not terminating unless `includeTerminating`. */
export function shouldPodBeInEndpoints(pod: Readonly<Pod>, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP) return false;
  return includeTerminating || !pod.metadata?.deletionTimestamp;
}

/**
 * Kubernetes' FindPort: the container port `servicePort` targets on `pod`. A numeric targetPort
 * is taken as is (unset: the service port); a name is looked up among the pod's container ports
 * with that name and the service port's protocol. Undefined when the pod has no such port.
 */
export function findTargetPort(pod: Readonly<Pod>, servicePort: Readonly<ServicePort>): number | undefined {
  const target = intOrStringValue(servicePort.targetPort);
  if (typeof target === 'number' && target > 0) return target;
  if (typeof target !== 'string' || target === '') return servicePort.port;
  const protocol = protocolOf(servicePort.protocol);
  for (const container of pod.spec?.containers ?? []) {
    for (const port of container.ports ?? []) {
      if (port.name === target && protocolOf(port.protocol) === protocol) return port.containerPort;
    }
  }
  return undefined;
}

/**
 * The hostname an address of `pod` carries for `service` (Kubernetes' endpoints controller): the
 * pod's spec.hostname when its spec.subdomain names the service (same namespace), else none. The
 * cluster DNS answers `<hostname>.<service>.<ns>.svc` with it.
 */
export function endpointHostname(pod: Readonly<Pod>, service: Readonly<Service>): string {
  const hostname = pod.spec?.hostname ?? '';
  const sameService = pod.spec?.subdomain === service.metadata?.name && (pod.metadata?.namespace ?? '') === (service.metadata?.namespace ?? '');
  return hostname && sameService ? hostname : '';
}

/** The address of `pod`: its IP, hostname (endpointHostname), node and a reference to it. */
function addressOf(pod: Readonly<Pod>, service: Readonly<Service>): EndpointAddress {
  const nodeName = pod.spec?.nodeName;
  return {
    ip: pod.status?.podIP ?? '',
    hostname: endpointHostname(pod, service),
    ...(nodeName ? { nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '', apiVersion: '', resourceVersion: '', fieldPath: '' },
    hostIP: pod.status?.hostIP ?? '',
    hostPorts: [],
  };
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return a.name.localeCompare(b.name) || a.port - b.port || a.protocol.localeCompare(b.protocol);
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return a.ip.localeCompare(b.ip) || (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '');
}

function portKey(ports: readonly EndpointPort[]): string {
  return JSON.stringify(ports.map((p) => [p.name, p.port, p.protocol]));
}

/** One pod's entry: its ports (sorted) and whether it is ready. */
interface PodEntry {
  pod: Readonly<Pod>;
  ports: EndpointPort[];
  ready: boolean;
}

/**
 * The subsets of `service`'s Endpoints over `pods` (the pods its selector matches; others must
 * not be passed). See the module comment for the rules and the order.
 */
export function endpointSubsets(service: Readonly<Service>, pods: readonly Readonly<Pod>[]): EndpointSubset[] {
  const tolerateUnready = service.spec?.publishNotReadyAddresses ?? false;
  const servicePorts = service.spec?.ports ?? [];
  const headless = service.spec?.clusterIP === 'None';
  const groups = new Map<string, { ports: EndpointPort[]; entries: PodEntry[] }>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ports: EndpointPort[] = [];
    for (const sp of servicePorts) {
      const port = findTargetPort(pod, sp);
      if (port !== undefined) ports.push({ name: sp.name ?? '', port, protocol: protocolOf(sp.protocol) });
    }
    if (ports.length === 0 && !(headless && servicePorts.length === 0)) continue;
    ports.sort(comparePorts);
    const key = portKey(ports);
    const group = groups.get(key) ?? { ports, entries: [] };
    group.entries.push({ pod, ports, ready: tolerateUnready || isPodReady(pod) });
    groups.set(key, group);
  }
  const subsets = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, group]): EndpointSubset => {
      return {
        addresses: group.entries.filter((e) => e.ready).map((e) => addressOf(e.pod, service)).sort(compareAddresses),
        notReadyAddresses: group.entries.filter((e) => !e.ready).map((e) => addressOf(e.pod, service)).sort(compareAddresses),
        ports: group.ports,
      };
    });
  return subsets;
}

/** The labels of `service`'s Endpoints: the service's, plus HEADLESS_LABEL for clusterIP None (as Kubernetes). */
export function endpointsLabels(service: Readonly<Service>): Record<string, string> {
  const labels: Record<string, string> = { ...service.metadata?.labels };
  if (service.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

/** True when two subset lists encode the same (proto bytes after defaulting: unset and default fields compare equal). */
export function sameSubsets(a: readonly EndpointSubset[], b: readonly EndpointSubset[]): boolean {
  if (a.length !== b.length) return false;
  const bytes = (subset: EndpointSubset) => Buffer.from(EndpointSubset.encode(EndpointSubset.fromPartial(subset)).finish());
  return a.every((subset, i) => bytes(subset).equals(bytes(b[i])));
}

/** True when two label maps hold the same pairs. */
export function sameLabels(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const ea = Object.entries(a ?? {});
  return ea.length === Object.keys(b ?? {}).length && ea.every(([k, v]) => b?.[k] === v);
}
