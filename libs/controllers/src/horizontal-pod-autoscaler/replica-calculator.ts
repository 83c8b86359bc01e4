/**
 * The autoscaler's replica count for one resource metric (Kubernetes' ReplicaCalculator,
 * GetResourceReplicas and GetRawResourceReplicas), pure: pods from the cache, their usage
 * samples, a target, and the current replica count (the target's spec.replicas) in; a proposed
 * replica count out.
 *
 *   desired = ceil(readyPods * usageRatio)     usageRatio = current usage / target
 *
 * - Within the tolerance (|1 - ratio| <= 0.1 by default) nothing changes.
 * - Pods being deleted or Failed are ignored. Pending pods, and for CPU pods that are not Ready or
 *   still initialising (see groupPods), are "unready": their samples are left out.
 * - Running pods without a sample are "missing".
 * - When there are missing pods, or unready ones and the ratio says scale up, the ratio is
 *   computed again with assumed usage: missing pods use 100% of their request (or the target,
 *   when it is above 100%; the target value itself for AverageValue targets) when the ratio says
 *   scale down, 0 when it says scale up; unready pods use 0 on a scale-up. If that flips the
 *   direction or lands within the tolerance, nothing changes. Then desired = ceil(count * ratio)
 *   over every pod with a (real or assumed) figure, and never against the direction.
 *
 * Units are milli-units (millicores, milli-bytes), as Kubernetes' MilliValue. Percentages and
 * averages truncate as Kubernetes' integer maths does. Failures are results, never throws, with
 * Kubernetes' messages.
 */
import type { Pod } from '@skiff/api';
import { isRestartableInitContainer, parseCpuMillis, parseQuantity } from '@skiff/api';

/** One pod's usage of the resource. */
export interface PodSample {
  /** Milli-units (millicores for cpu, milli-bytes for memory). */
  value: number;
  /** When it was sampled (ms since the epoch). */
  timestamp: number;
  /** The time CPU was averaged over (ms). */
  windowMs: number;
}

/** Samples by pod name (pods of one namespace). */
export type PodSamples = ReadonlyMap<string, PodSample>;

export interface CalculatorOptions {
  /** |1 - ratio| at or below this changes nothing (--horizontal-pod-autoscaler-tolerance). */
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (ms). */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (ms). */
  initialReadinessDelayMs: number;
  /** The time now (ms). */
  now: number;
}

/** A proposal, or why there is none. */
export type CalculationResult =
  | {
      ok: true;
      replicas: number;
      /** Utilization in percent of the requests (Utilization targets only). */
      utilization?: number;
      /** Average usage per pod with a sample, milli-units. */
      averageValue: number;
    }
  | { ok: false; message: string };

/** The pods of an autoscaler sorted as the calculation treats them. */
export interface PodGroups {
  /** Pods whose samples count as they are. */
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

const fail = (message: string): CalculationResult => ({ ok: false, message });

/** True when the ratio is close enough to 1 to leave the replicas alone. */
function withinTolerance(ratio: number, tolerance: number): boolean {
  return Math.abs(1 - ratio) <= tolerance;
}

/**
 * Sorts `pods` as Kubernetes' groupPods: ignored (being deleted, Failed), unready (Pending; for
 * cpu: no Ready condition or start time; within the CPU initialization period after start,
 * not Ready or not sampled for a whole window since Ready changed; after it, unready and turned
 * so within the initial readiness delay of its start, i.e. never ready), missing (no sample),
 * and the rest (ready).
 */
export function groupPods(pods: readonly Readonly<Pod>[], samples: PodSamples, resource: string, options: CalculatorOptions): PodGroups {
  const groups: PodGroups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
      groups.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      groups.unready.add(name);
      continue;
    }
    const sample = samples.get(name);
    if (!sample) {
      groups.missing.add(name);
      continue;
    }
    if (resource === 'cpu' && isUnreadyForCpu(pod, sample, options)) {
      groups.unready.add(name);
      continue;
    }
    groups.readyCount++;
  }
  return groups;
}

