import { execFile } from 'node:child_process';
import { DaemonSet, intOrString, Pod, PodDisruptionBudget, unwrap, Volume } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, testLabel, waitFor } from '@skiff/testing';
import { isLive, isReady, isRunning, livePodsOfApp, sleeperDeployment, startE2eCluster, type E2eCluster } from './e2e-fixture';

/**
 * Node maintenance end to end (issue acceptance 5): the built apiserver, scheduler,
 * controller-manager (every controller: disruption, deployment, replicaset, daemonset ...) and two
 * Docker kubelets; driven through the built CLI as a user types it, observed through the API.
 *
 * Node 2 is cordoned while the Deployment starts, so all 3 of its pods land on node 1; then node 2
 * is uncordoned and node 1 drained: every eviction goes through the PodDisruptionBudget
 * (minAvailable 2), and the replacements can only go to node 2. A watch on the Deployment's pods
 * records, after every event, how many are Ready and not being deleted; the lowest figure must
 * never fall below 2. The DaemonSet (daemonset controller registered) runs one pod on node 1 only
 * (nodeSelector), which drain skips with --ignore-daemonsets.
 */
const run = testLabel().value;
const NODE_1 = `nm-${run}-1`;
const NODE_2 = `nm-${run}-2`;
const NS = 'default';
const HOSTNAME = 'kubernetes.io/hostname';
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;

beforeAll(async () => {
  e2e = await startE2eCluster({ nodes: [NODE_1, NODE_2].map((name) => ({ name, cpu: '2', memory: '4Gi' })), controllerManagers: 1 });
  pods = e2e.typed('pod');
}, 240_000);

afterAll(() => e2e?.stop(), 90_000);

function skiff(...args: string[]): Promise<string> {
  return e2e.cli(args, 150_000);
}

/** Runs the built CLI; resolves with its exit code, stdout and stderr (drain prints warnings on stderr and succeeds). */
function skiffAll(args: string[], timeoutMs = 150_000): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [e2e.cluster.cliPath, ...args], { timeout: timeoutMs, env: { ...process.env, SKIFF_SERVER: e2e.cluster.address } }, (err, out, errText) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out, err: errText });
    });
  });
}

/**
 * Follows the pods labelled app=<app> from a List and a Watch from its revision, and records the
 * number of Ready pods not being deleted after each event; stop() ends the watch and returns the
 * lowest figure and every figure seen.
 */
