// The apiserver: parses flags, then runs libs/apiserver until SIGTERM/SIGINT.
import { Command } from 'commander';
import { runApiserver } from '@skiff/apiserver';
import { createLogger, packageVersion, runUntilSignal } from '@skiff/service';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);
const opts = new Command('apiserver')
  .description('Skiff API server: the API on etcd, watch events on NATS')
  .option('--listen <host:port>', 'gRPC address', '127.0.0.1:6443')
  .option('--etcd <urls>', 'etcd client URLs, comma separated', 'http://127.0.0.1:2379')
  .option('--nats <urls>', 'NATS server URLs, comma separated', 'nats://127.0.0.1:4222')
  .option('--metrics-listen <host:port>', 'Prometheus /metrics and /healthz address', '127.0.0.1:6480')
  .option('--compaction-interval <seconds>', 'etcd compaction period (0: never)', '300')
  .option('--default-toleration-seconds <s>', 'tolerationSeconds of the not-ready/unreachable NoExecute tolerations added to every pod', '300')
  .option('--service-cluster-ip-range <cidr>', 'the CIDR ClusterIPs of Services are allocated from', '10.96.0.0/16')
  .option('--service-node-port-range <min-max>', 'the range node ports of NodePort Services are allocated from', '30000-32767')
  .option('--disable-admission-plugins <names>', 'admission plugins not to run, comma separated (ServiceAccount, DefaultTolerationSeconds)', '')
  .option('--log-level <level>', 'trace, debug, info, warn, error', process.env.SKIFF_LOG_LEVEL ?? 'info')
  .parse()
  .opts<{ listen: string; etcd: string; nats: string; metricsListen: string; compactionInterval: string; defaultTolerationSeconds: string; serviceClusterIpRange: string; serviceNodePortRange: string; disableAdmissionPlugins: string; logLevel: string }>();

const logger = createLogger('apiserver', opts.logLevel);
void runUntilSignal(
  (signal) =>
    runApiserver(
      {
        listen: opts.listen,
        etcd: list(opts.etcd),
        nats: list(opts.nats),
        metricsListen: opts.metricsListen,
        compactionIntervalMs: Number(opts.compactionInterval) * 1000,
        defaultTolerationSeconds: Number(opts.defaultTolerationSeconds),
        serviceClusterIpRange: opts.serviceClusterIpRange,
        serviceNodePortRange: opts.serviceNodePortRange,
        disableAdmissionPlugins: list(opts.disableAdmissionPlugins),
        version: { version: packageVersion(__dirname), gitCommit: process.env.SKIFF_BUILD_COMMIT ?? '' },
        logger,
      },
      signal,
    ),
  logger,
);
