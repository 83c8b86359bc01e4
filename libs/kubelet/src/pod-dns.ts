/**
 * A pod's DNS settings (Kubernetes' kubelet pkg/kubelet/network/dns GetPodDNS), given to the
 * runtime with the pod's sandbox: its app containers share the sandbox's resolv.conf.
 *
 *   policy                            base settings                       then spec.dnsConfig
 *   ClusterFirst (default),           nameserver <cluster DNS>, search    merged in
 *   ClusterFirstWithHostNet           <ns>.svc.<domain> svc.<domain>
 *                                     <domain>, options ndots:5
 *   Default                           the node's resolv.conf              merged in
 *   None                              nothing                             is all there is
 *
 * Without a configured cluster DNS address, ClusterFirst falls back to Default, as in Kubernetes.
 * Merging appends dnsConfig's nameservers and searches to the base (dropping repeats) and merges
 * options by name, dnsConfig's value winning. The result is cut to what resolvers accept (3
 * nameservers, 32 search domains of 2048 characters in all), as the kubelet does.
 * A Default pod without dnsConfig gets undefined: the runtime's default, which is the node's own
 * resolv.conf (Docker's, with loopback nameservers filtered out).
 */
import type { Pod, PodDNSConfig, PodDNSConfigOption } from '@skiff/api';
import type { PodDnsConfig } from '@skiff/runtime';

/**
 * Kubernetes' kubelet defaults: no --cluster-dns (pods use the node's resolvers until a cluster
 * DNS is configured; Skiff's is the DNS service at 10.96.0.10, served by the proxy, and the local
 * cluster scripts pass it once a proxy runs: a pod must never send DNS queries to a service IP
 * that nothing on its machine answers, since they would leave the machine), --cluster-domain
 * cluster.local.
 */
export const DEFAULT_CLUSTER_DNS: readonly string[] = [];
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** Kubernetes' ndots for cluster-first pods: `web` and `web.default` try the search list first. */
export const CLUSTER_FIRST_NDOTS = 5;
/** What a resolv.conf may hold (glibc's limits, as the API validates dnsConfig against). */
export const RESOLV_CONF_LIMITS = { nameservers: 3, searches: 32, searchChars: 2048, searchDomainChars: 253 } as const;

export interface ClusterDnsSettings {
  /** Nameserver addresses (--cluster-dns); none: pods use the node's resolvers. */
  clusterDNS: readonly string[];
  /** The cluster domain (--cluster-domain). */
  clusterDomain: string;
  /**
   * The node's resolver settings (resolv-conf.ts), read only when a pod's dnsConfig is merged
   * into them (policy Default, or ClusterFirst without a cluster DNS); none: empty settings.
   */
  hostDns?: () => PodDnsConfig;
}

/** The pod's resolver settings (see the module comment); undefined means the node's resolv.conf. */
export function podDnsConfig(pod: Readonly<Pod>, settings: ClusterDnsSettings): PodDnsConfig | undefined {
  const policy = pod.spec?.dnsPolicy || 'ClusterFirst';
  const extra = pod.spec?.dnsConfig;
  if (policy === 'None') return fitResolvConfLimits(mergeDnsConfig(emptyDnsConfig(), extra));
  if (policy !== 'Default' && settings.clusterDNS.length > 0) return fitResolvConfLimits(mergeDnsConfig(clusterFirstDns(pod, settings), extra));
  if (!extra) return undefined;
  return fitResolvConfLimits(mergeDnsConfig(settings.hostDns?.() ?? emptyDnsConfig(), extra));
}

function emptyDnsConfig(): PodDnsConfig {
  return { servers: [], searches: [], options: [] };
}

/** ClusterFirst's own settings: the cluster nameservers, the namespace's search list, ndots:5. */
function clusterFirstDns(pod: Readonly<Pod>, settings: ClusterDnsSettings): PodDnsConfig {
  const namespace = pod.metadata?.namespace || 'default';
  const domain = settings.clusterDomain.replace(/\.$/, '');
  return {
    servers: [...settings.clusterDNS],
    searches: [`${namespace}.svc.${domain}`, `svc.${domain}`, domain],
    options: [`ndots:${CLUSTER_FIRST_NDOTS}`],
  };
}

/**
 * `base` with `extra` merged in (Kubernetes' appendDNSConfig): nameservers and searches appended,
 * first occurrences kept; options merged by name (mergeDnsOptions). Pure; `base` is not changed.
 */
export function mergeDnsConfig(base: Readonly<PodDnsConfig>, extra: Readonly<PodDNSConfig> | undefined): PodDnsConfig {
  return {
    servers: unique([...base.servers, ...(extra?.nameservers ?? [])]),
    searches: unique([...base.searches, ...(extra?.searches ?? [])]),
    options: mergeDnsOptions(base.options, extra?.options ?? []),
  };
}

/**
 * resolv.conf options ("ndots:5", "edns0") with `extra` merged in by name: an option named in
 * `extra` takes its value there (none when empty), in the place it had; new names come last.
 */
export function mergeDnsOptions(base: readonly string[], extra: readonly Readonly<PodDNSConfigOption>[]): string[] {
  const byName = new Map<string, string>();
  for (const option of base) {
    const colon = option.indexOf(':');
    if (colon < 0) byName.set(option, '');
    else byName.set(option.slice(0, colon), option.slice(colon + 1));
  }
  for (const option of extra) byName.set(option.name, option.value ?? '');
  return [...byName].map(([name, value]) => (value ? `${name}:${value}` : name));
}

/**
 * `config` cut to what resolvers accept (Kubernetes' formDNSConfigFitsLimits): the first 3
 * nameservers; the first 32 search domains less those longer than 253 characters, then the
 * last ones dropped until the search line has at most 2048 characters. Options are kept.
 */
export function fitResolvConfLimits(config: PodDnsConfig): PodDnsConfig {
  const searches = config.searches.slice(0, RESOLV_CONF_LIMITS.searches).filter((s) => s.length <= RESOLV_CONF_LIMITS.searchDomainChars);
  while (searches.join(' ').length > RESOLV_CONF_LIMITS.searchChars) searches.pop();
  return { servers: config.servers.slice(0, RESOLV_CONF_LIMITS.nameservers), searches, options: config.options };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * The pod's DNS domain (Kubernetes' GeneratePodHostNameAndDomain): `<subdomain>.<ns>.svc.<domain>`
 * for a pod with spec.subdomain, else none. The runtime names the pod IP `<hostname>.<that>` in
 * its /etc/hosts; the cluster DNS answers the same name once a headless Service named
 * `<subdomain>` selects the pod.
 */
export function podHostDomain(pod: Readonly<Pod>, clusterDomain: string = DEFAULT_CLUSTER_DOMAIN): string | undefined {
  const subdomain = pod.spec?.subdomain;
  if (!subdomain) return undefined;
  return `${subdomain}.${pod.metadata?.namespace || 'default'}.svc.${clusterDomain.replace(/\.$/, '')}`;
}
