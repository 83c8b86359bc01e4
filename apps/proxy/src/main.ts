// The proxy: parses flags, then runs libs/proxy until SIGTERM/SIGINT.
import { Command } from 'commander';
import { DEFAULT_CLUSTER_DNS_IP, DEFAULT_SERVICE_CIDR, nodeResolvers, runProxy } from '@skiff/proxy';
import { createLogger, runUntilSignal } from '@skiff/service';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);
const opts = new Command('proxy')
  .description('Skiff proxy: serves Services on their ClusterIPs and node ports on this machine')
  .option('--server <host:port>', 'apiserver gRPC address', '127.0.0.1:6443')
  .option('--nats <urls>', 'NATS server URLs, comma separated', 'nats://127.0.0.1:4222')
  .option('--nodes <names>', 'nodes of this machine, comma separated: their pods are reached at the pod IP', '')
  .option('--node-ips <ips>', 'addresses NodePort services listen on, comma separated', '127.0.0.1')
  .option('--service-cidr <cidr>', 'service CIDR, routed locally on lo', DEFAULT_SERVICE_CIDR)
  .option('--manage-route <bool>', 'add the local route of the service CIDR (false: it is already there)', 'true')
  .option('--cluster-dns <ip>', 'serve cluster DNS on this address (port 53); empty: no DNS', DEFAULT_CLUSTER_DNS_IP)
  .option('--cluster-domain <domain>', 'the cluster domain', 'cluster.local')
  .option('--dns-forward <bool>', "forward names outside the cluster domain to this machine's resolvers (/etc/resolv.conf)", 'false')
  .option('--metrics-listen <host:port>', 'Prometheus /metrics and /healthz address', '127.0.0.1:10249')
  .option('--log-level <level>', 'trace, debug, info, warn, error', process.env.SKIFF_LOG_LEVEL ?? 'info')
  .parse()
  .opts<Record<string, string>>();

const logger = createLogger('proxy', opts.logLevel);
void runUntilSignal(
  async (signal) =>
    runProxy(
      {
        server: opts.server,
        nats: list(opts.nats),
        nodes: list(opts.nodes),
        nodeIPs: list(opts.nodeIps),
        serviceCidr: opts.serviceCidr,
        manageRoute: opts.manageRoute !== 'false',
        metricsListen: opts.metricsListen,
        dns: opts.clusterDns ? { host: opts.clusterDns, domain: opts.clusterDomain, forwarders: opts.dnsForward === 'true' ? await nodeResolvers() : [] } : false,
        logger,
      },
      signal,
    ),
  logger,
);
