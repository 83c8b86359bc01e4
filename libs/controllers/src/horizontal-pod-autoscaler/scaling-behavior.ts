/**
 * From the metrics' proposal to the replica count the autoscaler sets (Kubernetes'
 * normalizeDesiredReplicas and normalizeDesiredReplicasWithBehaviors), pure: history and time in,
 * the new count, the AbleToScale / ScalingLimited conditions and the new history out.
 *
 *   proposal ─stabilize─> recommendation ─limit─> replicas
 *
 * Stabilization looks at the proposals (recommendations) recorded in a window:
 * - without spec.behavior (legacy): the highest recommendation of the last
 *   --horizontal-pod-autoscaler-downscale-stabilization (300 s) is used, so scale-downs wait for
 *   the window while scale-ups are immediate; then the result is clamped to [min, max] and a
 *   scale-up to at most max(2 * current, 4).
 * - with spec.behavior: a scale-up uses the lowest recommendation of scaleUp's window (default
 *   0 s), a scale-down the highest of scaleDown's window (default: the flag); then each
 *   direction's policies (Pods: add/remove N, Percent: N% of the replicas at the start of the
 *   policy's period, counting the scale events of that period) bound the change, Max picking the
 *   policy allowing the biggest change, Min the smallest, Disabled forbidding the direction; and
 *   [min, max] applies.
 *
 * The first sync of an autoscaler records the current replica count as a recommendation, so a
 * restarted controller waits a whole window before scaling down, as Kubernetes' does.
 */
import type { HorizontalPodAutoscalerBehavior, HPAScalingPolicy, HPAScalingRules } from '@skiff/api';
import type { ConditionChange } from './hpa-conditions';

/** A proposal the autoscaler made, and when. */
export interface Recommendation {
  replicas: number;
  at: number;
}

/** A rescale the autoscaler did: how many replicas it added (or removed), and when. */
export interface ScaleEvent {
  change: number;
  at: number;
}

/** What an autoscaler remembers between syncs (in memory, as Kubernetes'). */
export interface ScalingHistory {
  recommendations: readonly Recommendation[];
  scaleUps: readonly ScaleEvent[];
  scaleDowns: readonly ScaleEvent[];
}

export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

/** One direction's rules with every default filled in. */
export interface EffectiveRules {
  stabilizationWindowSeconds: number;
  selectPolicy: SelectPolicy;
  policies: readonly HPAScalingPolicy[];
}

export interface EffectiveBehavior {
  scaleUp: EffectiveRules;
  scaleDown: EffectiveRules;
}

/** A legacy scale-up goes to at most max(FACTOR * current, MINIMUM) (Kubernetes' scaleUpLimitFactor / scaleUpLimitMinimum). */
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

/** Kubernetes' default policies (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules). */
const DEFAULT_SCALE_UP_POLICIES: readonly HPAScalingPolicy[] = [
  { type: 'Pods', value: 4, periodSeconds: 15 },
  { type: 'Percent', value: 100, periodSeconds: 15 },
];
const DEFAULT_SCALE_DOWN_POLICIES: readonly HPAScalingPolicy[] = [{ type: 'Percent', value: 100, periodSeconds: 15 }];

