/**
 * The controller runtime's Prometheus metrics (controller-runtime's names, Skiff's prefix),
 * registered once per registry however many controllers share it.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Controller } from './controller';

export interface ControllerMetrics {
  /** Counts one reconcile of `controller` with its result and duration. */
  observe(controller: string, result: 'success' | 'error' | 'terminal', ms: number): void;
  /** Reports the controller's queue depth at scrape time. */
  track(controller: Controller): void;
}

const byRegistry = new WeakMap<Registry, ControllerMetrics>();

export function controllerMetrics(registry: Registry): ControllerMetrics {
  const known = byRegistry.get(registry);
  if (known) return known;
  const registers = [registry];
  const controllers = new Set<Controller>();
  const total = new Counter({ name: 'skiff_controller_reconcile_total', help: 'Reconciles by controller and result.', labelNames: ['controller', 'result'], registers });
  const seconds = new Histogram({
    name: 'skiff_controller_reconcile_time_seconds',
    help: 'Time per reconcile.',
    labelNames: ['controller'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers,
  });
  new Gauge({
    name: 'skiff_workqueue_depth',
    help: 'Keys waiting in a controller queue.',
    labelNames: ['name'],
    registers,
    collect() {
      for (const c of controllers) this.set({ name: c.name }, c.queue.length);
    },
  });
  const metrics: ControllerMetrics = {
    observe(controller, result, ms) {
      total.inc({ controller, result });
      seconds.observe({ controller }, ms / 1000);
    },
    track(controller) {
      controllers.add(controller);
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
