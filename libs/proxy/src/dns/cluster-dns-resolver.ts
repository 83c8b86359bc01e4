/**
 * The cluster DNS zone as a pure function: a question and a read-only view of the Services (and
 * Endpoints) in, the records and response code out. No sockets, no clocks; the server encodes.
 *
 * Names served (after the cluster domain, default `cluster.local`; case-insensitive):
 *   <svc>.<ns>.svc                 A (AAAA) -> the ClusterIP; headless -> the ready endpoint IPs
 *   <host>.<svc>.<ns>.svc          A (AAAA) -> of a headless service, the endpoint whose hostname is
 *                                  <host> (a pod with spec.hostname and spec.subdomain = <svc>),
 *                                  or, without a hostname, whose dashed IP is <host>
 *                                  SRV      -> one record per port, target the service name
 *   _<port>._<proto>.<svc>.<ns>.svc SRV     -> 0 100 <port> <svc>.<ns>.svc.<domain> (+ A additional)
 *   <a-b-c-d>.<ns>.pod             A        -> a.b.c.d (CoreDNS' `pods insecure`)
 * Structural names (the apex, `svc`, `<ns>.svc`, `pod`, `<ns>.pod`, `_<proto>.<svc>.<ns>.svc` of an
 * existing service) exist without records: NOERROR with no answers (NODATA). Any other name inside
 * the domain is NXDOMAIN; a name outside it is REFUSED (this server forwards nothing).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { EndpointAddress, Endpoints, Service } from '@skiff/api';

/** Kubernetes' CoreDNS default TTL for service records, in seconds. */
export const DNS_SERVICE_TTL_SECONDS = 5;
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** What the resolver reads; an informer cache fits (`get('ns/name')`). Never mutated. */
export interface DnsRecordSource {
  /** The Service `namespace/name`, or undefined. */
  service(namespace: string, name: string): Readonly<Service> | undefined;
  /** The Endpoints of that Service, for headless services; undefined when unknown. */
  endpoints?(namespace: string, name: string): Readonly<Endpoints> | undefined;
}

/** A keyed lister, such as an Informer: `get("namespace/name")`. */
export interface KeyedLister<T> {
  get(key: string): Readonly<T> | undefined;
}

/** Adapts informer caches (or any keyed listers) to a DnsRecordSource. */
export function listerRecordSource(services: KeyedLister<Service>, endpoints?: KeyedLister<Endpoints>): DnsRecordSource {
  return {
    service: (namespace, name) => services.get(`${namespace}/${name}`),
    endpoints: endpoints ? (namespace, name) => endpoints.get(`${namespace}/${name}`) : undefined,
  };
}

export interface DnsQuestion {
  name: string;
  /** Record type mnemonic: A, AAAA, SRV, SOA, ANY, ... (any other type is NODATA). */
  type: string;
}

export type DnsRecord =
  | { name: string; type: 'A' | 'AAAA'; ttl: number; data: string }
  | { name: string; type: 'SRV'; ttl: number; data: { priority: number; weight: number; port: number; target: string } }
  | { name: string; type: 'SOA'; ttl: number; data: { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number } };

export type DnsRcode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED' | 'SERVFAIL' | 'FORMERR' | 'NOTIMP';

