import type { Node, Pod } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { testLabel, waitFor } from '@skiff/testing';
import { isLive, podContainerIds, podsOfApp, sleeperDeployment, startE2eCluster, waitAppRunning, waitNodesClean, type E2eCluster } from './e2e-fixture';

/**
 * Issue 4's acceptance 4 end to end: three kubelets on real Docker, the scheduler and a
 * controller-manager with a short node monitor grace period (4 s; kubelets renew their Lease
 * every second), the apiserver giving pods a 0 s default toleration of unreachable nodes.
 * Killing a kubelet process (SIGKILL: its containers keep running) gets its pods recreated on
 * the other nodes, and the Deployment is back to 3 Running; when the kubelet comes back it
 * removes the containers of the pods deleted meanwhile, and the node's taints go.
 */
const run = testLabel().value;
const NODES = [`nf-${run}-1`, `nf-${run}-2`, `nf-${run}-3`];
const NS = 'default';
const APP = `nf-${run}`;
const UNREACHABLE = 'node.kubernetes.io/unreachable';
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;
let nodes: TypedClient<'node'>;
let deployments: TypedClient<'deployment'>;

beforeAll(async () => {
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    kubeletArgs: ['--lease-interval', '1'],
    apiserverArgs: ['--default-toleration-seconds', '0'],
    controllerManagers: 1,
    controllerManagerArgs: ['--node-monitor-grace-period', '4'],
  });
  pods = e2e.typed('pod');
  nodes = e2e.typed('node');
  deployments = e2e.typed('deployment');
}, 180_000);

afterAll(() => e2e?.stop(), 60_000);

/** The Deployment's pods, and those of them Running and not being deleted. */
async function appPods(): Promise<{ all: Pod[]; running: Pod[] }> {
  const all = await podsOfApp(pods, APP, NS);
  return { all, running: all.filter((p) => isLive(p) && p.status?.phase === 'Running') };
}

const readyOf = (node: Node) => node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
const taintIds = (node: Node) => (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();

it('(4) killing a kubelet: its pods come back on the other nodes (3 Running); back, it removes their containers', async () => {
  await deployments.create(sleeperDeployment(APP, { namespace: NS, rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }));
  const before = await waitAppRunning(pods, APP, 3, { namespace: NS, timeoutMs: 60_000, intervalMs: 200 });
  const victim = before[0].spec?.nodeName ?? '';
  const lost = before.filter((p) => p.spec?.nodeName === victim);
  const kubelet = e2e.cluster.kubelets.get(victim);
  if (!kubelet) throw new Error(`no kubelet for ${victim}`);
  for (const p of lost) expect(await podContainerIds([p.metadata?.uid])).not.toHaveLength(0);

  const killedAt = Date.now();
  await kubelet.kill();
  const after = await waitFor('3 Running pods again, none on the dead node', async () => {
    const { running } = await appPods();
    return running.length === 3 && running.every((p) => p.spec?.nodeName !== victim) ? running : undefined;
  }, { timeoutMs: 40_000, intervalMs: 200 });
  const recoveredMs = Date.now() - killedAt;
  expect(after.map((p) => p.metadata?.uid)).toEqual(expect.arrayContaining(before.filter((p) => p.spec?.nodeName !== victim).map((p) => p.metadata?.uid)));
  const dead = await nodes.get('', victim);
  expect(readyOf(dead)).toBe('Unknown');
  expect(taintIds(dead)).toEqual([`${UNREACHABLE}:NoExecute`, `${UNREACHABLE}:NoSchedule`]);
  // No kubelet will confirm the deletions: pod GC force-deletes the old pods after their grace period.
  await waitFor('the dead node\'s pods to be gone from the API', async () => {
    const { all } = await appPods();
    return all.length === 3 && !all.some((p) => p.spec?.nodeName === victim);
  }, { timeoutMs: 15_000, intervalMs: 200 });
  // Their containers still run on the machine: nothing could stop them yet.
  for (const p of lost) expect(await podContainerIds([p.metadata?.uid])).not.toHaveLength(0);
  console.info(`node failure: ${lost.length} pod(s) Running elsewhere ${(recoveredMs / 1000).toFixed(1)} s after the kill (grace 4 s, toleration 0 s)`);

  // The kubelet comes back: it removes the containers of the pods deleted meanwhile; the taints go.
  await kubelet.restart();
  await waitFor('the deleted pods\' containers to be removed', async () => (await podContainerIds(lost.map((p) => p.metadata?.uid))).length === 0, { timeoutMs: 20_000, intervalMs: 200 });
  await waitFor('the node\'s taints to be removed', async () => taintIds(await nodes.get('', victim)).length === 0, { timeoutMs: 10_000, intervalMs: 200 });
  const { all, running } = await appPods();
  expect(running).toHaveLength(3);
  expect(all).toHaveLength(3);
}, 150_000);

it('deleting the Deployment removes its pods and containers', async () => {
  await deployments.delete(NS, APP, { propagationPolicy: 'Foreground' });
  await waitNodesClean(NODES, { timeoutMs: 30_000, intervalMs: 200 });
  // Kubelets remove a pod's API object after its containers are gone: wait for that too.
  await waitFor('the pods to leave the API', async () => (await appPods()).all.length === 0, { timeoutMs: 10_000, intervalMs: 200 }).catch(() => undefined);
  expect((await appPods()).all).toEqual([]);
}, 60_000);
