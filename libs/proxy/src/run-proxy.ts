/**
 * The proxy as one function: `await runProxy(config, signal)` makes the service CIDR local (unless
 * told not to), serves /metrics and /healthz, watches Services and Endpoints through informers and
 * keeps the TCP and UDP listeners equal to the proxy table, until `signal` aborts; then it closes every
 * listener and connection it owns and resolves.
 *
 * Reconciling is level-triggered and coalesced: any change of a Service or Endpoints marks the
 * table dirty; one reconcile at a time recomputes the whole table from the caches and applies it.
 * Backends are pod IPs, on any node: the pod network makes them routable.
 *
 * The machine's pod network (pod-network/, unless managePodNetwork is false): from the Node
 * objects, routes to the other machines' pod CIDRs, the forward-accept and masquerade rules of the
 * cluster CIDR; kept the same way (any Node change, and a resync every podNetworkResyncMs for
 * drift), and removed when the proxy stops (a crashed proxy's are converged on its next start).
 */
import type { BusConnection } from '@skiff/bus';
import { Informer, type SkiffClient } from '@skiff/client';
import { runComponent } from '@skiff/reconcile';
import type { Logger } from '@skiff/service';
import { listerRecordSource, startDnsServer, type DnsServer, type DnsUpstream } from './dns';
import { ensureDnsService } from './dns-service';
import { ensureLocalRoute } from './local-route';
import { PodNetworkKeeper, type CommandRunner } from './pod-network/pod-network-keeper';
import { createProxyMetrics } from './proxy-metrics';
import { listenerId, proxyTable } from './proxy-table';
import { TcpBalancer, type TcpBalancerOptions } from './tcp-balancer';
import { UdpBalancer, type UdpBalancerOptions } from './udp-balancer';

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';
/** The cluster CIDR pod CIDRs are cut from (the controller-manager's node IPAM default). */
export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';

export interface ProxyConfig {
  /** apiserver gRPC address, "127.0.0.1:6443". */
  server: string;
  /** NATS server URLs. */
  nats: string[];
  /** The nodes of this machine: the pod network routes every other node's pod CIDR. */
  nodes: string[];
  /** The cluster CIDR: pods' traffic leaving it is masqueraded; routes are only made inside it. Default 10.244.0.0/16. */
  clusterCidr?: string;
  /** Keep the machine's pod network (routes to other nodes' pod CIDRs, forward and masquerade rules); default true. */
  managePodNetwork?: boolean;
  /** How often the pod network is checked again without a Node change; default 60 s. */
  podNetworkResyncMs?: number;
  /** Runs the pod network's `ip`/`iptables`/`sysctl` commands (tests: in a network namespace); default execFile. */
  podNetworkCommands?: CommandRunner;
  /** Addresses NodePort services listen on, e.g. ["127.0.0.1"]. */
  nodeIPs: string[];
  /** The service CIDR made local on lo; 10.96.0.0/16. */
  serviceCidr?: string;
  /** False: do not touch routes (the CIDR is already local). Default true. */
  manageRoute?: boolean;
  /** Prometheus /metrics and /healthz address, "127.0.0.1:10249" (port 0: any free port). */
  metricsListen: string;
  logger: Logger;
  /** TCP: connect deadline, attempts per connection, affinity timeout. */
  balancer?: Omit<TcpBalancerOptions, 'logger' | 'metrics'>;
  /** UDP: flow idle timeout, affinity timeout. */
  udp?: Omit<UdpBalancerOptions, 'logger' | 'metrics'>;
  /**
   * Cluster DNS (see dns/): served at the DNS service's ClusterIP, 10.96.0.10:53 by default;
   * false: none. forwarders: upstreams for names outside the cluster domain (none: REFUSED).
   */
  dns?: { host?: string; port?: number; domain?: string; forwarders?: DnsUpstream[] } | false;
  /** Called once serving, with the bound metrics address and a view of the TCP listeners. */
  onListening?: (info: ProxyHandle) => void;
}

/** The DNS service's conventional ClusterIP (Kubernetes' kube-dns 10.96.0.10). */
export const DEFAULT_CLUSTER_DNS_IP = '10.96.0.10';

/** What a running proxy exposes to its caller (tests, the app). */
export interface ProxyHandle {
  metrics: string;
  /** The TCP listeners. */
  balancer: TcpBalancer;
  /** The UDP listeners. */
  udp: UdpBalancer;
  /** How many reconciles have completed. */
  reconciles(): number;
  /** Where the cluster DNS answers ("host:port"), once started. */
  dns(): string | undefined;
}

/**
 * Runs the proxy until `signal` aborts. Rejects only when it cannot start: the route cannot be
 * added or the metrics address is taken. Waits for NATS as long as it takes (abortable).
 */
