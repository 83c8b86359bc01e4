/**
 * The ServiceAccount admission plugin in a real apiserver (in-process, real etcd and NATS): a
 * pod is created only when its ServiceAccount exists, with Kubernetes' Forbidden message
 * otherwise; the check comes after the namespace's own (a missing namespace is NotFound).
 */
import { GRPC_CODE, implementedPodField } from '@skiff/api';
import { startEtcd, startNats } from '@skiff/testing';
import { inner, obj, pod, startTestEnv, type TestEnv } from './apiserver-test-env.spec-helper';

let env: TestEnv;
beforeAll(async () => {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  env = await startTestEnv({ etcd, nats }, { disableAdmissionPlugins: [] });
}, 30_000);
afterAll(async () => {
  await env?.stop();
}, 30_000);

const serviceAccount = (name: string, namespace: string, imagePullSecrets: string[] = []) =>
  obj({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace }, imagePullSecrets: imagePullSecrets.map((s) => ({ name: s })) });

describe('ServiceAccount admission', () => {
  it("refuses a pod until its namespace's default ServiceAccount exists, then admits it", async () => {
    await env.api.create(obj({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }));
    const started = Date.now();
    await expect(env.api.create(pod('early', { namespace: 'team' }))).rejects.toMatchObject({
      code: GRPC_CODE.PERMISSION_DENIED,
      details: 'pods "early" is forbidden: error looking up service account team/default: serviceaccount "default" not found',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // `default` is looked up 10 times, 100-200 ms apart

    await env.api.create(serviceAccount('default', 'team', ['regcred']));
    const created = inner(await env.api.create(pod('web', { namespace: 'team' })));
    expect(created.spec.serviceAccountName).toBe(implementedPodField('PodSpec', 'serviceAccountName') ? 'default' : '');
    expect(created.spec.imagePullSecrets).toEqual(implementedPodField('PodSpec', 'imagePullSecrets') ? [{ name: 'regcred' }] : []);
  });

  it('refuses a pod naming an account that does not exist, at once', async () => {
    const started = Date.now();
    await expect(env.api.create(pod('robot', {}, { serviceAccountName: 'robot' }))).rejects.toMatchObject({
      code: GRPC_CODE.PERMISSION_DENIED,
      details: 'pods "robot" is forbidden: error looking up service account default/robot: serviceaccount "robot" not found',
    });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('says NotFound for a pod in a namespace that does not exist, as NamespaceLifecycle runs first', async () => {
    await expect(env.api.create(pod('lost', { namespace: 'nowhere' }))).rejects.toMatchObject({ code: GRPC_CODE.NOT_FOUND, details: 'namespaces "nowhere" not found' });
  });

  it('serves ServiceAccounts as any kind (short name sa)', async () => {
    await env.api.create(serviceAccount('builder', 'default'));
    const listed = await env.api.list({ resource: 'sa', namespace: 'default' });
    expect(listed.items.map((o) => inner(o).metadata!.name)).toContain('builder');
  });
});
