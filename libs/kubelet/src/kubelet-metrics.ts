/**
 * The kubelet's Prometheus metrics, under Kubernetes' names (pkg/kubelet/metrics) so that
 * dashboards carry over:
 *
 *   kubelet_running_pods                          pods with a ready sandbox (read from the runtime at scrape)
 *   kubelet_running_containers{container_state}   app containers by state (read from the runtime at scrape)
 *   kubelet_pod_start_duration_seconds            first sight of a pod -> its status first says Running
 *   kubelet_runtime_operations_total{operation_type}
 *   kubelet_runtime_operations_errors_total{operation_type}
 *   kubelet_runtime_operations_duration_seconds{operation_type}   (instrumented-runtime.ts)
 *   prober_probe_total{probe_type, result}        probes run (prober-manager.ts): Liveness/Readiness/Startup,
 *                                                 successful/failed/unknown (unknown: the probe could not run)
 */
import type { ContainerRuntime, ContainerStateName } from '@skiff/runtime';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The metrics the kubelet's parts update as they work. */
export interface KubeletMetrics {
  /** Seconds from the kubelet first seeing a pod to the pod being reported Running. */
  podStartSeconds: Histogram<string>;
  /** Runtime calls by operation_type (run_podsandbox, pull_image, ...). */
  runtimeOperations: Counter<'operation_type'>;
  /** Runtime calls that failed, by operation_type (not counting calls the kubelet aborted). */
  runtimeOperationErrors: Counter<'operation_type'>;
  runtimeOperationSeconds: Histogram<'operation_type'>;
  /** Probes run, by probe_type (Liveness, Readiness, Startup) and result (successful, failed, unknown). */
  probeTotal: Counter<'probe_type' | 'result'>;
}

const CONTAINER_STATES: readonly ContainerStateName[] = ['created', 'running', 'exited', 'unknown'];

/**
 * Registers the kubelet metrics in `registry`. The running pods and containers gauges list
 * `runtime` when scraped (bounded by 5 s); when that fails they keep their last values and the
 * failure is logged.
 */
export function createKubeletMetrics(registry: Registry, runtime: ContainerRuntime, log: Logger): KubeletMetrics {
  const registers = [registry];
  const scrapeFailed = (err: unknown) => log.warn({ err }, 'listing the runtime for metrics failed');
  new Gauge({
    name: 'kubelet_running_pods',
    help: 'Number of pods that have a running pod sandbox',
    registers,
    async collect() {
      const sandboxes = await runtime.listPodSandboxes({}, AbortSignal.timeout(5_000)).catch(scrapeFailed);
      if (sandboxes) this.set(new Set(sandboxes.filter((s) => s.state === 'ready').map((s) => s.pod.uid)).size);
    },
  });
  new Gauge({
    name: 'kubelet_running_containers',
    help: 'Number of containers currently running',
    labelNames: ['container_state'],
    registers,
    async collect() {
      const containers = await runtime.listContainers({}, AbortSignal.timeout(5_000)).catch(scrapeFailed);
      if (!containers) return;
      for (const state of CONTAINER_STATES) this.set({ container_state: state }, containers.filter((c) => c.state === state).length);
    },
  });
  return {
    podStartSeconds: new Histogram({
      name: 'kubelet_pod_start_duration_seconds',
      help: 'Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run',
      buckets: [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600],
      registers,
    }),
    runtimeOperations: new Counter({ name: 'kubelet_runtime_operations_total', help: 'Cumulative number of runtime operations by operation type.', labelNames: ['operation_type'], registers }),
    runtimeOperationErrors: new Counter({
      name: 'kubelet_runtime_operations_errors_total',
      help: 'Cumulative number of runtime operation errors by operation type.',
      labelNames: ['operation_type'],
      registers,
    }),
    runtimeOperationSeconds: new Histogram({
      name: 'kubelet_runtime_operations_duration_seconds',
      help: 'Duration in seconds of runtime operations. Broken down by operation type.',
      labelNames: ['operation_type'],
      buckets: [0.005, 0.0125, 0.03125, 0.078125, 0.1953125, 0.48828125, 1.220703125, 3.0517578125, 7.62939453125, 19.073486328125, 47.6837158203125, 119.20928955078125, 298.0232238769531, 745.0580596923828],
      registers,
    }),
    probeTotal: new Counter({
      name: 'prober_probe_total',
      help: 'Cumulative number of a liveness, readiness or startup probe for a container by result.',
      labelNames: ['probe_type', 'result'],
      registers,
    }),
  };
}
