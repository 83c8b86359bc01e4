/**
 * One sync of an autoscaler, the decision half (Kubernetes' reconcileAutoscaler): what it reads in
 * (the target's scale, the pods, their metrics, its history) and what it should do (rescale or
 * not, the new status, Events, the new history). Pure apart from the metrics read it is handed,
 * which it calls only when the replicas are within [min, max] and the selector is usable.
 *
 *   scale unreadable ───────────────> AbleToScale=False FailedGetScale, nothing else changes
 *   spec.replicas 0 (min > 0) ──────> ScalingActive=False ScalingDisabled, no rescale
 *   spec.replicas > max / < min ────> rescale to max / min, metrics not read
 *   otherwise: selector check, metrics (metric-replicas) ─ failed ─> status + FailedComputeMetricsReplicas
 *              └─ proposal ─> stabilize + limit (scaling-behavior) ─> rescale when it differs
 *
 * completeSync then folds the outcome of the write in: SuccessfulRescale (AbleToScale=True
 * SucceededRescale, lastScaleTime, a scale event in the history) or FailedRescale
 * (AbleToScale=False FailedUpdateScale, desiredReplicas left as it was).
 */
import type { Condition, HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus, MetricStatus, Pod } from '@skiff/api';
import { setCondition, type ConditionChange } from './hpa-conditions';
import { proposeFromMetrics, type MetricsRead, type PlannedEvent } from './metric-replicas';
import {
  effectiveBehavior,
  normalizeLegacy,
  normalizeWithBehavior,
  recordScale,
  withInitialRecommendation,
  type EffectiveBehavior,
  type ScalingHistory,
} from './scaling-behavior';

/** The flags of Kubernetes' HPA controller that shape decisions. */
export interface AutoscalerConfig {
  tolerance: number;
  cpuInitializationPeriodMs: number;
  initialReadinessDelayMs: number;
  downscaleStabilizationMs: number;
}

/** The target's scale (Kubernetes' scale subresource): spec.replicas and the pod selector as text. */
export type ScaleRead = { ok: true; specReplicas: number; selector: string } | { ok: false; message: string };

/** Why the target's selector cannot be used (see selectorProblem). */
export interface SelectorProblem {
  eventReason: string;
  conditionReason: string;
  conditionMessage: string;
  error: string;
}

export interface SyncInput {
  hpa: Readonly<HorizontalPodAutoscaler>;
  scale: ScaleRead;
  /** Set when the scale's selector cannot be used; `pods` are then ignored. */
  selectorProblem?: SelectorProblem;
  /** The pods the scale's selector matches (from the cache), in any state. */
  pods: readonly Readonly<Pod>[];
  /** What the autoscaler remembers from earlier syncs; undefined on its first. */
  history: ScalingHistory | undefined;
  config: AutoscalerConfig;
  now: number;
}

/** The decision of a sync, before the rescale (if any) is written. */
export interface SyncPlan {
  /** Set when the target's spec.replicas should be written. */
  rescale?: { from: number; to: number; reason: string };
  /** The status after the sync when no rescale is needed or the rescale succeeded (see completeSync). */
  status: HorizontalPodAutoscalerStatus;
  /** desiredReplicas to report should the rescale fail (the previous one). */
  previousDesiredReplicas: number;
  events: PlannedEvent[];
  history: ScalingHistory | undefined;
  behavior: EffectiveBehavior | undefined;
  /** What went wrong, for the log (the sync still completes). */
  error?: string;
}

const EMPTY_STATUS: HorizontalPodAutoscalerStatus = { observedGeneration: 0, lastScaleTime: undefined, currentReplicas: 0, desiredReplicas: 0, currentMetrics: [], conditions: [] };

/**
 * The problem with a target's selector, if any (Kubernetes' validateAndParseSelector): none
 * (SelectorRequired), unparsable (InvalidSelector), or shared with other autoscalers: when the
 * pods it selects are selected by more than one autoscaler (`selectingHpas`, "ns/name" keys,
 * this one included), neither may act (AmbiguousSelector).
 */
export function selectorProblem(selector: string, parseError: string | undefined, selectingHpas: readonly string[]): SelectorProblem | undefined {
  if (!selector) {
    return { eventReason: 'SelectorRequired', conditionReason: 'InvalidSelector', conditionMessage: "the HPA target's scale is missing a selector", error: 'selector is required' };
  }
  if (parseError !== undefined) {
    const message = `couldn't convert selector into a corresponding internal selector object: ${parseError}`;
    return { eventReason: 'InvalidSelector', conditionReason: 'InvalidSelector', conditionMessage: message, error: message };
  }
  if (selectingHpas.length > 1) {
    const message = `pods by selector ${selector} are controlled by multiple HPAs: [${[...selectingHpas].sort().join(' ')}]`;
    return { eventReason: 'AmbiguousSelector', conditionReason: 'AmbiguousSelector', conditionMessage: message, error: message };
  }
  return undefined;
}

/** "Deployment/web", as Kubernetes names the target in messages. */
function reference(hpa: Readonly<HorizontalPodAutoscaler>): string {
  return `${hpa.spec?.scaleTargetRef?.kind ?? ''}/${hpa.spec?.scaleTargetRef?.name ?? ''}`;
}

/**
 * Decides one sync (see the module comment). `readMetrics` is called at most once; its failures
 * are part of its result, never thrown.
 */
