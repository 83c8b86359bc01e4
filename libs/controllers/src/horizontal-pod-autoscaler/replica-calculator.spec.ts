import { Pod } from '@skiff/api';
import { groupPods, podRequests, rawResourceReplicas, resourceReplicas, utilizationRatio, type CalculatorOptions, type PodSample } from './replica-calculator';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const MIN = 60_000;
const OPTIONS: CalculatorOptions = { tolerance: 0.1, cpuInitializationPeriodMs: 5 * MIN, initialReadinessDelayMs: 30_000, now: NOW };

interface PodOptions {
  phase?: string;
  /** Ready condition status; null: no Ready condition. */
  ready?: 'True' | 'False' | null;
  /** ms before NOW the pod started (default 10 min: past the CPU initialization period). */
  startedAgo?: number | null;
  /** ms before NOW the Ready condition last changed (default 9 min). */
  readySince?: number;
  /** Requests of each container (default one container asking 1 CPU). */
  requests?: Record<string, string>[];
  deleting?: boolean;
}

function pod(name: string, o: PodOptions = {}): Pod {
  const ready = o.ready === undefined ? 'True' : o.ready;
  return Pod.fromPartial({
    metadata: { name, namespace: 'default', deletionTimestamp: o.deleting ? new Date(NOW) : undefined },
    spec: { containers: (o.requests ?? [{ cpu: '1' }]).map((requests, i) => ({ name: `c${i}`, resources: { requests } })) },
    status: {
      phase: o.phase ?? 'Running',
      startTime: o.startedAgo === null ? undefined : new Date(NOW - (o.startedAgo ?? 10 * MIN)),
      conditions: ready === null ? [] : [{ type: 'Ready', status: ready, lastTransitionTime: new Date(NOW - (o.readySince ?? 9 * MIN)) }],
    },
  });
}

/** Samples (milli-units) by pod name, sampled `ago` ms before NOW over a 30 s window. */
function samples(values: Record<string, number>, ago = 0): Map<string, PodSample> {
  return new Map(Object.entries(values).map(([name, value]) => [name, { value, timestamp: NOW - ago, windowMs: 30_000 }]));
}

/** Not Ready since 10 s after its start 10 min ago: never ready, so unready for cpu. */
const NEVER_READY: PodOptions = { ready: 'False', readySince: 10 * MIN - 10_000 };
const names = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);
const pods = (n: number, o: PodOptions = {}) => names(n).map((name) => pod(name, o));
const levels = (...values: number[]) => samples(Object.fromEntries(values.map((v, i) => [`p${i}`, v])));

