// The controller-manager: parses flags, then runs libs/controllers until SIGTERM/SIGINT.
import { Command } from 'commander';
import { runControllerManager } from '@skiff/controllers';
import { createLogger, runUntilSignal } from '@skiff/service';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);
const seconds = (value: string) => Math.round(Number(value) * 1000);
const command = new Command('controller-manager')
  .description('Skiff controller-manager: ReplicaSets, Deployments, garbage collection, node lifecycle, namespaces, endpoints, horizontal pod autoscaling')
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
  .option('--horizontal-pod-autoscaler-sync-period <s>', 'how often each HPA reads metrics and decides (seconds)', '15')
  .option('--horizontal-pod-autoscaler-downscale-stabilization <s>', 'an HPA without its own scale-down window scales down to the highest recommendation of this window (seconds)', '300')
  .option('--horizontal-pod-autoscaler-tolerance <ratio>', 'usage ratios within this of 1.0 change nothing', '0.1')
  .option('--horizontal-pod-autoscaler-cpu-initialization-period <s>', 'after a pod starts, its CPU counts only once Ready and sampled since (seconds)', '300')
  .option('--horizontal-pod-autoscaler-initial-readiness-delay <s>', 'a pod unready within this of its start has never been ready (seconds)', '30')
  .option('--concurrent-syncs <n>', 'workers per controller', '5')
  .option('--log-level <level>', 'trace, debug, info, warn, error', process.env.SKIFF_LOG_LEVEL ?? 'info');
const opts = command.parse().opts<Record<string, string>>();

/** The flag's value as a number >= `min` (exclusive when `above`); exits with an error naming the flag otherwise. */
const number = (flag: string, value: string, min: number, above = false): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || (above && n === min)) command.error(`error: invalid --${flag} "${value}": must be a number ${above ? '>' : '>='} ${min}`);
  return n;
};
/** A --horizontal-pod-autoscaler-* period in seconds, as ms. */
const hpaMs = (flag: string, value: string, above = false) => Math.round(number(`horizontal-pod-autoscaler-${flag}`, value, 0, above) * 1000);

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
          hpaSyncPeriodMs: hpaMs('sync-period', opts.horizontalPodAutoscalerSyncPeriod, true),
          hpaDownscaleStabilizationMs: hpaMs('downscale-stabilization', opts.horizontalPodAutoscalerDownscaleStabilization),
          hpaTolerance: number('horizontal-pod-autoscaler-tolerance', opts.horizontalPodAutoscalerTolerance, 0),
          hpaCpuInitializationPeriodMs: hpaMs('cpu-initialization-period', opts.horizontalPodAutoscalerCpuInitializationPeriod),
          hpaInitialReadinessDelayMs: hpaMs('initial-readiness-delay', opts.horizontalPodAutoscalerInitialReadinessDelay),
        },
      },
      signal,
    ),
  logger,
);
