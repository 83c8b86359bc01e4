/**
 * The persistentvolume binder and the pvc-protection / pv-protection controllers in-process
 * against real etcd, NATS and the built apiserver (with its storage admission and the default
 * local-path StorageClass). There is no scheduler and no kubelet: the test plays the scheduler
 * by annotating a claim with volume.kubernetes.io/selected-node, and the kubelet by writing a
 * pod's status. Volumes are hostPath (static) or provisioned local-path ones; nothing here
 * touches a disk. Each test uses its own storage class names, so no test binds another's volume.
 */
import { ConflictError, NotFoundError, Node, PersistentVolume, PersistentVolumeClaim, Pod, type Event, type ObjectReference } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

const NS = 'default';
const NODE = 'storage-node-a';
const NODE_ROOT = '/var/lib/skiff-test/storage-a';

describe('persistentvolume binder and storage protection against the real apiserver', () => {
  let env: ControllersTestEnv;
  let claims: TypedClient<'persistentVolumeClaim'>;
  let volumes: TypedClient<'persistentVolume'>;
  let pods: TypedClient<'pod'>;

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['persistentvolume-binder', 'pvc-protection', 'pv-protection'] });
    claims = env.typed('persistentVolumeClaim');
    volumes = env.typed('persistentVolume');
    pods = env.typed('pod');
    await env.typed('node').create(
      Node.fromPartial({ metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE }, annotations: { 'skiff.io/local-storage-path': NODE_ROOT } } }),
    );
  }, 90_000);

  afterAll(() => env?.stop(), 30_000);

  interface PvOptions {
    size: string;
    className: string;
    modes?: string[];
    labels?: Record<string, string>;
    claimRef?: Partial<ObjectReference>;
    reclaim?: 'Retain' | 'Delete';
  }
  const pvOf = (name: string, o: PvOptions) =>
    PersistentVolume.fromPartial({
      metadata: { name, labels: o.labels ?? {} },
      spec: {
        capacity: { storage: o.size },
        accessModes: o.modes ?? ['ReadWriteOnce'],
        storageClassName: o.className,
        persistentVolumeReclaimPolicy: o.reclaim ?? 'Retain',
        hostPath: { path: `/srv/skiff-test/${name}`, type: '' },
        claimRef: o.claimRef,
      },
    });

  interface ClaimOptions {
    size: string;
    /** undefined: no class named (the default class is admitted). */
    className?: string;
    modes?: string[];
    selector?: Record<string, string>;
    volumeName?: string;
    annotations?: Record<string, string>;
  }
  const claimOf = (name: string, o: ClaimOptions) =>
    PersistentVolumeClaim.fromPartial({
      metadata: { name, namespace: NS, annotations: o.annotations ?? {} },
      spec: {
        accessModes: o.modes ?? ['ReadWriteOnce'],
        resources: { requests: { storage: o.size } },
        storageClassName: o.className,
        selector: o.selector ? { matchLabels: o.selector, matchExpressions: [] } : undefined,
        volumeName: o.volumeName ?? '',
      },
    });

  const orUndefined = <T>(p: Promise<T>) =>
    p.catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });

  /** Creates the volumes and waits until the binder has made each Available (only Available volumes are matched). */
  async function createAvailable(list: PersistentVolume[]): Promise<void> {
    for (const pv of list) await volumes.create(pv);
    await Promise.all(list.map((pv) => waitFor(`${pv.metadata?.name} to be Available`, async () => (await volumes.get('', pv.metadata?.name ?? '')).status?.phase === 'Available')));
  }

  /** Waits until the claim and its volume are both Bound; returns them. */
  function waitBound(claimName: string, timeoutMs = 15_000): Promise<{ claim: PersistentVolumeClaim; pv: PersistentVolume }> {
    return waitFor(
      `${claimName} and its volume to be Bound`,
      async () => {
        const claim = await claims.get(NS, claimName);
        if (claim.status?.phase !== 'Bound' || !claim.spec?.volumeName) return undefined;
        const pv = await volumes.get('', claim.spec.volumeName);
        return pv.status?.phase === 'Bound' ? { claim, pv } : undefined;
      },
      { timeoutMs },
    );
  }

  async function eventsOf(kind: string, name: string, namespace = NS): Promise<string[]> {
    const { items } = await env.typed('event').list({ namespace });
    return items.filter((e: Event) => e.involvedObject?.kind === kind && e.involvedObject.name === name).map((e: Event) => `${e.type} ${e.reason} ${e.message}`);
  }
  const waitEvent = (kind: string, name: string, pattern: RegExp, namespace = NS) =>
    waitFor(`a ${kind} ${name} event matching ${pattern}`, async () => (await eventsOf(kind, name, namespace)).find((l) => pattern.test(l)));

  /** Applies `change` to the fresh object until the write is not a conflict. */
  async function updateClaim(name: string, change: (c: PersistentVolumeClaim) => void): Promise<PersistentVolumeClaim> {
    for (;;) {
      const claim = await claims.get(NS, name);
      change(claim);
      try {
        return await claims.update(claim);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }

  it('binds an Immediate claim to the smallest Available volume of its class, access modes, capacity and selector', async () => {
    const C = 'static-a';
    await createAvailable([
      pvOf('a-big', { size: '5Gi', className: C }),
      pvOf('a-fit', { size: '1Gi', className: C }),
      pvOf('a-small', { size: '100Mi', className: C }), // too small
      pvOf('a-other-class', { size: '600Mi', className: 'static-elsewhere' }),
      pvOf('a-rox', { size: '600Mi', className: C, modes: ['ReadOnlyMany'] }), // wrong access mode
      pvOf('a-gold', { size: '2Gi', className: C, labels: { tier: 'gold' } }),
    ]);
    await claims.create(claimOf('a-data', { size: '500Mi', className: C }));
    const { claim, pv } = await waitBound('a-data');
    expect(pv.metadata?.name).toBe('a-fit');
    expect(claim.spec?.volumeName).toBe('a-fit');
    expect(claim.status).toMatchObject({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
    expect(claim.metadata?.annotations).toMatchObject({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(claim.metadata?.finalizers).toContain('kubernetes.io/pvc-protection');
    expect(pv.spec?.claimRef).toMatchObject({ kind: 'PersistentVolumeClaim', namespace: NS, name: 'a-data', uid: claim.metadata?.uid });
    expect(pv.metadata?.annotations).toMatchObject({ 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(pv.metadata?.finalizers).toContain('kubernetes.io/pv-protection');

    // A selector narrows the choice to labelled volumes, even a bigger one.
    await claims.create(claimOf('a-gold-data', { size: '500Mi', className: C, selector: { tier: 'gold' } }));
    expect((await waitBound('a-gold-data')).pv.metadata?.name).toBe('a-gold');

    // A ReadOnlyMany claim takes the volume offering it.
    await claims.create(claimOf('a-shared', { size: '500Mi', className: C, modes: ['ReadOnlyMany'] }));
    expect((await waitBound('a-shared')).pv.metadata?.name).toBe('a-rox');

    // Nothing fits 10Gi: Pending, with Kubernetes' FailedBinding reason.
    await claims.create(claimOf('a-huge', { size: '10Gi', className: C }));
    await waitEvent('PersistentVolumeClaim', 'a-huge', /^(Normal|Warning) (FailedBinding|ProvisioningFailed) /);
    const huge = await claims.get(NS, 'a-huge');
    expect(huge.spec?.volumeName).toBe('');
    expect(huge.status?.phase).toBe('Pending');
    for (const name of ['a-big', 'a-small', 'a-other-class']) {
      const untouched = await volumes.get('', name);
      expect(untouched.status?.phase).toBe('Available');
      expect(untouched.spec?.claimRef).toBeUndefined();
    }
  }, 60_000);

  it('binds a volume pre-bound by claimRef to that claim only, whatever its class', async () => {
    await createAvailable([
      pvOf('b-reserved', { size: '2Gi', className: 'static-b-reserved', claimRef: { namespace: NS, name: 'b-owner' } }),
      pvOf('b-free', { size: '1Gi', className: 'static-b' }),
    ]);
    // Another claim that would fit the reserved volume does not get it.
    await claims.create(claimOf('b-stranger', { size: '1Gi', className: 'static-b-reserved' }));
    await claims.create(claimOf('b-owner', { size: '1Gi', className: 'static-b' }));
    const { claim, pv } = await waitBound('b-owner');
    expect(pv.metadata?.name).toBe('b-reserved');
    expect(pv.spec?.claimRef?.uid).toBe(claim.metadata?.uid);
    expect(pv.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller']).toBeUndefined(); // the user bound it
    expect(claim.metadata?.annotations).toMatchObject({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    await waitEvent('PersistentVolumeClaim', 'b-stranger', /FailedBinding|ProvisioningFailed/);
    expect((await claims.get(NS, 'b-stranger')).spec?.volumeName).toBe('');
    expect((await volumes.get('', 'b-free')).spec?.claimRef).toBeUndefined();
  }, 60_000);

  it('binds a claim naming spec.volumeName to that volume, and not to one that does not satisfy it', async () => {
    await createAvailable([
      pvOf('c-named', { size: '3Gi', className: 'static-c' }),
      pvOf('c-smaller', { size: '1Gi', className: 'static-c' }),
      pvOf('c-too-small', { size: '100Mi', className: 'static-c' }),
    ]);
    await claims.create(claimOf('c-data', { size: '1Gi', className: 'static-c', volumeName: 'c-named' }));
    const { claim, pv } = await waitBound('c-data');
    expect(pv.metadata?.name).toBe('c-named');
    expect(claim.metadata?.annotations?.['pv.kubernetes.io/bind-completed']).toBe('yes');
    expect(claim.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller']).toBeUndefined(); // the user named it
    expect(pv.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller']).toBe('yes');

    // Kubernetes' checkVolumeSatisfyClaim: a named volume too small for the request is not bound.
    await claims.create(claimOf('c-greedy', { size: '1Gi', className: 'static-c', volumeName: 'c-too-small' }));
    await waitEvent('PersistentVolumeClaim', 'c-greedy', /^Warning VolumeMismatch /);
    expect((await claims.get(NS, 'c-greedy')).status?.phase).toBe('Pending');
    const small = await volumes.get('', 'c-too-small');
    expect(small.spec?.claimRef).toBeUndefined();
    expect(small.status?.phase).toBe('Available');
  }, 60_000);

  it('two claims for one matching volume: exactly one binds', async () => {
    for (let round = 0; round < 3; round++) {
      const C = `static-race-${round}`;
      // Both claims are made while the controllers are down, so that a fresh controller-manager
      // syncs them at once on parallel workers, from caches that show the volume Available.
      await createAvailable([pvOf(`race-${round}`, { size: '1Gi', className: C })]);
      await env.stopControllers();
      await Promise.all(['x', 'y'].map((s) => claims.create(claimOf(`race-${round}-${s}`, { size: '1Gi', className: C }))));
      env.startControllers();
      const winner = await waitFor(`one claim of round ${round} to bind`, async () => {
        const pv = await volumes.get('', `race-${round}`);
        if (pv.status?.phase !== 'Bound') return undefined;
        const bound = await claims.get(NS, pv.spec?.claimRef?.name ?? '');
        return bound.status?.phase === 'Bound' ? bound : undefined;
      });
      const loserName = winner.metadata?.name === `race-${round}-x` ? `race-${round}-y` : `race-${round}-x`;
      await waitEvent('PersistentVolumeClaim', loserName, /FailedBinding|ProvisioningFailed/);
      const [pv, loser] = await Promise.all([volumes.get('', `race-${round}`), claims.get(NS, loserName)]);
      expect(pv.spec?.claimRef?.uid).toBe(winner.metadata?.uid);
      expect(winner.spec?.volumeName).toBe(`race-${round}`);
      expect(loser.spec?.volumeName).toBe('');
      expect(loser.status?.phase).toBe('Pending');
    }
  }, 90_000);

  it('a WaitForFirstConsumer local-path claim waits for its selected node, then gets a volume provisioned on that node', async () => {
    const created = await claims.create(claimOf('d-data', { size: '64Mi' }));
    expect(created.spec?.storageClassName).toBe('local-path'); // DefaultStorageClass admission
    await waitEvent('PersistentVolumeClaim', 'd-data', /^Normal WaitForFirstConsumer waiting for first consumer to be created before binding$/);
    const waiting = await claims.get(NS, 'd-data');
    expect(waiting.status?.phase).toBe('Pending');
    expect(waiting.spec?.volumeName).toBe('');
    expect(await orUndefined(volumes.get('', `pvc-${created.metadata?.uid}`))).toBeUndefined();

    // The scheduler's choice.
    await updateClaim('d-data', (c) => (c.metadata!.annotations = { ...c.metadata?.annotations, 'volume.kubernetes.io/selected-node': NODE }));
    const { claim, pv } = await waitBound('d-data');
    const uid = created.metadata?.uid ?? '';
    expect(pv.metadata?.name).toBe(`pvc-${uid}`);
    expect(pv.metadata?.annotations).toMatchObject({ 'pv.kubernetes.io/provisioned-by': 'skiff.io/local-path' });
    expect(pv.metadata?.finalizers).toContain('kubernetes.io/pv-protection');
    expect(pv.spec).toMatchObject({
      capacity: { storage: '64Mi' },
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'local-path',
      persistentVolumeReclaimPolicy: 'Delete',
      local: { path: `${NODE_ROOT}/pvc-${uid}_${NS}_d-data` },
      claimRef: { namespace: NS, name: 'd-data', uid },
    });
    expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms).toEqual([{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE] }], matchFields: [] }]);
    expect(claim.spec?.volumeName).toBe(`pvc-${uid}`);
    expect(claim.metadata?.annotations).toMatchObject({
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.kubernetes.io/storage-provisioner': 'skiff.io/local-path',
      'volume.beta.kubernetes.io/storage-provisioner': 'skiff.io/local-path',
    });
    expect(claim.status).toMatchObject({ phase: 'Bound', capacity: { storage: '64Mi' }, accessModes: ['ReadWriteOnce'] });
    await waitEvent('PersistentVolumeClaim', 'd-data', new RegExp(`^Normal ProvisioningSucceeded Successfully provisioned volume pvc-${uid} for claim ${NS}/d-data on node ${NODE}$`));
  }, 60_000);

  it('a claim on a selected node that does not exist stays Pending with ProvisioningFailed', async () => {
    await claims.create(claimOf('e-data', { size: '64Mi', annotations: { 'volume.kubernetes.io/selected-node': 'no-such-node' } }));
    await waitEvent('PersistentVolumeClaim', 'e-data', /^Warning ProvisioningFailed node "no-such-node" not found$/);
    const claim = await claims.get(NS, 'e-data');
    expect(claim.status?.phase).toBe('Pending');
    expect(await orUndefined(volumes.get('', `pvc-${claim.metadata?.uid}`))).toBeUndefined();
  }, 30_000);

  it('deleting claims releases their volumes: Retain stays Released, a local-path Delete volume stays Released for its kubelet, another Delete volume fails', async () => {
    await createAvailable([pvOf('f-retain', { size: '1Gi', className: 'static-f-retain' }), pvOf('f-delete', { size: '1Gi', className: 'static-f-delete', reclaim: 'Delete' })]);
    await claims.create(claimOf('f-retain', { size: '1Gi', className: 'static-f-retain' }));
    await claims.create(claimOf('f-delete', { size: '1Gi', className: 'static-f-delete' }));
    await claims.create(claimOf('f-local', { size: '64Mi', annotations: { 'volume.kubernetes.io/selected-node': NODE } }));
    await Promise.all(['f-retain', 'f-delete', 'f-local'].map((n) => waitBound(n)));
    const local = (await waitBound('f-local')).pv.metadata?.name ?? '';

    // The local one first: once the later ones have been handled, so has it.
    await claims.delete(NS, 'f-local');
    await waitFor('f-local to be Released', async () => (await volumes.get('', local)).status?.phase === 'Released');
    await claims.delete(NS, 'f-retain');
    await claims.delete(NS, 'f-delete');
    await waitFor('f-retain to be Released', async () => (await volumes.get('', 'f-retain')).status?.phase === 'Released');
    const failed = await waitFor('f-delete to fail (no deleter)', async () => {
      const pv = await volumes.get('', 'f-delete');
      return pv.status?.phase === 'Failed' ? pv : undefined;
    });
    expect(failed.status?.message).toBe('error getting deleter volume plugin for volume "f-delete": no deletable volume plugin matched');
    await waitEvent('PersistentVolume', 'f-delete', /^Warning VolumeFailedDelete /);
    for (const name of ['f-retain', 'f-local', 'f-delete']) {
      await waitFor(`claim ${name} to be gone`, async () => !(await orUndefined(claims.get(NS, name))));
    }

    // Nothing deletes a local-path volume but its node's kubelet (not running here).
    const released = await volumes.get('', local);
    expect(released.status?.phase).toBe('Released');
    expect(released.metadata?.deletionTimestamp).toBeUndefined();
    expect(released.spec?.claimRef?.name).toBe('f-local');
    const retained = await volumes.get('', 'f-retain');
    expect(retained.status?.phase).toBe('Released');
    expect(retained.metadata?.deletionTimestamp).toBeUndefined();
  }, 60_000);

  it('pvc-protection keeps a claim a running pod uses until the pod is gone; pv-protection keeps a bound volume until it is released', async () => {
    await createAvailable([pvOf('g-vol', { size: '1Gi', className: 'static-g' }), pvOf('g-spare', { size: '1Gi', className: 'static-g-spare' })]);
    await claims.create(claimOf('g-data', { size: '1Gi', className: 'static-g' }));
    await waitBound('g-data');
    await pods.create(
      Pod.fromPartial({
        metadata: { name: 'g-user', namespace: NS },
        spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'g-data', readOnly: false } }], containers: [{ name: 'main', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
      }),
    );
    await env.client.bind({ namespace: NS, name: 'g-user', nodeName: NODE, uid: '', resourceVersion: '' });
    const pod = await pods.get(NS, 'g-user');
    await pods.updateStatus({ ...pod, status: { ...pod.status!, phase: 'Running' } });
    // A second claim, unused: its deletion completes, so the controller has had its turn.
    await claims.create(claimOf('g-unused', { size: '1Gi', className: 'static-g-none' }));

    await claims.delete(NS, 'g-data');
    await claims.delete(NS, 'g-unused');
    await waitFor('the unused claim to be gone', async () => !(await orUndefined(claims.get(NS, 'g-unused'))));
    const terminating = await claims.get(NS, 'g-data');
    expect(terminating.metadata?.deletionTimestamp).toBeDefined();
    expect(terminating.metadata?.finalizers).toContain('kubernetes.io/pvc-protection');
    expect(terminating.status?.phase).toBe('Bound');

    // The bound volume, deleted, is kept too (an unbound one goes at once).
    await volumes.delete('', 'g-vol');
    await volumes.delete('', 'g-spare');
    await waitFor('the spare volume to be gone', async () => !(await orUndefined(volumes.get('', 'g-spare'))));
    const kept = await volumes.get('', 'g-vol');
    expect(kept.metadata?.deletionTimestamp).toBeDefined();
    expect(kept.metadata?.finalizers).toContain('kubernetes.io/pv-protection');
    expect(kept.status?.phase).toBe('Bound');

    // The pod goes (no kubelet here: force-deleted): the claim goes, the volume is released and goes.
    await pods.delete(NS, 'g-user', { gracePeriodSeconds: 0 });
    await waitFor('the claim to be gone', async () => !(await orUndefined(claims.get(NS, 'g-data'))));
    await waitFor('the volume to be gone', async () => !(await orUndefined(volumes.get('', 'g-vol'))));
  }, 60_000);

  it('pvc-protection lets a claim go when its pods have finished or are not scheduled (they can never start with it)', async () => {
    await claims.create(claimOf('h-data', { size: '1Gi', className: 'static-h' }));
    const podUsing = (name: string) =>
      Pod.fromPartial({
        metadata: { name, namespace: NS },
        spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'h-data', readOnly: false } }], containers: [{ name: 'main', image: 'busybox' }] },
      });
    await pods.create(podUsing('h-done'));
    await pods.create(podUsing('h-unscheduled'));
    await env.client.bind({ namespace: NS, name: 'h-done', nodeName: NODE, uid: '', resourceVersion: '' });
    const pod = await pods.get(NS, 'h-done');
    await pods.updateStatus({ ...pod, status: { ...pod.status!, phase: 'Succeeded' } });
    await claims.delete(NS, 'h-data');
    await waitFor('the claim to be gone', async () => !(await orUndefined(claims.get(NS, 'h-data'))));
    expect((await pods.get(NS, 'h-done')).status?.phase).toBe('Succeeded');
    expect((await pods.get(NS, 'h-unscheduled')).spec?.nodeName).toBe('');
  }, 30_000);
});