/** The CPU readiness rule of groupPods (see there). */
function isUnreadyForCpu(pod: Readonly<Pod>, sample: PodSample, options: CalculatorOptions): boolean {
  const ready = pod.status?.conditions.find((c) => c.type === 'Ready');
  const started = pod.status?.startTime?.getTime();
  if (!ready || started === undefined) return true;
  const transition = ready.lastTransitionTime?.getTime() ?? 0;
  if (started + options.cpuInitializationPeriodMs > options.now) {
    return ready.status === 'False' || sample.timestamp < transition + sample.windowMs;
  }
  return ready.status === 'False' && started + options.initialReadinessDelayMs > transition;
}

/** A quantity of `resource` in milli-units, rounded up (Kubernetes' MilliValue): "250m" cpu -> 250, "1Mi" -> 1048576000. */
export function milliValue(resource: string, quantity: string): number {
  return resource === 'cpu' ? parseCpuMillis(quantity) : Math.ceil(parseQuantity(quantity) * 1000);
}

/**
 * Each pod's request of `resource` (Kubernetes' calculatePodRequests: the sum over its app
 * containers and its native sidecars, the init containers with restartPolicy Always, in
 * milli-units; regular init containers do not count), or the message for the first of those
 * containers without one ("missing request for cpu in container app of Pod web-1").
 */
export function podRequests(pods: readonly Readonly<Pod>[], resource: string): Map<string, number> | { message: string } {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    const sidecars = (pod.spec?.initContainers ?? []).filter(isRestartableInitContainer);
    for (const container of [...(pod.spec?.containers ?? []), ...sidecars]) {
      const request = container.resources?.requests?.[resource];
      if (request === undefined) return { message: `missing request for ${resource} in container ${container.name} of Pod ${pod.metadata?.name ?? ''}` };
      sum += milliValue(resource, request);
    }
    requests.set(pod.metadata?.name ?? '', sum);
  }
  return requests;
}

/**
 * Usage over requests of the pods with both (Kubernetes' GetResourceUtilizationRatio): the
 * utilization in whole percent (truncated), its ratio to the target, and the average usage.
 */
export function utilizationRatio(
  samples: ReadonlyMap<string, number>,
  requests: ReadonlyMap<string, number>,
  targetUtilization: number,
): { ratio: number; utilization: number; averageValue: number } | { message: string } {
  let usage = 0;
  let requested = 0;
  let entries = 0;
  for (const [name, value] of samples) {
    const request = requests.get(name);
    if (request === undefined) continue;
    usage += value;
    requested += request;
    entries++;
  }
  if (requested === 0) return { message: 'no metrics returned matched known pods' };
  const utilization = Math.trunc((usage * 100) / requested);
  return { ratio: utilization / targetUtilization, utilization, averageValue: Math.trunc(usage / entries) };
}

/** Average usage and its ratio to the target (Kubernetes' GetMetricUsageRatio). */
function usageRatio(samples: ReadonlyMap<string, number>, target: number): { ratio: number; averageValue: number } {
  let total = 0;
  for (const value of samples.values()) total += value;
  const averageValue = Math.trunc(total / samples.size);
  return { ratio: averageValue / target, averageValue };
}

/** The values of the samples of pods that are neither ignored nor unready. */
function countedValues(samples: PodSamples, groups: PodGroups): Map<string, number> {
  const values = new Map<string, number>();
  for (const [name, sample] of samples) if (!groups.ignored.has(name) && !groups.unready.has(name)) values.set(name, sample.value);
  return values;
}

/**
 * The second pass shared by both target kinds: fills in assumed usage, recomputes the ratio and
 * turns it into replicas, keeping `current` when the assumptions flip or cancel the change.
 */
