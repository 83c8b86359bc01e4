// The kubelet: parses flags, builds the container runtime, then runs libs/kubelet until SIGTERM/SIGINT.
import { Command } from 'commander';
import { DEFAULT_CLUSTER_DNS, DEFAULT_CLUSTER_DOMAIN, parseNodeLabels, parseNodeUsageSource, parseTaints, runKubelet } from '@skiff/kubelet';
import { DockerRuntime, HollowRuntime } from '@skiff/runtime';
import { createLogger, runUntilSignal } from '@skiff/service';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);
const pairs = (value: string) => Object.fromEntries(list(value).map((kv) => kv.split('=', 2) as [string, string]));
const command = new Command('kubelet')
  .description('Skiff kubelet: registers a node and runs the pods bound to it')
  .requiredOption('--node-name <name>', 'the Node this kubelet registers and serves')
  .option('--server <host:port>', 'apiserver gRPC address', '127.0.0.1:6443')
  .option('--nats <urls>', 'NATS server URLs, comma separated', 'nats://127.0.0.1:4222')
  .option('--node-ip <ip>', 'node address (InternalIP, hostIP, host ports)', '127.0.0.1')
  .option('--listen <host:port>', 'Kubelet gRPC address (logs, exec); port 0 picks one', '127.0.0.1:10250')
  .option('--runtime <kind>', 'docker or hollow', 'docker')
  .option('--root-dir <path>', "where pods' volumes live (pods/<uid>/volumes); default /var/lib/skiff/kubelet/<node-name>")
  .option('--docker-socket <path>', "dockerd's socket", '/var/run/docker.sock')
  .option('--cpu <quantity>', 'CPU capacity instead of the host\'s (e.g. "4")')
  .option('--memory <quantity>', 'memory capacity instead of the host\'s (e.g. "8Gi")')
  .option('--pods <n>', 'pod capacity', '110')
  .option('--system-reserved <list>', 'resources kept from pods, e.g. cpu=100m,memory=256Mi', '')
  .option('--node-labels <list>', 'labels the Node gets when registered, e.g. disk=ssd,zone=a', '')
  .option('--register-with-taints <list>', 'taints the Node gets when registered, e.g. dedicated=gpu:NoSchedule', '')
  .option('--lease-interval <seconds>', 'heartbeat Lease renewal period', '10')
  .option('--node-status-interval <seconds>', 'Node status refresh period', '60')
  .option('--resync-interval <seconds>', 'every pod is synced at least this often', '60')
  .option('--housekeeping-interval <seconds>', 'time between resource usage samples of the containers (skiff top, autoscaling)', '10')
  .option('--node-usage <source>', "the Node's usage figures: pods (the sum of its pods; several nodes may share a machine) or machine (the whole host)", 'pods')
  .option('--backoff-base <seconds>', 'first crash-loop / image-pull delay', '10')
  .option('--backoff-max <seconds>', 'longest crash-loop / image-pull delay', '300')
  .option('--cluster-dns <ips>', 'nameservers of ClusterFirst pods, comma separated (empty: the node\'s resolvers)', DEFAULT_CLUSTER_DNS.join(','))
  .option('--cluster-domain <domain>', 'the cluster domain in pods\' DNS search list', DEFAULT_CLUSTER_DOMAIN)
  .option('--metrics-listen <host:port>', 'Prometheus /metrics and /healthz address (none if empty)', '')
  .option('--log-level <level>', 'trace, debug, info, warn, error', process.env.SKIFF_LOG_LEVEL ?? 'info');
const opts = command.parse().opts<Record<string, string>>();
/** A flag's parsed value; a bad value ends the program with commander's "error: ..." message. */
const parsed = <T>(parse: () => T): T => {
  try {
    return parse();
  } catch (err) {
    return command.error(`error: ${(err as Error).message}`);
  }
};

const logger = createLogger('kubelet', opts.logLevel);
const nodeName = opts.nodeName;
const runtime =
  opts.runtime === 'hollow'
    ? new HollowRuntime({ nodeName, hostIP: opts.nodeIp })
    : new DockerRuntime({ nodeName, hostIP: opts.nodeIp, socketPath: opts.dockerSocket });
const reserved = pairs(opts.systemReserved);
const nodeLabels = parsed(() => parseNodeLabels(opts.nodeLabels));
const registerWithTaints = parsed(() => parseTaints(opts.registerWithTaints));
const nodeUsage = parsed(() => parseNodeUsageSource(opts.nodeUsage));
const housekeeping = parsed(() => {
  const value = Number(opts.housekeepingInterval);
  if (!(value > 0)) throw new Error(`invalid --housekeeping-interval "${opts.housekeepingInterval}": must be a positive number of seconds`);
  return value;
});
const seconds = (value: string) => Number(value) * 1000;
void runUntilSignal(
  (signal) =>
    runKubelet(
      {
        nodeName,
        server: opts.server,
        nats: list(opts.nats),
        nodeIP: opts.nodeIp,
        listen: opts.listen,
        runtime,
        rootDir: opts.rootDir || `/var/lib/skiff/kubelet/${nodeName}`,
        capacity: { cpu: opts.cpu, memory: opts.memory, pods: Number(opts.pods) },
        systemReserved: { cpu: reserved['cpu'], memory: reserved['memory'] },
        nodeLabels,
        registerWithTaints,
        leaseIntervalMs: seconds(opts.leaseInterval),
        statusIntervalMs: seconds(opts.nodeStatusInterval),
        resyncIntervalMs: seconds(opts.resyncInterval),
        metricsResolutionMs: housekeeping * 1000,
        nodeUsage,
        backoff: { baseMs: seconds(opts.backoffBase), maxMs: seconds(opts.backoffMax) },
        metricsListen: opts.metricsListen || undefined,
        clusterDNS: list(opts.clusterDns),
        clusterDomain: opts.clusterDomain,
        logger,
      },
      signal,
    ),
  logger,
);
