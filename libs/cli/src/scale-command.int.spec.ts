/**
 * `skiff scale` (runCli in-process) against the real apiserver on real etcd and NATS; no
 * controllers run, so spec.replicas is exactly what the command wrote.
 */
import { Deployment, ReplicaSet } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { startApiserverEnv, type ApiserverEnv } from '@skiff/testing';
import { runCliAgainst } from './run-cli.spec-helper';

describe('skiff scale against the real apiserver', () => {
  let services: ApiserverEnv;
  let client: SkiffClient;

  beforeAll(async () => {
    services = await startApiserverEnv();
    client = connect(services.apiserver.address, { timeoutMs: 10_000 });
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } };
    await typed(client, 'deployment').create(Deployment.fromPartial({ metadata: { name: 'web', namespace: 'default', labels: { tier: 'front' } }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template } }));
    for (const name of ['web', 'api']) {
      await typed(client, 'replicaSet').create(ReplicaSet.fromPartial({ metadata: { name, namespace: 'default', labels: { tier: name === 'web' ? 'front' : 'back' } }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } }));
    }
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await services?.stop();
  }, 30_000);

  const skiff = (...argv: string[]) => runCliAgainst(services.apiserver.address, argv);

  const replicas = async (kind: 'deployment' | 'replicaSet', name: string) => (await typed(client, kind).get('default', name)).spec?.replicas;

  it('scales a deployment (TYPE/NAME) and a replicaset (TYPE NAME), printing kubectl\'s line', async () => {
    expect(await skiff('scale', 'deploy/web', '--replicas', '5')).toEqual({ code: 0, out: 'deployment.apps/web scaled\n', err: '' });
    expect(await replicas('deployment', 'web')).toBe(5);
    expect(await skiff('scale', 'rs', 'web', '--replicas', '3')).toEqual({ code: 0, out: 'replicaset.apps/web scaled\n', err: '' });
    expect(await replicas('replicaSet', 'web')).toBe(3);
  });

  it('--current-replicas is a precondition: a mismatch changes nothing and exits 1', async () => {
    expect(await skiff('scale', 'rs', 'web', '--replicas', '4', '--current-replicas', '2')).toEqual({ code: 1, out: '', err: 'error: Expected replicas to be 2, was 3\n' });
    expect(await replicas('replicaSet', 'web')).toBe(3);
    expect((await skiff('scale', 'rs/web', '--replicas', '4', '--current-replicas', '3')).code).toBe(0);
    expect(await replicas('replicaSet', 'web')).toBe(4);
  });

  it('--resource-version is a precondition too', async () => {
    const rv = (await typed(client, 'replicaSet').get('default', 'web')).metadata?.resourceVersion ?? '';
    const stale = await skiff('scale', 'rs/web', '--replicas', '1', '--resource-version', String(Number(rv) - 1));
    expect(stale).toEqual({ code: 1, out: '', err: `error: Expected resource version to be ${Number(rv) - 1}, was ${rv}\n` });
    expect((await skiff('scale', 'rs/web', '--replicas', '1', '--resource-version', rv)).code).toBe(0);
    expect(await replicas('replicaSet', 'web')).toBe(1);
  });

  it('-l scales every match; a missing object and an unscalable kind are errors', async () => {
    expect(await skiff('scale', 'rs', '-l', 'tier=back', '--replicas', '0')).toEqual({ code: 0, out: 'replicaset.apps/api scaled\n', err: '' });
    expect(await replicas('replicaSet', 'api')).toBe(0);
    expect(await replicas('replicaSet', 'web')).toBe(1);
    expect(await skiff('scale', 'rs', 'nope', '--replicas', '1')).toEqual({ code: 1, out: '', err: 'error: replicasets.apps "nope" not found\n' });
    expect(await skiff('scale', 'pod', 'web', '--replicas', '1')).toMatchObject({ code: 1, err: 'error: cannot scale pods: only deployments, replicasets and statefulsets have replicas\n' });
    expect(await skiff('scale', 'rs', 'web')).toMatchObject({ code: 1, err: 'error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n' });
  });
});
