/**
 * The disruption controller in-process (with the ReplicaSet and Deployment controllers) against
 * real etcd, NATS and the built apiserver, and the real Eviction API. There is no scheduler or
 * kubelet: the test plays the kubelet by writing pod status (Running, Ready). Each test uses its
 * own labels.
 */
import { ConflictError, Deployment, intOrString, Pod, PodDisruptionBudget, TooManyRequestsError, type PodDisruptionBudgetStatus } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

const NS = 'default';

describe('disruption controller against the real apiserver', () => {
  let env: ControllersTestEnv;
  let pods: TypedClient<'pod'>;
  let budgets: TypedClient<'podDisruptionBudget'>;

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['disruption', 'replicaset', 'deployment'] });
    pods = env.typed('pod');
    budgets = env.typed('podDisruptionBudget');
  }, 90_000);

  afterAll(() => env?.stop(), 30_000);

  const pdbOf = (name: string, app: string, spec: { minAvailable?: number | string; maxUnavailable?: number | string }) =>
    PodDisruptionBudget.fromPartial({
      metadata: { name, namespace: NS },
      spec: {
        selector: { matchLabels: { app } },
        minAvailable: spec.minAvailable !== undefined ? intOrString(spec.minAvailable) : undefined,
        maxUnavailable: spec.maxUnavailable !== undefined ? intOrString(spec.maxUnavailable) : undefined,
      },
    });

  const deploymentOf = (name: string, replicas: number) =>
    Deployment.fromPartial({
      metadata: { name, namespace: NS },
      spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] } } },
    });

  const livePods = async (app: string) => (await pods.list({ namespace: NS, labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);

  /** Plays the kubelet: the pod runs and is Ready. */
  async function markReady(pod: Pod): Promise<void> {
    const fresh = await pods.get(NS, pod.metadata?.name ?? '');
    await pods.updateStatus({ ...fresh, status: { ...fresh.status!, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(), reason: '', message: '' }] } });
  }
  async function readyPods(app: string, n: number): Promise<Pod[]> {
    const list = await waitFor(`${n} pods of ${app}`, async () => {
      const live = await livePods(app);
      return live.length === n ? live : undefined;
    });
    await Promise.all(list.filter((p) => !p.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True')).map(markReady));
    return list;
  }

  function waitStatus(name: string, want: Partial<PodDisruptionBudgetStatus>, extra: (s: PodDisruptionBudgetStatus) => boolean = () => true): Promise<PodDisruptionBudget> {
    return waitFor(
      `${name}'s status to be ${JSON.stringify(want)}`,
      async () => {
        const pdb = await budgets.get(NS, name);
        const status = pdb.status as unknown as Record<string, unknown> | undefined;
        return status && Object.entries(want).every(([k, v]) => status[k] === v) && extra(pdb.status!) ? pdb : undefined;
      },
      { timeoutMs: 15_000 },
    );
  }
  const condition = (s: PodDisruptionBudgetStatus) => s.conditions.find((c) => c.type === 'DisruptionAllowed');

  it('a 3-replica Deployment with minAvailable 2: one disruption; an eviction takes it until the replacement is Ready', async () => {
    await env.typed('deployment').create(deploymentOf('web', 3));
    const created = await budgets.create(pdbOf('web-pdb', 'web', { minAvailable: 2 }));
    const three = await readyPods('web', 3);
    const pdb = await waitStatus('web-pdb', { expectedPods: 3, currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1, observedGeneration: created.metadata?.generation }, (s) => condition(s)?.status === 'True');
    expect(condition(pdb.status!)).toMatchObject({ status: 'True', reason: 'SufficientPods' });

    const victim = three[0].metadata?.name ?? '';
    await env.client.evict({ namespace: NS, name: victim, dryRun: false });
    // a second eviction now: the budget was charged by the first
    await expect(env.client.evict({ namespace: NS, name: three[1].metadata?.name ?? '', dryRun: false })).rejects.toThrow(TooManyRequestsError);
    // the pod is gone (unbound: deleted at once), so its disruptedPods entry is dropped; the
    // replacement is not Ready yet
    const after = await waitStatus('web-pdb', { currentHealthy: 2, disruptionsAllowed: 0, expectedPods: 3 }, (s) => Object.keys(s.disruptedPods).length === 0);
    expect(condition(after.status!)).toMatchObject({ status: 'False', reason: 'InsufficientPods' });
    expect((await livePods('web')).map((p) => p.metadata?.name)).not.toContain(victim);

    await readyPods('web', 3);
    await waitStatus('web-pdb', { currentHealthy: 3, disruptionsAllowed: 1 }, (s) => condition(s)?.status === 'True');
  }, 40_000);

  it("maxUnavailable as a percentage of the Deployment's replicas (rounded up); the spec's generation is observed", async () => {
    await env.typed('deployment').create(deploymentOf('api', 4));
    await budgets.create(pdbOf('api-pdb', 'api', { maxUnavailable: '30%' }));
    await readyPods('api', 4);
    // 30% of 4 = 1.2 -> 2 may be unavailable
    await waitStatus('api-pdb', { expectedPods: 4, desiredHealthy: 2, currentHealthy: 4, disruptionsAllowed: 2 });
    for (;;) {
      const pdb = await budgets.get(NS, 'api-pdb');
      try {
        const updated = await budgets.update({ ...pdb, spec: { ...pdb.spec!, maxUnavailable: intOrString('10%') } });
        await waitStatus('api-pdb', { desiredHealthy: 3, disruptionsAllowed: 1, observedGeneration: updated.metadata?.generation });
        break;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }, 40_000);

  it('unconfirmed evictions count as disrupted for 2 minutes, then are dropped', async () => {
    await budgets.create(pdbOf('bare-pdb', 'bare', { minAvailable: 1 }));
    for (const name of ['bare-1', 'bare-2', 'bare-3']) {
      await pods.create(Pod.fromPartial({ metadata: { name, namespace: NS, labels: { app: 'bare' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } }));
    }
    await readyPods('bare', 3);
    await waitStatus('bare-pdb', { expectedPods: 3, currentHealthy: 3, disruptionsAllowed: 2 });
    // as the Eviction API would record them: bare-1 evicted 3 minutes ago (overdue), bare-2 just now
    const now = Date.now();
    for (;;) {
      const pdb = await budgets.get(NS, 'bare-pdb');
      try {
        await budgets.updateStatus({ ...pdb, status: { ...pdb.status!, disruptedPods: { 'bare-1': new Date(now - 180_000), 'bare-2': new Date(now) } } });
        break;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    const pdb = await waitStatus('bare-pdb', { currentHealthy: 2, disruptionsAllowed: 1 }, (s) => Object.keys(s.disruptedPods).join() === 'bare-2');
    expect(pdb.status?.disruptedPods['bare-2']).toEqual(new Date(now));
  }, 40_000);

  it('a DisruptionTarget mark on a pod that was not deleted within 2 minutes is reset to False; a fresh one stays', async () => {
    const now = Date.now();
    const marked = async (name: string, at: Date) => {
      const created = await pods.create(Pod.fromPartial({ metadata: { name, namespace: NS, labels: { app: 'marked' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } }));
      return pods.updateStatus({ ...created, status: { ...created.status!, phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: at }] } });
    };
    await marked('marked-stale', new Date(now - 180_000));
    await marked('marked-fresh', new Date(now));
    const reset = await waitFor('the stale mark reset', async () => {
      const pod = await pods.get(NS, 'marked-stale');
      const c = pod.status?.conditions.find((x) => x.type === 'DisruptionTarget');
      return c?.status === 'False' ? c : undefined;
    }, { timeoutMs: 15_000 });
    expect(reset.lastTransitionTime!.getTime()).toBeGreaterThanOrEqual(now - 1_000);
    expect((await pods.get(NS, 'marked-fresh')).status?.conditions.find((x) => x.type === 'DisruptionTarget')?.status).toBe('True');
  }, 40_000);

  it('a percentage over pods whose controller is unknown fails safe: no disruption, SyncFailed', async () => {
    await pods.create(
      Pod.fromPartial({
        metadata: { name: 'orphan-1', namespace: NS, labels: { app: 'orphan' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'missing', uid: 'no-such-uid', controller: true }] },
        spec: { containers: [{ name: 'main', image: 'busybox' }] },
      }),
    );
    await readyPods('orphan', 1);
    const pdb = await budgets.create(pdbOf('orphan-pdb', 'orphan', { minAvailable: '50%' }));
    const failed = await waitFor('SyncFailed', async () => {
      const b = await budgets.get(NS, 'orphan-pdb');
      return b.status && condition(b.status)?.reason === 'SyncFailed' ? b : undefined;
    });
    expect(failed.status).toMatchObject({ disruptionsAllowed: 0 });
    expect(condition(failed.status!)).toMatchObject({ status: 'False', message: 'found no controllers for pod "orphan-1"' });
    expect(pdb.metadata?.name).toBe('orphan-pdb');
  }, 40_000);
});
