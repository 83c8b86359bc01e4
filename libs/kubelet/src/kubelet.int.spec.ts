import { NotFoundError, Pod, type Lease, type Node } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { HollowRuntime } from '@skiff/runtime';
import { createLogger } from '@skiff/service';
import { startApiserver, startEtcd, startNats, waitFor, type ApiserverProcess, type EtcdServer, type NatsServer } from '@skiff/testing';
import { runKubelet, type KubeletConfig } from './kubelet';
import { NODE_LEASE_NAMESPACE } from './node-status';

/**
 * The kubelet in-process against real etcd, NATS and the built apiserver, with the HollowRuntime
 * (pretend containers the test can make exit). Pods are bound through the API's Bind RPC, as the
 * scheduler would.
 */
const NODE = 'hollow-1';
let etcd: EtcdServer;
let nats: NatsServer;
let apiserver: ApiserverProcess;
let client: SkiffClient;
let runtime: HollowRuntime;
let kubelet: { stop: AbortController; done: Promise<void> } | undefined;
const pods = () => typed(client, 'pod');

function startKubelet(overrides: Partial<KubeletConfig> = {}): void {
  const config: KubeletConfig = {
    nodeName: NODE,
    server: apiserver.address,
    nats: [nats.url],
    nodeIP: '127.0.0.1',
    listen: '127.0.0.1:0',
    runtime,
    capacity: { cpu: '4', memory: '8Gi', pods: 20 },
    systemReserved: { cpu: '500m' },
    leaseIntervalMs: 200,
    statusIntervalMs: 60_000,
    resyncIntervalMs: 60_000,
    backoff: { baseMs: 200, maxMs: 800 },
    logger: createLogger('kubelet', 'warn'),
    ...overrides,
  };
  const stop = new AbortController();
  kubelet = { stop, done: runKubelet(config, stop.signal) };
}

async function stopKubelet(): Promise<void> {
  kubelet?.stop.abort();
  await kubelet?.done;
  kubelet = undefined;
}

async function createBound(name: string, spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}): Promise<Pod> {
  await pods().create(
    Pod.fromPartial({
      metadata: { name, namespace: 'default' },
      spec: { terminationGracePeriodSeconds: 5, ...spec, containers: [{ name: 'main', image: 'example/app:1', imagePullPolicy: 'IfNotPresent', ...container }] },
    }),
  );
  await client.bind({ namespace: 'default', name, nodeName: NODE, uid: '', resourceVersion: '' });
  return pods().get('default', name);
}

const get = (name: string) => pods().get('default', name);
const running = async (uid: string) => (await runtime.listContainers({ podUid: uid })).filter((c) => c.state === 'running');

beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  apiserver = await startApiserver({ etcd, nats, logLevel: 'warn' });
  client = connect(apiserver.address);
  runtime = new HollowRuntime({ nodeName: NODE });
  startKubelet();
}, 60_000);

afterAll(async () => {
  await stopKubelet();
  client?.close();
  await apiserver?.stop();
  await Promise.all([nats?.stop(), etcd?.stop()]);
});