function rebalance(
  current: number,
  ratio: number,
  values: Map<string, number>,
  groups: PodGroups,
  assumedForMissingOnScaleDown: (pod: string) => number,
  recompute: (values: ReadonlyMap<string, number>) => number | { message: string },
  tolerance: number,
): number | { message: string } {
  if (groups.missing.size > 0) {
    if (ratio < 1) for (const pod of groups.missing) values.set(pod, assumedForMissingOnScaleDown(pod));
    else if (ratio > 1) for (const pod of groups.missing) values.set(pod, 0);
  }
  if (groups.unready.size > 0 && ratio > 1) for (const pod of groups.unready) values.set(pod, 0);
  const newRatio = recompute(values);
  if (typeof newRatio !== 'number') return newRatio;
  if (withinTolerance(newRatio, tolerance) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return current;
  const replicas = Math.ceil(newRatio * values.size);
  if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) return current;
  return replicas;
}

/** Common checks: there are pods, and samples of counted pods. */
function precheck(pods: readonly Readonly<Pod>[], samples: PodSamples, resource: string, options: CalculatorOptions): { groups: PodGroups; values: Map<string, number> } | { message: string } {
  if (pods.length === 0) return { message: 'no pods returned by selector while calculating replica count' };
  const groups = groupPods(pods, samples, resource, options);
  const values = countedValues(samples, groups);
  if (values.size === 0) return { message: 'did not receive metrics for targeted pods (pods might be unready)' };
  return { groups, values };
}

/**
 * Replicas for a Utilization target (percent of the pods' requests). `pods` are the pods the
 * target's selector matches; `current` is its spec.replicas. Fails when a counted container has
 * no request for the resource, or nothing usable was sampled.
 */
export function resourceReplicas(
  current: number,
  targetUtilization: number,
  resource: string,
  pods: readonly Readonly<Pod>[],
  samples: PodSamples,
  options: CalculatorOptions,
): CalculationResult {
  const checked = precheck(pods, samples, resource, options);
  if ('message' in checked) return fail(checked.message);
  const { groups, values } = checked;
  const requests = podRequests(pods, resource);
  if ('message' in requests) return fail(requests.message);
  const first = utilizationRatio(values, requests, targetUtilization);
  if ('message' in first) return fail(first.message);
  const { ratio, utilization, averageValue } = first;
  const result = (replicas: number): CalculationResult => ({ ok: true, replicas, utilization, averageValue });

  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    return result(withinTolerance(ratio, options.tolerance) ? current : Math.ceil(ratio * groups.readyCount));
  }
  const fallbackPercent = Math.max(100, targetUtilization);
  const replicas = rebalance(
    current,
    ratio,
    values,
    groups,
    (pod) => Math.trunc(((requests.get(pod) ?? 0) * fallbackPercent) / 100),
    (v) => {
      const again = utilizationRatio(v, requests, targetUtilization);
      return 'message' in again ? again : again.ratio;
    },
    options.tolerance,
  );
  return typeof replicas === 'number' ? result(replicas) : fail(replicas.message);
}

/**
 * Replicas for an AverageValue target (`targetAverage` milli-units per pod): requests play no
 * part; missing pods are assumed at the target on a scale-down.
 */
export function rawResourceReplicas(
  current: number,
  targetAverage: number,
  resource: string,
  pods: readonly Readonly<Pod>[],
  samples: PodSamples,
  options: CalculatorOptions,
): CalculationResult {
  const checked = precheck(pods, samples, resource, options);
  if ('message' in checked) return fail(checked.message);
  const { groups, values } = checked;
  const { ratio, averageValue } = usageRatio(values, targetAverage);
  const result = (replicas: number): CalculationResult => ({ ok: true, replicas, averageValue });

  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    return result(withinTolerance(ratio, options.tolerance) ? current : Math.ceil(ratio * groups.readyCount));
  }
  const replicas = rebalance(current, ratio, values, groups, () => targetAverage, (v) => usageRatio(v, targetAverage).ratio, options.tolerance);
  return typeof replicas === 'number' ? result(replicas) : fail(replicas.message);
}
