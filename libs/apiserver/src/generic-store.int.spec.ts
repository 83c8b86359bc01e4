import { DeploymentStatus, Pod, PodStatus, EXAMPLE_MANIFESTS, GRPC_CODE, objectFromManifest, unwrap, type ApiObject } from '@skiff/api';
import { invalidManifests, startEtcd, startNats } from '@skiff/testing';
import { EtcdStorage, type Storage } from '@skiff/storage';
import { configMap, edit, inner, meta, obj, pod, startTestEnv, type TestEnv } from './apiserver-test-env.spec-helper';
import { GenericStore } from './generic-store';

let env: TestEnv;
beforeAll(async () => {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  env = await startTestEnv({ etcd, nats });
}, 30_000);
afterAll(async () => {
  await env?.stop();
}, 30_000);

const code = (c: keyof typeof GRPC_CODE) => expect.objectContaining({ code: GRPC_CODE[c] });

describe('system namespaces', () => {
  it('creates default, skiff-system and skiff-node-lease at start, Active', async () => {
    for (const name of ['default', 'skiff-system', 'skiff-node-lease']) {
      const ns = await env.api.get('namespaces', '', name);
      expect(inner(ns).status.phase).toBe('Active');
    }
  });

  it('refuses to delete them (Forbidden, as Kubernetes)', async () => {
    await expect(env.api.delete({ resource: 'namespaces', name: 'default' })).rejects.toMatchObject({ code: GRPC_CODE.PERMISSION_DENIED, details: 'namespaces "default" is forbidden: this namespace may not be deleted' });
  });
});

