import { Deployment, type HorizontalPodAutoscaler } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, testLabel, waitFor } from '@skiff/testing';
import { isReady, isRunning, startE2eCluster, type E2eCluster } from './e2e-fixture';

/**
 * Issue 6, acceptance 6, end to end: the built apiserver, scheduler, controller-manager (HPA
 * synced every SYNC_S with a STABILIZATION_S scale-down window) and a kubelet on real Docker
 * sampling its containers every second; the HPA created with the built CLI (`skiff autoscale`).
 *
 * The Deployment's pods ask for 100m CPU and may use 200m; each burns CPU only while /tmp/load
 * exists in it (switched with `skiff exec`), so the load starts and stops at known times. One
 * loaded pod uses up to 200% of its request against a TARGET_PERCENT target (low, so that the
 * verdict holds even when the busy machine gives the burner much less than its limit): the HPA
 * wants more than max and is held at max. Replica counts (the Deployment's spec, the HPA's
 * desired count, live pods) are sampled throughout and must never exceed max. When the load stops, the HPA may scale down only once its
 * recommendations made under load have left the window: not before (load stop + window - one
 * period, since the last loaded recommendation may predate the stop by up to a period), and
 * down to min within (load stop + window + two periods + 2 s for the sample in flight).
 */
const run = testLabel().value;
const NODE = `hpa-${run}-1`;
const NS = 'default';
const APP = `burner-${run}`;
const SYNC_S = 3;
const STABILIZATION_S = 15;
const MAX = 3;
const TARGET_PERCENT = 20;
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;
let deployments: TypedClient<'deployment'>;
let hpas: TypedClient<'horizontalPodAutoscaler'>;

beforeAll(async () => {
  e2e = await startE2eCluster({
    nodes: [{ name: NODE, cpu: '2', memory: '4Gi' }],
    kubeletArgs: ['--housekeeping-interval', '1', '--lease-interval', '1'],
    controllerManagers: 1,
    controllerManagerArgs: [
      '--horizontal-pod-autoscaler-sync-period', String(SYNC_S),
      '--horizontal-pod-autoscaler-downscale-stabilization', String(STABILIZATION_S),
    ],
  });
  pods = e2e.typed('pod');
  deployments = e2e.typed('deployment');
  hpas = e2e.typed('horizontalPodAutoscaler');
}, 240_000);

afterAll(() => e2e?.stop(), 60_000);

/**
 * One replica whose container burns CPU (capped at 200m) while /tmp/load exists, and otherwise
 * looks for it once a second (about 1m: idle pods must stay far below the target).
 */
function burner(): Deployment {
  const labels = { app: APP };
  return Deployment.fromPartial({
    metadata: { name: APP, namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [
            {
              name: 'burn',
              image: TEST_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', 'while :; do if [ -f /tmp/load ]; then :; else sleep 1; fi; done'],
              resources: { requests: { cpu: '100m' }, limits: { cpu: '200m' } },
            },
          ],
        },
      },
    },
  });
}

/** The rows of a kubectl-style table, each cell by its header. */
function table(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trim().split('\n').map((line) => line.trim().split(/\s{2,}/));
  return rows.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i]])));
}

const condition = (hpa: HorizontalPodAutoscaler, type: string) => hpa.status?.conditions.find((c) => c.type === type);
const replicas = async () => (await deployments.get(NS, APP)).spec?.replicas ?? 1;

/**
 * Samples the replica counts every 250 ms until stop(): the highest seen of each, and a timeline
 * of what changed (ms since the start: spec replicas, HPA desired, utilization), for the log.
 */
function sampleReplicas() {
  const highest = { spec: 0, desired: 0, livePods: 0 };
  const timeline: string[] = [];
  const start = Date.now();
  let last = '';
  let samples = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const [spec, hpa, list] = await Promise.all([replicas(), hpas.get(NS, APP), pods.list({ namespace: NS, labelSelector: `app=${APP}` })]);
      const live = list.items.filter((p) => !p.metadata?.deletionTimestamp).length;
      highest.spec = Math.max(highest.spec, spec);
      highest.desired = Math.max(highest.desired, hpa.status?.desiredReplicas ?? 0);
      highest.livePods = Math.max(highest.livePods, live);
      const now = `spec ${spec} desired ${hpa.status?.desiredReplicas} pods ${live} cpu ${hpa.status?.currentMetrics[0]?.resource?.current?.averageUtilization ?? '?'}%`;
      if (now !== last) timeline.push(`${Date.now() - start}ms ${(last = now)}`);
      samples++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    highest,
    timeline,
    async stop() {
      running = false;
      await done;
      return samples;
    },
  };
}

