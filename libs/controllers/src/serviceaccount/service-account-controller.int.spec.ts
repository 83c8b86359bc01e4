/**
 * The serviceaccount controller in-process (with the namespace controller, no leader election)
 * against real etcd, NATS and the built apiserver running the ServiceAccount admission plugin:
 * every namespace gets `default`, which pods then run as; a deleted `default` comes back; a
 * terminating namespace is left to go.
 */
import { Namespace, Pod, ServiceAccount } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

describe('serviceaccount controller against the real apiserver', () => {
  let env: ControllersTestEnv;
  let namespaces: TypedClient<'namespace'>;
  let accounts: TypedClient<'serviceAccount'>;

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['serviceaccount', 'namespace'] });
    namespaces = env.typed('namespace');
    accounts = env.typed('serviceAccount');
  }, 90_000);

  afterAll(() => env?.stop(), 30_000);

  const find = (namespace: string, name = 'default') =>
    accounts.get(namespace, name).catch((err: Error) => {
      if (err.name === 'NotFoundError') return undefined;
      throw err;
    });
  const spec = { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] };

  it('gives the system namespaces their default ServiceAccount', async () => {
    for (const ns of ['default', 'skiff-system', 'skiff-node-lease']) await waitFor(`default in ${ns}`, () => find(ns), { timeoutMs: 15_000 });
  }, 20_000);

  it('gives a new namespace its default ServiceAccount, which its pods then run as', async () => {
    await namespaces.create(Namespace.fromPartial({ metadata: { name: 'team-a' } }));
    const account = await waitFor('default in team-a', () => find('team-a'), { timeoutMs: 10_000 });
    expect(account.metadata?.namespace).toBe('team-a');
    // Created right away too: admission waits a little for `default`, as Kubernetes'.
    await namespaces.create(Namespace.fromPartial({ metadata: { name: 'team-b' } }));
    await env.typed('pod').create(Pod.fromPartial({ metadata: { name: 'p', namespace: 'team-b' }, spec }));
    await expect(env.typed('pod').create(Pod.fromPartial({ metadata: { name: 'q', namespace: 'team-b' }, spec: { ...spec, serviceAccountName: 'robot' } }))).rejects.toMatchObject({
      name: 'ForbiddenError',
      message: expect.stringContaining('error looking up service account team-b/robot: serviceaccount "robot" not found'),
    });
  }, 30_000);

  it('creates default again when it is deleted, also after a restart; leaves other accounts alone', async () => {
    await namespaces.create(Namespace.fromPartial({ metadata: { name: 'team-c' } }));
    const first = await waitFor('default in team-c', () => find('team-c'), { timeoutMs: 10_000 });
    await accounts.create(ServiceAccount.fromPartial({ metadata: { name: 'robot', namespace: 'team-c' } }));
    await accounts.delete('team-c', 'default');
    const second = await waitFor('default back in team-c', async () => {
      const sa = await find('team-c');
      return sa && sa.metadata?.uid !== first.metadata?.uid ? sa : undefined;
    }, { timeoutMs: 10_000 });

    await env.stopControllers();
    await accounts.delete('team-c', 'default');
    await accounts.delete('team-c', 'robot');
    env.startControllers();
    await waitFor('default back in team-c after the restart', async () => {
      const sa = await find('team-c');
      return sa && sa.metadata?.uid !== second.metadata?.uid;
    }, { timeoutMs: 15_000 });
    expect(await find('team-c', 'robot')).toBeUndefined();
  }, 40_000);

  it('lets a terminating namespace go instead of filling it again', async () => {
    await namespaces.create(Namespace.fromPartial({ metadata: { name: 'team-d' } }));
    await waitFor('default in team-d', () => find('team-d'), { timeoutMs: 10_000 });
    await namespaces.delete('', 'team-d');
    await waitFor('team-d to be gone', async () => !(await namespaces.get('', 'team-d').catch(() => undefined)), { timeoutMs: 20_000 });
    expect(await find('team-d')).toBeUndefined();
  }, 30_000);
});
