// The scheduler: parses flags, then runs libs/scheduler until SIGTERM/SIGINT.
import { Command } from 'commander';
import { runScheduler } from '@skiff/scheduler';
import { createLogger, runUntilSignal } from '@skiff/service';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);
const opts = new Command('scheduler')
  .description('Skiff scheduler: assigns pending pods to nodes')
  .option('--server <host:port>', 'apiserver gRPC address', '127.0.0.1:6443')
  .option('--nats <urls>', 'NATS server URLs, comma separated', 'nats://127.0.0.1:4222')
  .option('--metrics-listen <host:port>', 'Prometheus /metrics and /healthz address', '127.0.0.1:10251')
  .option('--log-level <level>', 'trace, debug, info, warn, error', process.env.SKIFF_LOG_LEVEL ?? 'info')
  .parse()
  .opts<{ server: string; nats: string; metricsListen: string; logLevel: string }>();

const logger = createLogger('scheduler', opts.logLevel);
void runUntilSignal((signal) => runScheduler({ server: opts.server, nats: list(opts.nats), metricsListen: opts.metricsListen, logger }, signal), logger);