export async function planSync(input: SyncInput, readMetrics: () => Promise<MetricsRead>): Promise<SyncPlan> {
  const { hpa, now, config } = input;
  const at = new Date(now);
  const original = hpa.status ?? EMPTY_STATUS;
  const events: PlannedEvent[] = [];
  let conditions: Condition[] = original.conditions ?? [];
  const set = (change: ConditionChange) => (conditions = setCondition(conditions, change, at));
  const behavior = effectiveBehavior(hpa.spec?.behavior, config.downscaleStabilizationMs);
  const status = (currentReplicas: number, desiredReplicas: number, currentMetrics: MetricStatus[]): HorizontalPodAutoscalerStatus => ({
    observedGeneration: hpa.metadata?.generation ?? 0,
    lastScaleTime: original.lastScaleTime,
    currentReplicas,
    desiredReplicas,
    currentMetrics,
    conditions,
  });

  if (!input.scale.ok) {
    events.push({ type: 'Warning', reason: 'FailedGetScale', message: input.scale.message });
    set({ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: ${input.scale.message}` });
    return {
      status: { ...original, conditions },
      previousDesiredReplicas: original.desiredReplicas,
      events,
      history: input.history,
      behavior,
      error: `failed to query scale subresource for ${reference(hpa)}: ${input.scale.message}`,
    };
  }
  set({ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" });
  const current = input.scale.specReplicas;
  let history = withInitialRecommendation(input.history, current, now);
  const min = hpa.spec?.minReplicas ?? 1;
  const max = hpa.spec?.maxReplicas ?? 0;
  const failed = (statuses: MetricStatus[], error: string): SyncPlan => {
    events.push({ type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: error });
    return {
      status: status(current, original.desiredReplicas, statuses),
      previousDesiredReplicas: original.desiredReplicas,
      events,
      history,
      behavior,
      error: `failed to compute desired number of replicas based on listed metrics for ${reference(hpa)}: ${error}`,
    };
  };

  let desired = 0;
  let reason = '';
  let rescale = true;
  let statuses: MetricStatus[] = [];
  let error: string | undefined;
  if (current === 0 && min !== 0) {
    rescale = false;
    set({ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
  } else if (current > max) {
    reason = 'Current number of replicas above Spec.MaxReplicas';
    desired = max;
  } else if (current < min) {
    reason = 'Current number of replicas below Spec.MinReplicas';
    desired = min;
  } else {
    const problem = input.selectorProblem;
    if (problem) {
      events.push({ type: 'Warning', reason: problem.eventReason, message: problem.error });
      set({ type: 'ScalingActive', status: 'False', reason: problem.conditionReason, message: problem.conditionMessage });
      return failed([], problem.error);
    }
    const proposal = proposeFromMetrics(hpa, current, input.pods, await readMetrics(), {
      tolerance: config.tolerance,
      cpuInitializationPeriodMs: config.cpuInitializationPeriodMs,
      initialReadinessDelayMs: config.initialReadinessDelayMs,
      now,
    });
    events.push(...proposal.events);
    set(proposal.condition);
    if (proposal.replicas === -1) return failed(proposal.statuses, proposal.error ?? '');
    error = proposal.error;
    statuses = proposal.statuses;
    desired = proposal.replicas;
    if (desired > current) reason = `${proposal.metricName} above target`;
    if (desired < current) reason = 'All metrics below target';
    const normalized = behavior
      ? normalizeWithBehavior(history, behavior, current, desired, min, max, now)
      : normalizeLegacy(history, current, desired, min, max, config.downscaleStabilizationMs, now);
    set(normalized.ableToScale);
    set(normalized.scalingLimited);
    history = normalized.history;
    desired = normalized.replicas;
    rescale = desired !== current;
  }
  if (!rescale) desired = current;
  return {
    rescale: rescale ? { from: current, to: desired, reason } : undefined,
    status: status(current, desired, statuses),
    previousDesiredReplicas: original.desiredReplicas,
    events,
    history,
    behavior,
    error,
  };
}

/** The outcome of writing the target's spec.replicas. */
export type RescaleOutcome = { ok: true } | { ok: false; message: string };

/**
 * The final status, Events and history of a sync: `plan` as is without a rescale, else with the
 * rescale's outcome folded in (see the module comment).
 */
export function completeSync(plan: SyncPlan, outcome: RescaleOutcome | undefined, now: number): Pick<SyncPlan, 'status' | 'events' | 'history'> {
  const { rescale } = plan;
  if (!rescale || !outcome) return plan;
  const at = new Date(now);
  if (!outcome.ok) {
    const conditions = setCondition(plan.status.conditions, { type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${outcome.message}` }, at);
    return {
      status: { ...plan.status, desiredReplicas: plan.previousDesiredReplicas, conditions },
      events: [...plan.events, { type: 'Warning', reason: 'FailedRescale', message: `New size: ${rescale.to}; reason: ${rescale.reason}; error: ${outcome.message}` }],
      history: plan.history,
    };
  }
  const conditions = setCondition(plan.status.conditions, { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${rescale.to}` }, at);
  return {
    status: { ...plan.status, lastScaleTime: at, conditions },
    events: [...plan.events, { type: 'Normal', reason: 'SuccessfulRescale', message: `New size: ${rescale.to}; reason: ${rescale.reason}` }],
    history: plan.history && recordScale(plan.history, plan.behavior, rescale.from, rescale.to, now),
  };
}
