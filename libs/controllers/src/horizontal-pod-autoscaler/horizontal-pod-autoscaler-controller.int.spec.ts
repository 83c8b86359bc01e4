/**
 * The HPA controller in-process (runControllerManager with only "horizontalpodautoscaling", a
 * 300 ms sync period, no leader election) against real etcd, NATS and the built apiserver. There
 * is no kubelet, so the metrics API has no figures: these tests cover what does not need usage
 * (min/max correction through the target's spec.replicas, Kubernetes' conditions and Events when
 * metrics are missing or the target is not there, ambiguous selectors, scaling disabled at zero,
 * the sync period). Scaling on real CPU use is apps/cluster-e2e/src/autoscaling.spec.ts.
 */
import { Deployment, HorizontalPodAutoscaler, Pod, type Condition, type Event } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

const NS = 'default';
const SYNC_MS = 300;

describe('horizontal pod autoscaler controller against the real apiserver', () => {
  let env: ControllersTestEnv;
  let deployments: TypedClient<'deployment'>;
  let hpas: TypedClient<'horizontalPodAutoscaler'>;

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['horizontalpodautoscaling'], tuning: { hpaSyncPeriodMs: SYNC_MS } });
    deployments = env.typed('deployment');
    hpas = env.typed('horizontalPodAutoscaler');
  }, 120_000);

  afterAll(() => env?.stop(), 30_000);

  function deployment(name: string, replicas: number): Deployment {
    const labels = { app: name };
    return Deployment.fromPartial({
      metadata: { name, namespace: NS },
      spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '100m' } } }] } } },
    });
  }

  function autoscaler(name: string, target: string, min: number, max: number, kind = 'Deployment'): HorizontalPodAutoscaler {
    return HorizontalPodAutoscaler.fromPartial({
      metadata: { name, namespace: NS },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind, name: target },
        minReplicas: min,
        maxReplicas: max,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      },
    });
  }

  const condition = (hpa: HorizontalPodAutoscaler, type: string): Condition | undefined => hpa.status?.conditions.find((c) => c.type === type);

  /** Waits until the HPA's status satisfies `check`; resolves with the HPA. */
  function waitHpa(name: string, what: string, check: (hpa: HorizontalPodAutoscaler) => boolean): Promise<HorizontalPodAutoscaler> {
    return waitFor(
      `${name}: ${what}`,
      async () => {
        const hpa = await hpas.get(NS, name);
        return check(hpa) ? hpa : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
  }

  async function eventsOf(name: string): Promise<Event[]> {
    return (await env.typed('event').list({ namespace: NS })).items.filter((e) => e.involvedObject?.kind === 'HorizontalPodAutoscaler' && e.involvedObject.name === name);
  }

  it('brings a Deployment above max down to max through spec.replicas, with SuccessfulRescale', async () => {
    await deployments.create(deployment('above', 5));
    await hpas.create(autoscaler('above', 'above', 1, 3));
    await waitFor('the deployment scaled to 3', async () => (await deployments.get(NS, 'above')).spec?.replicas === 3, { timeoutMs: 15_000, intervalMs: 100 });
    const hpa = await waitHpa('above', 'status after the rescale', (h) => h.status?.lastScaleTime !== undefined);
    expect(hpa.status).toMatchObject({ observedGeneration: hpa.metadata?.generation, currentReplicas: 5, desiredReplicas: 3 });
    expect(condition(hpa, 'AbleToScale')).toMatchObject({ status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 3' });
    const events = await waitFor('the SuccessfulRescale event', async () => ((await eventsOf('above')).some((e) => e.reason === 'SuccessfulRescale') ? eventsOf('above') : undefined), { timeoutMs: 10_000, intervalMs: 100 });
    expect(events.find((e) => e.reason === 'SuccessfulRescale')).toMatchObject({ type: 'Normal', message: 'New size: 3; reason: Current number of replicas above Spec.MaxReplicas', source: { component: 'horizontal-pod-autoscaler' } });
  });

  it('within range but without metrics: ScalingActive False FailedGetResourceMetric, replicas untouched', async () => {
    await deployments.create(deployment('nometrics', 2));
    const before = await deployments.get(NS, 'nometrics');
    await hpas.create(autoscaler('nometrics', 'nometrics', 1, 4));
    const hpa = await waitHpa('nometrics', 'ScalingActive False', (h) => condition(h, 'ScalingActive')?.status === 'False');
    expect(condition(hpa, 'ScalingActive')).toMatchObject({
      reason: 'FailedGetResourceMetric',
      message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    });
    expect(condition(hpa, 'AbleToScale')).toMatchObject({ status: 'True', reason: 'SucceededGetScale' });
    expect(hpa.status).toMatchObject({ currentReplicas: 2, currentMetrics: [{ type: '' }] });
    const reasons = await waitFor('the warnings', async () => {
      const r = (await eventsOf('nometrics')).map((e) => e.reason);
      return r.includes('FailedGetResourceMetric') && r.includes('FailedComputeMetricsReplicas') ? r : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    expect(reasons).not.toContain('SuccessfulRescale');
    expect((await deployments.get(NS, 'nometrics')).metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('syncs once per period: the warning Event counts the syncs', async () => {
    await deployments.create(deployment('period', 1));
    await hpas.create(autoscaler('period', 'period', 1, 4));
    const count = async () => (await eventsOf('period')).find((e) => e.reason === 'FailedComputeMetricsReplicas')?.count ?? 0;
    await waitFor('a first sync', async () => (await count()) >= 1, { timeoutMs: 10_000, intervalMs: 50 });
    const start = Date.now();
    const first = await count();
    await waitFor('ten more syncs', async () => (await count()) >= first + 10, { timeoutMs: 20_000, intervalMs: 50 });
    const elapsed = Date.now() - start;
    // Ten periods of 300 ms; Events are written in the background, so allow some slack either way.
    expect(elapsed).toBeGreaterThanOrEqual(9 * SYNC_MS);
    expect(elapsed).toBeLessThan(10 * SYNC_MS * 3);
  }, 40_000);

  it('a missing target: AbleToScale False FailedGetScale; it recovers once the target exists', async () => {
    await hpas.create(autoscaler('later', 'later', 2, 4));
    const missing = await waitHpa('later', 'FailedGetScale', (h) => condition(h, 'AbleToScale')?.reason === 'FailedGetScale');
    expect(condition(missing, 'AbleToScale')).toMatchObject({ status: 'False', message: expect.stringMatching(/^the HPA controller was unable to get the target's current scale: deployments\S* "(default\/)?later" not found$/) });
    await deployments.create(deployment('later', 1));
    await waitFor('min applied', async () => (await deployments.get(NS, 'later')).spec?.replicas === 2, { timeoutMs: 15_000, intervalMs: 100 });
    const found = await waitHpa('later', 'AbleToScale True', (h) => condition(h, 'AbleToScale')?.status === 'True');
    expect(condition(found, 'AbleToScale')?.reason).toMatch(/^(SucceededRescale|SucceededGetScale)$/);
  });

  it('an unsupported target kind is "no matches"', async () => {
    await hpas.create(autoscaler('statefulset', 'db', 1, 4, 'StatefulSet'));
    const hpa = await waitHpa('statefulset', 'FailedGetScale', (h) => condition(h, 'AbleToScale')?.reason === 'FailedGetScale');
    expect(condition(hpa, 'AbleToScale')?.message).toBe('the HPA controller was unable to get the target\'s current scale: no matches for kind "StatefulSet" in group "apps"');
  });

  it('two autoscalers over the same pods: both AmbiguousSelector, neither scales', async () => {
    await deployments.create(deployment('shared', 2));
    await env.typed('pod').create(Pod.fromPartial({ metadata: { name: 'shared-1', namespace: NS, labels: { app: 'shared' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } }));
    await hpas.create(autoscaler('shared-a', 'shared', 1, 4));
    await hpas.create(autoscaler('shared-b', 'shared', 1, 4));
    const message = 'pods by selector app=shared are controlled by multiple HPAs: [default/shared-a default/shared-b]';
    for (const name of ['shared-a', 'shared-b']) {
      const hpa = await waitHpa(name, 'AmbiguousSelector', (h) => condition(h, 'ScalingActive')?.reason === 'AmbiguousSelector');
      expect(condition(hpa, 'ScalingActive')).toMatchObject({ status: 'False', message });
    }
    // Deleting one clears the ambiguity for the other (its selector is forgotten).
    await hpas.delete(NS, 'shared-a');
    await waitHpa('shared-b', 'no longer ambiguous', (h) => condition(h, 'ScalingActive')?.reason === 'FailedGetResourceMetric');
    expect((await deployments.get(NS, 'shared')).spec?.replicas).toBe(2);
  });

  it('a target at zero replicas disables scaling', async () => {
    await deployments.create(deployment('zero', 0));
    await hpas.create(autoscaler('zero', 'zero', 1, 4));
    const hpa = await waitHpa('zero', 'ScalingDisabled', (h) => condition(h, 'ScalingActive')?.reason === 'ScalingDisabled');
    expect(condition(hpa, 'ScalingActive')).toMatchObject({ status: 'False', message: 'scaling is disabled since the replica count of the target is zero' });
    expect(hpa.status).toMatchObject({ currentReplicas: 0, desiredReplicas: 0 });
    expect((await deployments.get(NS, 'zero')).spec?.replicas).toBe(0);
  });
});
