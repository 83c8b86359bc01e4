import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SchedulingQueue } from './scheduling-queue';

/** The scheduler's Prometheus metrics (kube-scheduler's names, with Skiff's prefix). */
export interface SchedulerMetrics {
  /** Scheduling attempts by result: scheduled, unschedulable, error. */
  attempts: Counter<'result'>;
  /** Seconds from taking a pod off the queue to its outcome (for scheduled: the bind's answer). */
  attemptSeconds: Histogram<'result'>;
  /** Seconds of the pure decision (filter + score). */
  algorithmSeconds: Histogram<string>;
  /** Bind calls by result: ok, conflict, error. */
  binds: Counter<'result'>;
}

const byRegistry = new WeakMap<Registry, { metrics: SchedulerMetrics; source: { queue: SchedulingQueue } }>();

/**
 * Registers the scheduler metrics in `registry`; pending pods are read from `queue` at scrape.
 * Called again with the same registry (a new term of leadership, a new Scheduler) it returns the
 * same metrics, now reading the new queue.
 */
export function createSchedulerMetrics(registry: Registry, queue: SchedulingQueue): SchedulerMetrics {
  const known = byRegistry.get(registry);
  if (known) {
    known.source.queue = queue;
    return known.metrics;
  }
  const source = { queue };
  const registers = [registry];
  new Gauge({
    name: 'skiff_scheduler_pending_pods',
    help: 'Pods waiting in the scheduling queue, by sub-queue (active, backoff, unschedulable).',
    labelNames: ['queue'],
    registers,
    collect() {
      for (const [name, n] of Object.entries(source.queue.counts())) this.set({ queue: name }, n);
    },
  });
  const metrics: SchedulerMetrics = {
    attempts: new Counter({ name: 'skiff_scheduler_schedule_attempts_total', help: 'Scheduling attempts by result.', labelNames: ['result'], registers }),
    attemptSeconds: new Histogram({
      name: 'skiff_scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency by result (scheduled: until the bind returned).',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    algorithmSeconds: new Histogram({
      name: 'skiff_scheduler_scheduling_algorithm_duration_seconds',
      help: 'Time spent filtering and scoring nodes for one pod.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    binds: new Counter({ name: 'skiff_scheduler_binds_total', help: 'Bind calls by result (ok, conflict, error).', labelNames: ['result'], registers }),
  };
  byRegistry.set(registry, { metrics, source });
  return metrics;
}