const CONDITION = {
  readyForNewScale: { reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
  scaleDownStabilized: { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' },
  scaleUpStabilized: { reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' },
  withinRange: { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' },
  tooMany: { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' },
  tooFew: { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' },
  scaleUpLimit: { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' },
  scaleDownLimit: { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' },
} as const;

type Limit = { reason: string; message: string };

export const EMPTY_HISTORY: ScalingHistory = { recommendations: [], scaleUps: [], scaleDowns: [] };

function effectiveRules(rules: Readonly<HPAScalingRules> | undefined, defaults: readonly HPAScalingPolicy[], defaultWindowSeconds: number): EffectiveRules {
  const policy = rules?.selectPolicy;
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? defaultWindowSeconds,
    selectPolicy: policy === 'Min' || policy === 'Disabled' ? policy : 'Max',
    policies: rules?.policies?.length ? rules.policies : defaults,
  };
}

/**
 * `behavior` with Kubernetes' defaults in every unset place; undefined when the autoscaler has no
 * behavior (the legacy path). An unset scale-down window is the downscale stabilization flag.
 */
export function effectiveBehavior(behavior: Readonly<HorizontalPodAutoscalerBehavior> | undefined, downscaleStabilizationMs: number): EffectiveBehavior | undefined {
  if (!behavior) return undefined;
  return {
    scaleUp: effectiveRules(behavior.scaleUp, DEFAULT_SCALE_UP_POLICIES, 0),
    scaleDown: effectiveRules(behavior.scaleDown, DEFAULT_SCALE_DOWN_POLICIES, Math.round(downscaleStabilizationMs / 1000)),
  };
}

/** The history of a first sync: the current replica count as the one recommendation (recordInitialRecommendation). */
export function withInitialRecommendation(history: ScalingHistory | undefined, current: number, now: number): ScalingHistory {
  return history ?? { ...EMPTY_HISTORY, recommendations: [{ replicas: current, at: now }] };
}

/** The outcome of normalization. */
export interface Normalized {
  replicas: number;
  ableToScale: ConditionChange;
  scalingLimited: ConditionChange;
  history: ScalingHistory;
}

function conditions(stabilized: number, proposal: number, stabilizedAs: Limit, replicas: number, limit: Limit): Pick<Normalized, 'ableToScale' | 'scalingLimited'> {
  const able = stabilized !== proposal ? stabilizedAs : CONDITION.readyForNewScale;
  return {
    ableToScale: { type: 'AbleToScale', status: 'True', ...able },
    scalingLimited: { type: 'ScalingLimited', status: replicas === stabilized ? 'False' : 'True', ...limit },
  };
}

/** Clamps to [min, max] with the legacy scale-up rate (convertDesiredReplicasWithRules). */
export function limitLegacy(current: number, desired: number, min: number, max: number): { replicas: number; limit: Limit } {
  const scaleUpLimit = Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM);
  const [maxAllowed, maxLimit] = max > scaleUpLimit ? [scaleUpLimit, CONDITION.scaleUpLimit] : [max, CONDITION.tooMany];
  if (desired < min) return { replicas: min, limit: CONDITION.tooFew };
  if (desired > maxAllowed) return { replicas: maxAllowed, limit: maxLimit };
  return { replicas: desired, limit: CONDITION.withinRange };
}

/**
 * The legacy path (no spec.behavior): the highest recommendation of the window (proposal
 * included) is used, then limitLegacy. The proposal is recorded; samples older than the window
 * are dropped.
 */
export function normalizeLegacy(history: ScalingHistory, current: number, proposal: number, min: number, max: number, windowMs: number, now: number): Normalized {
  const cutoff = now - windowMs;
  const kept = history.recommendations.filter((r) => r.at >= cutoff);
  const stabilized = Math.max(proposal, ...kept.map((r) => r.replicas));
  const { replicas, limit } = limitLegacy(current, stabilized, min, max);
  return {
    replicas,
    ...conditions(stabilized, proposal, CONDITION.scaleDownStabilized, replicas, limit),
    history: { ...history, recommendations: [...kept, { replicas: proposal, at: now }] },
  };
}

/** Replicas added (or removed) by `events` within the last `periodSeconds` (getReplicasChangePerPeriod). */
function changeInPeriod(events: readonly ScaleEvent[], periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.filter((e) => e.at > cutoff).reduce((sum, e) => sum + e.change, 0);
}

/** The highest count `rules` allow scaling up to from `current` (calculateScaleUpLimitWithScalingRules). */
export function scaleUpLimit(current: number, history: ScalingHistory, rules: EffectiveRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((policy) => {
    const periodStart = current - changeInPeriod(history.scaleUps, policy.periodSeconds, now) + changeInPeriod(history.scaleDowns, policy.periodSeconds, now);
    return policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
  });
  return rules.selectPolicy === 'Min' ? Math.min(...proposals) : Math.max(...proposals);
}

/** The lowest count `rules` allow scaling down to from `current` (calculateScaleDownLimitWithBehaviors). */
export function scaleDownLimit(current: number, history: ScalingHistory, rules: EffectiveRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((policy) => {
    const periodStart = current - changeInPeriod(history.scaleUps, policy.periodSeconds, now) + changeInPeriod(history.scaleDowns, policy.periodSeconds, now);
    return policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100));
  });
  return rules.selectPolicy === 'Min' ? Math.max(...proposals) : Math.min(...proposals);
}

/** Bounds a stabilized recommendation by the policies and [min, max] (convertDesiredReplicasWithBehaviorRate). */
export function limitWithBehavior(history: ScalingHistory, behavior: EffectiveBehavior, current: number, desired: number, min: number, max: number, now: number): { replicas: number; limit: Limit } {
  if (desired > current) {
    const rate = Math.max(scaleUpLimit(current, history, behavior.scaleUp, now), current);
    const [maxAllowed, limit] = max > rate ? [rate, CONDITION.scaleUpLimit] : [max, CONDITION.tooMany];
    if (desired > maxAllowed) return { replicas: maxAllowed, limit };
  } else if (desired < current) {
    const rate = Math.min(scaleDownLimit(current, history, behavior.scaleDown, now), current);
    const [minAllowed, limit] = min < rate ? [rate, CONDITION.scaleDownLimit] : [min, CONDITION.tooFew];
    if (desired < minAllowed) return { replicas: minAllowed, limit };
  }
  return { replicas: desired, limit: CONDITION.withinRange };
}

/**
 * The behavior path: the recommendation is kept between the lowest recommendation of the
 * scale-up window and the highest of the scale-down window (starting from `current`), then
 * limitWithBehavior. The proposal is recorded; samples older than both windows are dropped.
 */
export function normalizeWithBehavior(history: ScalingHistory, behavior: EffectiveBehavior, current: number, proposal: number, min: number, max: number, now: number): Normalized {
  const upCutoff = now - behavior.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = now - behavior.scaleDown.stabilizationWindowSeconds * 1000;
  let up = proposal;
  let down = proposal;
  for (const r of history.recommendations) {
    if (r.at > upCutoff) up = Math.min(up, r.replicas);
    if (r.at > downCutoff) down = Math.max(down, r.replicas);
  }
  const stabilized = Math.min(Math.max(current, up), down);
  const kept = history.recommendations.filter((r) => r.at >= upCutoff || r.at >= downCutoff);
  const { replicas, limit } = limitWithBehavior(history, behavior, current, stabilized, min, max, now);
  const stabilizedAs = proposal >= current ? CONDITION.scaleUpStabilized : CONDITION.scaleDownStabilized;
  return {
    replicas,
    ...conditions(stabilized, proposal, stabilizedAs, replicas, limit),
    history: { ...history, recommendations: [...kept, { replicas: proposal, at: now }] },
  };
}

/** The longest policy period of a direction (s). */
function longestPeriodSeconds(rules: EffectiveRules): number {
  return Math.max(0, ...rules.policies.map((p) => p.periodSeconds));
}

/**
 * Records a rescale from `previous` to `next` replicas (storeScaleEvent): only autoscalers with a
 * behavior keep scale events; events older than the direction's longest policy period are dropped.
 */
export function recordScale(history: ScalingHistory, behavior: EffectiveBehavior | undefined, previous: number, next: number, now: number): ScalingHistory {
  if (!behavior || next === previous) return history;
  if (next > previous) {
    const cutoff = now - longestPeriodSeconds(behavior.scaleUp) * 1000;
    return { ...history, scaleUps: [...history.scaleUps.filter((e) => e.at > cutoff), { change: next - previous, at: now }] };
  }
  const cutoff = now - longestPeriodSeconds(behavior.scaleDown) * 1000;
  return { ...history, scaleDowns: [...history.scaleDowns.filter((e) => e.at > cutoff), { change: previous - next, at: now }] };
}