describe('resourceReplicas (Utilization targets)', () => {
  it('scales up to ceil(ready pods x utilization / target)', () => {
    // 1500m used of 3000m requested: 50% against 30% -> ratio 1.67 -> ceil(5.0) = 5.
    expect(resourceReplicas(3, 30, 'cpu', pods(3), levels(300, 500, 700), OPTIONS)).toEqual({ ok: true, replicas: 5, utilization: 50, averageValue: 500 });
  });

  it('scales down the same way; utilization truncates to whole percent', () => {
    // 1400m of 5000m: 28% against 50% -> ceil(0.56 x 5) = 3.
    expect(resourceReplicas(5, 50, 'cpu', pods(5), levels(100, 300, 500, 250, 250), OPTIONS)).toEqual({ ok: true, replicas: 3, utilization: 28, averageValue: 280 });
  });

  it('keeps the current count within the tolerance (|1 - ratio| <= 0.1), and honours a different tolerance', () => {
    const p = [pod('p0', { requests: [{ cpu: '900m' }] }), pod('p1', { requests: [{ cpu: '1' }] }), pod('p2', { requests: [{ cpu: '1100m' }] })];
    const s = levels(1010, 1030, 1020); // 102%
    expect(resourceReplicas(3, 100, 'cpu', p, s, OPTIONS)).toMatchObject({ ok: true, replicas: 3, utilization: 102 });
    expect(resourceReplicas(3, 110, 'cpu', p, s, OPTIONS)).toMatchObject({ replicas: 3 }); // 0.927: within
    expect(resourceReplicas(3, 110, 'cpu', p, s, { ...OPTIONS, tolerance: 0.05 })).toMatchObject({ replicas: 3 }); // ceil(0.927 x 3) = 3 anyway
    expect(resourceReplicas(3, 120, 'cpu', p, s, { ...OPTIONS, tolerance: 0.05 })).toMatchObject({ replicas: 3 }); // ceil(0.85 x 3) = 3
    expect(resourceReplicas(3, 150, 'cpu', p, s, OPTIONS)).toMatchObject({ replicas: 3 }); // ceil(0.68 x 3) = 3
    expect(resourceReplicas(3, 200, 'cpu', p, s, OPTIONS)).toMatchObject({ replicas: 2 }); // ceil(0.51 x 3) = 2
  });

  it('sums the requests of every container of a pod', () => {
    const p = pods(2, { requests: [{ cpu: '200m' }, { cpu: '300m' }] });
    expect(podRequests(p, 'cpu')).toEqual(new Map([['p0', 500], ['p1', 500]]));
    // 500m of 1000m: 50% against 25% -> 4.
    expect(resourceReplicas(2, 25, 'cpu', p, levels(250, 250), OPTIONS)).toMatchObject({ replicas: 4, utilization: 50 });
  });

  it('adds the requests of native sidecars (restartable init containers), not those of regular init containers', () => {
    const withInits = (sidecar: Record<string, string>) =>
      Pod.fromPartial({
        ...pod('p0', { requests: [{ cpu: '100m' }] }),
        spec: {
          containers: [{ name: 'app', resources: { requests: { cpu: '100m' } } }],
          initContainers: [
            { name: 'setup', resources: { requests: { cpu: '20m' } } },
            { name: 'proxy', restartPolicy: 'Always', resources: { requests: sidecar } },
            { name: 'late', resources: {} },
          ],
        },
      });
    expect(podRequests([withInits({ cpu: '50m' })], 'cpu')).toEqual(new Map([['p0', 150]]));
    // A sidecar without the request fails as an app container does; a regular init container without one does not matter.
    expect(podRequests([withInits({ memory: '64Mi' })], 'cpu')).toEqual({ message: 'missing request for cpu in container proxy of Pod p0' });
  });

  it('fails when a container has no request for the resource (ScalingActive False, as Kubernetes)', () => {
    const p = [pod('p0'), pod('p1', { requests: [{ cpu: '1' }, { memory: '64Mi' }] })];
    expect(resourceReplicas(2, 50, 'cpu', p, levels(100, 100), OPTIONS)).toEqual({ ok: false, message: 'missing request for cpu in container c1 of Pod p1' });
    expect(podRequests(p, 'memory')).toEqual({ message: 'missing request for memory in container c0 of Pod p0' });
  });

  it('fails without pods, or without samples of counted pods', () => {
    expect(resourceReplicas(1, 50, 'cpu', [], levels(100), OPTIONS)).toEqual({ ok: false, message: 'no pods returned by selector while calculating replica count' });
    expect(resourceReplicas(2, 50, 'cpu', pods(2, { phase: 'Pending' }), levels(100, 100), OPTIONS)).toEqual({
      ok: false,
      message: 'did not receive metrics for targeted pods (pods might be unready)',
    });
  });

  it('utilizationRatio: pods without a request are extra metrics; none matching at all is an error', () => {
    expect(utilizationRatio(new Map([['a', 500], ['stray', 9000]]), new Map([['a', 1000]]), 50)).toEqual({ ratio: 1, utilization: 50, averageValue: 500 });
    expect(utilizationRatio(new Map([['stray', 9000]]), new Map([['a', 1000]]), 50)).toEqual({ message: 'no metrics returned matched known pods' });
  });

  describe('unready pods (cpu)', () => {
    it('on a scale-up count as 0% and the scale-up is smaller', () => {
      const p = [pod('p0', NEVER_READY), pod('p1'), pod('p2')];
      // Ready pods: 1200m of 2000m = 60% -> ratio 2; with p0 at 0: 1200/3000 = 40% -> ceil(1.33 x 3) = 4.
      expect(resourceReplicas(3, 30, 'cpu', p, levels(300, 500, 700), OPTIONS)).toEqual({ ok: true, replicas: 4, utilization: 60, averageValue: 600 });
    });

    it('when counting them at 0% reverses the direction, nothing changes', () => {
      const p = [pod('p0'), pod('p1', NEVER_READY), pod('p2', NEVER_READY)];
      // Ready: 400/1000 = 40% -> 1.33; with the others at 0: 400/3000 = 13% -> below 1: keep 3.
      expect(resourceReplicas(3, 30, 'cpu', p, levels(400, 500, 700), OPTIONS)).toMatchObject({ ok: true, replicas: 3, utilization: 40 });
    });

    it('are left out of a scale-down', () => {
      const p = [pod('p0', NEVER_READY), pod('p1'), pod('p2')];
      // Ready: 200/2000 = 10% against 50% -> ceil(0.2 x 2) = 1.
      expect(resourceReplicas(3, 50, 'cpu', p, levels(900, 100, 100), OPTIONS)).toMatchObject({ replicas: 1, utilization: 10 });
    });

    it('Pending pods are unready for every resource; memory ignores readiness otherwise', () => {
      const p = [pod('p0', { phase: 'Pending', requests: [{ memory: '100Mi' }] }), pod('p1', { ready: 'False', requests: [{ memory: '100Mi' }] })];
      const mi = 2 ** 20 * 1000;
      const s = samples({ p0: 100 * mi, p1: 100 * mi });
      // p1 counts (memory does not look at Ready): 100% against 50% -> 2; p0 pending counts 0 -> 50% -> within tolerance: keep.
      expect(resourceReplicas(2, 50, 'memory', p, s, OPTIONS)).toMatchObject({ replicas: 2, utilization: 100 });
      expect(groupPods(p, s, 'memory', OPTIONS)).toEqual({ readyCount: 1, unready: new Set(['p0']), missing: new Set(), ignored: new Set() });
    });

    it('within the CPU initialization period a pod counts once Ready and sampled for a whole window since', () => {
      const young = (readySince: number) => pod('p0', { startedAgo: 2 * MIN, readySince });
      const group = (p: Pod, ago = 0) => groupPods([p], samples({ p0: 500 }, ago), 'cpu', OPTIONS);
      expect(group(young(10_000)).unready).toEqual(new Set(['p0'])); // Ready 10 s ago, window 30 s: sample covers unready time
      expect(group(young(40_000)).readyCount).toBe(1);
      expect(group(young(40_000), 15_000).unready).toEqual(new Set(['p0'])); // sampled 25 s after Ready: window not yet clean
      expect(group(pod('p0', { startedAgo: 2 * MIN, ready: 'False', readySince: 90_000 })).unready).toEqual(new Set(['p0']));
      expect(groupPods([young(40_000)], samples({ p0: 500 }), 'cpu', { ...OPTIONS, cpuInitializationPeriodMs: MIN }).readyCount).toBe(1);
    });

    it('after the initialization period only a pod that was never ready is unready', () => {
      // Turned unready 10 s after its start (within the 30 s readiness delay): never ready.
      const neverReady = pod('p0', { ready: 'False', startedAgo: 10 * MIN, readySince: 10 * MIN - 10_000 });
      // Turned unready 5 min after its start: it was ready, its usage counts.
      const wasReady = pod('p1', { ready: 'False', startedAgo: 10 * MIN, readySince: 5 * MIN });
      expect(groupPods([neverReady, wasReady], levels(100, 100), 'cpu', OPTIONS)).toEqual({ readyCount: 1, unready: new Set(['p0']), missing: new Set(), ignored: new Set() });
      expect(groupPods([neverReady], levels(100), 'cpu', { ...OPTIONS, initialReadinessDelayMs: 5_000 }).readyCount).toBe(1);
    });

    it('a pod with no Ready condition or no start time is unready', () => {
      expect(groupPods([pod('p0', { ready: null }), pod('p1', { startedAgo: null })], levels(1, 1), 'cpu', OPTIONS).unready).toEqual(new Set(['p0', 'p1']));
    });
  });

  describe('missing metrics', () => {
    it('on a scale-up count as 0%', () => {
      // 3 sampled at 100% against 50% -> 2; p3 at 0: 3000/4000 = 75% -> ceil(1.5 x 4) = 6.
      expect(resourceReplicas(4, 50, 'cpu', pods(4), levels(1000, 1000, 1000), OPTIONS)).toMatchObject({ replicas: 6, utilization: 100 });
    });

    it('on a scale-down count as 100% of their request', () => {
      // 10% against 50%; p3 at 1000m: 1300/4000 = 32% -> ceil(0.64 x 4) = 3.
      expect(resourceReplicas(4, 50, 'cpu', pods(4), levels(100, 100, 100), OPTIONS)).toMatchObject({ replicas: 3, utilization: 10 });
    });

    it('on a scale-down against a target above 100% count at the target', () => {
      // 20% against 200%; p3 at 2000m: 2600/4000 = 65% -> ceil(0.325 x 4) = 2.
      expect(resourceReplicas(4, 200, 'cpu', pods(4), levels(200, 200, 200), OPTIONS)).toMatchObject({ replicas: 2, utilization: 20 });
    });

    it('when they reverse the direction, or land within the tolerance, nothing changes', () => {
      // 45% against 50% (a scale-down); p1 at 100%: 72% -> a scale-up: keep 2.
      expect(resourceReplicas(2, 50, 'cpu', pods(2), levels(450), OPTIONS)).toMatchObject({ replicas: 2, utilization: 45 });
      // 80% against 100%; p1 at 100% -> 90%: within the tolerance: keep 2.
      expect(resourceReplicas(2, 100, 'cpu', pods(2), levels(800), OPTIONS)).toMatchObject({ replicas: 2, utilization: 80 });
    });

    it('never counts a scale against the direction because more pods were counted than the current replicas', () => {
      // current 1 (spec lags) with 4 pods: 10% vs 50%, missing at 100% -> 32.5% -> ceil(0.65 x 4) = 3 > 1: keep 1.
      expect(resourceReplicas(1, 50, 'cpu', pods(4), levels(100, 100, 100), OPTIONS)).toMatchObject({ replicas: 1 });
    });
  });

  it('ignores pods being deleted and Failed pods, whatever their samples say', () => {
    const p = [pod('p0'), pod('p1'), pod('p2', { phase: 'Failed' }), pod('p3', { deleting: true })];
    // 1200m of 2000m = 60% against 30% -> ceil(2 x 2) = 4.
    expect(resourceReplicas(2, 30, 'cpu', p, levels(500, 700, 4000, 9000), OPTIONS)).toMatchObject({ replicas: 4, utilization: 60 });
    expect(groupPods(p, levels(500, 700, 4000, 9000), 'cpu', OPTIONS).ignored).toEqual(new Set(['p2', 'p3']));
  });
});

