import { HorizontalPodAutoscaler, Pod, type Condition, type HorizontalPodAutoscalerSpec, type MetricSpec } from '@skiff/api';
import type { PodResourceUsage } from '@skiff/client';
import { completeSync, planSync, selectorProblem, type AutoscalerConfig, type SyncInput } from './autoscaler-sync';
import type { MetricsRead } from './metric-replicas';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const CONFIG: AutoscalerConfig = { tolerance: 0.1, cpuInitializationPeriodMs: 300_000, initialReadinessDelayMs: 30_000, downscaleStabilizationMs: 300_000 };
const CPU_50: MetricSpec[] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', value: '', averageValue: '', averageUtilization: 50 } } }];
const UTILIZATION = 'cpu resource utilization (percentage of request)';

function hpa(spec: Partial<HorizontalPodAutoscalerSpec> = {}, conditions: Condition[] = []): HorizontalPodAutoscaler {
  return HorizontalPodAutoscaler.fromPartial({
    metadata: { name: 'web', namespace: 'default', generation: 2 },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 3, metrics: CPU_50, ...spec },
    status: { desiredReplicas: 1, currentReplicas: 1, conditions },
  });
}

/** A Ready pod started 10 min ago asking for `requests` (one container "main"). */
function pod(name: string, requests: Record<string, string> = { cpu: '100m' }): Pod {
  return Pod.fromPartial({
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'main', resources: { requests } }] },
    status: { phase: 'Running', startTime: new Date(NOW - 600_000), conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(NOW - 590_000) }] },
  });
}

function usage(cpuMillis: Record<string, number>, memoryBytes = 0): MetricsRead {
  const map = new Map<string, PodResourceUsage>(Object.entries(cpuMillis).map(([name, cpu]) => [name, { cpuMillis: cpu, memoryBytes, timestamp: new Date(NOW - 1000), windowMs: 1000 }]));
  return { ok: true, usage: map };
}

function input(over: Partial<SyncInput> = {}): SyncInput {
  return { hpa: hpa(), scale: { ok: true, specReplicas: 1, selector: 'app=web' }, pods: [pod('web-1')], history: undefined, config: CONFIG, now: NOW, ...over };
}

const metricsOf = (read: MetricsRead) => async () => read;
const never = async (): Promise<MetricsRead> => {
  throw new Error('metrics must not be read');
};
const condition = (conditions: readonly Condition[], type: string) => {
  const c = conditions.find((x) => x.type === type);
  return c && { status: c.status, reason: c.reason, message: c.message };
};