describe('CRUD for every kind', () => {
  it.each(Object.keys(EXAMPLE_MANIFESTS))('%s: create, get, list, update, delete', async (kind) => {
    const manifest = structuredClone(EXAMPLE_MANIFESTS[kind]) as { metadata: Record<string, unknown>; spec?: Record<string, unknown> };
    delete manifest.metadata.finalizers;
    const sent = objectFromManifest(manifest);
    const { info } = unwrap(sent);
    const ns = meta(sent).namespace;
    if (info.namespaced && ns && ns !== 'default') {
      await env.api.create(obj({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).catch(() => undefined);
    }
    // The apiserver made the default StorageClass `local-path` (the example's name) at start.
    if (info.case === 'storageClass') await env.api.delete({ resource: info.resource, namespace: '', name: meta(sent).name }).catch(() => undefined);
    const created = await env.api.create(sent);
    const name = meta(created).name;
    const namespace = meta(created).namespace;
    expect(meta(created).uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(meta(created).resourceVersion)).toBeGreaterThan(0);
    expect(meta(created).generation).toBe(1);
    if ('spec' in manifest) expect(info.codec.toJSON(inner(created) as never)).toMatchObject({ spec: (info.codec.toJSON(inner(sent) as never) as { spec: unknown }).spec });

    const got = await env.api.get(info.resource, namespace, name);
    expect(got).toEqual(created);
    const listed = await env.api.list({ resource: info.resource, namespace });
    expect(listed.items.map((o) => meta(o).name)).toContain(name);
    expect(Number(listed.resourceVersion)).toBeGreaterThanOrEqual(Number(meta(created).resourceVersion));

    const updated = await env.api.update(edit(got, (o) => (o.metadata.labels = { ...o.metadata.labels, touched: 'yes' })));
    expect(meta(updated).labels.touched).toBe('yes');
    expect(Number(meta(updated).resourceVersion)).toBeGreaterThan(Number(meta(got).resourceVersion));
    expect(meta(updated).generation).toBe(1); // metadata only

    const deleted = await env.api.delete({ resource: info.resource, namespace, name, gracePeriodSeconds: 0 });
    expect(meta(deleted).name).toBe(name);
    if (info.case === 'namespace') await finalize(name); // the namespace controller's part
    // StorageObjectInUseProtection's finalizer: the pvc-protection / pv-protection controllers' part.
    if (info.case === 'persistentVolumeClaim' || info.case === 'persistentVolume') {
      expect(meta(deleted).finalizers).toEqual([info.case === 'persistentVolume' ? 'kubernetes.io/pv-protection' : 'kubernetes.io/pvc-protection']);
      await env.api.update(edit(deleted, (o) => (o.metadata.finalizers = [])));
    }
    await expect(env.api.get(info.resource, namespace, name)).rejects.toEqual(code('NOT_FOUND'));
  });
});

describe('server-set metadata', () => {
  it('sets uid, creationTimestamp and generation, clears client deletion fields, fills generateName', async () => {
    const before = Date.now();
    const created = await env.api.create(
      configMap('', {}, { generateName: 'gen-', uid: 'client-uid', deletionTimestamp: '2020-01-01T00:00:00Z', deletionGracePeriodSeconds: 5, generation: 7 }),
    );
    const m = meta(created);
    expect(m.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(m.uid).not.toBe('client-uid');
    expect(m.deletionTimestamp).toBeUndefined();
    expect(m.deletionGracePeriodSeconds).toBeUndefined();
    expect(m.generation).toBe(1);
    expect(m.creationTimestamp!.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('refuses a taken name with ALREADY_EXISTS and an unknown namespace with NOT_FOUND', async () => {
    await env.api.create(configMap('taken'));
    await expect(env.api.create(configMap('taken'))).rejects.toEqual(code('ALREADY_EXISTS'));
    await expect(env.api.create(configMap('x', {}, { namespace: 'nowhere' }))).rejects.toMatchObject({ code: GRPC_CODE.NOT_FOUND, details: expect.stringContaining('nowhere') });
  });

  it('stores nothing on a dry run', async () => {
    const created = await env.api.create(configMap('dry'), true);
    expect(meta(created).name).toBe('dry');
    await expect(env.api.get('configmaps', 'default', 'dry')).rejects.toEqual(code('NOT_FOUND'));
  });

  it('keeps uid and creationTimestamp on update (a uid sent is a precondition, as Kubernetes)', async () => {
    const created = await env.api.create(configMap('keep'));
    await expect(env.api.update(edit(created, (o) => (o.metadata.uid = 'other')))).rejects.toEqual(code('ABORTED'));
    const updated = await env.api.update(edit(created, (o) => {
      o.metadata.uid = '';
      o.metadata.creationTimestamp = new Date(0);
      o.data = { a: '1' };
    }));
    expect(meta(updated).uid).toBe(meta(created).uid);
    expect(meta(updated).creationTimestamp).toEqual(meta(created).creationTimestamp);
    expect(inner(updated).data).toEqual({ a: '1' });
  });
});

describe('spec, status and generation', () => {
  const deployment = (name: string) =>
    obj({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
    });

  it('bumps generation on spec changes only; Update ignores status, UpdateStatus ignores the rest', async () => {
    const created = await env.api.create(deployment('gen'));
    expect(meta(created).generation).toBe(1);

    const scaled = await env.api.update(edit(created, (o) => (o.spec.replicas = 3)));
    expect(meta(scaled).generation).toBe(2);
    expect(inner(scaled).spec.replicas).toBe(3);

    const labelled = await env.api.update(edit(scaled, (o) => (o.metadata.labels = { x: 'y' })));
    expect(meta(labelled).generation).toBe(2);

    const statusThroughUpdate = await env.api.update(edit(labelled, (o) => (o.status = DeploymentStatus.fromPartial({ ...o.status, replicas: 9 }))));
    expect(inner(statusThroughUpdate).status?.replicas ?? 0).toBe(0);

    const status = await env.api.updateStatus(
      edit(statusThroughUpdate, (o) => {
        o.status = DeploymentStatus.fromPartial({ ...o.status, replicas: 3, observedGeneration: 2 });
        o.spec.replicas = 5;
        o.metadata.labels = { changed: 'by-status' };
      }),
    );
    expect(inner(status).status.replicas).toBe(3);
    expect(inner(status).spec.replicas).toBe(3);
    expect(meta(status).labels).toEqual({ x: 'y' });
    expect(meta(status).generation).toBe(2);
  });

  it('resets a pod status on create (phase Pending)', async () => {
    const created = await env.api.create(edit(pod('status-reset'), (o) => (o.status = PodStatus.fromPartial({ phase: 'Running', podIP: '10.0.0.9' }))));
    expect(inner(created).status.phase).toBe('Pending');
    expect(inner(created).status.podIP).toBe('');
  });
});

describe('compare-and-swap (acceptance 2)', () => {
  it('lets exactly one of two updates from the same resourceVersion win; the other is ABORTED', async () => {
    const base = await env.api.create(configMap('race', { v: '0' }));
    const results = await Promise.allSettled([
      env.api.update(edit(base, (o) => (o.data = { v: 'a' }))),
      env.api.update(edit(base, (o) => (o.data = { v: 'b' }))),
    ]);
    const won = results.filter((r): r is PromiseFulfilledResult<ApiObject> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toEqual(code('ABORTED'));
    const stored = await env.api.get('configmaps', 'default', 'race');
    expect(stored).toEqual(won[0].value);
    expect(Number(meta(stored).resourceVersion)).toBeGreaterThan(Number(meta(base).resourceVersion));
  });

  it('refuses a stale resourceVersion and changes nothing; without one the update is unconditional', async () => {
    const base = await env.api.create(configMap('stale', { v: '0' }));
    const first = await env.api.update(edit(base, (o) => (o.data = { v: '1' })));
    await expect(env.api.update(edit(base, (o) => (o.data = { v: 'stale' })))).rejects.toEqual(code('ABORTED'));
    expect(await env.api.get('configmaps', 'default', 'stale')).toEqual(first);
    const forced = await env.api.update(edit(base, (o) => {
      o.metadata.resourceVersion = '';
      o.data = { v: 'forced' };
    }));
    expect(inner(forced).data).toEqual({ v: 'forced' });
  });

  it('refuses an update or status update meant for an earlier object of the same name (uid differs)', async () => {
    const old = await env.api.create(configMap('reborn', { v: '0' }));
    await env.api.delete({ resource: 'configmaps', namespace: 'default', name: 'reborn' });
    const now = await env.api.create(configMap('reborn', { v: 'new' }));
    const stale = edit(old, (o) => {
      o.metadata.resourceVersion = '';
      o.data = { v: 'stale' };
    });
    await expect(env.api.update(stale)).rejects.toEqual(expect.objectContaining({ code: GRPC_CODE.ABORTED, details: expect.stringContaining('UID in precondition') }));
    expect(await env.api.get('configmaps', 'default', 'reborn')).toEqual(now);

    const oldPod = await env.api.create(pod('reborn-pod'));
    await env.api.delete({ resource: 'pods', namespace: 'default', name: 'reborn-pod' });
    const newPod = await env.api.create(pod('reborn-pod'));
    const staleStatus = edit(oldPod, (o) => {
      o.metadata.resourceVersion = '';
      o.status = { ...o.status, phase: 'Running' };
    });
    await expect(env.api.updateStatus(staleStatus)).rejects.toEqual(code('ABORTED'));
    expect(await env.api.get('pods', 'default', 'reborn-pod')).toEqual(newPod);
  });

  it('decides a pod write again on a fresh read when another apiserver changed the pod since this one last wrote it', async () => {
    // This apiserver remembers the pod it created; another one (its own memory) then relabels it.
    const created = await env.api.create(pod('two-servers'));
    const other = new GenericStore(env.storage);
    const relabelled = await other.update(edit(await other.get('pods', 'default', 'two-servers'), (o) => (o.metadata.labels = { by: 'other' })));
    // A status write without resourceVersion keeps the other server's labels: nothing stale is written back.
    const running = await env.api.updateStatus(edit(created, (o) => {
      o.metadata.resourceVersion = '';
      o.status = { ...o.status, phase: 'Running' };
    }));
    expect(meta(running).labels).toEqual({ by: 'other' });
    expect(Number(meta(running).resourceVersion)).toBeGreaterThan(Number(meta(relabelled).resourceVersion));
    // With the resourceVersion this server remembers (now stale): ABORTED, nothing changes.
    await expect(env.api.updateStatus(edit(created, (o) => (o.status = { ...o.status, phase: 'Failed' })))).rejects.toEqual(code('ABORTED'));
    // The same status again, but the pod changed meanwhile elsewhere: a real write, not a no-op from memory.
    await other.update(edit(await other.get('pods', 'default', 'two-servers'), (o) => (o.metadata.labels = { by: 'other', again: 'yes' })));
    const after = await env.api.updateStatus(edit(running, (o) => (o.metadata.resourceVersion = '')));
    expect(meta(after).labels).toEqual({ by: 'other', again: 'yes' });
    expect(await env.api.get('pods', 'default', 'two-servers')).toEqual(after);
    expect((inner(after) as Pod).status?.phase).toBe('Running');
  });

  it('does not write when nothing changed', async () => {
    const base = await env.api.create(configMap('noop', { v: '0' }));
    const same = await env.api.update(base);
    expect(meta(same).resourceVersion).toBe(meta(base).resourceVersion);
  });
});

describe('deletion', () => {
  it('checks uid and resourceVersion preconditions', async () => {
    const created = await env.api.create(configMap('pre'));
    await expect(env.api.delete({ resource: 'configmaps', namespace: 'default', name: 'pre', preconditions: { uid: 'nope' } })).rejects.toEqual(code('ABORTED'));
    await expect(env.api.delete({ resource: 'configmaps', namespace: 'default', name: 'pre', preconditions: { resourceVersion: '1' } })).rejects.toEqual(code('ABORTED'));
    await env.api.delete({ resource: 'configmaps', namespace: 'default', name: 'pre', preconditions: { uid: meta(created).uid, resourceVersion: meta(created).resourceVersion } });
    await expect(env.api.get('configmaps', 'default', 'pre')).rejects.toEqual(code('NOT_FOUND'));
  });

  it('keeps an object with finalizers until an update removes the last one', async () => {
    await env.api.create(configMap('fin', {}, { finalizers: ['example.com/a', 'example.com/b'] }));
    const marked = await env.api.delete({ resource: 'configmaps', namespace: 'default', name: 'fin' });
    expect(meta(marked).deletionTimestamp).toBeInstanceOf(Date);
    let current = await env.api.get('configmaps', 'default', 'fin');
    expect(meta(current).deletionTimestamp).toEqual(meta(marked).deletionTimestamp);
    await expect(env.api.update(edit(current, (o) => o.metadata.finalizers.push('example.com/new')))).rejects.toEqual(code('INVALID_ARGUMENT'));
    current = await env.api.update(edit(current, (o) => (o.metadata.finalizers = ['example.com/b'])));
    expect(meta(current).finalizers).toEqual(['example.com/b']);
    await env.api.update(edit(current, (o) => (o.metadata.finalizers = [])));
    await expect(env.api.get('configmaps', 'default', 'fin')).rejects.toEqual(code('NOT_FOUND'));
  });

  it('adds foregroundDeletion / orphan finalizers for those propagation policies', async () => {
    await env.api.create(configMap('fg'));
    await env.api.create(configMap('orphan'));
    const fg = await env.api.delete({ resource: 'configmaps', namespace: 'default', name: 'fg', propagationPolicy: 'Foreground' });
    const orphan = await env.api.delete({ resource: 'configmaps', namespace: 'default', name: 'orphan', propagationPolicy: 'Orphan' });
    expect(meta(fg).finalizers).toEqual(['foregroundDeletion']);
    expect(meta(orphan).finalizers).toEqual(['orphan']);
    expect(meta(fg).deletionTimestamp).toBeInstanceOf(Date);
  });

  it('deletes an unbound pod at once', async () => {
    await env.api.create(pod('unbound'));
    await env.api.delete({ resource: 'pods', namespace: 'default', name: 'unbound' });
    await expect(env.api.get('pods', 'default', 'unbound')).rejects.toEqual(code('NOT_FOUND'));
  });

  it('deletes a bound pod gracefully: marked with its grace period until a grace-0 delete', async () => {
    await env.api.create(pod('graceful', {}, { terminationGracePeriodSeconds: 12 }));
    await env.api.bind({ name: 'graceful', nodeName: 'node-a' });
    const before = Date.now();
    const marked = await env.api.delete({ resource: 'pods', namespace: 'default', name: 'graceful' });
    expect(meta(marked).deletionGracePeriodSeconds).toBe(12);
    expect(meta(marked).deletionTimestamp!.getTime()).toBeGreaterThanOrEqual(before + 11_000);
    expect(await env.api.get('pods', 'default', 'graceful')).toBeDefined();
    const shorter = await env.api.delete({ resource: 'pods', namespace: 'default', name: 'graceful', gracePeriodSeconds: 3 });
    expect(meta(shorter).deletionGracePeriodSeconds).toBe(3);
    await env.api.delete({ resource: 'pods', namespace: 'default', name: 'graceful', gracePeriodSeconds: 0 });
    await expect(env.api.get('pods', 'default', 'graceful')).rejects.toEqual(code('NOT_FOUND'));
  });

  it('uses the default 30 s grace and removes terminal pods at once', async () => {
    await env.api.create(pod('default-grace'));
    await env.api.bind({ name: 'default-grace', nodeName: 'node-a' });
    expect(meta(await env.api.delete({ resource: 'pods', namespace: 'default', name: 'default-grace' })).deletionGracePeriodSeconds).toBe(30);

    await env.api.create(pod('done'));
    const bound = await env.api.bind({ name: 'done', nodeName: 'node-a' });
    await env.api.updateStatus(edit(bound, (o) => (o.status.phase = 'Succeeded')));
    await env.api.delete({ resource: 'pods', namespace: 'default', name: 'done' });
    await expect(env.api.get('pods', 'default', 'done')).rejects.toEqual(code('NOT_FOUND'));
  });
});

/** Plays the namespace controller's last step: drops "kubernetes" from spec.finalizers (UpdateStatus). */
async function finalize(name: string): Promise<void> {
  const current = await env.api.get('namespaces', '', name);
  await env.api.updateStatus(edit(current, (o) => (o.spec.finalizers = o.spec.finalizers.filter((f: string) => f !== 'kubernetes'))));
}

describe('namespaces', () => {
  const ns = (name: string) => obj({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

  it('gets the "kubernetes" finalizer at creation, which only UpdateStatus (finalize) changes', async () => {
    const created = await env.api.create(ns('finalized'));
    expect(inner(created).spec.finalizers).toEqual(['kubernetes']);
    const updated = await env.api.update(edit(created, (o) => ((o.spec.finalizers = []), (o.metadata.labels = { a: 'b' }))));
    expect(inner(updated).spec.finalizers).toEqual(['kubernetes']); // an apply without spec never drops it
    expect(meta(updated).labels).toEqual({ a: 'b' });
    await env.api.delete({ resource: 'namespaces', name: 'finalized' });
    const marked = await env.api.get('namespaces', '', 'finalized');
    expect(inner(marked).status.phase).toBe('Terminating');
    await expect(env.api.updateStatus(edit(marked, (o) => (o.spec.finalizers = ['kubernetes', 'example.com/more'])))).rejects.toEqual(code('INVALID_ARGUMENT'));
    await finalize('finalized'); // the last finalizer of a terminating namespace: removed
    await expect(env.api.get('namespaces', '', 'finalized')).rejects.toEqual(code('NOT_FOUND'));
  });

  it('removes an empty namespace at once when it has no finalizers left', async () => {
    await env.api.create(ns('empty'));
    await finalize('empty');
    await env.api.delete({ resource: 'namespaces', name: 'empty' });
    await expect(env.api.get('namespaces', '', 'empty')).rejects.toEqual(code('NOT_FOUND'));
  });

  it('never writes into a namespace that was removed after the server last saw it', async () => {
    await env.api.create(ns('brief'));
    await env.api.create(configMap('first', {}, { namespace: 'brief' })); // the server now knows "brief"
    await env.api.delete({ resource: 'configmaps', namespace: 'brief', name: 'first' });
    await env.api.delete({ resource: 'namespaces', name: 'brief' });
    await finalize('brief');
    await expect(env.api.create(configMap('late', {}, { namespace: 'brief' }))).rejects.toMatchObject({ code: GRPC_CODE.NOT_FOUND, details: expect.stringContaining('brief') });
    await env.api.create(ns('brief')); // recreated: writable again
    await env.api.create(configMap('again', {}, { namespace: 'brief' }));
  });

  it('never leaves an object behind when a create races the namespace deletion', async () => {
    // The race, made certain: while the delete checks whether the namespace is empty, a create
    // (guarded on the namespace as it was before the delete) commits into it.
    const inner = new EtcdStorage({ endpoints: [env.etcd.endpoint] });
    const other = new GenericStore(inner);
    let raced: Promise<unknown> | undefined;
    const racing: Storage = Object.assign(Object.create(inner) as Storage, {
      list: async (prefix: string) => {
        if (prefix.startsWith('/registry/horizontalpodautoscalers/racing/')) raced ??= other.create(configMap('late', {}, { namespace: 'racing' })).catch((err: unknown) => err);
        if (raced) await raced;
        return inner.list(prefix);
      },
    });
    const store = new GenericStore(racing);
    await store.create(obj({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'racing' } }));
    await finalize('racing'); // so that the delete would remove it at once if it found it empty
    await other.create(configMap('early', {}, { namespace: 'racing' })); // "other" now knows the namespace
    await other.delete({ resource: 'configmaps', namespace: 'racing', name: 'early', dryRun: false, propagationPolicy: '' });
    await store.delete({ resource: 'namespaces', namespace: '', name: 'racing', dryRun: false, propagationPolicy: '' });
    expect(raced).toBeDefined();
    const left = (await env.api.list({ resource: 'configmaps', namespace: 'racing' })).items.map((o) => meta(o).name);
    const gone = await env.api.get('namespaces', '', 'racing').then(() => false, () => true);
    expect({ gone, left }).not.toEqual({ gone: true, left: ['late'] }); // never an orphan
    await inner.close();
  });

  it('marks a namespace with content Terminating and refuses new content in it', async () => {
    await env.api.create(ns('busy'));
    await env.api.create(configMap('inside', {}, { namespace: 'busy' }));
    const marked = await env.api.delete({ resource: 'namespaces', name: 'busy' });
    expect(inner(marked).status.phase).toBe('Terminating');
    expect(meta(marked).deletionTimestamp).toBeInstanceOf(Date);
    await expect(env.api.create(configMap('more', {}, { namespace: 'busy' }))).rejects.toMatchObject({
      code: GRPC_CODE.PERMISSION_DENIED,
      details: 'unable to create new content in namespace "busy" because it is being terminated',
    });
    // Emptied and finalized (the namespace controller's job), it is removed.
    await env.api.delete({ resource: 'configmaps', namespace: 'busy', name: 'inside' });
    await finalize('busy');
    await expect(env.api.get('namespaces', '', 'busy')).rejects.toEqual(code('NOT_FOUND'));
    // Created again under the same name, it takes new content (nothing remembers "terminating").
    await env.api.create(ns('busy'));
    await env.api.create(configMap('fresh', {}, { namespace: 'busy' }));
  });
});

describe('bind', () => {
  it('sets nodeName and PodScheduled=True with compare-and-swap', async () => {
    const created = await env.api.create(pod('to-bind'));
    await expect(env.api.bind({ name: 'to-bind', nodeName: 'node-1', resourceVersion: '1' })).rejects.toEqual(code('ABORTED'));
    const bound = await env.api.bind({ name: 'to-bind', nodeName: 'node-1', uid: meta(created).uid, resourceVersion: meta(created).resourceVersion });
    expect(inner(bound).spec.nodeName).toBe('node-1');
    expect(inner(bound).status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    await expect(env.api.bind({ name: 'to-bind', nodeName: 'node-2' })).rejects.toEqual(code('ABORTED'));
    expect(meta(await env.api.bind({ name: 'to-bind', nodeName: 'node-1' })).resourceVersion).toBe(meta(bound).resourceVersion);
  });

  it('starts from the state it last wrote, yet never loses a change made behind its back', async () => {
    // Another apiserver (here: a direct etcd write) changes the pod after this one created it.
    const created = await env.api.create(pod('bind-stale'));
    const key = '/registry/pods/default/bind-stale';
    const stored = (await env.storage.get(key))!;
    const changed = Pod.decode(stored.value);
    changed.metadata!.labels = { changed: 'elsewhere' };
    await env.storage.update(key, Pod.encode(changed).finish(), stored.modRevision);
    const bound = await env.api.bind({ name: 'bind-stale', nodeName: 'node-1', uid: meta(created).uid });
    expect(inner(bound).spec.nodeName).toBe('node-1');
    expect(meta(bound).labels).toEqual({ changed: 'elsewhere' });
    const now = Pod.decode((await env.storage.get(key))!.value);
    expect([now.spec!.nodeName, now.metadata!.labels]).toEqual(['node-1', { changed: 'elsewhere' }]);
  });

  it('decides on what etcd holds when the pod was replaced behind its back', async () => {
    const created = await env.api.create(pod('bind-replaced'));
    const key = '/registry/pods/default/bind-replaced';
    const replacement = Pod.decode((await env.storage.get(key))!.value);
    replacement.metadata!.uid = 'another-uid';
    replacement.spec!.nodeName = 'node-9';
    await env.storage.delete(key);
    await env.storage.create(key, Pod.encode(replacement).finish());
    // From memory the old pod is unbound with the old uid; etcd says otherwise.
    await expect(env.api.bind({ name: 'bind-replaced', nodeName: 'node-1', uid: meta(created).uid })).rejects.toEqual(code('ABORTED'));
    await expect(env.api.bind({ name: 'bind-replaced', nodeName: 'node-1' })).rejects.toMatchObject({ code: GRPC_CODE.ABORTED, details: expect.stringContaining('node-9') });
    await env.storage.delete(key);
    await expect(env.api.bind({ name: 'bind-replaced', nodeName: 'node-1' })).rejects.toEqual(code('NOT_FOUND'));
  });

  it('refuses a malformed node name', async () => {
    await env.api.create(pod('bind-bad-node'));
    await expect(env.api.bind({ name: 'bind-bad-node', nodeName: 'Not_A_Node' })).rejects.toMatchObject({ code: GRPC_CODE.INVALID_ARGUMENT, details: expect.stringContaining('nodeName') });
  });

  it('refuses a pod being deleted', async () => {
    await env.api.create(pod('bind-deleting', { finalizers: ['example.com/x'] }));
    await env.api.delete({ resource: 'pods', namespace: 'default', name: 'bind-deleting' });
    await expect(env.api.bind({ name: 'bind-deleting', nodeName: 'node-1' })).rejects.toEqual(code('ABORTED'));
  });
});

describe('list with selectors', () => {
  beforeAll(async () => {
    await env.api.create(obj({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sel' } }));
    for (const [name, app, node] of [['a', 'web', 'n1'], ['b', 'web', 'n2'], ['c', 'db', 'n1']]) {
      await env.api.create(pod(name, { namespace: 'sel', labels: { app } }));
      await env.api.bind({ namespace: 'sel', name, nodeName: node });
    }
  });
  const names = (items: ApiObject[]) => items.map((o) => meta(o).name).sort();

  it('filters by namespace, label selector and field selector', async () => {
    expect(names((await env.api.list({ resource: 'pods', namespace: 'sel' })).items)).toEqual(['a', 'b', 'c']);
    expect(names((await env.api.list({ resource: 'pods', namespace: 'sel', labelSelector: 'app=web' })).items)).toEqual(['a', 'b']);
    expect(names((await env.api.list({ resource: 'pods', namespace: 'sel', labelSelector: 'app in (db),app!=web' })).items)).toEqual(['c']);
    expect(names((await env.api.list({ resource: 'pods', namespace: 'sel', fieldSelector: 'spec.nodeName=n1' })).items)).toEqual(['a', 'c']);
    expect(names((await env.api.list({ resource: 'pods', namespace: 'sel', fieldSelector: 'metadata.name=b' })).items)).toEqual(['b']);
    const all = await env.api.list({ resource: 'pods', labelSelector: 'app=web' });
    expect(names(all.items.filter((o) => meta(o).namespace === 'sel'))).toEqual(['a', 'b']);
  });

  it('lists by name (one key read) and by node (checked before decoding) with the same answers as a full scan', async () => {
    // By name with a namespace: the key alone, at the store's current revision (a watch may start there).
    const byName = await env.api.list({ resource: 'pods', namespace: 'sel', fieldSelector: 'metadata.name=a,spec.nodeName=n1' });
    expect(names(byName.items)).toEqual(['a']);
    const current = await env.api.list({ resource: 'pods', namespace: 'sel' });
    expect(Number(byName.resourceVersion)).toBe(Number(current.resourceVersion));
    // The other requirements still apply to the one object; a missing name is an empty list.
    expect((await env.api.list({ resource: 'pods', namespace: 'sel', fieldSelector: 'metadata.name=a,spec.nodeName=n2' })).items).toEqual([]);
    expect((await env.api.list({ resource: 'pods', namespace: 'sel', fieldSelector: 'metadata.name=a', labelSelector: 'app=db' })).items).toEqual([]);
    const missing = await env.api.list({ resource: 'pods', namespace: 'sel', fieldSelector: 'metadata.name=nobody' });
    expect(missing.items).toEqual([]);
    expect(Number(missing.resourceVersion)).toBeGreaterThan(0);
    // No prefix match: "a" is not "ab".
    await env.api.create(pod('ab', { namespace: 'sel', labels: { app: 'web' } }));
    expect(names((await env.api.list({ resource: 'pods', namespace: 'sel', fieldSelector: 'metadata.name=a' })).items)).toEqual(['a']);
    // Cluster-scoped kinds by name; a namespaced kind by name across namespaces still scans.
    expect(names((await env.api.list({ resource: 'namespaces', fieldSelector: 'metadata.name=sel' })).items)).toEqual(['sel']);
    expect(names((await env.api.list({ resource: 'pods', fieldSelector: 'metadata.name=b' })).items.filter((o) => meta(o).namespace === 'sel'))).toEqual(['b']);
    // By node: unbound pods are spec.nodeName= (empty), and != excludes the node.
    expect(names((await env.api.list({ resource: 'pods', namespace: 'sel', fieldSelector: 'spec.nodeName=' })).items)).toEqual(['ab']);
    expect(names((await env.api.list({ resource: 'pods', namespace: 'sel', fieldSelector: 'spec.nodeName!=n1' })).items)).toEqual(['ab', 'b']);
    await env.api.delete({ resource: 'pods', namespace: 'sel', name: 'ab', dryRun: false, propagationPolicy: '' });
  });

  it('refuses bad selectors and unknown resources', async () => {
    await expect(env.api.list({ resource: 'pods', labelSelector: 'app in (' })).rejects.toEqual(code('INVALID_ARGUMENT'));
    await expect(env.api.list({ resource: 'pods', fieldSelector: 'spec.unknown=x' })).rejects.toEqual(code('INVALID_ARGUMENT'));
    await expect(env.api.list({ resource: 'widgets' })).rejects.toEqual(code('NOT_FOUND'));
  });
});

describe('invalid objects (acceptance 3)', () => {
  it('refuses every invalid manifest that parses with INVALID_ARGUMENT naming the field, storing nothing', async () => {
    const cases = invalidManifests().flatMap((c) => {
      if (typeof c.manifest === 'string') return [];
      try {
        return [{ ...c, object: objectFromManifest(c.manifest) }];
      } catch {
        return []; // does not even parse: the CLI's test covers it
      }
    });
    expect(cases.length).toBeGreaterThan(0);
    const before = await env.storage.currentRevision();
    for (const c of cases) {
      const err = await env.api.create(c.object).then(
        () => new Error(`${c.name}: was accepted`),
        (e: { code: number; details: string }) => e,
      );
      expect({ name: c.name, code: (err as { code?: number }).code, named: String((err as { details?: string }).details ?? (err as Error).message).includes(c.field) }).toEqual({
        name: c.name,
        code: GRPC_CODE.INVALID_ARGUMENT,
        named: true,
      });
    }
    expect(await env.storage.currentRevision()).toBe(before);
  });

  it('refuses objects over the size limit', async () => {
    const revision = (await env.api.list({ resource: 'pods' })).resourceVersion;
    // Every field within its own limits, the whole over MAX_OBJECT_BYTES.
    const big = pod('big', {}, { containers: [{ name: 'main', image: 'busybox:1.36', args: ['x'.repeat(600_000), 'y'.repeat(600_000)] }] });
    await expect(env.api.create(big)).rejects.toMatchObject({ code: GRPC_CODE.INVALID_ARGUMENT, details: expect.stringMatching(/object: .*1048576/) });
    const tooBigData = configMap('big', { blob: 'x'.repeat(1_100_000) });
    await expect(env.api.create(tooBigData)).rejects.toMatchObject({ code: GRPC_CODE.INVALID_ARGUMENT, details: expect.stringContaining('data: ') });
    expect((await env.api.list({ resource: 'pods' })).resourceVersion).toBe(revision);
  });
});