describe('rawResourceReplicas (AverageValue targets)', () => {
  it('scales by the average per pod against the target, without requests', () => {
    const p = pods(3, { requests: [{}] });
    expect(rawResourceReplicas(3, 400, 'cpu', p, levels(600, 800, 1000), OPTIONS)).toEqual({ ok: true, replicas: 6, averageValue: 800 });
    expect(rawResourceReplicas(3, 800, 'cpu', p, levels(600, 800, 1000), OPTIONS)).toEqual({ ok: true, replicas: 3, averageValue: 800 });
    expect(rawResourceReplicas(3, 2000, 'cpu', p, levels(600, 800, 1000), OPTIONS)).toEqual({ ok: true, replicas: 2, averageValue: 800 });
  });

  it('missing pods count at the target on a scale-down and 0 on a scale-up; unready ones at 0 on a scale-up', () => {
    const p = pods(4, { requests: [{}] });
    // average 200 vs 1000 -> down; p3 at 1000: 1600/4 = 400 -> ceil(0.4 x 4) = 2.
    expect(rawResourceReplicas(4, 1000, 'cpu', p, levels(200, 200, 200), OPTIONS)).toMatchObject({ replicas: 2, averageValue: 200 });
    // average 2000 vs 1000 -> up; p3 at 0: 1500 -> ceil(1.5 x 4) = 6.
    expect(rawResourceReplicas(4, 1000, 'cpu', p, levels(2000, 2000, 2000), OPTIONS)).toMatchObject({ replicas: 6, averageValue: 2000 });
    const unready = [...pods(3, { requests: [{}] }), pod('p3', { phase: 'Pending', requests: [{}] })];
    expect(rawResourceReplicas(4, 1000, 'cpu', unready, levels(2000, 2000, 2000, 5000), OPTIONS)).toMatchObject({ replicas: 6, averageValue: 2000 });
  });

  it('the average truncates to a whole milli-unit', () => {
    expect(rawResourceReplicas(3, 100, 'cpu', pods(3), levels(100, 100, 101), OPTIONS)).toMatchObject({ replicas: 3, averageValue: 100 });
  });
});
