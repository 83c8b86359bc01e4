import {
  EMPTY_HISTORY,
  effectiveBehavior,
  limitLegacy,
  normalizeLegacy,
  normalizeWithBehavior,
  recordScale,
  scaleDownLimit,
  scaleUpLimit,
  withInitialRecommendation,
  type EffectiveBehavior,
  type ScalingHistory,
} from './scaling-behavior';

const NOW = 1_000_000_000;
const S = 1000;
const WINDOW = 300 * S;
const recs = (...pairs: [replicas: number, agoSeconds: number][]): ScalingHistory => ({ ...EMPTY_HISTORY, recommendations: pairs.map(([replicas, ago]) => ({ replicas, at: NOW - ago * S })) });
const DEFAULTS = effectiveBehavior({ scaleUp: undefined, scaleDown: undefined }, WINDOW)!;

describe('effectiveBehavior', () => {
  it('is undefined without a behavior (legacy path), else fills Kubernetes\' defaults; the scale-down window defaults to the flag', () => {
    expect(effectiveBehavior(undefined, WINDOW)).toBeUndefined();
    expect(DEFAULTS).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
    expect(effectiveBehavior({ scaleUp: undefined, scaleDown: undefined }, 10 * S)!.scaleDown.stabilizationWindowSeconds).toBe(10);
    const own = effectiveBehavior({ scaleUp: undefined, scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } }, WINDOW)!;
    expect(own.scaleDown).toEqual({ stabilizationWindowSeconds: 60, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] });
  });
});

describe('withInitialRecommendation', () => {
  it('records the current count on the first sync only', () => {
    expect(withInitialRecommendation(undefined, 3, NOW)).toEqual({ recommendations: [{ replicas: 3, at: NOW }], scaleUps: [], scaleDowns: [] });
    const h = recs([5, 10]);
    expect(withInitialRecommendation(h, 3, NOW)).toBe(h);
  });
});

