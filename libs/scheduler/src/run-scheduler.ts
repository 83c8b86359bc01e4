/**
 * The scheduler as one function: `await runScheduler(config, signal)` connects to the apiserver
 * and NATS, serves /metrics and /healthz, schedules until signal aborts, then stops everything
 * it started and resolves.
 */
import { connectBus } from '@skiff/bus';
import { connect } from '@skiff/client';
import { createMetricsRegistry, startMetricsServer, type Logger } from '@skiff/service';
import { Scheduler, type SchedulerOptions } from './scheduler';

export interface SchedulerConfig {
  /** apiserver gRPC address, "127.0.0.1:6443". */
  server: string;
  /** NATS server URLs. */
  nats: string[];
  /** Prometheus /metrics and /healthz address, "127.0.0.1:10251" (port 0: any free port). */
  metricsListen: string;
  logger: Logger;
  /** Tuning passed to the Scheduler (queue backoff, binds in flight, ...). */
  scheduler?: Omit<SchedulerOptions, 'client' | 'bus' | 'logger' | 'registry'>;
  /** Called once serving, with the bound metrics address. */
  onListening?: (addresses: { metrics: string }) => void;
}

/**
 * Runs the scheduler until `signal` aborts. Waits for NATS as long as it takes (abortable); the
 * apiserver may come and go (the informers relist). Rejects only when it cannot start (the
 * metrics address is taken).
 */
export async function runScheduler(config: SchedulerConfig, signal: AbortSignal): Promise<void> {
  const { logger } = config;
  const registry = createMetricsRegistry('scheduler');
  const client = connect(config.server);
  let scheduler: Scheduler | undefined;
  const metricsServer = await startMetricsServer({ address: config.metricsListen, registry, logger, healthy: () => scheduler?.healthy ?? true }).catch((err) => {
    client.close();
    throw err;
  });
  try {
    config.onListening?.({ metrics: metricsServer.address });
    let bus;
    try {
      bus = await connectBus(config.nats, { name: 'scheduler', signal });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    try {
      scheduler = new Scheduler({ ...config.scheduler, client, bus, logger, registry });
      logger.info({ server: config.server, metrics: metricsServer.address }, 'scheduler starting');
      await scheduler.start(signal);
    } finally {
      await bus.close().catch(() => undefined);
    }
  } finally {
    await metricsServer.close();
    client.close();
  }
}
