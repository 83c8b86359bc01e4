/**
 * The StatefulSet controller in-process (with the garbage collector; no leader election) against
 * real etcd, NATS and the built apiserver. There is no scheduler or kubelet: the test plays the
 * kubelet by writing pod status (Running, Ready) itself; unbound pods are deleted at once. Each
 * test uses its own set name and labels.
 */
import { ConflictError, StatefulSet, type Event, type Pod, type StatefulSetStatus } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

const NS = 'default';

describe('StatefulSet controller against the real apiserver', () => {
  let env: ControllersTestEnv;
  let pods: TypedClient<'pod'>;
  let sets: TypedClient<'statefulSet'>;

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['statefulset', 'garbagecollector'] });
    pods = env.typed('pod');
    sets = env.typed('statefulSet');
  }, 90_000);

  afterAll(() => env?.stop(), 30_000);

  function setOf(name: string, replicas: number, extra: Record<string, unknown> = {}): StatefulSet {
    return StatefulSet.fromPartial({
      metadata: { name, namespace: NS },
      spec: {
        replicas,
        serviceName: 'nginx',
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1', command: ['sleep', '3600'] }] } },
        ...extra,
      },
    });
  }

  /** The live (not terminating) pods of set `name`, by name. */
  async function podsOf(name: string): Promise<Pod[]> {
    const { items } = await pods.list({ namespace: NS, labelSelector: `app=${name}` });
    return items.filter((p) => !p.metadata?.deletionTimestamp).sort((a, b) => (a.metadata!.name < b.metadata!.name ? -1 : 1));
  }
  const names = (list: readonly Pod[]) => list.map((p) => p.metadata?.name);

  async function waitPods(name: string, want: string[]): Promise<Pod[]> {
    return waitFor(`pods ${want.join(', ')}`, async () => {
      const list = await podsOf(name);
      return JSON.stringify(names(list)) === JSON.stringify(want) ? list : undefined;
    }, { timeoutMs: 15_000 });
  }

  async function waitStatus(name: string, want: Partial<StatefulSetStatus>): Promise<StatefulSet> {
    return waitFor(`${name}'s status ${JSON.stringify(want)}`, async () => {
      const sts = await sets.get(NS, name);
      const status = sts.status as unknown as Record<string, unknown> | undefined;
      return Object.entries(want).every(([k, v]) => status?.[k] === v) ? sts : undefined;
    }, { timeoutMs: 15_000 });
  }

  /** Reads, changes and writes the set (again on a conflict with the controller's status writes). */
  async function change(name: string, edit: (sts: StatefulSet) => void): Promise<StatefulSet> {
    for (;;) {
      const sts = await sets.get(NS, name);
      edit(sts);
      try {
        return await sets.update(sts);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }

  /** Plays the kubelet: the pod runs and is Ready, or fails. */
  async function setPhase(podName: string, phase: 'Running' | 'Failed', ready = phase === 'Running'): Promise<void> {
    const fresh = await pods.get(NS, podName);
    await pods.updateStatus({ ...fresh, status: { ...fresh.status!, phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(), reason: '', message: '' }] } });
  }

  async function eventsOf(name: string): Promise<Event[]> {
    const { items } = await env.typed('event').list({ namespace: NS });
    const when = (e: Event) => e.firstTimestamp?.getTime() ?? 0;
    return items
      .filter((e) => e.involvedObject?.kind === 'StatefulSet' && e.involvedObject.name === name)
      .sort((a, b) => when(a) - when(b) || Number(a.metadata?.resourceVersion) - Number(b.metadata?.resourceVersion));
  }

  /**
   * The messages of the set's events of `reason` once there are `count` (or one is `message`):
   * Events are written after the change they report, so a test that saw the change waits for them.
   */
  async function messagesOf(name: string, reason: string, count: number | { message: string }): Promise<string[]> {
    const enough = (messages: string[]) => (typeof count === 'number' ? messages.length >= count : messages.includes(count.message));
    return waitFor(`${JSON.stringify(count)} ${reason} event(s) of ${name}`, async () => {
      const messages = (await eventsOf(name)).filter((e) => e.reason === reason).map((e) => e.message);
      return enough(messages) ? messages : undefined;
    });
  }

  it('creates web-0, then web-1 only once web-0 is Running and Ready (OrderedReady), each with its identity', async () => {
    const sts = await sets.create(setOf('web', 3));
    const [web0] = await waitPods('web', ['web-0']);
    // The controller has seen web-0 (replicas 1) and still made no web-1.
    const seen = await waitStatus('web', { replicas: 1, readyReplicas: 0, observedGeneration: sts.metadata?.generation });
    expect(names(await podsOf('web'))).toEqual(['web-0']);
    const revision = seen.status?.updateRevision ?? '';
    expect(revision).toMatch(/^web-[a-z0-9]+$/);
    expect(seen.status?.currentRevision).toBe(revision);
    expect(web0.metadata?.labels).toEqual({ app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-0', 'apps.kubernetes.io/pod-index': '0', 'controller-revision-hash': revision });
    expect(web0.spec).toMatchObject({ hostname: 'web-0', subdomain: 'nginx' });
    expect(web0.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: sts.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    const { items: revisions } = await env.typed('controllerRevision').list({ namespace: NS });
    expect(revisions.filter((r) => r.metadata?.name === revision)).toMatchObject([{ revision: 1, data: { spec: { template: { metadata: { labels: { app: 'web' } } } } } }]);

    await setPhase('web-0', 'Running');
    await waitPods('web', ['web-0', 'web-1']);
    await waitStatus('web', { replicas: 2, readyReplicas: 1 });
    expect(names(await podsOf('web'))).toEqual(['web-0', 'web-1']);
    await setPhase('web-1', 'Running');
    await waitPods('web', ['web-0', 'web-1', 'web-2']);
    await setPhase('web-2', 'Running');
    await waitStatus('web', { replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3 });
    const created = await messagesOf('web', 'SuccessfulCreate', 3);
    expect(created).toEqual(['create Pod web-0 in StatefulSet web successful', 'create Pod web-1 in StatefulSet web successful', 'create Pod web-2 in StatefulSet web successful']);
  }, 60_000);

  it('scales 3 -> 1 from the highest ordinal and back to 3 with the same names', async () => {
    await change('web', (s) => (s.spec!.replicas = 1));
    await waitPods('web', ['web-0']);
    const deleted = await messagesOf('web', 'SuccessfulDelete', 2);
    expect(deleted).toEqual(['delete Pod web-2 in StatefulSet web successful', 'delete Pod web-1 in StatefulSet web successful']);
    await waitStatus('web', { replicas: 1, readyReplicas: 1 });

    await change('web', (s) => (s.spec!.replicas = 3));
    await waitPods('web', ['web-0', 'web-1']);
    await setPhase('web-1', 'Running');
    await waitPods('web', ['web-0', 'web-1', 'web-2']);
    await setPhase('web-2', 'Running');
    await waitStatus('web', { replicas: 3, readyReplicas: 3 });
  }, 60_000);

  it('rolls a new template out from the highest ordinal down; the status then names one revision', async () => {
    const before = await sets.get(NS, 'web');
    const oldRevision = before.status?.currentRevision;
    await change('web', (s) => (s.spec!.template!.spec!.containers[0].image = 'busybox:2'));
    const started = await waitFor('a new update revision', async () => {
      const s = await sets.get(NS, 'web');
      return s.status?.updateRevision && s.status.updateRevision !== oldRevision ? s : undefined;
    });
    const newRevision = started.status!.updateRevision;
    for (const ordinal of [2, 1, 0]) {
      const name = `web-${ordinal}`;
      const pod = await waitFor(`${name} at the new revision`, async () => {
        const p = (await podsOf('web')).find((x) => x.metadata?.name === name);
        return p?.metadata?.labels?.['controller-revision-hash'] === newRevision ? p : undefined;
      }, { timeoutMs: 15_000 });
      expect(pod.spec?.containers[0].image).toBe('busybox:2');
      // Lower ordinals are still at the old revision while this one is not ready.
      for (const lower of (await podsOf('web')).filter((p) => Number(p.metadata?.labels?.['apps.kubernetes.io/pod-index']) < ordinal)) {
        expect(lower.metadata?.labels?.['controller-revision-hash']).toBe(oldRevision);
      }
      await setPhase(name, 'Running');
    }
    await waitStatus('web', { currentRevision: newRevision, updateRevision: newRevision, currentReplicas: 3, updatedReplicas: 3, readyReplicas: 3 });
  }, 90_000);

  it('deletes a Failed pod and re-creates it under the same name', async () => {
    const old = (await podsOf('web')).find((p) => p.metadata?.name === 'web-1')!;
    await setPhase('web-1', 'Failed');
    const replaced = await waitFor('a new web-1', async () => (await podsOf('web')).find((p) => p.metadata?.name === 'web-1' && p.metadata.uid !== old.metadata?.uid));
    expect(replaced.status?.phase).not.toBe('Failed');
    expect(await messagesOf('web', 'RecreatingFailedPod', { message: 'StatefulSet default/web is recreating failed Pod web-1' })).toContain('StatefulSet default/web is recreating failed Pod web-1');
    await setPhase('web-1', 'Running');
  }, 30_000);

  it('Parallel creates every pod at once', async () => {
    await sets.create(setOf('par', 3, { podManagementPolicy: 'Parallel' }));
    await waitPods('par', ['par-0', 'par-1', 'par-2']);
  }, 30_000);

  it('creates one claim per template and ordinal before the pod; whenDeleted Delete hands them to the garbage collector with the set, Retain keeps them', async () => {
    const claimsApi = env.typed('persistentVolumeClaim');
    const template = { metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    const mounts = (s: StatefulSet) => (s.spec!.template!.spec!.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }] as never);
    const kept = setOf('kept', 1, { volumeClaimTemplates: [template] });
    mounts(kept);
    const gone = setOf('gone', 1, { volumeClaimTemplates: [template], persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } });
    mounts(gone);
    const keptSet = await sets.create(kept);
    const goneSet = await sets.create(gone);
    const claimOf = (name: string) => waitFor(`claim ${name}`, async () => (await claimsApi.list({ namespace: NS })).items.find((c) => c.metadata?.name === name));
    const keptClaim = await claimOf('data-kept-0');
    expect(keptClaim.metadata?.labels).toEqual({ tier: 'db', app: 'kept' });
    expect(keptClaim.metadata?.ownerReferences ?? []).toEqual([]);
    expect(keptClaim.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
    const goneClaim = await claimOf('data-gone-0');
    expect(goneClaim.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'gone', uid: goneSet.metadata?.uid }]);

    await sets.delete(NS, 'kept');
    await sets.delete(NS, 'gone');
    // Collected: gone, or held only by the kubernetes.io/pvc-protection finalizer (its controller does not run here).
    await waitFor('data-gone-0 to be collected', async () => {
      const claim = (await claimsApi.list({ namespace: NS })).items.find((c) => c.metadata?.name === 'data-gone-0');
      return !claim || Boolean(claim.metadata?.deletionTimestamp);
    }, { timeoutMs: 15_000 });
    await waitFor('the sets to be gone', async () => !(await sets.list({ namespace: NS })).items.some((s) => [keptSet.metadata?.uid, goneSet.metadata?.uid].includes(s.metadata?.uid)));
    expect((await claimsApi.list({ namespace: NS })).items.find((c) => c.metadata?.name === 'data-kept-0')?.metadata?.deletionTimestamp).toBeUndefined();
  }, 30_000);

  it('whenScaled Delete: scaling down makes the removed pod its claim\'s owner, so the claim goes with it; the kept ordinals keep theirs', async () => {
    const claimsApi = env.typed('persistentVolumeClaim');
    const shrink = setOf('shrink', 2, {
      podManagementPolicy: 'Parallel',
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
    });
    shrink.spec!.template!.spec!.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }] as never;
    await sets.create(shrink);
    const [, pod1] = await waitPods('shrink', ['shrink-0', 'shrink-1']);
    expect(pod1.spec?.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-shrink-1', readOnly: false } }]);
    const live = (name: string) => async () => (await claimsApi.list({ namespace: NS })).items.find((c) => c.metadata?.name === name && !c.metadata.deletionTimestamp);
    expect((await waitFor('data-shrink-1', live('data-shrink-1'))).metadata?.ownerReferences ?? []).toEqual([]);

    await change('shrink', (s) => (s.spec!.replicas = 1));
    await waitPods('shrink', ['shrink-0']);
    await waitFor('data-shrink-1 to be collected with its pod', async () => !(await live('data-shrink-1')()), { timeoutMs: 15_000 });
    const kept = await waitFor('data-shrink-0', live('data-shrink-0'));
    expect(kept.metadata?.ownerReferences ?? []).toEqual([]);
    expect(await messagesOf('shrink', 'SuccessfulUpdate', { message: 'update Claim data-shrink-1 Pod shrink-1 in StatefulSet shrink success' })).toContain('update Claim data-shrink-1 Pod shrink-1 in StatefulSet shrink success');
    expect(await messagesOf('shrink', 'SuccessfulDelete', { message: 'delete Pod shrink-1 in StatefulSet shrink successful' })).toContain('delete Pod shrink-1 in StatefulSet shrink successful');
  }, 30_000);
});
