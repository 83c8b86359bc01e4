/**
 * The garbage collector in-process (runControllerManager with only "garbagecollector", no leader
 * election) against real etcd, NATS and the built apiserver. No other controller runs: the test
 * makes owners and dependents by hand (ReplicaSets, Deployments, pods, ConfigMaps, any kind owning
 * any kind) and deletes them with each propagation policy. Pods are never bound, so a delete
 * removes them at once; a test finalizer ("skiff.test/hold") keeps a dependent in "being deleted"
 * for as long as a test needs to watch the owner wait.
 */
import { ConfigMap, Deployment, Node, Pod, ReplicaSet, type KubeObject, type OwnerReference } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

const NS = 'default';
const HOLD = 'skiff.test/hold';

describe('garbage collector against the real apiserver', () => {
  let env: ControllersTestEnv;
  let pods: TypedClient<'pod'>;
  let configMaps: TypedClient<'configMap'>;
  let replicaSets: TypedClient<'replicaSet'>;
  let deployments: TypedClient<'deployment'>;

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['garbagecollector'] });
    pods = env.typed('pod');
    configMaps = env.typed('configMap');
    replicaSets = env.typed('replicaSet');
    deployments = env.typed('deployment');
  }, 90_000);

  afterAll(() => env?.stop(), 30_000);

  const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] } });

  function refTo(owner: KubeObject, apiVersion: string, kind: string, extra: Partial<OwnerReference> = {}): OwnerReference {
    return { apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true, ...extra };
  }

  const rsRef = (rs: KubeObject, extra: Partial<OwnerReference> = {}) => refTo(rs, 'apps/v1', 'ReplicaSet', extra);
  const cmRef = (cm: KubeObject, extra: Partial<OwnerReference> = {}) => refTo(cm, 'v1', 'ConfigMap', { controller: false, ...extra });

  function createRs(name: string, owners: OwnerReference[] = []): Promise<ReplicaSet> {
    return replicaSets.create(ReplicaSet.fromPartial({ metadata: { name, namespace: NS, ownerReferences: owners }, spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: template(name) } }));
  }

  function createPod(name: string, owners: OwnerReference[], finalizers: string[] = []): Promise<Pod> {
    return pods.create(Pod.fromPartial({ metadata: { name, namespace: NS, labels: { app: name }, ownerReferences: owners, finalizers }, spec: template(name).spec }));
  }

  function createCm(name: string, owners: OwnerReference[] = [], finalizers: string[] = []): Promise<ConfigMap> {
    return configMaps.create(ConfigMap.fromPartial({ metadata: { name, namespace: NS, ownerReferences: owners, finalizers } }));
  }

  async function exists(get: () => Promise<unknown>): Promise<boolean> {
    return get().then(
      () => true,
      (err: Error) => {
        if (err.name === 'NotFoundError') return false;
        throw err;
      },
    );
  }

  const gone = (what: string, get: () => Promise<unknown>, timeoutMs = 15_000) => waitFor(`${what} to be gone`, async () => !(await exists(get)), { timeoutMs });

  /** Drops the test finalizer so that the object's deletion completes. */
  async function release(get: () => Promise<KubeObject>, update: (o: never) => Promise<unknown>): Promise<void> {
    const o = await get();
    await update({ ...o, metadata: { ...o.metadata!, finalizers: o.metadata!.finalizers.filter((f) => f !== HOLD) } } as never);
  }

  it('background: the owner goes at once, then its dependents; a dependent with another owner only loses the reference', async () => {
    const rs = await createRs('bg');
    const keeper = await createCm('bg-keeper');
    await Promise.all([createPod('bg-1', [rsRef(rs)]), createPod('bg-2', [rsRef(rs)]), createPod('bg-shared', [rsRef(rs, { controller: false }), cmRef(keeper)])]);
    await replicaSets.delete(NS, 'bg');
    expect(await exists(() => replicaSets.get(NS, 'bg'))).toBe(false);
    await gone('bg-1', () => pods.get(NS, 'bg-1'));
    await gone('bg-2', () => pods.get(NS, 'bg-2'));
    const shared = await waitFor('bg-shared to lose its reference to the ReplicaSet', async () => {
      const p = await pods.get(NS, 'bg-shared');
      return p.metadata?.ownerReferences.length === 1 ? p : undefined;
    });
    expect(shared.metadata?.ownerReferences).toEqual([cmRef(keeper)]);
    expect(shared.metadata?.deletionTimestamp).toBeUndefined();
  }, 30_000);

  it('foreground: the owner waits, marked, until its blocking dependents are gone; non-blocking ones do not hold it', async () => {
    const rs = await createRs('fg');
    await createPod('fg-held', [rsRef(rs)], [HOLD]);
    await createPod('fg-plain', [rsRef(rs)]);
    await createCm('fg-loose', [rsRef(rs, { controller: false, blockOwnerDeletion: false })], [HOLD]);
    const marked = await replicaSets.delete(NS, 'fg', { propagationPolicy: 'Foreground' });
    expect(marked.metadata?.finalizers).toContain('foregroundDeletion');
    expect(marked.metadata?.deletionTimestamp).toBeInstanceOf(Date);

    await gone('fg-plain', () => pods.get(NS, 'fg-plain'));
    const held = await waitFor('fg-held to be deleted (held by its finalizer)', async () => {
      const p = await pods.get(NS, 'fg-held');
      return p.metadata?.deletionTimestamp ? p : undefined;
    });
    expect(held.metadata?.finalizers).toEqual([HOLD]);
    await waitFor('fg-loose to be deleted too', async () => !!(await configMaps.get(NS, 'fg-loose')).metadata?.deletionTimestamp);
    // The blocking pod still exists: the owner waits.
    expect((await replicaSets.get(NS, 'fg')).metadata?.finalizers).toContain('foregroundDeletion');

    await release(() => pods.get(NS, 'fg-held'), (o) => pods.update(o));
    await gone('the ReplicaSet', () => replicaSets.get(NS, 'fg'));
    // The non-blocking dependent never held the owner back; it is still held by its own finalizer.
    expect((await configMaps.get(NS, 'fg-loose')).metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await release(() => configMaps.get(NS, 'fg-loose'), (o) => configMaps.update(o));
    await gone('fg-loose', () => configMaps.get(NS, 'fg-loose'));
  }, 30_000);

  it('orphan: the dependents stay, without the reference; the owner goes', async () => {
    const rs = await createRs('or');
    await Promise.all([createPod('or-1', [rsRef(rs)]), createPod('or-2', [rsRef(rs)])]);
    const marked = await replicaSets.delete(NS, 'or', { propagationPolicy: 'Orphan' });
    expect(marked.metadata?.finalizers).toContain('orphan');
    await gone('the ReplicaSet', () => replicaSets.get(NS, 'or'));
    for (const name of ['or-1', 'or-2']) {
      const p = await pods.get(NS, name);
      expect(p.metadata?.ownerReferences).toEqual([]);
      expect(p.metadata?.deletionTimestamp).toBeUndefined();
    }
  }, 30_000);

  function createDeployment(name: string): Promise<Deployment> {
    return deployments.create(Deployment.fromPartial({ metadata: { name, namespace: NS }, spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: template(name) } }));
  }

  const depRef = (d: KubeObject) => refTo(d, 'apps/v1', 'Deployment');

  it('Deployment -> ReplicaSet -> pods, background: everything goes', async () => {
    const d = await createDeployment('chain-bg');
    const rs = await createRs('chain-bg-rs', [depRef(d)]);
    await Promise.all([createPod('chain-bg-1', [rsRef(rs)]), createPod('chain-bg-2', [rsRef(rs)])]);
    await deployments.delete(NS, 'chain-bg');
    await gone('the ReplicaSet', () => replicaSets.get(NS, 'chain-bg-rs'));
    await gone('chain-bg-1', () => pods.get(NS, 'chain-bg-1'));
    await gone('chain-bg-2', () => pods.get(NS, 'chain-bg-2'));
  }, 30_000);

  it('Deployment -> ReplicaSet -> pods, foreground: the pods go first, then the ReplicaSet, then the Deployment', async () => {
    const d = await createDeployment('chain-fg');
    const rs = await createRs('chain-fg-rs', [depRef(d)]);
    await createPod('chain-fg-held', [rsRef(rs)], [HOLD]);
    await createPod('chain-fg-2', [rsRef(rs)]);
    await deployments.delete(NS, 'chain-fg', { propagationPolicy: 'Foreground' });

    // The ReplicaSet is deleted in the foreground too (it has dependents), so both wait for the held pod.
    await waitFor('the ReplicaSet to be deleted in the foreground', async () => (await replicaSets.get(NS, 'chain-fg-rs')).metadata?.finalizers.includes('foregroundDeletion'));
    await gone('chain-fg-2', () => pods.get(NS, 'chain-fg-2'));
    await waitFor('the held pod to be marked', async () => !!(await pods.get(NS, 'chain-fg-held')).metadata?.deletionTimestamp);
    expect((await deployments.get(NS, 'chain-fg')).metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(await exists(() => replicaSets.get(NS, 'chain-fg-rs'))).toBe(true);

    await release(() => pods.get(NS, 'chain-fg-held'), (o) => pods.update(o));
    await gone('the ReplicaSet', () => replicaSets.get(NS, 'chain-fg-rs'));
    await gone('the Deployment', () => deployments.get(NS, 'chain-fg'));
  }, 30_000);

  it('counts a reference whose uid differs from the live object of that name as absent', async () => {
    const first = await createCm('reused');
    await configMaps.delete(NS, 'reused');
    await createCm('reused'); // same name, new uid
    await createCm('stale-dependent', [cmRef(first)]);
    await gone('the dependent of the old object', () => configMaps.get(NS, 'stale-dependent'));
    expect(await exists(() => configMaps.get(NS, 'reused'))).toBe(true);
  }, 30_000);

  it('never collects a cluster-scoped object owned by a namespaced kind, and says why in an Event', async () => {
    const rs = await createRs('ns-owner');
    await replicaSets.delete(NS, 'ns-owner');
    await env.typed('node').create(Node.fromPartial({ metadata: { name: 'gc-invalid-owner', ownerReferences: [rsRef(rs)] } }));
    const event = await waitFor('an OwnerRefInvalidNamespace event', async () => {
      const { items } = await env.typed('event').list({ namespace: NS });
      return items.find((e) => e.reason === 'OwnerRefInvalidNamespace' && e.involvedObject?.name === 'gc-invalid-owner');
    });
    expect(event).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Node' }, source: { component: 'garbage-collector-controller' } });
    expect(await exists(() => env.typed('node').get('', 'gc-invalid-owner'))).toBe(true);
  }, 30_000);

  it('converges after a restart in the middle of a foreground cascade, and collects what was orphaned while it was down', async () => {
    const owner = await createCm('restart-owner');
    const N = 40;
    const HELD = 5;
    await Promise.all(Array.from({ length: N }, (_, i) => createCm(`restart-${i}`, [cmRef(owner, { blockOwnerDeletion: true })], i < HELD ? [HOLD] : [])));
    await configMaps.delete(NS, 'restart-owner', { propagationPolicy: 'Foreground' });
    const dependents = async () => (await configMaps.list({ namespace: NS })).items.filter((c) => /^restart-\d+$/.test(c.metadata?.name ?? ''));
    // Stopped mid-way: the free dependents are gone, the held ones are marked, the owner waits.
    await waitFor('the cascade to reach the held dependents', async () => {
      const left = await dependents();
      return left.length === HELD && left.every((c) => c.metadata?.deletionTimestamp);
    });
    await env.stopControllers();

    // While the collector is down: the held dependents finish, and another owner goes in the background.
    for (let i = 0; i < HELD; i++) await release(() => configMaps.get(NS, `restart-${i}`), (o) => configMaps.update(o));
    const lonely = await createCm('while-down-owner');
    await createCm('while-down-dependent', [cmRef(lonely)]);
    await configMaps.delete(NS, 'while-down-owner');
    expect(await dependents()).toEqual([]);
    expect((await configMaps.get(NS, 'restart-owner')).metadata?.finalizers).toEqual(['foregroundDeletion']);
    expect(await exists(() => configMaps.get(NS, 'while-down-dependent'))).toBe(true);

    env.startControllers(); // a new process: no memory, only what it lists
    await gone('the foreground owner', () => configMaps.get(NS, 'restart-owner'));
    await gone('the dependent orphaned while the collector was down', () => configMaps.get(NS, 'while-down-dependent'));
  }, 60_000);
});
