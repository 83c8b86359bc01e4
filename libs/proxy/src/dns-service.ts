/**
 * The cluster DNS Service object: `skiff-system/kube-dns` with the DNS address as its ClusterIP and
 * port 53 over UDP and TCP, no selector (the proxy on every machine answers at that address
 * itself). It reserves the address in the apiserver's allocator, so no other Service is given it,
 * and shows users where cluster DNS lives (`skiff get svc -n skiff-system`), as Kubernetes'
 * `kube-system/kube-dns`. Every proxy ensures it at start; the first create wins.
 */
import { AlreadyExistsError, Service } from '@skiff/api';
import { typed, type SkiffClient } from '@skiff/client';
import type { Logger } from '@skiff/service';

export const DNS_SERVICE_NAMESPACE = 'skiff-system';
export const DNS_SERVICE_NAME = 'kube-dns';

/** The Service object for cluster DNS at `ip` (see the module comment). */
export function dnsService(ip: string): Service {
  return Service.fromPartial({
    metadata: { namespace: DNS_SERVICE_NAMESPACE, name: DNS_SERVICE_NAME, labels: { 'k8s-app': 'kube-dns' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: ip,
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53 },
      ],
    },
  });
}

/**
 * Creates the DNS Service unless it exists. Never throws: when the address is refused (taken by
 * another Service, outside the service CIDR) or the apiserver fails, it logs a warning and the
 * proxy serves DNS all the same.
 */
export async function ensureDnsService(client: SkiffClient, ip: string, logger: Logger): Promise<void> {
  try {
    await typed(client, 'service').create(dnsService(ip));
    logger.info({ service: `${DNS_SERVICE_NAMESPACE}/${DNS_SERVICE_NAME}`, clusterIP: ip }, 'cluster DNS service created');
  } catch (err) {
    if (err instanceof AlreadyExistsError) return;
    logger.warn({ err, clusterIP: ip }, 'could not create the cluster DNS service; serving DNS without it');
  }
}
