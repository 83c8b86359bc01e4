// The scheduler: parses flags, then runs libs/scheduler until SIGTERM/SIGINT.
import { Command } from 'commander';
import { runScheduler } from '@skiff/scheduler';
import { createLogger, runUntilSignal } from '@skiff/service';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);
const seconds = (value: string) => Math.round(Number(value) * 1000);
const opts = new Command('scheduler')
  .description('Skiff scheduler: assigns pending pods to nodes')
  .option('--server <host:port>', 'apiserver gRPC address', '127.0.0.1:6443')
  .option('--nats <urls>', 'NATS server URLs, comma separated', 'nats://127.0.0.1:4222')
  .option('--metrics-listen <host:port>', 'Prometheus /metrics and /healthz address', '127.0.0.1:10251')
  .option('--leader-elect <bool>', 'campaign for the skiff-system/scheduler Lease before scheduling', 'true')
  .option('--leader-elect-identity <id>', 'this replica in the Lease (default: hostname_random)')
  .option('--leader-elect-lease-duration <s>', 'lease duration (seconds)', '15')
  .option('--leader-elect-renew-deadline <s>', 'renew deadline (seconds)', '10')
  .option('--leader-elect-retry-period <s>', 'retry period (seconds)', '2')
  .option('--log-level <level>', 'trace, debug, info, warn, error', process.env.SKIFF_LOG_LEVEL ?? 'info')
  .parse()
  .opts<Record<string, string>>();

const logger = createLogger('scheduler', opts.logLevel);
void runUntilSignal(
  (signal) =>
    runScheduler(
      {
        server: opts.server,
        nats: list(opts.nats),
        metricsListen: opts.metricsListen,
        logger,
        leaderElection:
          opts.leaderElect === 'false'
            ? false
            : {
                identity: opts.leaderElectIdentity,
                leaseDurationMs: seconds(opts.leaderElectLeaseDuration),
                renewDeadlineMs: seconds(opts.leaderElectRenewDeadline),
                retryPeriodMs: seconds(opts.leaderElectRetryPeriod),
              },
      },
      signal,
    ),
  logger,
);
