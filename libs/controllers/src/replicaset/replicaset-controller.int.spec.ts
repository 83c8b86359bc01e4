/**
 * The ReplicaSet controller in-process (runControllerManager with only "replicaset", no leader
 * election) against real etcd, NATS and the built apiserver. There is no scheduler or kubelet:
 * the test plays the kubelet by writing pod status (Running, Ready) itself. Each test uses its own
 * ReplicaSet name and labels, so tests do not see each other's pods.
 */
import { ConflictError, Namespace, Pod, ReplicaSet, type Event, type ReplicaSetStatus } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

const NS = 'default';

describe('ReplicaSet controller against the real apiserver', () => {
  let env: ControllersTestEnv;
  let pods: TypedClient<'pod'>;
  let replicaSets: TypedClient<'replicaSet'>;

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['replicaset'], tuning: { workers: 5 } });
    pods = env.typed('pod');
    replicaSets = env.typed('replicaSet');
  }, 90_000);

  afterAll(() => env?.stop(), 30_000);

  function rsOf(name: string, replicas: number, minReadySeconds = 0): ReplicaSet {
    return ReplicaSet.fromPartial({
      metadata: { name, namespace: NS },
      spec: {
        replicas,
        minReadySeconds,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name, tier: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] } },
      },
    });
  }

  /** Active pods labelled app=<name>, oldest first. */
  async function podsOf(name: string): Promise<Pod[]> {
    const { items } = await pods.list({ namespace: NS, labelSelector: `app=${name}` });
    return items
      .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')
      .sort((a, b) => (a.metadata?.creationTimestamp?.getTime() ?? 0) - (b.metadata?.creationTimestamp?.getTime() ?? 0));
  }

  const podCount = (name: string, n: number) => waitFor(`${n} pods of ${name}`, async () => ((await podsOf(name)).length === n ? podsOf(name) : undefined), { timeoutMs: 15_000 });

  async function waitStatus(name: string, want: Partial<ReplicaSetStatus>): Promise<ReplicaSet> {
    return waitFor(
      `${name}'s status to be ${JSON.stringify(want)}`,
      async () => {
        const rs = await replicaSets.get(NS, name);
        const status = rs.status as unknown as Record<string, unknown> | undefined;
        return Object.entries(want).every(([k, v]) => status?.[k] === v) ? rs : undefined;
      },
      { timeoutMs: 15_000 },
    );
  }

  /** Sets spec.replicas (read, change, update; again on a conflict with the controller's status writes). */
  async function scale(name: string, replicas: number, namespace = NS): Promise<ReplicaSet> {
    for (;;) {
      const rs = await replicaSets.get(namespace, name);
      try {
        return await replicaSets.update({ ...rs, spec: { ...rs.spec!, replicas } });
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }

  /** Plays the kubelet: the pod runs and is Ready (since `since`). */
  async function markReady(pod: Pod, since = new Date()): Promise<void> {
    const fresh = await pods.get(NS, pod.metadata?.name ?? '');
    await pods.updateStatus({ ...fresh, status: { ...fresh.status!, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since, reason: '', message: '' }] } });
  }

  async function eventsOf(name: string): Promise<Event[]> {
    const { items } = await env.typed('event').list({ namespace: NS });
    return items.filter((e) => e.involvedObject?.kind === 'ReplicaSet' && e.involvedObject.name === name);
  }

  const names = (list: readonly Pod[]) => list.map((p) => p.metadata?.name ?? '').sort();

  it('creates 3 pods from the template, owned by the RS, with SuccessfulCreate events; Ready pods show in the status', async () => {
    const rs = await replicaSets.create(rsOf('web', 3));
    const created = await podCount('web', 3);
    for (const pod of created) {
      expect(pod.metadata?.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(pod.metadata?.labels).toEqual({ app: 'web', tier: 'web' });
      expect(pod.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      expect(pod.spec?.containers[0]).toMatchObject({ name: 'main', image: 'busybox', command: ['sleep', '3600'] });
    }
    await waitStatus('web', { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0, observedGeneration: rs.metadata?.generation });
    const events = await waitFor('3 SuccessfulCreate events', async () => {
      const list = (await eventsOf('web')).filter((e) => e.reason === 'SuccessfulCreate');
      return list.length === 3 ? list : undefined;
    });
    expect(events.map((e) => e.message).sort()).toEqual(names(created).map((n) => `Created pod: ${n}`));
    expect(events[0]).toMatchObject({ type: 'Normal', source: { component: 'replicaset-controller' } });

    await Promise.all(created.map((p) => markReady(p)));
    await waitStatus('web', { replicas: 3, readyReplicas: 3, availableReplicas: 3 });
  }, 30_000);

  it('scales 3 -> 5 -> 2, deleting not-ready pods first; observedGeneration follows the spec', async () => {
    const readyOnes = await podsOf('web'); // the 3 Ready pods of the previous test
    let rs = await scale('web', 5);
    const five = await podCount('web', 5);
    await waitStatus('web', { replicas: 5, readyReplicas: 3, observedGeneration: rs.metadata?.generation });

    rs = await scale('web', 2);
    const two = await podCount('web', 2);
    // The two not-ready pods went first, then the newest Ready one.
    expect(five.filter((p) => !names(readyOnes).includes(p.metadata?.name ?? ''))).toHaveLength(2);
    for (const name of names(two)) expect(names(readyOnes)).toContain(name);
    await waitStatus('web', { replicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: rs.metadata?.generation });
    const deletes = await waitFor('3 SuccessfulDelete events', async () => {
      const list = (await eventsOf('web')).filter((e) => e.reason === 'SuccessfulDelete');
      return list.length === 3 ? list : undefined;
    });
    expect(deletes.map((e) => e.message).sort()).toEqual(five.filter((p) => !names(two).includes(p.metadata?.name ?? '')).map((p) => `Deleted pod: ${p.metadata?.name}`).sort());
  }, 30_000);

  it('replaces a pod deleted by hand, and a pod that failed (which no longer counts)', async () => {
    const [victim, other] = await podsOf('web');
    await pods.delete(NS, victim.metadata?.name ?? '');
    const afterDelete = await waitFor('a replacement', async () => {
      const list = await podsOf('web');
      return list.length === 2 && !names(list).includes(victim.metadata?.name ?? '') ? list : undefined;
    });
    expect(names(afterDelete)).toContain(other.metadata?.name);

    const fresh = await pods.get(NS, other.metadata?.name ?? '');
    await pods.updateStatus({ ...fresh, status: { ...fresh.status!, phase: 'Failed', conditions: [] } });
    const afterFailure = await waitFor('a replacement of the failed pod', async () => {
      const list = await podsOf('web');
      return list.length === 2 && !names(list).includes(other.metadata?.name ?? '') ? list : undefined;
    });
    expect(afterFailure).toHaveLength(2);
    await waitStatus('web', { replicas: 2 });
    // The failed pod stays (the pod garbage collector's business), still owned by the RS.
    expect((await pods.get(NS, other.metadata?.name ?? '')).metadata?.ownerReferences).toHaveLength(1);
  }, 30_000);

  it('adopts a matching orphan pod and counts it as one of its replicas', async () => {
    const orphan = await pods.create(
      Pod.fromPartial({ metadata: { name: 'orphan', namespace: NS, labels: { app: 'adopter', tier: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } }),
    );
    const rs = await replicaSets.create(rsOf('adopter', 2));
    const list = await podCount('adopter', 2);
    expect(names(list)).toContain('orphan');
    const adopted = await pods.get(NS, 'orphan');
    expect(adopted.metadata?.uid).toBe(orphan.metadata?.uid);
    expect(adopted.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', name: 'adopter', uid: rs.metadata?.uid, controller: true })]);
    // (Exactly one creation in practice; the pod and RS informers are separate streams, so a
    // controller that saw the RS first may create two and then delete the newer surplus pod.)
  }, 30_000);

  it('releases a pod relabelled away (removes its owner reference) and replaces it', async () => {
    const [pod] = await podsOf('adopter');
    const fresh = await pods.get(NS, pod.metadata?.name ?? '');
    await pods.update({ ...fresh, metadata: { ...fresh.metadata!, labels: { app: 'debugging' } } });
    const released = await waitFor('the pod to be released', async () => {
      const p = await pods.get(NS, pod.metadata?.name ?? '');
      return p.metadata?.ownerReferences.length === 0 ? p : undefined;
    });
    expect(released.metadata?.labels).toEqual({ app: 'debugging' });
    const list = await podCount('adopter', 2);
    expect(names(list)).not.toContain(pod.metadata?.name);
    await waitStatus('adopter', { replicas: 2, fullyLabeledReplicas: 2 });
  }, 30_000);

  it('counts a pod as available only after minReadySeconds, and requeues itself to notice', async () => {
    await replicaSets.create(rsOf('slow', 1, 2));
    const [pod] = await podCount('slow', 1);
    const readyAt = Date.now();
    await markReady(pod, new Date(readyAt));
    await waitStatus('slow', { readyReplicas: 1, availableReplicas: 0 });
    await waitStatus('slow', { readyReplicas: 1, availableReplicas: 1 });
    expect(Date.now() - readyAt).toBeGreaterThanOrEqual(2_000);
  }, 30_000);

  it('creates many replicas exactly once (expectations), in slow-start batches', async () => {
    await replicaSets.create(rsOf('many', 40));
    await podCount('many', 40);
    await waitStatus('many', { replicas: 40 });
    // Events are written in the background: wait for all 40. A second round of creations would
    // show up as more of them, and as surplus pods being deleted.
    const events = await waitFor('40 SuccessfulCreate events', async () => {
      const list = await eventsOf('many');
      return list.filter((e) => e.reason === 'SuccessfulCreate').length >= 40 ? list : undefined;
    });
    expect(events.filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(40);
    expect(events.filter((e) => e.reason === 'SuccessfulDelete')).toHaveLength(0);
    expect(await podsOf('many')).toHaveLength(40);
  }, 30_000);

  it('a restarted controller-manager leaves converged ReplicaSets alone', async () => {
    const before = new Map<string, string[]>();
    for (const name of ['web', 'adopter', 'many']) before.set(name, names(await podsOf(name)));
    await env.restartControllers();
    // The new manager is working once it has handled a new ReplicaSet.
    await replicaSets.create(rsOf('after-restart', 1));
    await podCount('after-restart', 1);
    await waitStatus('after-restart', { replicas: 1 });
    for (const [name, list] of before) expect(names(await podsOf(name))).toEqual(list);
    expect((await eventsOf('many')).filter((e) => e.reason === 'SuccessfulDelete')).toHaveLength(0);
  }, 30_000);

  it('deleting a ReplicaSet stops it: it neither creates nor deletes pods afterwards', async () => {
    const rs = await replicaSets.create(rsOf('doomed', 2));
    const list = await podCount('doomed', 2);
    await replicaSets.delete(NS, 'doomed', { propagationPolicy: 'Background' });
    await waitFor('the RS to be gone', async () => !(await replicaSets.list({ namespace: NS })).items.some((r) => r.metadata?.uid === rs.metadata?.uid));
    // No garbage collector runs here: the pods stay until someone deletes them.
    await pods.delete(NS, list[0].metadata?.name ?? '');
    await replicaSets.create(rsOf('barrier', 1));
    await podCount('barrier', 1);
    expect(names(await podsOf('doomed'))).toEqual([list[1].metadata?.name]);
  }, 30_000);

  it('in a namespace being deleted it creates nothing and reports no failure', async () => {
    await env.typed('namespace').create(Namespace.fromPartial({ metadata: { name: 'closing' } }));
    await replicaSets.create(ReplicaSet.fromPartial({ ...rsOf('stuck', 0), metadata: { name: 'stuck', namespace: 'closing' } }));
    await env.typed('namespace').delete('', 'closing');
    const scaled = await scale('stuck', 2, 'closing');
    const seen = await waitFor('the scale-up to be observed', async () => {
      const current = await replicaSets.get('closing', 'stuck');
      return current.status?.observedGeneration === scaled.metadata?.generation ? current : undefined;
    });
    expect(seen.status).toMatchObject({ replicas: 0, conditions: [] });
    expect((await pods.list({ namespace: 'closing' })).items).toEqual([]);
    const { items } = await env.typed('event').list({ namespace: 'closing' });
    expect(items.filter((e) => e.reason === 'FailedCreate')).toEqual([]);
  }, 30_000);
});
