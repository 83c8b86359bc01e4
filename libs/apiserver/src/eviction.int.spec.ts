/**
 * The Evict RPC (pods/eviction) through a real apiserver on real etcd and NATS. No disruption
 * controller runs: each test writes the budget's status itself, as the controller would, and
 * plays the kubelet by writing the pods' status (Running, Ready).
 */
import type { ServiceError } from '@grpc/grpc-js';
import { GRPC_CODE, PodDisruptionBudgetStatus, PodStatus, type ApiObject, type EvictRequest } from '@skiff/api';
import { startEtcd, startNats } from '@skiff/testing';
import { edit, inner, meta, obj, pod, startTestEnv, type TestEnv } from './apiserver-test-env.spec-helper';

let env: TestEnv;
beforeAll(async () => {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  env = await startTestEnv({ etcd, nats });
}, 30_000);
afterAll(async () => {
  await env?.stop();
}, 30_000);

const NS = 'default';

function evict(request: Partial<EvictRequest> & { name: string }): Promise<ApiObject> {
  return new Promise((resolve, reject) => env.api.raw.evict({ namespace: NS, dryRun: false, ...request }, (err: ServiceError | null, res: ApiObject) => (err ? reject(err) : resolve(res))));
}

/** A pod labelled app=<app>, Running and Ready (or not), optionally bound to a node (graceful deletion). */
async function runningPod(name: string, app: string, opts: { ready?: boolean; nodeName?: string; phase?: string } = {}): Promise<ApiObject> {
  const created = await env.api.create(pod(name, { labels: { app } }, opts.nodeName ? { nodeName: opts.nodeName } : {}));
  return env.api.updateStatus(
    edit(created, (p) => {
      p.status = PodStatus.fromPartial({ phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] });
    }),
  );
}

/** A PDB selecting app=<app> whose status (as the controller would write it) allows `allowed` disruptions. */
async function budget(name: string, app: string, allowed: number, status: Record<string, unknown> = {}): Promise<ApiObject> {
  const created = await env.api.create(obj({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: NS }, spec: { minAvailable: 2, selector: { matchLabels: { app } } } }));
  return env.api.updateStatus(
    edit(created, (b) => {
      b.status = PodDisruptionBudgetStatus.fromPartial({ observedGeneration: meta(created).generation, disruptionsAllowed: allowed, currentHealthy: 2 + allowed, desiredHealthy: 2, expectedPods: 2 + allowed, ...status });
    }),
  );
}

const exists = async (name: string) => {
  try {
    return !inner(await env.api.get('pods', NS, name)).metadata?.deletionTimestamp;
  } catch (err) {
    if ((err as ServiceError).code === GRPC_CODE.NOT_FOUND) return false;
    throw err;
  }
};
const budgetStatus = async (name: string) => inner(await env.api.get('poddisruptionbudgets', NS, name)).status;

