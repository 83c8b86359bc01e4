import { Namespace, type KubeObject, type Pod, type ReplicaSet } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { testLabel, waitFor } from '@skiff/testing';
import { nodeContainerIds, podContainerIds, podsOfApp, sleeperDeployment, startE2eCluster, waitAppRunning, type E2eCluster } from './e2e-fixture';

/**
 * Issue 4's acceptance 5 end to end, plus namespace deletion: the built apiserver, scheduler,
 * controller-manager (every registered controller: Deployments, ReplicaSets, the garbage
 * collector, the namespace controller, ...) and two kubelets on real Docker. Deployments are
 * deleted through the built CLI (`skiff delete deployment NAME --cascade=...`), as a user would:
 *  - background: the Deployment goes at once, then its ReplicaSets, pods and containers;
 *  - foreground: the CLI returns once the Deployment is gone, and by then its ReplicaSets and
 *    pods are gone too (they went first);
 *  - orphan: the ReplicaSet stays, without an owner, and its pods keep running.
 */
const run = testLabel().value;
const NODES = [`gc-${run}-1`, `gc-${run}-2`];
const NS = 'default';
let e2e: E2eCluster;
let deployments: TypedClient<'deployment'>;
let replicaSets: TypedClient<'replicaSet'>;
let pods: TypedClient<'pod'>;

beforeAll(async () => {
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    kubeletArgs: ['--lease-interval', '1', '--resync-interval', '5'],
    controllerManagers: 1,
  });
  deployments = e2e.typed('deployment');
  replicaSets = e2e.typed('replicaSet');
  pods = e2e.typed('pod');
}, 180_000);

afterAll(() => e2e?.stop(), 60_000);

const skiff = (...args: string[]) => e2e.cli(args, 90_000);

/** The ReplicaSets and pods labelled app=<name> (any state). */
async function objectsOf(app: string, namespace = NS): Promise<{ replicaSets: ReplicaSet[]; pods: Pod[] }> {
  const selector = { namespace, labelSelector: `app=${app}` };
  const [rs, ps] = await Promise.all([replicaSets.list(selector), podsOfApp(pods, app, namespace)]);
  return { replicaSets: rs.items, pods: ps };
}

/** Creates the Deployment and waits for 3 Running pods; returns their uids. */
async function running(name: string, namespace = NS): Promise<string[]> {
  await deployments.create(sleeperDeployment(name, { namespace }));
  const ready = await waitAppRunning(pods, name, 3, { namespace, timeoutMs: 60_000, intervalMs: 200 });
  const uids = ready.map((p) => p.metadata?.uid ?? '');
  for (const uid of uids) expect(await podContainerIds([uid])).not.toHaveLength(0);
  return uids;
}

async function exists(get: () => Promise<KubeObject>): Promise<boolean> {
  return get().then(
    () => true,
    (err: Error) => {
      if (err.name === 'NotFoundError') return false;
      throw err;
    },
  );
}

describe('garbage collection', () => {
  it('(5) background: deleting a Deployment removes its ReplicaSets, pods and containers', async () => {
    const uids = await running('gc-bg');
    expect(await skiff('delete', 'deployment', 'gc-bg')).toBe('deployment.apps "gc-bg" deleted\n');
    expect(await exists(() => deployments.get(NS, 'gc-bg'))).toBe(false);
    await waitFor('the ReplicaSet and pods to be gone', async () => {
      const left = await objectsOf('gc-bg');
      return left.replicaSets.length === 0 && left.pods.length === 0;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    await waitFor('the containers to be removed', async () => (await podContainerIds(uids)).length === 0, { timeoutMs: 30_000, intervalMs: 200 });
  }, 120_000);

  it('(5) foreground: the ReplicaSets and pods go first, the Deployment last', async () => {
    const uids = await running('gc-fg');
    // Sample while the CLI waits: the Deployment must outlive every pod and ReplicaSet.
    let violations = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [left, deploymentThere] = await Promise.all([objectsOf('gc-fg'), exists(() => deployments.get(NS, 'gc-fg'))]);
        if (!deploymentThere && (left.replicaSets.length > 0 || left.pods.length > 0)) violations++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    expect(await skiff('delete', 'deployment', 'gc-fg', '--cascade=foreground')).toBe('deployment.apps "gc-fg" deleted\n');
    sampling = false;
    await sampler;
    // The CLI waited for the Deployment to be gone, which is after its dependents.
    expect(await objectsOf('gc-fg')).toEqual({ replicaSets: [], pods: [] });
    expect(violations).toBe(0);
    await waitFor('the containers to be removed', async () => (await podContainerIds(uids)).length === 0, { timeoutMs: 30_000, intervalMs: 200 });
  }, 120_000);

  it('(5) orphan: the ReplicaSet stays without an owner and its pods keep running', async () => {
    const uids = await running('gc-or');
    const [rs] = (await objectsOf('gc-or')).replicaSets;
    expect(await skiff('delete', 'deployment', 'gc-or', '--cascade=orphan')).toBe('deployment.apps "gc-or" deleted\n');
    expect(await exists(() => deployments.get(NS, 'gc-or'))).toBe(false);
    const orphaned = await replicaSets.get(NS, rs.metadata?.name ?? '');
    expect(orphaned.metadata?.uid).toBe(rs.metadata?.uid);
    expect(orphaned.metadata?.ownerReferences).toEqual([]);
    expect(orphaned.metadata?.deletionTimestamp).toBeUndefined();
    const { pods: still } = await objectsOf('gc-or');
    expect(still.map((p) => p.metadata?.uid).sort()).toEqual([...uids].sort());
    expect(still.every((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)).toBe(true);
    expect((await podContainerIds(uids)).length).toBeGreaterThanOrEqual(uids.length);

    // The orphaned ReplicaSet still owns its pods: deleting it now takes them along.
    await skiff('delete', 'replicaset', rs.metadata?.name ?? '');
    await waitFor('the pods to be gone', async () => (await objectsOf('gc-or')).pods.length === 0, { timeoutMs: 30_000, intervalMs: 200 });
    await waitFor('the containers to be removed', async () => (await podContainerIds(uids)).length === 0, { timeoutMs: 30_000, intervalMs: 200 });
  }, 120_000);

  it('deleting a namespace deletes its Deployment, ReplicaSets, pods and containers, then the namespace', async () => {
    const ns = `gc-${run}`;
    await e2e.typed('namespace').create(Namespace.fromPartial({ metadata: { name: ns } }));
    const uids = await running('team', ns);
    expect(await skiff('delete', 'namespace', ns)).toBe(`namespace "${ns}" deleted\n`); // waits until it is gone
    expect(await objectsOf('team', ns)).toEqual({ replicaSets: [], pods: [] });
    expect(await exists(() => deployments.get(ns, 'team'))).toBe(false);
    await waitFor('the containers to be removed', async () => (await podContainerIds(uids)).length === 0, { timeoutMs: 30_000, intervalMs: 200 });
  }, 120_000);

  it('leaves no container of the test nodes behind', async () => {
    expect(await nodeContainerIds(NODES)).toEqual([]);
  });
});