export interface DnsResolution {
  rcode: DnsRcode;
  /** True when the name is inside the cluster domain (the answer is authoritative). */
  authoritative: boolean;
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

export interface ResolverOptions {
  /** Cluster domain without dots at either end; default `cluster.local`. */
  domain?: string;
  /** Record TTL in seconds; default 5. */
  ttl?: number;
}

/** Lower-cased, without the trailing root dot. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.+$/, '');
}

/** True when `name` is the cluster domain or below it (case-insensitive, trailing dots ignored). */
export function isInClusterDomain(name: string, domain: string = DEFAULT_CLUSTER_DOMAIN): boolean {
  const n = normalizeName(name);
  const d = normalizeName(domain);
  return n === d || n.endsWith(`.${d}`);
}

/**
 * Answers one question from the source. Never throws on odd input: unknown shapes are NXDOMAIN,
 * names outside the domain REFUSED.
 */
export function resolveClusterQuestion(question: DnsQuestion, source: DnsRecordSource, options: ResolverOptions = {}): DnsResolution {
  const domain = normalizeName(options.domain ?? DEFAULT_CLUSTER_DOMAIN);
  const ttl = options.ttl ?? DNS_SERVICE_TTL_SECONDS;
  const name = normalizeName(question.name);
  const type = question.type.toUpperCase();
  if (!isInClusterDomain(name, domain)) {
    return { rcode: 'REFUSED', authoritative: false, answers: [], authorities: [], additionals: [] };
  }
  const labels = name === domain ? [] : name.slice(0, -domain.length - 1).split('.');
  const soa = soaRecord(domain, ttl);
  const nodata = (): DnsResolution => ({ rcode: 'NOERROR', authoritative: true, answers: [], authorities: [soa], additionals: [] });
  const nxdomain = (): DnsResolution => ({ rcode: 'NXDOMAIN', authoritative: true, answers: [], authorities: [soa], additionals: [] });
  const found = (answers: DnsRecord[], additionals: DnsRecord[] = []): DnsResolution =>
    answers.length === 0 ? nodata() : { rcode: 'NOERROR', authoritative: true, answers, authorities: [], additionals };

  if (labels.length === 0) return type === 'SOA' || type === 'ANY' ? found([soa]) : nodata();
  const zone = labels[labels.length - 1];
  if (zone === 'svc') {
    if (labels.length <= 2) return nodata();
    const [svcName, namespace] = labels.slice(-3, -1);
    const service = source.service(namespace, svcName);
    if (!service) return nxdomain();
    const serviceName = `${svcName}.${namespace}.svc.${domain}`;
    const addresses = serviceAddresses(service, source.endpoints?.(namespace, svcName));
    if (labels.length === 3) {
      if (addresses.length === 0) return nxdomain();
      if (type === 'SRV') return found(srvRecords(name, service.spec?.ports ?? [], serviceName, ttl), addressRecords(serviceName, addresses, 'ANY', ttl));
      return found(addressRecords(name, addresses, type, ttl));
    }
    if (labels.length === 4) {
      if (labels[0].startsWith('_')) return hasProtocol(service, labels[0].slice(1)) ? nodata() : nxdomain();
      const ips = endpointHostAddresses(service, source.endpoints?.(namespace, svcName), labels[0]);
      return ips.length === 0 ? nxdomain() : found(addressRecords(name, ips, type, ttl));
    }
    if (labels.length === 5 && labels[0].startsWith('_') && labels[1].startsWith('_')) {
      const ports = (service.spec?.ports ?? []).filter(
        (p) => p.name.toLowerCase() === labels[0].slice(1) && protocolOf(p.protocol) === labels[1].slice(1),
      );
      if (ports.length === 0 || addresses.length === 0) return nxdomain();
      if (type !== 'SRV' && type !== 'ANY') return nodata();
      return found(srvRecords(name, ports, serviceName, ttl), addressRecords(serviceName, addresses, 'ANY', ttl));
    }
    return nxdomain();
  }
  if (zone === 'pod') {
    if (labels.length <= 2) return nodata();
    if (labels.length !== 3) return nxdomain();
    const ip = podIpFromLabel(labels[0]);
    if (!ip) return nxdomain();
    return found(addressRecords(name, [ip], type, ttl));
  }
  return nxdomain();
}

/** The service's addresses: its ClusterIP, or for a headless service its endpoint IPs. */
function serviceAddresses(service: Readonly<Service>, endpoints: Readonly<Endpoints> | undefined): string[] {
  const clusterIP = service.spec?.clusterIP ?? '';
  if (clusterIP && clusterIP.toLowerCase() !== 'none') return [clusterIP];
  const publishNotReady = service.spec?.publishNotReadyAddresses ?? false;
  const ips = new Set<string>();
  for (const subset of endpoints?.subsets ?? []) {
    for (const a of subset.addresses) if (a.ip) ips.add(a.ip);
    if (publishNotReady) for (const a of subset.notReadyAddresses) if (a.ip) ips.add(a.ip);
  }
  return [...ips].sort();
}

/**
 * The IPs of a headless service's endpoints named `label` (CoreDNS' endpoint names): an address
 * is named by its hostname (the pod's spec.hostname, when its spec.subdomain is the service),
 * else by its dashed IP (10-244-1-5). Ready addresses only, unless publishNotReadyAddresses. None
 * for a service with a ClusterIP.
 */
function endpointHostAddresses(service: Readonly<Service>, endpoints: Readonly<Endpoints> | undefined, label: string): string[] {
  const clusterIP = service.spec?.clusterIP ?? '';
  if (clusterIP && clusterIP.toLowerCase() !== 'none') return [];
  const publishNotReady = service.spec?.publishNotReadyAddresses ?? false;
  const ips = new Set<string>();
  const consider = (a: Readonly<EndpointAddress>) => {
    const own = a.hostname ? a.hostname.toLowerCase() : a.ip.replace(/[.:]/g, '-');
    if (a.ip && own === label) ips.add(a.ip);
  };
  for (const subset of endpoints?.subsets ?? []) {
    subset.addresses.forEach(consider);
    if (publishNotReady) subset.notReadyAddresses.forEach(consider);
  }
  return [...ips].sort();
}

/** A/AAAA records for the addresses matching the type (ANY: both families; other types: none). */
function addressRecords(name: string, addresses: string[], type: string, ttl: number): DnsRecord[] {
  const wantA = type === 'A' || type === 'ANY';
  const wantAAAA = type === 'AAAA' || type === 'ANY';
  const out: DnsRecord[] = [];
  for (const ip of addresses) {
    if (wantA && isIPv4(ip)) out.push({ name, type: 'A', ttl, data: ip });
    else if (wantAAAA && isIPv6(ip)) out.push({ name, type: 'AAAA', ttl, data: ip });
  }
  return out;
}

function srvRecords(name: string, ports: readonly { port: number }[], target: string, ttl: number): DnsRecord[] {
  return ports.map((p) => ({ name, type: 'SRV' as const, ttl, data: { priority: 0, weight: 100, port: p.port, target } }));
}

function protocolOf(protocol: string): string {
  return (protocol || 'TCP').toLowerCase();
}

function hasProtocol(service: Readonly<Service>, protocol: string): boolean {
  return (service.spec?.ports ?? []).some((p) => protocolOf(p.protocol) === protocol);
}

/** `10-1-2-3` -> `10.1.2.3`, or undefined when it is not a dashed IPv4 address. */
function podIpFromLabel(label: string): string | undefined {
  const ip = label.replace(/-/g, '.');
  return isIPv4(ip) ? ip : undefined;
}

/** The zone's SOA, as CoreDNS returns it in negative answers (minimum = the record TTL). */
export function soaRecord(domain: string, ttl: number): DnsRecord {
  return {
    name: domain,
    type: 'SOA',
    ttl,
    data: { mname: `ns.dns.${domain}`, rname: `hostmaster.${domain}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  };
}