describe('Evict', () => {
  it('deletes a pod no budget selects', async () => {
    await runningPod('free-1', 'free');
    await evict({ name: 'free-1' });
    expect(await exists('free-1')).toBe(false);
  });

  it('charges the budget (disruptionsAllowed - 1, disruptedPods) and deletes the pod gracefully', async () => {
    await runningPod('web-1', 'web', { nodeName: 'node-a' });
    await budget('web-pdb', 'web', 1);
    const deleted = await evict({ name: 'web-1' });
    expect(meta(deleted).deletionTimestamp).toBeDefined(); // bound: graceful
    const status = await budgetStatus('web-pdb');
    expect(status.disruptionsAllowed).toBe(0);
    expect(Object.keys(status.disruptedPods)).toEqual(['web-1']);
    expect(status.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' })]);
  });

  it('marks the evicted pod DisruptionTarget=True (EvictionByEvictionAPI) before deleting it, also at the version read', async () => {
    await runningPod('drained-1', 'drained', { nodeName: 'node-a' });
    const deleted = inner(await evict({ name: 'drained-1' }));
    expect(deleted.metadata?.deletionTimestamp).toBeDefined();
    expect(deleted.status?.conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }));
    expect(deleted.status?.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
  });

  it("refuses with RESOURCE_EXHAUSTED and Kubernetes' message while the budget allows no disruption; the pod stays", async () => {
    await runningPod('db-1', 'db');
    await budget('db-pdb', 'db', 0, { currentHealthy: 2 });
    await expect(evict({ name: 'db-1' })).rejects.toMatchObject({ code: GRPC_CODE.RESOURCE_EXHAUSTED, details: "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget db-pdb needs 2 healthy pods and has 2 currently" });
    expect(await exists('db-1')).toBe(true);
    // dry run: the same decision, nothing written
    await expect(evict({ name: 'db-1', dryRun: true })).rejects.toMatchObject({ code: GRPC_CODE.RESOURCE_EXHAUSTED });
  });

  it('refuses while the budget status is older than its spec (generation)', async () => {
    await runningPod('gen-1', 'gen');
    const created = await budget('gen-pdb', 'gen', 3);
    await env.api.update(edit(await env.api.get('poddisruptionbudgets', NS, 'gen-pdb'), (b) => (b.spec.minAvailable = { value: { $case: 'intVal', value: 1 } })));
    expect(meta(await env.api.get('poddisruptionbudgets', NS, 'gen-pdb')).generation).toBe(Number(meta(created).generation) + 1);
    await expect(evict({ name: 'gen-1' })).rejects.toMatchObject({ code: GRPC_CODE.RESOURCE_EXHAUSTED, details: expect.stringContaining('The disruption budget gen-pdb is still being processed by the server.') });
  });

  it('deletes a Pending or finished pod without asking the budget, and an unready one while the budget is met', async () => {
    await budget('idle-pdb', 'idle', 0, { currentHealthy: 2, desiredHealthy: 2 });
    await runningPod('idle-pending', 'idle', { phase: 'Pending', ready: false });
    await runningPod('idle-done', 'idle', { phase: 'Succeeded', ready: false });
    await runningPod('idle-unready', 'idle', { ready: false });
    await evict({ name: 'idle-pending' });
    await evict({ name: 'idle-done' });
    await evict({ name: 'idle-unready' });
    for (const name of ['idle-pending', 'idle-done', 'idle-unready']) expect(await exists(name)).toBe(false);
    expect((await budgetStatus('idle-pdb')).disruptedPods).toEqual({});
  });

  it('NOT_FOUND for a missing pod; ABORTED (conflict) for a wrong uid precondition', async () => {
    await expect(evict({ name: 'nope' })).rejects.toMatchObject({ code: GRPC_CODE.NOT_FOUND });
    await runningPod('uid-1', 'uid');
    await expect(evict({ name: 'uid-1', preconditions: { uid: 'other' } })).rejects.toMatchObject({ details: 'Precondition failed: UID in precondition: other, UID in object meta: ' + meta(await env.api.get('pods', NS, 'uid-1')).uid });
    expect(await exists('uid-1')).toBe(true);
  });

  it('two budgets selecting the pod: refused with the Kubernetes message', async () => {
    await runningPod('two-1', 'two');
    await budget('two-a', 'two', 1);
    await budget('two-b', 'two', 1);
    await expect(evict({ name: 'two-1' })).rejects.toMatchObject({ details: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.' });
  });

  it('evictions racing for the last allowed disruptions: exactly as many win as the budget allows, the others get RESOURCE_EXHAUSTED', async () => {
    for (let round = 0; round < 3; round++) {
      const app = `race${round}`;
      const names = Array.from({ length: 5 }, (_, i) => `${app}-${i}`);
      await Promise.all(names.map((n) => runningPod(n, app)));
      await budget(`${app}-pdb`, app, round === 0 ? 1 : 2);
      const results = await Promise.allSettled(names.map((name) => evict({ name })));
      const won = names.filter((_, i) => results[i].status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(round === 0 ? 1 : 2);
      for (const r of lost) expect(r.reason).toMatchObject({ code: GRPC_CODE.RESOURCE_EXHAUSTED });
      const status = await budgetStatus(`${app}-pdb`);
      expect(status.disruptionsAllowed).toBe(0);
      expect(Object.keys(status.disruptedPods).sort()).toEqual([...won].sort());
      for (const name of names) expect(await exists(name)).toBe(!won.includes(name));
    }
  }, 30_000);
});