describe('legacy normalization (no spec.behavior)', () => {
  it('scales up at once', () => {
    const n = normalizeLegacy(recs([3, 10]), 3, 5, 1, 10, WINDOW, NOW);
    expect(n.replicas).toBe(5);
    expect(n.ableToScale).toEqual({ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' });
    expect(n.scalingLimited).toEqual({ type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
    expect(n.history.recommendations).toEqual([{ replicas: 3, at: NOW - 10 * S }, { replicas: 5, at: NOW }]);
  });

  it('scales down only to the highest recommendation of the window; samples older than the window are dropped', () => {
    const held = normalizeLegacy(recs([5, 100], [4, 50]), 5, 2, 1, 10, WINDOW, NOW);
    expect(held.replicas).toBe(5);
    expect(held.ableToScale).toMatchObject({ reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' });
    const partly = normalizeLegacy(recs([5, 301], [4, 50]), 5, 2, 1, 10, WINDOW, NOW);
    expect(partly.replicas).toBe(4);
    expect(partly.history.recommendations).toEqual([{ replicas: 4, at: NOW - 50 * S }, { replicas: 2, at: NOW }]);
    expect(normalizeLegacy(recs([5, 301]), 5, 2, 1, 10, WINDOW, NOW).replicas).toBe(2);
    // The window boundary itself still counts (Kubernetes: only samples before the cutoff are old).
    expect(normalizeLegacy(recs([5, 300]), 5, 2, 1, 10, WINDOW, NOW).replicas).toBe(5);
  });

  it('clamps to [min, max] and a scale-up to max(2 x current, 4)', () => {
    expect(limitLegacy(1, 10, 1, 20)).toEqual({ replicas: 4, limit: { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' } });
    expect(limitLegacy(5, 30, 1, 20).replicas).toBe(10);
    expect(limitLegacy(4, 10, 1, 5)).toEqual({ replicas: 5, limit: { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' } });
    expect(limitLegacy(4, 0, 2, 5)).toEqual({ replicas: 2, limit: { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' } });
    const n = normalizeLegacy(recs(), 2, 9, 1, 3, WINDOW, NOW);
    expect(n.replicas).toBe(3);
    expect(n.scalingLimited).toMatchObject({ status: 'True', reason: 'TooManyReplicas' });
    // The proposal, not the clamped count, is what is recorded.
    expect(n.history.recommendations).toEqual([{ replicas: 9, at: NOW }]);
  });
});

describe('behavior: stabilization', () => {
  it('a scale-down uses the highest recommendation of the scale-down window', () => {
    const b: EffectiveBehavior = { ...DEFAULTS, scaleDown: { ...DEFAULTS.scaleDown, stabilizationWindowSeconds: 60 } };
    const held = normalizeWithBehavior(recs([8, 30]), b, 8, 2, 1, 10, NOW);
    expect(held.replicas).toBe(8);
    expect(held.ableToScale).toMatchObject({ reason: 'ScaleDownStabilized' });
    const partly = normalizeWithBehavior(recs([8, 61], [6, 30]), b, 8, 2, 1, 10, NOW);
    expect(partly.replicas).toBe(6);
    expect(partly.history.recommendations).toEqual([{ replicas: 6, at: NOW - 30 * S }, { replicas: 2, at: NOW }]);
  });

  it('a scale-up uses the lowest recommendation of the scale-up window (0 s by default: immediate)', () => {
    expect(normalizeWithBehavior(recs([3, 30]), DEFAULTS, 3, 6, 1, 10, NOW).replicas).toBe(6);
    const b: EffectiveBehavior = { ...DEFAULTS, scaleUp: { ...DEFAULTS.scaleUp, stabilizationWindowSeconds: 60 } };
    const held = normalizeWithBehavior(recs([3, 30], [5, 10]), b, 3, 6, 1, 10, NOW);
    expect(held.replicas).toBe(3);
    expect(held.ableToScale).toEqual({ type: 'AbleToScale', status: 'True', reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' });
    expect(normalizeWithBehavior(recs([4, 30], [5, 10]), b, 3, 6, 1, 10, NOW).replicas).toBe(4);
  });
});

describe('behavior: policies', () => {
  const empty = EMPTY_HISTORY;

  it('Max picks the policy allowing the biggest change, Min the smallest, Disabled none', () => {
    expect(scaleUpLimit(3, empty, DEFAULTS.scaleUp, NOW)).toBe(7); // max(3 + 4, 3 x 2)
    expect(scaleUpLimit(10, empty, DEFAULTS.scaleUp, NOW)).toBe(20);
    expect(scaleUpLimit(3, empty, { ...DEFAULTS.scaleUp, selectPolicy: 'Min' }, NOW)).toBe(6);
    expect(scaleUpLimit(3, empty, { ...DEFAULTS.scaleUp, selectPolicy: 'Disabled' }, NOW)).toBe(3);
    const down = { stabilizationWindowSeconds: 0, selectPolicy: 'Max' as const, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }, { type: 'Pods', value: 2, periodSeconds: 60 }] };
    expect(scaleDownLimit(10, empty, down, NOW)).toBe(5); // min(10 x 0.5, 10 - 2)
    expect(scaleDownLimit(10, empty, { ...down, selectPolicy: 'Min' }, NOW)).toBe(8);
    expect(scaleDownLimit(3, empty, down, NOW)).toBe(1); // trunc(1.5), 3 - 2
    expect(scaleDownLimit(10, empty, { ...down, selectPolicy: 'Disabled' }, NOW)).toBe(10);
  });

  it('a Percent scale-up rounds up so that it always adds a pod', () => {
    expect(scaleUpLimit(1, empty, { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 10, periodSeconds: 15 }] }, NOW)).toBe(2);
  });

  it('counts from the replicas at the start of each policy period (scale events within it)', () => {
    const rules = { stabilizationWindowSeconds: 0, selectPolicy: 'Max' as const, policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }] };
    const added: ScalingHistory = { ...EMPTY_HISTORY, scaleUps: [{ change: 4, at: NOW - 30 * S }] };
    expect(scaleUpLimit(7, added, rules, NOW)).toBe(7); // 3 at the start of the period, + 4
    expect(scaleUpLimit(7, added, rules, NOW + 31 * S)).toBe(11); // that event left the period
    const removed: ScalingHistory = { ...EMPTY_HISTORY, scaleDowns: [{ change: 2, at: NOW - 30 * S }] };
    expect(scaleUpLimit(7, removed, rules, NOW)).toBe(13); // 9 at the start, + 4
  });

  it('limits the normalized count and says which limit applied', () => {
    const n = normalizeWithBehavior(EMPTY_HISTORY, DEFAULTS, 3, 20, 1, 100, NOW);
    expect(n.replicas).toBe(7);
    expect(n.scalingLimited).toEqual({ type: 'ScalingLimited', status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
    const toMax = normalizeWithBehavior(EMPTY_HISTORY, DEFAULTS, 3, 20, 1, 5, NOW);
    expect([toMax.replicas, toMax.scalingLimited.reason]).toEqual([5, 'TooManyReplicas']);
    const slowDown: EffectiveBehavior = { ...DEFAULTS, scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };
    const down = normalizeWithBehavior(EMPTY_HISTORY, slowDown, 5, 1, 1, 10, NOW);
    expect(down.replicas).toBe(4);
    expect(down.scalingLimited).toEqual({ type: 'ScalingLimited', status: 'True', reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' });
    const toMin = normalizeWithBehavior(EMPTY_HISTORY, { ...slowDown, scaleDown: { ...slowDown.scaleDown, policies: [{ type: 'Pods', value: 10, periodSeconds: 60 }] } }, 5, 1, 3, 10, NOW);
    expect([toMin.replicas, toMin.scalingLimited.reason]).toEqual([3, 'TooFewReplicas']);
    const disabled = normalizeWithBehavior(EMPTY_HISTORY, { ...DEFAULTS, scaleDown: { ...DEFAULTS.scaleDown, stabilizationWindowSeconds: 0, selectPolicy: 'Disabled' } }, 5, 1, 1, 10, NOW);
    expect([disabled.replicas, disabled.scalingLimited.reason]).toEqual([5, 'ScaleDownLimit']);
  });

  it('scale events are kept for autoscalers with a behavior, up to the longest policy period', () => {
    expect(recordScale(EMPTY_HISTORY, undefined, 1, 4, NOW)).toBe(EMPTY_HISTORY);
    const h1 = recordScale(EMPTY_HISTORY, DEFAULTS, 1, 4, NOW - 20 * S);
    const h2 = recordScale(h1, DEFAULTS, 4, 8, NOW);
    expect(h2.scaleUps).toEqual([{ change: 4, at: NOW }]); // the first is older than 15 s
    const h3 = recordScale(h2, DEFAULTS, 8, 3, NOW);
    expect(h3.scaleDowns).toEqual([{ change: 5, at: NOW }]);
    expect(h3.scaleUps).toEqual(h2.scaleUps);
  });
});