export async function runProxy(config: ProxyConfig, signal: AbortSignal): Promise<void> {
  const { logger } = config;
  const serviceCidr = config.serviceCidr ?? DEFAULT_SERVICE_CIDR;
  if (config.manageRoute !== false) {
    await ensureLocalRoute(serviceCidr, signal);
    logger.info({ serviceCidr }, 'service CIDR routed locally');
  }
  let running = false;
  let reconciles = 0;
  let dns: DnsServer | undefined;
  await runComponent({ ...config, name: 'proxy', healthy: () => running, onListening: undefined }, signal, async ({ client, bus, registry, metricsAddress }) => {
    const metrics = createProxyMetrics(registry);
    const tcp = new TcpBalancer({ ...config.balancer, logger, metrics });
    const udpBalancer = new UdpBalancer({ ...config.udp, logger, metrics });
    config.onListening?.({ metrics: metricsAddress, balancer: tcp, udp: udpBalancer, reconciles: () => reconciles, dns: () => dns?.address });
    const services = new Informer({ client, bus, resource: 'service', log: logger });
    const endpoints = new Informer({ client, bus, resource: 'endpoints', log: logger });
    // Stops the informers when the loop ends for any reason, not only on abort.
    const stopInformers = new AbortController();
    const informerSignal = AbortSignal.any([signal, stopInformers.signal]);
    const informersDone = Promise.all([services.start(informerSignal), endpoints.start(informerSignal)]);
    const podNetwork = config.managePodNetwork === false ? undefined : keepPodNetwork(config, client, bus, informerSignal);
    let dirty = true;
    let wake: (() => void) | undefined;
    const markDirty = () => {
      dirty = true;
      wake?.();
    };
    services.addHandler({ onAdd: markDirty, onUpdate: markDirty, onDelete: markDirty });
    endpoints.addHandler({ onAdd: markDirty, onUpdate: markDirty, onDelete: markDirty });
    signal.addEventListener('abort', () => wake?.(), { once: true });
    logger.info({ nodes: config.nodes, nodeIPs: config.nodeIPs }, 'proxy serving nodes');
    const reserved = new Set<string>();
    try {
      await Promise.all([services.synced(signal), endpoints.synced(signal)]);
      if (config.dns !== false) {
        const d = config.dns ?? {};
        const host = d.host ?? DEFAULT_CLUSTER_DNS_IP;
        const port = d.port ?? 53;
        dns = await startDnsServer({ host, port, domain: d.domain, forwarders: d.forwarders, source: listerRecordSource(services, endpoints), logger });
        for (const protocol of ['UDP', 'TCP'] as const) reserved.add(listenerId(protocol, host, port));
        logger.info({ dns: dns.address }, 'cluster DNS serving');
        if (port === 53) await ensureDnsService(client, host, logger);
      }
      running = true;
      while (!signal.aborted) {
        if (!dirty) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        dirty = false;
        const table = proxyTable({ services: services.list(), endpointsOf: (key) => endpoints.get(key), nodeIPs: config.nodeIPs, reserved });
        await Promise.all([tcp.apply(table), udpBalancer.apply(table)]);
        reconciles++;
        logger.debug({ listeners: table.length }, 'proxy table applied');
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      running = false;
      await dns?.close();
      stopInformers.abort();
      await informersDone;
      await podNetwork;
      await Promise.all([tcp.close(), udpBalancer.close()]);
    }
  });
}

/**
 * Runs the pod network keeper until `signal` aborts, then removes its routes and rules. Applies
 * once the Node cache is synced, again on every Node change (coalesced) and every resync period;
 * a failed apply is logged and retried at the next change or resync. Never rejects.
 */
async function keepPodNetwork(config: ProxyConfig, client: SkiffClient, bus: BusConnection, signal: AbortSignal): Promise<void> {
  const log = config.logger.child({ part: 'pod-network' });
  const clusterCidr = config.clusterCidr ?? DEFAULT_CLUSTER_CIDR;
  const keeper = new PodNetworkKeeper({ clusterCidr, localNodes: config.nodes, run: config.podNetworkCommands, log });
  const nodes = new Informer({ client, bus, resource: 'node', resyncMs: 0, log });
  const informerDone = nodes.start(signal);
  let dirty = true;
  let wake: (() => void) | undefined;
  const markDirty = () => {
    dirty = true;
    wake?.();
  };
  nodes.addHandler({ onAdd: markDirty, onUpdate: markDirty, onDelete: markDirty });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort, { once: true });
  log.info({ clusterCidr, localNodes: config.nodes }, 'keeping the pod network');
  try {
    await nodes.synced(signal);
    while (!signal.aborted) {
      if (!dirty) {
        const timer = setTimeout(markDirty, config.podNetworkResyncMs ?? 60_000);
        await new Promise<void>((resolve) => (wake = resolve));
        clearTimeout(timer);
        wake = undefined;
        continue;
      }
      dirty = false;
      try {
        await keeper.apply(nodes.list(), signal);
      } catch (err) {
        if (signal.aborted) break;
        log.warn({ err }, 'pod network apply failed; retrying at the next change');
      }
    }
  } catch (err) {
    if (!signal.aborted) log.warn({ err }, 'pod network keeper stopped');
  } finally {
    signal.removeEventListener('abort', onAbort);
    await informerDone.catch(() => undefined);
    await keeper.cleanup();
  }
}
