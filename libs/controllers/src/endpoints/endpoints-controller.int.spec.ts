/**
 * The endpoints controller in-process (runControllerManager with only "endpoint", no leader
 * election) against real etcd, NATS and the built apiserver. There is no kubelet: the test plays
 * it by writing pod status (podIP, hostIP, Ready, publishedPorts) itself. Each test uses its own
 * service name and labels.
 */
import { Endpoints, intOrString, NotFoundError, Pod, PodStatus, Service } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

const NS = 'default';

describe('endpoints controller against the real apiserver', () => {
  let env: ControllersTestEnv;
  let pods: TypedClient<'pod'>;
  let services: TypedClient<'service'>;
  let endpoints: TypedClient<'endpoints'>;

  beforeAll(async () => {
    // One worker: keys are synced in queue order, so once a service created last has its Endpoints,
    // every earlier key has been synced (what the "no write" checks rely on).
    env = await startControllersTestEnv({ controllers: ['endpoint'], tuning: { workers: 1 } });
    pods = env.typed('pod');
    services = env.typed('service');
    endpoints = env.typed('endpoints');
  }, 120_000);

  afterAll(() => env?.stop(), 30_000);

  function serviceOf(name: string, targetPort: number | string = 'http'): Service {
    return Service.fromPartial({ metadata: { name, namespace: NS }, spec: { selector: { app: name }, ports: [{ name: 'web', protocol: 'TCP', port: 80, targetPort: intOrString(targetPort) }] } });
  }

  /** Creates a pod of `app` on node-1 and reports it running with `ip` (hostPort 40000+last octet). */
  async function runPod(app: string, name: string, ip: string, ready = true, containerPort = 8080): Promise<Pod> {
    const created = await pods.create(
      Pod.fromPartial({ metadata: { name, namespace: NS, labels: { app } }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort, protocol: 'TCP' }] }] } }),
    );
    return setStatus(created, ip, ready);
  }

  async function setStatus(pod: Pod, ip: string, ready: boolean): Promise<Pod> {
    const hostPort = 40000 + Number(ip.split('.').at(-1));
    const containerPort = pod.spec?.containers[0]?.ports[0]?.containerPort ?? 0;
    const next = structuredClone(pod);
    next.status = PodStatus.fromPartial({
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      hostIP: '127.0.0.1',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      publishedPorts: [{ name: 'http', containerPort, protocol: 'TCP', hostIP: '127.0.0.1', hostPort }],
    });
    return pods.updateStatus(next);
  }

  /** Waits until the Endpoints `name` satisfy `check`; resolves with them. */
  function waitEndpoints(name: string, what: string, check: (ep: Endpoints) => boolean): Promise<Endpoints> {
    return waitFor(
      `endpoints ${name}: ${what}`,
      async () => {
        const ep = await endpoints.get(NS, name).catch((err: unknown) => {
          if (err instanceof NotFoundError) return undefined;
          throw err;
        });
        return ep && check(ep) ? ep : undefined;
      },
      { timeoutMs: 15_000 },
    );
  }

  const readyIPs = (ep: Endpoints) => ep.subsets.flatMap((s) => s.addresses.map((a) => a.ip)).sort();
  const notReadyIPs = (ep: Endpoints) => ep.subsets.flatMap((s) => s.notReadyAddresses.map((a) => a.ip)).sort();
  const same = (a: string[], b: string[]) => JSON.stringify(a) === JSON.stringify(b);

  it('lists ready pods as addresses, not-ready ones apart, drops terminating ones, resolves named ports with host ports', async () => {
    await services.create(serviceOf('ep-a'));
    const ep = await waitEndpoints('ep-a', 'exists, empty', (e) => e.subsets.length === 0);
    expect(ep.metadata?.ownerReferences ?? []).toEqual([]);

    await runPod('ep-a', 'ep-a-1', '172.30.0.1');
    await runPod('ep-a', 'ep-a-2', '172.30.0.2', false);
    const listed = await waitEndpoints('ep-a', 'one ready, one not', (e) => same(readyIPs(e), ['172.30.0.1']) && same(notReadyIPs(e), ['172.30.0.2']));
    expect(listed.subsets[0].ports).toEqual([{ name: 'web', port: 8080, protocol: 'TCP' }]);
    expect(listed.subsets[0].addresses[0]).toMatchObject({ nodeName: 'node-1', hostIP: '127.0.0.1', hostPorts: [], targetRef: { kind: 'Pod', name: 'ep-a-1', namespace: NS } });

    // The not-ready pod turns ready; the ready one is deleted (graceful: it is bound to a node).
    await setStatus(await pods.get(NS, 'ep-a-2'), '172.30.0.2', true);
    await pods.delete(NS, 'ep-a-1');
    expect((await pods.get(NS, 'ep-a-1')).metadata?.deletionTimestamp).toBeDefined();
    await waitEndpoints('ep-a', 'only ep-a-2, ready', (e) => same(readyIPs(e), ['172.30.0.2']) && notReadyIPs(e).length === 0);

    // A pod without the named port is left out; one with the port on another number gets its own subset.
    await runPod('ep-a', 'ep-a-3', '172.30.0.3', true, 9090);
    const c = Pod.fromPartial({ metadata: { name: 'ep-a-4', namespace: NS, labels: { app: 'ep-a' } }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'other', containerPort: 8080, protocol: 'TCP' }] }] } });
    await setStatus(await pods.create(c), '172.30.0.4', true);
    const split = await waitEndpoints('ep-a', 'two subsets', (e) => e.subsets.length === 2);
    expect(split.subsets.map((s) => [s.ports[0]?.port, s.addresses.map((a) => a.ip)])).toEqual([
      [8080, ['172.30.0.2']],
      [9090, ['172.30.0.3']],
    ]);
  }, 60_000);

  it('follows scaling and deletes the Endpoints with the service; leaves selectorless services alone', async () => {
    await services.create(serviceOf('ep-b', 8080));
    for (let i = 1; i <= 3; i++) await runPod('ep-b', `ep-b-${i}`, `172.31.0.${i}`);
    await waitEndpoints('ep-b', '3 ready', (e) => readyIPs(e).length === 3);
    // Scale down: pods go for good (the test's "kubelet" confirms by deleting with grace 0).
    for (const i of [2, 3]) await pods.delete(NS, `ep-b-${i}`, { gracePeriodSeconds: 0 });
    await waitEndpoints('ep-b', '1 ready', (e) => same(readyIPs(e), ['172.31.0.1']));
    for (let i = 4; i <= 5; i++) await runPod('ep-b', `ep-b-${i}`, `172.31.0.${i}`);
    await waitEndpoints('ep-b', '3 ready again', (e) => same(readyIPs(e), ['172.31.0.1', '172.31.0.4', '172.31.0.5']));

    await services.delete(NS, 'ep-b');
    await waitFor('endpoints ep-b to go', async () => endpoints.get(NS, 'ep-b').then(() => undefined, (err: unknown) => err instanceof NotFoundError || undefined), { timeoutMs: 15_000 });

    // A service without a selector: its Endpoints are the user's, untouched.
    await services.create(Service.fromPartial({ metadata: { name: 'ep-manual', namespace: NS }, spec: { ports: [{ name: 'web', protocol: 'TCP', port: 80, targetPort: intOrString(80) }] } }));
    const manual = await endpoints.create(Endpoints.fromPartial({ metadata: { name: 'ep-manual', namespace: NS }, subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ name: 'web', port: 80, protocol: 'TCP' }] }] }));
    // A marker service created after: once it has Endpoints, the controller has seen the manual ones.
    await services.create(serviceOf('ep-marker'));
    await waitEndpoints('ep-marker', 'exists', () => true);
    expect((await endpoints.get(NS, 'ep-manual')).metadata?.resourceVersion).toBe(manual.metadata?.resourceVersion);
  }, 60_000);

  it('converges after a restart, puts back a hand edit, and a restart with nothing changed writes nothing', async () => {
    await services.create(serviceOf('ep-c'));
    await runPod('ep-c', 'ep-c-1', '172.29.0.1');
    await runPod('ep-c', 'ep-c-2', '172.29.0.2', false);
    const before = await waitEndpoints('ep-c', 'listed', (e) => readyIPs(e).length === 1 && notReadyIPs(e).length === 1);

    await env.stopControllers();
    // While it is down a pod goes away and another comes: the new controller catches up...
    await pods.delete(NS, 'ep-c-2', { gracePeriodSeconds: 0 });
    env.startControllers();
    const after = await waitEndpoints('ep-c', 'caught up', (e) => notReadyIPs(e).length === 0 && readyIPs(e).length === 1);
    expect(after.metadata?.resourceVersion).not.toBe(before.metadata?.resourceVersion);

    // A hand edit is put back...
    await endpoints.update({ ...after, subsets: [] });
    const restored = await waitEndpoints('ep-c', 'restored', (e) => same(readyIPs(e), ['172.29.0.1']));

    // ...and a restart with nothing changed writes nothing.
    await env.restartControllers();
    await services.create(serviceOf('ep-c-marker'));
    await waitEndpoints('ep-c-marker', 'exists', () => true);
    expect((await endpoints.get(NS, 'ep-c')).metadata?.resourceVersion).toBe(restored.metadata?.resourceVersion);
  }, 60_000);
});
