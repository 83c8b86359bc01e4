// The controller-manager: parses flags, then runs libs/controllers until SIGTERM/SIGINT.
import { Command } from 'commander';
import { runControllerManager } from '@skiff/controllers';
import { createLogger, runUntilSignal } from '@skiff/service';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);
const seconds = (value: string) => Math.round(Number(value) * 1000);
const opts = new Command('controller-manager')
  .description('Skiff controller-manager: ReplicaSets, Deployments, garbage collection, node lifecycle, namespaces')
  .option('--server <host:port>', 'apiserver gRPC address', '127.0.0.1:6443')
  .option('--nats <urls>', 'NATS server URLs, comma separated', 'nats://127.0.0.1:4222')
  .option('--metrics-listen <host:port>', 'Prometheus /metrics and /healthz address', '127.0.0.1:10257')
  .option('--controllers <names>', "controllers to run: '*' for all, '-name' to leave one out", '*')
  .option('--leader-elect <bool>', 'campaign for the skiff-system/controller-manager Lease before running', 'true')
  .option('--leader-elect-identity <id>', 'this replica in the Lease (default: hostname_random)')
  .option('--leader-elect-lease-duration <s>', 'lease duration (seconds)', '15')
  .option('--leader-elect-renew-deadline <s>', 'renew deadline (seconds)', '10')
  .option('--leader-elect-retry-period <s>', 'retry period (seconds)', '2')
  .option('--node-monitor-grace-period <s>', 'a node whose Lease is older than this is Unknown (seconds)', '40')
  .option('--concurrent-syncs <n>', 'workers per controller', '5')
  .option('--log-level <level>', 'trace, debug, info, warn, error', process.env.SKIFF_LOG_LEVEL ?? 'info')
  .parse()
  .opts<Record<string, string>>();

const logger = createLogger('controller-manager', opts.logLevel);
void runUntilSignal(
  (signal) =>
    runControllerManager(
      {
        server: opts.server,
        nats: list(opts.nats),
        metricsListen: opts.metricsListen,
        logger,
        controllers: list(opts.controllers),
        leaderElection:
          opts.leaderElect === 'false'
            ? false
            : { identity: opts.leaderElectIdentity, leaseDurationMs: seconds(opts.leaderElectLeaseDuration), renewDeadlineMs: seconds(opts.leaderElectRenewDeadline), retryPeriodMs: seconds(opts.leaderElectRetryPeriod) },
        tuning: {
          nodeMonitorGracePeriodMs: seconds(opts.nodeMonitorGracePeriod),
          workers: Number(opts.concurrentSyncs),
        },
      },
      signal,
    ),
  logger,
);