describe('horizontal pod autoscaling (issue 6, acceptance 6)', () => {
  it('scales up within two sync periods of the load, never above max, and down only after the stabilization window', async () => {
    await deployments.create(burner());
    const [first] = await waitFor(
      'the burner pod running and Ready',
      async () => {
        const list = (await pods.list({ namespace: NS, labelSelector: `app=${APP}` })).items;
        return list.length === 1 && isRunning(list[0]) && isReady(list[0]) ? list : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const loaded = first.metadata?.name ?? '';

    expect(await e2e.cli(['autoscale', `deploy/${APP}`, '--min', '1', '--max', String(MAX), '--cpu-percent', String(TARGET_PERCENT)])).toBe(`horizontalpodautoscaler.autoscaling/${APP} autoscaled\n`);
    await expect(e2e.cli(['autoscale', `deploy/${APP}`, '--max', '5'])).rejects.toMatchObject({ stderr: `error: horizontalpodautoscalers.autoscaling "${APP}" already exists\n` });

    // Idle: metrics flow, utilization is below target, nothing scales.
    const idle = await waitFor(
      'the HPA computing from metrics',
      async () => {
        const hpa = await hpas.get(NS, APP);
        return condition(hpa, 'ScalingActive')?.status === 'True' ? hpa : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(idle.status?.currentMetrics[0]?.resource?.current?.averageUtilization).toBeLessThan(TARGET_PERCENT);
    expect(await replicas()).toBe(1);
    const idleRow = table(await e2e.cli(['get', 'hpa', APP]))[0];
    expect(idleRow).toMatchObject({ NAME: APP, REFERENCE: `Deployment/${APP}`, MINPODS: '1', MAXPODS: String(MAX), REPLICAS: '1' });
    expect(idleRow.TARGETS).toMatch(new RegExp(`^cpu: \\d+%/${TARGET_PERCENT}%$`));

    const sampler = sampleReplicas();
    const started = Date.now();
    let loadOnAt = -1;
    let loadOffAt = -1;
    try {
      // Load on: the first pod burns (up to 200m, 200% of its request).
      await e2e.cli(['exec', loaded, '--', 'touch', '/tmp/load']);
      const loadOn = Date.now();
      loadOnAt = loadOn - started;
      await waitFor('a scale-up', async () => (await replicas()) > 1, { timeoutMs: 4 * SYNC_S * 1000, intervalMs: 100 });
      const scaleUpMs = Date.now() - loadOn;
      expect(scaleUpMs).toBeLessThanOrEqual(2 * SYNC_S * 1000);
      expect(await replicas()).toBe(MAX); // more than max wanted: max in one step

      // Under load for a few syncs: the HPA keeps wanting more and is held at max.
      const limited = await waitFor(
        'ScalingLimited TooManyReplicas',
        async () => {
          const hpa = await hpas.get(NS, APP);
          return condition(hpa, 'ScalingLimited')?.reason === 'TooManyReplicas' && hpa.status?.currentReplicas === MAX ? hpa : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(condition(limited, 'ScalingLimited')).toMatchObject({ status: 'True', message: 'the desired replica count is more than the maximum replica count' });
      const busyRow = table(await e2e.cli(['get', 'hpa']))[0];
      expect(busyRow).toMatchObject({ NAME: APP, MINPODS: '1', MAXPODS: String(MAX), REPLICAS: String(MAX) });
      const busyPercent = Number(new RegExp(`^cpu: (\\d+)%/${TARGET_PERCENT}%$`).exec(busyRow.TARGETS)?.[1]);
      expect(busyPercent).toBeGreaterThan(TARGET_PERCENT);

      // Load off: the scale-down waits for the stabilization window.
      await e2e.cli(['exec', loaded, '--', 'rm', '/tmp/load']);
      const loadOff = Date.now();
      loadOffAt = loadOff - started;
      const earliest = loadOff + (STABILIZATION_S - SYNC_S) * 1000;
      const latest = loadOff + (STABILIZATION_S + 2 + 2 * SYNC_S) * 1000;
      const scaledDown = await waitFor(
        'the scale-down',
        async () => {
          const n = await replicas();
          if (n < MAX) return { at: Date.now(), n };
          return undefined;
        },
        { timeoutMs: latest - Date.now() + 2_000, intervalMs: 100 },
      );
      const scaleDownMs = scaledDown.at - loadOff;
      expect(scaledDown.at).toBeGreaterThanOrEqual(earliest);
      expect(scaledDown.at).toBeLessThanOrEqual(latest);
      // Idle pods propose min. A sync that read a sample taken as the load stopped may have proposed
      // something in between, which then holds for its own window: min comes by the same bound.
      const atMin = await waitFor('the scale-down to min', async () => ((await replicas()) === 1 ? Date.now() : undefined), { timeoutMs: latest - Date.now() + 2_000, intervalMs: 100 });
      const minMs = atMin - loadOff;
      expect(atMin).toBeLessThanOrEqual(latest);

      const samples = await sampler.stop();
      expect(sampler.highest).toEqual({ spec: MAX, desired: MAX, livePods: MAX });

      const described = await e2e.cli(['describe', 'hpa', APP]);
      expect(described).toContain(`Reference:          Deployment/${APP}\n`);
      expect(described).toMatch(new RegExp(`  resource cpu on pods  \\(as a percentage of request\\):  \\d+% \\(\\d+m?\\) / ${TARGET_PERCENT}%\n`));
      expect(described).toMatch(/ScalingActive\s+True\s+ValidMetricFound\s+the HPA was able to successfully calculate a replica count from cpu resource utilization \(percentage of request\)/);
      expect(described).toMatch(/SuccessfulRescale\s+.*New size: 3; reason: cpu resource utilization \(percentage of request\) above target/);
      expect(described).toMatch(/SuccessfulRescale\s+.*New size: 1; reason: All metrics below target/);
      expect(scaledDown.n === 1 || described.includes(`New size: ${scaledDown.n}; reason: All metrics below target`)).toBe(true);
      process.stdout.write(
        `autoscaling: sync ${SYNC_S}s, window ${STABILIZATION_S}s; scale-up ${scaleUpMs} ms after the load (bound ${2 * SYNC_S * 1000}); ` +
          `scale-down to ${scaledDown.n} ${scaleDownMs} ms and to 1 ${minMs} ms after the load stopped (bounds ${(STABILIZATION_S - SYNC_S) * 1000}-${(STABILIZATION_S + 2 + 2 * SYNC_S) * 1000}); ` +
          `busy ${busyPercent}% of request; ${samples} samples, highest ${JSON.stringify(sampler.highest)}\n${described}`,
      );
    } finally {
      await sampler.stop();
      process.stdout.write(`autoscaling timeline (load on at ${loadOnAt}ms, off at ${loadOffAt}ms):\n${sampler.timeline.join('\n')}\n`);
    }
  }, 240_000);
});