describe('kubelet (hollow runtime, real apiserver)', () => {
  it('registers its Node Ready with capacity and allocatable, and renews its Lease', async () => {
    const node = await waitFor('the node to register', () => typed(client, 'node').get('', NODE).catch(() => undefined));
    expect(node.metadata?.labels).toMatchObject({ 'kubernetes.io/hostname': NODE, 'kubernetes.io/os': 'linux' });
    expect(node.status?.capacity).toEqual({ cpu: '4', memory: '8Gi', pods: '20' });
    expect(node.status?.allocatable).toEqual({ cpu: '3500m', memory: '8388608Ki', pods: '20' });
    expect(node.status?.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect((node as Node).status?.daemonEndpoints?.kubeletEndpoint?.port).toBeGreaterThan(0);
    const leases = typed(client, 'lease');
    const first: Lease = await waitFor('the lease', () => leases.get(NODE_LEASE_NAMESPACE, NODE).catch(() => undefined));
    expect(first.spec?.holderIdentity).toBe(NODE);
    await waitFor('the lease to be renewed', async () => {
      const now = await leases.get(NODE_LEASE_NAMESPACE, NODE);
      return (now.spec?.renewTime?.getTime() ?? 0) > (first.spec?.renewTime?.getTime() ?? 0);
    });
  });

  it('runs a bound pod and reports it Running with its status; logs come through the apiserver', async () => {
    const pod = await createBound('web');
    const uid = pod.metadata?.uid ?? '';
    const status = await waitFor('web to be Running', async () => {
      const p = await get('web');
      return p.status?.phase === 'Running' && p.status?.conditions.find((c) => c.type === 'Ready')?.status === 'True' ? p.status : undefined;
    });
    expect(status).toMatchObject({ hostIP: '127.0.0.1', containerStatuses: [{ name: 'main', ready: true, started: true, restartCount: 0, image: 'example/app:1' }] });
    expect(status.podIP).toMatch(/^10\./);
    expect(status.podIPs).toEqual([{ ip: status.podIP }]);
    expect(status.startTime).toBeInstanceOf(Date);
    expect(status.containerStatuses[0].containerID).toMatch(/^hollow:\/\//);
    expect(status.conditions.map((c) => `${c.type}=${c.status}`).sort()).toEqual(['ContainersReady=True', 'Initialized=True', 'PodScheduled=True', 'Ready=True']);

    const [c] = await running(uid);
    runtime.write(c.id, 'stdout', 'hello from web\n');
    const chunks: Buffer[] = [];
    for await (const chunk of client.podLogs({ namespace: 'default', name: 'web', container: '', follow: false, previous: false, timestamps: false }, AbortSignal.timeout(5_000))) chunks.push(Buffer.from(chunk.data));
    expect(Buffer.concat(chunks).toString()).toBe('hello from web\n');
    const exec = [];
    for await (const out of client.podExec({ namespace: 'default', name: 'web', container: 'main', command: ['true'] }, AbortSignal.timeout(5_000))) exec.push(out.output);
    expect(exec).toEqual([{ $case: 'exitCode', value: 0 }]);
  });

  it('restarts a container that exits 1 with backoff: CrashLoopBackOff, restartCount growing', async () => {
    const pod = await createBound('crash');
    const uid = pod.metadata?.uid ?? '';
    const reasons = new Set<string>();
    const watching = new AbortController();
    const watch = (async () => {
      for await (const ev of pods().watch({ namespace: 'default', fieldSelector: 'metadata.name=crash' }, watching.signal)) {
        const w = ev.object.status?.containerStatuses[0]?.state?.waiting?.reason;
        if (w) reasons.add(`${w}@${ev.object.status?.containerStatuses[0]?.restartCount}`);
      }
    })().catch(() => undefined);
    for (let restart = 1; restart <= 3; restart++) {
      const [c] = await waitFor(`crash instance ${restart - 1} to run`, async () => {
        const r = await running(uid);
        return r.length === 1 && r[0].attempt === restart - 1 ? r : undefined;
      });
      runtime.exit(c.id, 1);
      await waitFor(`restart ${restart}`, async () => (await get('crash')).status?.containerStatuses[0]?.restartCount === restart);
    }
    const status = (await get('crash')).status;
    expect(status?.containerStatuses[0]).toMatchObject({ restartCount: 3, lastState: { terminated: { exitCode: 1, reason: 'Error' } } });
    await waitFor('CrashLoopBackOff to have been reported', () => reasons.has('CrashLoopBackOff@1') && reasons.has('CrashLoopBackOff@2'));
    expect(reasons.has('CrashLoopBackOff@0')).toBe(false); // the first restart is immediate, as the kubelet's
    watching.abort();
    await watch;
  });

  it('ends a restartPolicy Never pod Failed with the exit code', async () => {
    const pod = await createBound('once', { restartPolicy: 'Never' });
    const [c] = await waitFor('once to run', async () => {
      const r = await running(pod.metadata?.uid ?? '');
      return r.length ? r : undefined;
    });
    runtime.exit(c.id, 3);
    const status = await waitFor('once to be Failed', async () => ((await get('once')).status?.phase === 'Failed' ? (await get('once')).status : undefined));
    expect(status.containerStatuses[0]).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 3, reason: 'Error' } } });
  });

  it('refuses a pod larger than the node: Failed, OutOfcpu', async () => {
    await createBound('huge', {}, { resources: { limits: { cpu: '100' }, requests: { cpu: '100' } } });
    const status = await waitFor('huge to be refused', async () => ((await get('huge')).status?.phase === 'Failed' ? (await get('huge')).status : undefined));
    expect(status).toMatchObject({ reason: 'OutOfcpu', message: expect.stringContaining("didn't have enough resource: cpu") });
  });

  it('stops and removes a deleted pod, then confirms so the pod disappears', async () => {
    const pod = await createBound('doomed');
    const uid = pod.metadata?.uid ?? '';
    await waitFor('doomed to run', async () => (await running(uid)).length === 1);
    await pods().delete('default', 'doomed');
    await waitFor('doomed to be gone from the API', async () => {
      try {
        await get('doomed');
        return false;
      } catch (err) {
        return err instanceof NotFoundError;
      }
    });
    expect(await runtime.listContainers({ podUid: uid })).toEqual([]);
    expect(await runtime.listPodSandboxes({ podUid: uid })).toEqual([]);
  });

  it('after a restart adopts running containers without restarting them, and removes those of pods deleted meanwhile', async () => {
    const keep = await createBound('keep');
    const gone = await createBound('gone-while-down', { terminationGracePeriodSeconds: 0 });
    const [kept] = await waitFor('keep to run', async () => ((await running(keep.metadata?.uid ?? '')).length === 1 ? running(keep.metadata?.uid ?? '') : undefined));
    await waitFor('gone-while-down to run', async () => (await running(gone.metadata?.uid ?? '')).length === 1);
    await waitFor('keep to be reported Running', async () => (await get('keep')).status?.phase === 'Running');
    await stopKubelet();
    // deleted while the kubelet is down: grace 0 removes it from the API at once
    await pods().delete('default', 'gone-while-down', { gracePeriodSeconds: 0 });
    startKubelet();
    await waitFor('the orphan to be removed', async () => (await runtime.listContainers({ podUid: gone.metadata?.uid ?? '' })).length === 0);
    const after = await running(keep.metadata?.uid ?? '');
    expect(after.map((c) => c.id)).toEqual([kept.id]);
    expect((await runtime.listContainers({ podUid: keep.metadata?.uid ?? '' })).length).toBe(1);
    expect((await get('keep')).status?.containerStatuses[0]).toMatchObject({ restartCount: 0, ready: true });
    // and it still manages the adopted pod: a crash is restarted
    runtime.exit(kept.id, 1);
    await waitFor('keep to restart', async () => (await get('keep')).status?.containerStatuses[0]?.restartCount === 1);
  });

  it('removes, while running, containers left behind for a pod the API does not have', async () => {
    await stopKubelet();
    startKubelet({ resyncIntervalMs: 300 });
    const probe = await createBound('probe');
    await waitFor('the restarted kubelet to run a pod', async () => (await get('probe')).status?.phase === 'Running');
    // What a create in flight when its pod was deleted leaves behind.
    const stray = Pod.fromPartial({ metadata: { name: 'stray', namespace: 'default', uid: 'stray-uid' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } });
    const sandbox = await runtime.runPodSandbox(stray);
    await runtime.createContainer(sandbox, stray.spec!.containers[0], { attempt: 0 });
    await waitFor('the stray objects to be removed', async () =>
      (await runtime.listContainers({ podUid: 'stray-uid' })).length === 0 && (await runtime.listPodSandboxes({ podUid: 'stray-uid' })).length === 0,
    );
    expect(await running(probe.metadata?.uid ?? '')).toHaveLength(1); // pods the API has are left alone
  });
});
