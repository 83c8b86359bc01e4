/**
 * The autoscaler's proposal over all its metrics (Kubernetes' computeReplicasForMetrics for
 * Resource metrics), pure: each metric gives a replica count (replica-calculator.ts) and a
 * MetricStatus; the largest count wins. A metric that cannot be computed leaves an empty status
 * in its place (as Kubernetes does: `kubectl get hpa` shows <unknown>), a Warning Event and the
 * condition ScalingActive=False that applies when every metric failed, or when some failed and
 * the others would scale down (scaling down on partial information is not safe).
 */
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus, Pod } from '@skiff/api';
import type { PodResourceUsage } from '@skiff/client';
import type { ConditionChange } from './hpa-conditions';
import { formatMilliQuantity } from './milli-quantity';
import { milliValue, rawResourceReplicas, resourceReplicas, type CalculatorOptions, type PodSample } from './replica-calculator';

/** The pods' usage as read from the metrics API, or why it could not be read. */
export type MetricsRead = { ok: true; usage: ReadonlyMap<string, PodResourceUsage> } | { ok: false; message: string };

/** An Event the sync asks for. */
export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface MetricsProposal {
  /** The largest proposal of the metrics that worked; -1 when the sync must not scale on them. */
  replicas: number;
  /** Names the metric that proposed `replicas` ("cpu resource utilization (percentage of request)"). */
  metricName: string;
  /** One status per metric spec, in order (empty for a metric that failed). */
  statuses: MetricStatus[];
  /** The ScalingActive condition to set. */
  condition: ConditionChange;
  events: PlannedEvent[];
  /** Set when some metric failed: "invalid metrics (1 invalid out of 2), first error is: ...". */
  error?: string;
}

/** A Warning Event and the ScalingActive=False condition for a metric that failed (getUnableComputeReplicaCountCondition). */
function unableToCompute(reason: string, message: string): { event: PlannedEvent; condition: ConditionChange } {
  return {
    event: { type: 'Warning', reason, message },
    condition: { type: 'ScalingActive', status: 'False', reason, message: `the HPA was unable to compute the replica count: ${message}` },
  };
}

/** The samples of one resource in the units of replica-calculator (millicores, milli-bytes). */
export function samplesOf(usage: ReadonlyMap<string, PodResourceUsage>, resource: string): Map<string, PodSample> {
  const samples = new Map<string, PodSample>();
  for (const [pod, u] of usage) {
    const value = resource === 'cpu' ? u.cpuMillis : Math.round(u.memoryBytes * 1000);
    samples.set(pod, { value, timestamp: u.timestamp.getTime(), windowMs: u.windowMs });
  }
  return samples;
}

/** An empty MetricStatus: the place of a metric that could not be computed. */
const unknownStatus = (): MetricStatus => ({ type: '', resource: undefined });

type MetricResult =
  | { ok: true; replicas: number; metricName: string; status: MetricStatus }
  | { ok: false; error: string; event: PlannedEvent; condition: ConditionChange };

/** One Resource metric (computeStatusForResourceMetric). */
function resourceMetric(spec: Readonly<MetricSpec>, current: number, pods: readonly Readonly<Pod>[], metrics: MetricsRead, options: CalculatorOptions): MetricResult {
  if (spec.type !== 'Resource' || !spec.resource) {
    const message = `unknown metric source type "${spec.type}"`;
    return { ok: false, error: message, ...unableToCompute('InvalidMetricSourceType', message) };
  }
  const { name, target } = spec.resource;
  const failed = (message: string): MetricResult => ({ ok: false, error: `failed to get ${name} resource metric value: ${message}`, ...unableToCompute('FailedGetResourceMetric', message) });
  const samples = () => {
    if (!metrics.ok) return { message: `unable to get metrics for resource ${name}: ${metrics.message}` };
    return samplesOf(metrics.usage, name);
  };

  if (target?.averageValue) {
    const read = samples();
    if ('message' in read) return failed(`failed to get ${name} usage: ${read.message}`);
    const result = rawResourceReplicas(current, milliValue(name, target.averageValue), name, pods, read, options);
    if (!result.ok) return failed(`failed to get ${name} usage: ${result.message}`);
    return {
      ok: true,
      replicas: result.replicas,
      metricName: `${name} resource`,
      status: { type: 'Resource', resource: { name, current: { value: '', averageValue: formatMilliQuantity(result.averageValue), averageUtilization: undefined } } },
    };
  }
  if (target?.averageUtilization === undefined) {
    return failed('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
  }
  const read = samples();
  if ('message' in read) return failed(`failed to get ${name} utilization: ${read.message}`);
  const result = resourceReplicas(current, target.averageUtilization, name, pods, read, options);
  if (!result.ok) return failed(`failed to get ${name} utilization: ${result.message}`);
  return {
    ok: true,
    replicas: result.replicas,
    metricName: `${name} resource utilization (percentage of request)`,
    status: { type: 'Resource', resource: { name, current: { value: '', averageValue: formatMilliQuantity(result.averageValue), averageUtilization: result.utilization } } },
  };
}

/**
 * Every metric of `hpa` against `pods` (the pods its target selects) and `metrics`, with
 * `current` = the target's spec.replicas. See the module comment for when `replicas` is -1.
 */
export function proposeFromMetrics(
  hpa: Readonly<HorizontalPodAutoscaler>,
  current: number,
  pods: readonly Readonly<Pod>[],
  metrics: MetricsRead,
  options: CalculatorOptions,
): MetricsProposal {
  const specs = hpa.spec?.metrics ?? [];
  const statuses: MetricStatus[] = [];
  const events: PlannedEvent[] = [];
  let replicas = 0;
  let metricName = '';
  let invalid = 0;
  let firstFailure: Extract<MetricResult, { ok: false }> | undefined;
  for (const spec of specs) {
    const result = resourceMetric(spec, current, pods, metrics, options);
    if (!result.ok) {
      statuses.push(unknownStatus());
      events.push(result.event);
      firstFailure ??= result;
      invalid++;
      continue;
    }
    statuses.push(result.status);
    if (replicas === 0 || result.replicas > replicas) {
      replicas = result.replicas;
      metricName = result.metricName;
    }
  }
  const error = firstFailure && `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstFailure.error}`;
  if (specs.length === 0) {
    const message = 'the HPA has no metrics to compute a replica count from';
    return { replicas: -1, metricName: '', statuses, events, condition: { type: 'ScalingActive', status: 'False', reason: 'InvalidMetricSourceType', message }, error: message };
  }
  if (firstFailure && (invalid >= specs.length || replicas < current)) {
    return { replicas: -1, metricName: '', statuses, events, condition: firstFailure.condition, error };
  }
  return {
    replicas,
    metricName,
    statuses,
    events,
    condition: { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${metricName}` },
    error,
  };
}