describe('planSync', () => {
  it('scales up on CPU above target, never above max, and says so in the status', async () => {
    // 200m of 100m requested = 200% against 50%: 4 wanted, max 3.
    const plan = await planSync(input(), metricsOf(usage({ 'web-1': 200 })));
    expect(plan.rescale).toEqual({ from: 1, to: 3, reason: `${UTILIZATION} above target` });
    expect(plan.status).toMatchObject({
      observedGeneration: 2,
      currentReplicas: 1,
      desiredReplicas: 3,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 200, averageValue: '200m', value: '' } } }],
    });
    const c = plan.status.conditions;
    expect(condition(c, 'AbleToScale')).toEqual({ status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' });
    expect(condition(c, 'ScalingActive')).toEqual({ status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${UTILIZATION}` });
    expect(condition(c, 'ScalingLimited')).toEqual({ status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
    expect(c.every((x) => x.lastTransitionTime?.getTime() === NOW)).toBe(true);
    expect(plan.events).toEqual([]);

    const done = completeSync(plan, { ok: true }, NOW);
    expect(done.events).toEqual([{ type: 'Normal', reason: 'SuccessfulRescale', message: `New size: 3; reason: ${UTILIZATION} above target` }]);
    expect(condition(done.status.conditions, 'AbleToScale')).toEqual({ status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 3' });
    expect(done.status.lastScaleTime).toEqual(new Date(NOW));
    expect(done.history?.recommendations).toEqual([{ replicas: 1, at: NOW }, { replicas: 4, at: NOW }]);
  });

  it('a failed rescale reports FailedRescale and leaves desiredReplicas as it was', async () => {
    const plan = await planSync(input(), metricsOf(usage({ 'web-1': 200 })));
    const done = completeSync(plan, { ok: false, message: 'the object has been modified' }, NOW);
    expect(done.events).toEqual([{ type: 'Warning', reason: 'FailedRescale', message: `New size: 3; reason: ${UTILIZATION} above target; error: the object has been modified` }]);
    expect(condition(done.status.conditions, 'AbleToScale')).toEqual({ status: 'False', reason: 'FailedUpdateScale', message: 'the HPA controller was unable to update the target scale: the object has been modified' });
    expect(done.status.desiredReplicas).toBe(1);
    expect(done.status.lastScaleTime).toBeUndefined();
  });

  it('within the tolerance nothing is written; usage below target waits for the stabilization window', async () => {
    const steady = await planSync(input({ scale: { ok: true, specReplicas: 2, selector: 'app=web' }, pods: [pod('web-1'), pod('web-2')] }), metricsOf(usage({ 'web-1': 55, 'web-2': 50 })));
    expect(steady.rescale).toBeUndefined();
    expect(steady.status).toMatchObject({ currentReplicas: 2, desiredReplicas: 2 });

    // Idle: 0% wants 1 replica, but the first sync recorded 3 as a recommendation: hold 3 for 300 s.
    const three = { scale: { ok: true as const, specReplicas: 3, selector: 'app=web' }, pods: [pod('web-1'), pod('web-2'), pod('web-3')] };
    const idle = metricsOf(usage({ 'web-1': 0, 'web-2': 0, 'web-3': 0 }));
    const first = await planSync(input(three), idle);
    expect(first.rescale).toBeUndefined();
    expect(first.status.desiredReplicas).toBe(3);
    expect(condition(first.status.conditions, 'AbleToScale')?.reason).toBe('ScaleDownStabilized');
    const later = await planSync(input({ ...three, history: first.history, now: NOW + 299_000 }), idle);
    expect(later.rescale).toBeUndefined();
    const after = await planSync(input({ ...three, history: later.history, now: NOW + 301_000 }), idle);
    expect(after.rescale).toEqual({ from: 3, to: 1, reason: 'All metrics below target' });
    // 0% proposes 0 replicas: min applies.
    expect(condition(after.status.conditions, 'ScalingLimited')).toEqual({ status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
  });

  it('out of [min, max] the count is corrected without reading metrics', async () => {
    const above = await planSync(input({ scale: { ok: true, specReplicas: 5, selector: 'app=web' } }), never);
    expect(above.rescale).toEqual({ from: 5, to: 3, reason: 'Current number of replicas above Spec.MaxReplicas' });
    expect(above.status.currentMetrics).toEqual([]);
    const below = await planSync(input({ hpa: hpa({ minReplicas: 2 }) }), never);
    expect(below.rescale).toEqual({ from: 1, to: 2, reason: 'Current number of replicas below Spec.MinReplicas' });
    expect(completeSync(below, { ok: true }, NOW).events[0].message).toBe('New size: 2; reason: Current number of replicas below Spec.MinReplicas');
  });

  it('a target scaled to zero disables autoscaling', async () => {
    const plan = await planSync(input({ scale: { ok: true, specReplicas: 0, selector: 'app=web' } }), never);
    expect(plan.rescale).toBeUndefined();
    expect(plan.status).toMatchObject({ currentReplicas: 0, desiredReplicas: 0 });
    expect(condition(plan.status.conditions, 'ScalingActive')).toEqual({ status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
  });

  it('an unreadable target: AbleToScale False FailedGetScale, the rest of the status kept', async () => {
    const before = hpa({}, [{ type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'm', lastTransitionTime: new Date(NOW - 60_000) }]);
    const plan = await planSync(input({ hpa: before, scale: { ok: false, message: 'deployments.apps "web" not found' } }), never);
    expect(plan.rescale).toBeUndefined();
    expect(plan.events).toEqual([{ type: 'Warning', reason: 'FailedGetScale', message: 'deployments.apps "web" not found' }]);
    expect(condition(plan.status.conditions, 'AbleToScale')).toEqual({ status: 'False', reason: 'FailedGetScale', message: 'the HPA controller was unable to get the target\'s current scale: deployments.apps "web" not found' });
    expect(condition(plan.status.conditions, 'ScalingActive')?.reason).toBe('ValidMetricFound');
    expect(plan.status.desiredReplicas).toBe(1);
  });

  it('no metrics: ScalingActive False FailedGetResourceMetric with Kubernetes\' messages, an <unknown> metric, no rescale', async () => {
    const plan = await planSync(input(), metricsOf({ ok: false, message: 'no metrics returned from resource metrics API' }));
    const reason = 'failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API';
    expect(plan.rescale).toBeUndefined();
    expect(condition(plan.status.conditions, 'ScalingActive')).toEqual({ status: 'False', reason: 'FailedGetResourceMetric', message: `the HPA was unable to compute the replica count: ${reason}` });
    expect(plan.events).toEqual([
      { type: 'Warning', reason: 'FailedGetResourceMetric', message: reason },
      { type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: `invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: ${reason}` },
    ]);
    expect(plan.status.currentMetrics).toEqual([{ type: '', resource: undefined }]);
    expect(plan.error).toMatch(/^failed to compute desired number of replicas based on listed metrics for Deployment\/web: invalid metrics/);
  });

  it('pods without a CPU request cannot be autoscaled on CPU utilization', async () => {
    const plan = await planSync(input({ pods: [pod('web-1', { memory: '64Mi' })] }), metricsOf(usage({ 'web-1': 200 })));
    expect(plan.rescale).toBeUndefined();
    expect(condition(plan.status.conditions, 'ScalingActive')).toEqual({
      status: 'False',
      reason: 'FailedGetResourceMetric',
      message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container main of Pod web-1',
    });
  });

  it('with several metrics the largest proposal wins; a failed one blocks a scale-down but not a scale-up', async () => {
    const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', value: '', averageValue: '100Mi', averageUtilization: undefined } } };
    const memoryUtil = { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', value: '', averageValue: '', averageUtilization: 50 } } };
    const both = (metrics: MetricSpec[]) => hpa({ metrics, maxReplicas: 10 });
    const mi = 2 ** 20;

    // cpu 100% (wants 2), memory 300Mi per pod against 100Mi (wants 3): 3, named by memory.
    const up = await planSync(input({ hpa: both([...CPU_50, memory]) }), metricsOf(usage({ 'web-1': 100 }, 300 * mi)));
    expect(up.rescale).toEqual({ from: 1, to: 3, reason: 'memory resource above target' });
    expect(up.status.currentMetrics[1]).toEqual({ type: 'Resource', resource: { name: 'memory', current: { value: '', averageValue: '314572800', averageUtilization: undefined } } });

    // memory has no request (fails); cpu wants a scale-up: it proceeds, the failure is reported.
    const partial = await planSync(input({ hpa: both([...CPU_50, memoryUtil]) }), metricsOf(usage({ 'web-1': 200 })));
    expect(partial.rescale?.to).toBe(4);
    expect(condition(partial.status.conditions, 'ScalingActive')?.reason).toBe('ValidMetricFound');
    expect(partial.status.currentMetrics.map((m) => m.type)).toEqual(['Resource', '']);
    expect(partial.error).toMatch(/^invalid metrics \(1 invalid out of 2\)/);

    // ...but when cpu wants a scale-down, nothing happens.
    const down = await planSync(input({ hpa: both([...CPU_50, memoryUtil]), scale: { ok: true, specReplicas: 2, selector: 'app=web' }, pods: [pod('web-1'), pod('web-2')] }), metricsOf(usage({ 'web-1': 0, 'web-2': 0 })));
    expect(down.rescale).toBeUndefined();
    expect(condition(down.status.conditions, 'ScalingActive')?.reason).toBe('FailedGetResourceMetric');
  });

  it('a Value target on a resource is no valid target (as Kubernetes)', async () => {
    const value = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Value', value: '1', averageValue: '', averageUtilization: undefined } } }];
    const plan = await planSync(input({ hpa: hpa({ metrics: value }) }), metricsOf(usage({ 'web-1': 200 })));
    expect(condition(plan.status.conditions, 'ScalingActive')?.message).toBe(
      'the HPA was unable to compute the replica count: invalid resource metric source: neither an average utilization target nor an average value (usage) target was set',
    );
  });

  it('a selector problem stops the sync before metrics are read', async () => {
    const problem = selectorProblem('app=web', undefined, ['default/other', 'default/web']);
    expect(problem).toEqual({
      eventReason: 'AmbiguousSelector',
      conditionReason: 'AmbiguousSelector',
      conditionMessage: 'pods by selector app=web are controlled by multiple HPAs: [default/other default/web]',
      error: 'pods by selector app=web are controlled by multiple HPAs: [default/other default/web]',
    });
    const plan = await planSync(input({ selectorProblem: problem }), never);
    expect(plan.rescale).toBeUndefined();
    expect(plan.events.map((e) => e.reason)).toEqual(['AmbiguousSelector', 'FailedComputeMetricsReplicas']);
    expect(condition(plan.status.conditions, 'ScalingActive')?.reason).toBe('AmbiguousSelector');
    expect(selectorProblem('', undefined, [])).toMatchObject({ eventReason: 'SelectorRequired', conditionReason: 'InvalidSelector', conditionMessage: "the HPA target's scale is missing a selector" });
    expect(selectorProblem('<error>', 'bad operator', [])).toMatchObject({ conditionReason: 'InvalidSelector', error: "couldn't convert selector into a corresponding internal selector object: bad operator" });
    expect(selectorProblem('app=web', undefined, ['default/web'])).toBeUndefined();
  });

  it('with a behavior, scale-ups follow its policies and scale events are remembered', async () => {
    const behavior = { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] }, scaleDown: undefined };
    const three = hpa({ behavior, maxReplicas: 10 });
    const plan = await planSync(input({ hpa: three }), metricsOf(usage({ 'web-1': 400 })));
    expect(plan.rescale).toEqual({ from: 1, to: 2, reason: `${UTILIZATION} above target` });
    expect(condition(plan.status.conditions, 'ScalingLimited')?.reason).toBe('ScaleUpLimit');
    const done = completeSync(plan, { ok: true }, NOW);
    expect(done.history?.scaleUps).toEqual([{ change: 1, at: NOW }]);
    // 10 s later, still within the policy's 60 s: no room for another pod.
    const next = await planSync(input({ hpa: three, history: done.history, now: NOW + 10_000, scale: { ok: true, specReplicas: 2, selector: 'app=web' }, pods: [pod('web-1'), pod('web-2')] }), metricsOf(usage({ 'web-1': 400, 'web-2': 400 })));
    expect(next.rescale).toBeUndefined();
  });
});
