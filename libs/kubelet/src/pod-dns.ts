/**
 * A pod's DNS settings (Kubernetes' kubelet pkg/kubelet/network/dns GetPodDNS), given to the
 * runtime with the pod's sandbox: its app containers share the sandbox's resolv.conf.
 *
 *   ClusterFirst (default), ClusterFirstWithHostNet: nameserver <cluster DNS>, search
 *     <ns>.svc.<domain> svc.<domain> <domain>, options ndots:5
 *   Default: the node's own resolv.conf (undefined: the runtime's default)
 *
 * Without a configured cluster DNS address, ClusterFirst falls back to Default, as in Kubernetes.
 * (Policy None with pod.spec.dnsConfig needs a dnsConfig field the API does not have yet.)
 */
import type { Pod } from '@skiff/api';
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

export interface ClusterDnsSettings {
  /** Nameserver addresses (--cluster-dns); none: pods use the node's resolvers. */
  clusterDNS: readonly string[];
  /** The cluster domain (--cluster-domain). */
  clusterDomain: string;
}

/** The pod's resolver settings (see the module comment); undefined means the node's resolv.conf. */
export function podDnsConfig(pod: Readonly<Pod>, settings: ClusterDnsSettings): PodDnsConfig | undefined {
  const policy = pod.spec?.dnsPolicy || 'ClusterFirst';
  if (policy === 'Default' || settings.clusterDNS.length === 0) return undefined;
  const namespace = pod.metadata?.namespace || 'default';
  const domain = settings.clusterDomain.replace(/\.$/, '');
  return {
    servers: [...settings.clusterDNS],
    searches: [`${namespace}.svc.${domain}`, `svc.${domain}`, domain],
    options: [`ndots:${CLUSTER_FIRST_NDOTS}`],
  };
}
