/**
 * The scheduler as one function: `await runScheduler(config, signal)` connects to the apiserver
 * and NATS, serves /metrics and /healthz, and schedules while it holds the
 * `skiff-system/scheduler` Lease (or always, without leader election) until signal aborts, then
 * stops everything it started and resolves. Losing the Lease stops scheduling (its caches and
 * assumptions are dropped) and it campaigns again; a new term starts from a fresh List.
 */
import { runLeading, type LeaderElectionConfig } from '@skiff/client';
import { runComponent } from '@skiff/reconcile';
import type { Logger } from '@skiff/service';
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
  /** Leader election (Lease skiff-system/scheduler by default); false schedules at once (one replica). */
  leaderElection?: LeaderElectionConfig | false;
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
  let scheduler: Scheduler | undefined;
  // A standby (not leading) is healthy; a leader is healthy while its loop runs.
  const healthy = () => scheduler?.healthy ?? true;
  await runComponent({ ...config, name: 'scheduler', healthy }, signal, ({ client, bus, registry }) =>
    runLeading(client, config.leaderElection, 'scheduler', logger, signal, async (leaderSignal) => {
      // One term of leadership: a fresh Scheduler (caches, queue) until leaderSignal aborts.
      scheduler = new Scheduler({ ...config.scheduler, client, bus, logger, registry });
      try {
        await scheduler.start(leaderSignal);
      } finally {
        scheduler = undefined;
      }
    }),
  );
}
