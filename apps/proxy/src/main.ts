// The proxy: declares its configuration, then runs libs/proxy until SIGTERM/SIGINT.
import { DEFAULT_CLUSTER_DNS_IP, DEFAULT_SERVICE_CIDR, nodeResolvers, runProxy } from '@skiff/proxy';
import { defineComponent, isHost, key, metricsListenKey, natsKey, runComponentMain, serverKey, t } from '@skiff/service';

const proxy = defineComponent({
  name: 'proxy',
  description: 'Skiff proxy: serves Services on their ClusterIPs and node ports on this machine',
  keys: {
    server: serverKey(),
    nats: natsKey(),
    nodes: key(t.strings(), { default: [], help: 'nodes of this machine, comma separated: their pods are reached at the pod IP' }),
    nodeIps: key(t.ips(), { default: ['127.0.0.1'], help: 'addresses NodePort services listen on, comma separated' }),
    serviceCidr: key(t.cidr(), { default: DEFAULT_SERVICE_CIDR, help: 'service CIDR, routed locally on lo' }),
    manageRoute: key(t.bool(), { default: true, help: 'add the local route of the service CIDR (false: it is already there)' }),
    clusterCidr: key(t.cidr(), { default: '10.244.0.0/16', help: "the cluster's pod network (other nodes' pod CIDRs are routed, traffic leaving it is masqueraded)" }),
    managePodNetwork: key(t.bool(), { default: true, help: "route other nodes' pod CIDRs via their node address and masquerade traffic leaving the cluster CIDR" }),
    clusterDns: key(t.ip(), { optional: true, default: DEFAULT_CLUSTER_DNS_IP, help: 'serve cluster DNS on this address (port 53); empty: no DNS' }),
    clusterDomain: key(t.string(), { default: 'cluster.local', help: 'the cluster domain', check: (d) => { if (!isHost(d)) throw new Error('not a DNS domain'); } }),
    dnsForward: key(t.bool(), { default: false, help: "forward names outside the cluster domain to this machine's resolvers (/etc/resolv.conf)" }),
    metricsListen: metricsListenKey('127.0.0.1:10249'),
  },
});

runComponentMain(proxy, async (c, { logger, signal }) =>
  runProxy(
    {
      server: c.server.join(','), nats: c.nats, nodes: c.nodes, nodeIPs: c.nodeIps, serviceCidr: c.serviceCidr, manageRoute: c.manageRoute, metricsListen: c.metricsListen,
      clusterCidr: c.clusterCidr, managePodNetwork: c.managePodNetwork,
      dns: c.clusterDns ? { host: c.clusterDns, domain: c.clusterDomain, forwarders: c.dnsForward ? await nodeResolvers() : [] } : false,
      logger,
    },
    signal,
  ),
);
