import type { TypedClient } from '@skiff/client';
import { testLabel, waitFor, type ControllerManagerProcess } from '@skiff/testing';
import { livePodsOfApp, podsOfApp, sleeperDeployment, startE2eCluster, waitNodesClean, type E2eCluster } from './e2e-fixture';

/**
 * Issue 4's acceptance 6 and 7 end to end: two built controller-managers campaign for the
 * skiff-system/controller-manager Lease (short lease flags); the scheduler and two kubelets run
 * real containers.
 *  6. Killing the leader mid-rollout: the standby takes over within the lease duration and the
 *     rollout completes with no duplicate pods.
 *  7. Restarting the controller-manager at any point never changes a converged cluster.
 */
const run = testLabel().value;
const NODES = [`ha-${run}-1`, `ha-${run}-2`];
const NS = 'default';
const LEASE_S = 4;
const RETRY_S = 0.5;
let e2e: E2eCluster;
let deployments: TypedClient<'deployment'>;
let pods: TypedClient<'pod'>;

beforeAll(async () => {
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    kubeletArgs: ['--lease-interval', '1'],
    controllerManagerArgs: ['--leader-elect-lease-duration', String(LEASE_S), '--leader-elect-renew-deadline', '3', '--leader-elect-retry-period', String(RETRY_S)],
  });
  deployments = e2e.typed('deployment');
  pods = e2e.typed('pod');
}, 180_000);

afterAll(() => e2e?.stop(), 60_000);

/** The Deployment `name` of 3 sleeping pods whose template carries `version`. */
const web = (name: string, version: string) => sleeperDeployment(name, { version, rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } });

async function holder(): Promise<string> {
  try {
    return (await e2e.typed('lease').get('skiff-system', 'controller-manager')).spec?.holderIdentity ?? '';
  } catch {
    return '';
  }
}

async function rolledOut(name: string): Promise<boolean> {
  const d = await deployments.get(NS, name);
  const s = d.status;
  return !!s && s.observedGeneration >= (d.metadata?.generation ?? 0) && s.updatedReplicas === 3 && s.replicas === 3 && s.availableReplicas === 3;
}

/** The metric's value summed over label sets, read from a controller-manager's /metrics. */
async function metric(cm: ControllerManagerProcess, name: string, match = ''): Promise<number> {
  const text = await (await fetch(`http://${cm.metricsAddress}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('controller-manager high availability', () => {
  it('(6) the standby takes over a killed leader within the lease duration and finishes the rollout without duplicate pods', async () => {
    const a = await e2e.cluster.addControllerManager(['--leader-elect-identity', 'cm-a']);
    await waitFor('cm-a to lead', async () => (await holder()) === 'cm-a' || undefined, { timeoutMs: 15_000 });
    const b = await e2e.cluster.addControllerManager(['--leader-elect-identity', 'cm-b']);

    await deployments.create(web('ha', 'v1'));
    await waitFor('ha to be available', () => rolledOut('ha').then((ok) => ok || undefined), { timeoutMs: 60_000, intervalMs: 200 });

    // Sample the pods every 100 ms while the rollout runs and the leader changes.
    let maxLive = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxLive = Math.max(maxLive, (await livePodsOfApp(pods, 'ha')).length);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const current = await deployments.get(NS, 'ha');
    await deployments.update({ ...web('ha', 'v2'), metadata: current.metadata });
    await waitFor('the new ReplicaSet to have pods', async () => (await livePodsOfApp(pods, 'ha')).some((p) => p.spec?.containers[0]?.env.some((e) => e.value === 'v2')) || undefined, { timeoutMs: 20_000, intervalMs: 50 });

    const killedAt = Date.now();
    await a.kill();
    await waitFor('cm-b to lead', async () => (await holder()) === 'cm-b' || undefined, { timeoutMs: 20_000, intervalMs: 50 });
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThanOrEqual((LEASE_S + 2 * RETRY_S + 1) * 1000);

    await waitFor('the rollout to complete under cm-b', () => rolledOut('ha').then((ok) => ok || undefined), { timeoutMs: 90_000, intervalMs: 200 });
    sampling = false;
    await sampler;
    const final = await livePodsOfApp(pods, 'ha');
    expect(final).toHaveLength(3);
    expect(final.every((p) => p.spec?.containers[0]?.env.some((e) => e.value === 'v2'))).toBe(true);
    expect(maxLive).toBeLessThanOrEqual(4); // replicas + maxSurge: no duplicates from two leaders
    expect(await metric(b, 'skiff_leader_election_master_status')).toBe(1);
  }, 180_000);

  it('(7) restarting the controller-manager at any point never changes a converged cluster', async () => {
    // Converged: rolled out, and the old pods have finished terminating.
    await waitFor(
      'ha to be converged',
      async () => ((await rolledOut('ha')) && (await podsOfApp(pods, 'ha')).length === 3) || undefined,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    /** Every Deployment, ReplicaSet and pod of the test with its resourceVersion. */
    const snapshot = async () => {
      const [d, rs, p] = await Promise.all([deployments.list({ namespace: NS }), e2e.typed('replicaSet').list({ namespace: NS }), pods.list({ namespace: NS })]);
      return [...d.items, ...rs.items, ...p.items].map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort();
    };
    const before = await snapshot();

    // Restart at different points: right after it starts, once it leads, and after it has synced.
    for (const settleMs of [0, 'leading', 'synced'] as const) {
      for (const cm of e2e.cluster.controllerManagers) if (cm.running) await cm.stop();
      const cm = await e2e.cluster.addControllerManager(['--leader-elect-identity', `cm-${settleMs}`]);
      if (settleMs === 'leading' || settleMs === 'synced') await waitFor(`cm-${settleMs} to lead`, async () => (await holder()) === `cm-${settleMs}` || undefined, { timeoutMs: 20_000, intervalMs: 50 });
      if (settleMs === 'synced') {
        // Every Deployment and ReplicaSet has been reconciled at least once, and the queues are empty.
        await waitFor(
          'the controllers to reconcile everything',
          async () =>
            (await metric(cm, 'skiff_controller_reconcile_total', 'controller="deployment"')) >= 1 &&
            (await metric(cm, 'skiff_controller_reconcile_total', 'controller="replicaset"')) >= 2 &&
            (await metric(cm, 'skiff_workqueue_depth')) === 0
              ? true
              : undefined,
          { timeoutMs: 20_000, intervalMs: 100 },
        );
      }
      expect(await snapshot()).toEqual(before);
    }
  }, 180_000);

  it('leaves no container behind', async () => {
    await deployments.delete(NS, 'ha', { propagationPolicy: 'Foreground' });
    await waitFor('the pods to be gone', async () => (await podsOfApp(pods, 'ha')).length === 0 || undefined, { timeoutMs: 60_000, intervalMs: 200 });
    await waitNodesClean(NODES, { timeoutMs: 60_000 });
  }, 90_000);
});