async function watchReadyCount(app: string): Promise<{ stop(): { min: number; samples: number[] } }> {
  const list = await e2e.client.list('pods', { namespace: NS, labelSelector: `app=${app}` });
  const state = new Map<string, Pod>(list.items.map((item) => unwrap(item).object as Pod).map((p) => [p.metadata?.name ?? '', p]));
  const count = () => [...state.values()].filter((p) => isLive(p) && isReady(p)).length;
  const samples = [count()];
  const abort = new AbortController();
  const done = (async () => {
    try {
      for await (const event of e2e.client.watch('pods', { namespace: NS, labelSelector: `app=${app}`, resourceVersion: list.resourceVersion }, abort.signal)) {
        if (event.type === 'DELETED') state.delete(event.name);
        else if (event.object) state.set(event.name, unwrap(event.object).object as Pod);
        samples.push(count());
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  return {
    stop() {
      abort.abort();
      void done;
      return { min: Math.min(...samples), samples };
    },
  };
}

const nodeLine = async (name: string) => (await skiff('get', 'nodes', name)).split('\n')[1] ?? '';

describe('node maintenance', () => {
  it('drain evicts a Deployment through its PodDisruptionBudget (never fewer than 2 Ready), skips the DaemonSet pod, leaves the node cordoned; uncordon makes it schedulable', async () => {
    // 1. Everything on node 1: node 2 cordoned while the pods are scheduled.
    expect(await skiff('cordon', NODE_2)).toBe(`node/${NODE_2} cordoned\n`);
    expect(await nodeLine(NODE_2)).toMatch(new RegExp(`^${NODE_2}\\s+Ready,SchedulingDisabled\\s`));
    const deployment = sleeperDeployment('web');
    // an emptyDir volume: drain needs --delete-emptydir-data for these pods
    deployment.spec!.template!.spec!.volumes = [Volume.fromPartial({ name: 'scratch', emptyDir: {} })];
    await e2e.typed('deployment').create(deployment);
    await e2e.typed('podDisruptionBudget').create(
      PodDisruptionBudget.fromPartial({ metadata: { name: 'web-pdb', namespace: NS }, spec: { minAvailable: intOrString(2), selector: { matchLabels: { app: 'web' } } } }),
    );
    await e2e.typed('daemonSet').create(
      DaemonSet.fromPartial({
        metadata: { name: 'agent', namespace: NS },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: {
            metadata: { labels: { app: 'agent' } },
            spec: { nodeSelector: { [HOSTNAME]: NODE_1 }, terminationGracePeriodSeconds: 1, containers: [{ name: 'agent', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'exec sleep 3600'] }] },
          },
        },
      }),
    );
    const web = await waitFor(
      '3 Ready pods of web on node 1',
      async () => {
        const list = await livePodsOfApp(pods, 'web');
        return list.length === 3 && list.every((p) => isReady(p) && p.spec?.nodeName === NODE_1) ? list : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 300 },
    );
    const agent = await waitFor(
      'the DaemonSet pod running on node 1',
      async () => {
        const list = await livePodsOfApp(pods, 'agent');
        return list.length === 1 && isRunning(list[0]) && list[0].spec?.nodeName === NODE_1 ? list[0] : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 300 },
    );
    await waitFor(
      'the budget to allow 1 disruption',
      async () => {
        const pdb = await e2e.typed('podDisruptionBudget').get(NS, 'web-pdb');
        return pdb.status?.disruptionsAllowed === 1 && pdb.status.currentHealthy === 3 ? pdb : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const describePdb = await skiff('describe', 'pdb', 'web-pdb');
    expect(describePdb).toContain('Min available:  2\n');
    expect(describePdb).toContain('    Allowed disruptions:  1\n');
    expect((await skiff('get', 'pdb')).split('\n')[1]).toMatch(/^web-pdb\s+2\s+N\/A\s+1\s+\d+s$/);

    // 2. Drain node 1 with node 2 open.
    expect(await skiff('uncordon', NODE_2)).toBe(`node/${NODE_2} uncordoned\n`);
    const readiness = await watchReadyCount('web');
    const drained = await skiffAll(['drain', NODE_1, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout', '120s']);
    const { min, samples } = readiness.stop();
    expect(drained.code).toBe(0);
    const out = drained.out.trimEnd().split('\n');
    expect(out[0]).toBe(`node/${NODE_1} cordoned`);
    expect(out.at(-1)).toBe(`node/${NODE_1} drained`);
    const names = web.map((p) => p.metadata?.name ?? '').sort();
    expect(out.filter((l) => l.endsWith(' evicted')).sort()).toEqual(names.map((n) => `pod/${n} evicted`));
    expect(new Set(out.filter((l) => l.startsWith('evicting pod ')))).toEqual(new Set(names.map((n) => `evicting pod ${NS}/${n}`)));
    const err = drained.err.trimEnd().split('\n');
    expect(err[0]).toBe(`Warning: ignoring DaemonSet-managed Pods: ${NS}/${agent.metadata?.name}`);
    // the budget allowed one eviction at a time: the others were refused and retried
    expect(err.length).toBeGreaterThan(1);
    for (const line of err.slice(1)) expect(line).toMatch(/^error when evicting pods\/"web-[^"]+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\.$/);
    // every figure the watch saw, from 3 down (one eviction at a time) and back
    expect(samples.length).toBeGreaterThan(3);
    // never below 2, and exactly 2 while an evicted pod's replacement was starting
    expect(min).toBe(2);

    // 3. The state after drain: the replacements run on node 2, the DaemonSet pod stays, node 1 is cordoned.
    const after = await waitFor(
      '3 Ready pods of web on node 2',
      async () => {
        const list = await livePodsOfApp(pods, 'web');
        return list.length === 3 && list.every((p) => isReady(p) && p.spec?.nodeName === NODE_2) ? list : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(after.map((p) => p.metadata?.name).filter((n) => names.includes(n ?? ''))).toEqual([]);
    const agentAfter = await pods.get(NS, agent.metadata?.name ?? '');
    expect(agentAfter.metadata?.uid).toBe(agent.metadata?.uid);
    expect(isLive(agentAfter)).toBe(true);
    expect(await nodeLine(NODE_1)).toMatch(new RegExp(`^${NODE_1}\\s+Ready,SchedulingDisabled\\s`));

    // 4. A pod for node 1 waits while it is cordoned, and lands there after uncordon.
    await pods.create(
      Pod.fromPartial({
        metadata: { name: 'back-on-1', namespace: NS, labels: { app: 'back' } },
        spec: { nodeSelector: { [HOSTNAME]: NODE_1 }, terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'exec sleep 3600'] }] },
      }),
    );
    await waitFor(
      'back-on-1 to be reported unschedulable',
      async () => {
        const pod = await pods.get(NS, 'back-on-1');
        return !pod.spec?.nodeName && pod.status?.conditions.some((c) => c.type === 'PodScheduled' && c.status === 'False') ? pod : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(await skiff('uncordon', NODE_1)).toBe(`node/${NODE_1} uncordoned\n`);
    expect(await nodeLine(NODE_1)).toMatch(new RegExp(`^${NODE_1}\\s+Ready\\s`));
    const landed = await waitFor(
      'back-on-1 running on node 1',
      async () => {
        const pod = await pods.get(NS, 'back-on-1');
        return isRunning(pod) ? pod : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(landed.spec?.nodeName).toBe(NODE_1);
  }, 300_000);
});
