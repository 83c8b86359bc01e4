/**
 * The namespace controller in-process (runControllerManager with only "namespace", no leader
 * election) against real etcd, NATS and the built apiserver: deleting a namespace deletes
 * everything in it, then the namespace. There is no kubelet: the test confirms the deletion of a
 * bound pod itself (a grace-0 delete, as the kubelet does), and a test finalizer
 * ("skiff.test/hold") keeps content around for as long as a test needs.
 */
import { ConfigMap, Deployment, GRPC_CODE, Namespace, Pod, Secret, Service, type Condition } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

const HOLD = 'skiff.test/hold';

describe('namespace controller against the real apiserver', () => {
  let env: ControllersTestEnv;
  let namespaces: TypedClient<'namespace'>;
  let pods: TypedClient<'pod'>;
  let configMaps: TypedClient<'configMap'>;

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['namespace'] });
    namespaces = env.typed('namespace');
    pods = env.typed('pod');
    configMaps = env.typed('configMap');
  }, 90_000);

  afterAll(() => env?.stop(), 30_000);

  const spec = { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] };

  async function fill(ns: string): Promise<void> {
    await namespaces.create(Namespace.fromPartial({ metadata: { name: ns } }));
    await pods.create(Pod.fromPartial({ metadata: { name: 'p1', namespace: ns }, spec }));
    await pods.create(Pod.fromPartial({ metadata: { name: 'p2', namespace: ns }, spec }));
    await env.typed('service').create(Service.fromPartial({ metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }));
    await configMaps.create(ConfigMap.fromPartial({ metadata: { name: 'settings', namespace: ns }, data: { a: 'b' } }));
    await env.typed('secret').create(Secret.fromPartial({ metadata: { name: 'token', namespace: ns }, stringData: { t: 'x' } }));
    await env.typed('deployment').create(
      Deployment.fromPartial({ metadata: { name: 'web', namespace: ns }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec } } }),
    );
  }

  /** Names of everything left in the namespace, "resource/name". */
  async function content(ns: string): Promise<string[]> {
    const out: string[] = [];
    for (const resource of ['pods', 'services', 'endpoints', 'configmaps', 'secrets', 'deployments', 'replicasets', 'events', 'leases']) {
      const { items } = await env.client.list(resource, { namespace: ns });
      for (const item of items) out.push(`${resource}/${(item.kind?.value as { metadata?: { name?: string } }).metadata?.name}`);
    }
    return out.sort();
  }

  async function exists(ns: string): Promise<Namespace | undefined> {
    return namespaces.get('', ns).catch((err: Error) => {
      if (err.name === 'NotFoundError') return undefined;
      throw err;
    });
  }

  const condition = (ns: Namespace | undefined, type: string): Condition | undefined => ns?.status?.conditions.find((c) => c.type === type);

  it('deletes pods, services, configmaps, secrets and deployments in it, then the namespace; nothing new gets in meanwhile', async () => {
    await fill('team-a');
    expect((await namespaces.get('', 'team-a')).spec?.finalizers).toEqual(['kubernetes']);
    expect(await content('team-a')).toEqual(['configmaps/settings', 'deployments/web', 'pods/p1', 'pods/p2', 'secrets/token', 'services/web']);
    const marked = await namespaces.delete('', 'team-a');
    expect(marked.status?.phase).toBe('Terminating');
    await expect(configMaps.create(ConfigMap.fromPartial({ metadata: { name: 'late', namespace: 'team-a' } }))).rejects.toMatchObject({ name: 'NamespaceTerminatingError', code: GRPC_CODE.PERMISSION_DENIED });
    await waitFor('team-a to be gone', async () => !(await exists('team-a')), { timeoutMs: 15_000 });
    expect(await content('team-a')).toEqual([]);

    // The name is free again, and the new namespace takes content.
    await namespaces.create(Namespace.fromPartial({ metadata: { name: 'team-a' } }));
    await configMaps.create(ConfigMap.fromPartial({ metadata: { name: 'again', namespace: 'team-a' } }));
  }, 30_000);

  it('waits for content held by a finalizer or a graceful pod, saying so in its conditions, and converges after a restart', async () => {
    await namespaces.create(Namespace.fromPartial({ metadata: { name: 'team-b' } }));
    await configMaps.create(ConfigMap.fromPartial({ metadata: { name: 'held', namespace: 'team-b', finalizers: [HOLD] } }));
    await pods.create(Pod.fromPartial({ metadata: { name: 'bound', namespace: 'team-b' }, spec: { ...spec, nodeName: 'node-x', terminationGracePeriodSeconds: 30 } }));
    await namespaces.delete('', 'team-b');

    const waiting = await waitFor('the conditions to show what remains', async () => {
      const ns = await exists('team-b');
      return condition(ns, 'NamespaceFinalizersRemaining')?.status === 'True' ? ns : undefined;
    });
    expect(condition(waiting, 'NamespaceContentRemaining')).toMatchObject({ status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: configmaps. has 1 resource instances, pods. has 1 resource instances' });
    expect(condition(waiting, 'NamespaceFinalizersRemaining')?.message).toBe(`Some content in the namespace has finalizers remaining: ${HOLD} in 1 resource instances`);
    expect(condition(waiting, 'NamespaceDeletionContentFailure')).toMatchObject({ status: 'False', reason: 'ContentDeleted' });
    expect(waiting.spec?.finalizers).toEqual(['kubernetes']);
    const pod = await pods.get('team-b', 'bound');
    expect(pod.metadata?.deletionGracePeriodSeconds).toBe(30); // deleted gracefully: the kubelet confirms

    // Restarted with no memory while content is still going; the content finishes while it is down.
    await env.stopControllers();
    const held = await configMaps.get('team-b', 'held');
    await configMaps.update({ ...held, metadata: { ...held.metadata!, finalizers: [] } });
    await pods.delete('team-b', 'bound', { gracePeriodSeconds: 0 }); // what the kubelet does
    expect((await exists('team-b'))?.status?.phase).toBe('Terminating');
    env.startControllers();
    await waitFor('team-b to be gone', async () => !(await exists('team-b')), { timeoutMs: 15_000 });
  }, 40_000);

  it('notices at once when the last held object goes (no waiting for the estimate)', async () => {
    await namespaces.create(Namespace.fromPartial({ metadata: { name: 'team-c' } }));
    await configMaps.create(ConfigMap.fromPartial({ metadata: { name: 'held', namespace: 'team-c', finalizers: [HOLD] } }));
    await namespaces.delete('', 'team-c');
    await waitFor('the held object to be deleted', async () => !!(await configMaps.get('team-c', 'held')).metadata?.deletionTimestamp);
    const held = await configMaps.get('team-c', 'held');
    const released = Date.now();
    await configMaps.update({ ...held, metadata: { ...held.metadata!, finalizers: [] } });
    await waitFor('team-c to be gone', async () => !(await exists('team-c')), { timeoutMs: 15_000 });
    expect(Date.now() - released).toBeLessThan(5_000); // the 15 s finalizer estimate alone would requeue after 8 s
  }, 30_000);
});
