import { NotFoundError, Pod, Service, type Event, type Lease, type Node } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { HollowRuntime } from '@skiff/runtime';
import { createLogger } from '@skiff/service';
import { freePort, startApiserver, startEtcd, startNats, waitFor, type ApiserverProcess, type EtcdServer, type NatsServer } from '@skiff/testing';
import { runKubelet, type KubeletConfig } from './kubelet';
import { NODE_LEASE_NAMESPACE } from './node-status';

/**
 * The kubelet in-process against real etcd, NATS and the built apiserver, with the HollowRuntime
 * (pretend containers the test can make exit). Pods are bound through the API's Bind RPC, as the
 * scheduler would. Events are read back from the API, metrics scraped from --metrics-listen.
 */
const NODE = 'hollow-1';
let etcd: EtcdServer;
let nats: NatsServer;
let apiserver: ApiserverProcess;
let client: SkiffClient;
let runtime: HollowRuntime;
let kubelet: { stop: AbortController; done: Promise<void> } | undefined;
let metricsAddress: string;
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
    metricsListen: metricsAddress,
    clusterDNS: ['10.96.0.10'], // no query is sent: the hollow runtime only records it
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

/** The Events about one object (by name and kind), as "Type Reason Message (xCount)" lines. */
async function eventLines(name: string, kind = 'Pod'): Promise<string[]> {
  const { items } = await typed(client, 'event').list({ namespace: 'default' });
  return items.filter((e: Event) => e.involvedObject?.name === name && e.involvedObject.kind === kind).map((e: Event) => `${e.type} ${e.reason} ${e.message} (x${e.count})`);
}

/** Waits until the object's Events include every one of `expected` (each "Type Reason Message (xCount)"); returns them all. */
async function waitForEvents(name: string, expected: string[], kind = 'Pod'): Promise<string[]> {
  return waitFor(`events of ${name}: ${expected.join('; ')}`, async () => {
    const lines = await eventLines(name, kind);
    return expected.every((line) => lines.includes(line)) ? lines : undefined;
  });
}

/** One sample from the kubelet's /metrics ("name" or 'name{label="v"}'; the component label is left out), or undefined. */
async function scrape(series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const [name, labels] = series.includes('{') ? [series.slice(0, series.indexOf('{')), series.slice(series.indexOf('{') + 1, -1)] : [series, ''];
  const wanted = `${name}{${[labels, 'component="kubelet"'].filter(Boolean).join(',')}} `;
  const line = text.split('\n').find((l) => l.startsWith(wanted));
  return line === undefined ? undefined : Number(line.slice(wanted.length));
}
const running = async (uid: string) => (await runtime.listContainers({ podUid: uid })).filter((c) => c.state === 'running');

beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  apiserver = await startApiserver({ etcd, nats, logLevel: 'warn' });
  client = connect(apiserver.address);
  runtime = new HollowRuntime({ nodeName: NODE, pullable: (image) => !image.includes('missing') });
  metricsAddress = `127.0.0.1:${await freePort()}`;
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
    const events = await waitForEvents(NODE, ['Normal Starting Starting kubelet. (x1)', `Normal NodeReady Node ${NODE} status is now: NodeReady (x1)`], 'Node');
    expect(events).toHaveLength(2);
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
    // one BackOff per crash that had to wait (the second and third), however many syncs saw it
    await waitForEvents('crash', [`Warning BackOff Back-off restarting failed container main in pod crash_default(${uid}) (x2)`, 'Normal Started Started container main (x4)']);
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
    expect(await waitForEvents('huge', [`Warning OutOfcpu ${status.message} (x1)`])).toHaveLength(1);
  });

  it("records a pod's Events as the kubelet does: pull, create, start; nothing for syncs that change nothing", async () => {
    const pod = await createBound('evented', {}, { image: 'example/evented:1' });
    const uid = pod.metadata?.uid ?? '';
    await waitFor('evented to be Running', async () => (await get('evented')).status?.phase === 'Running');
    const first = await waitForEvents('evented', [
      'Normal Pulling Pulling image "example/evented:1" (x1)',
      'Normal Created Created container main (x1)',
      'Normal Started Started container main (x1)',
    ]);
    expect(first.filter((l) => l.startsWith('Normal Pulled Successfully pulled image "example/evented:1" in '))).toHaveLength(1);
    expect(first).toHaveLength(4);
    // Syncs that change nothing (a label update, the status write it causes) record nothing...
    await waitFor('a label update to go through', async () => {
      const latest = await get('evented');
      return pods().update({ ...latest, metadata: { ...latest.metadata!, labels: { touched: 'yes' } } });
    });
    await waitFor('the label update to be seen', async () => (await get('evented')).metadata?.labels['touched'] === 'yes');
    // ...and a restart records the image as present, with new Created and Started (written after anything before them).
    const [c] = await running(uid);
    runtime.exit(c.id, 1);
    const after = await waitForEvents('evented', [
      'Normal Pulled Container image "example/evented:1" already present on machine (x1)',
      'Normal Created Created container main (x2)',
      'Normal Started Started container main (x2)',
    ]);
    const pulls = (lines: string[]) => lines.filter((l) => l.includes('Pull')).sort();
    expect(pulls(after)).toEqual(pulls([...first, 'Normal Pulled Container image "example/evented:1" already present on machine (x1)']));
    expect(after).toHaveLength(5);
  });

  it('records a failing pull, then its back-off once per failure; the pull errors show in the metrics', async () => {
    await createBound('unpullable', {}, { image: 'example/missing:1' });
    const image = 'example/missing:1';
    const pulling = `Normal Pulling Pulling image "${image}"`;
    const failed = 'Warning Failed Error: ErrImagePull';
    const backOff = `Normal BackOff Back-off pulling image "${image}"`;
    // The pulls go on while the test reads: compare counts, not exact lines.
    const counts = await waitFor('two failed pulls and a back-off', async () => {
      const { items } = await typed(client, 'event').list({ namespace: 'default' });
      const byLine = new Map(items.filter((e: Event) => e.involvedObject?.name === 'unpullable').map((e: Event) => [`${e.type} ${e.reason} ${e.message}`, e.count]));
      return (byLine.get(failed) ?? 0) >= 2 && byLine.has(backOff) ? byLine : undefined;
    });
    expect([...counts.keys()].sort()).toEqual(
      [pulling, `Warning Failed Failed to pull image "${image}": not found`, failed, backOff, 'Warning Failed Error: ImagePullBackOff'].sort(),
    );
    expect(counts.get(pulling)).toBeGreaterThanOrEqual(2);
    // at most one back-off per failure (the newest failure's may not have been written yet)
    expect(counts.get(backOff)).toBeLessThanOrEqual((counts.get(failed) ?? 0) + 1);
    const waiting = (await get('unpullable')).status?.containerStatuses[0]?.state?.waiting?.reason;
    expect(['ErrImagePull', 'ImagePullBackOff']).toContain(waiting);
    expect(await scrape('kubelet_runtime_operations_errors_total{operation_type="pull_image"}')).toBeGreaterThanOrEqual(2);
    await pods().delete('default', 'unpullable', { gracePeriodSeconds: 0 });
  });

  it('serves Kubernetes-named metrics: running pods and containers, pod start durations, runtime operations', async () => {
    await createBound('measured');
    await waitFor('measured to be Running', async () => (await get('measured')).status?.phase === 'Running');
    // other pods may still be changing: wait until a scrape agrees with the runtime
    await waitFor('the running pods and containers gauges to match the runtime', async () => {
      const pods = new Set((await runtime.listPodSandboxes()).filter((s) => s.state === 'ready').map((s) => s.pod.uid)).size;
      const containers = (await runtime.listContainers()).filter((c) => c.state === 'running').length;
      return pods >= 1 && containers >= 1 && (await scrape('kubelet_running_pods')) === pods && (await scrape('kubelet_running_containers{container_state="running"}')) === containers;
    });
    expect(await scrape('kubelet_pod_start_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(await scrape('kubelet_runtime_operations_total{operation_type="run_podsandbox"}')).toBeGreaterThanOrEqual(1);
    expect(await scrape('kubelet_runtime_operations_total{operation_type="start_container"}')).toBeGreaterThanOrEqual(1);
    expect(await scrape('process_cpu_user_seconds_total')).toBeGreaterThan(0); // and the default process metrics
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
    await waitForEvents('doomed', ['Normal Killing Stopping container main (x1)']);
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

  it('gives pods created after a Service its env vars, and ClusterFirst pods the cluster DNS settings', async () => {
    await typed(client, 'service').create(
      Service.fromPartial({
        metadata: { name: 'env-svc', namespace: 'default' },
        spec: { clusterIP: '10.96.7.7', selector: { app: 'env' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: { value: { $case: 'intVal', value: 8080 } } }] },
      }),
    );
    const envOf = async (name: string, spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => {
      const pod = await createBound(name, spec, container);
      const [c] = await waitFor(`${name} to run`, async () => ((await running(pod.metadata?.uid ?? '')).length ? running(pod.metadata?.uid ?? '') : undefined));
      const [sandbox] = await runtime.listPodSandboxes({ podUid: pod.metadata?.uid });
      return { env: runtime.environment(c.id), dns: runtime.sandboxDns(sandbox.id) };
    };

    const plain = await envOf('env-plain', {}, { env: [{ name: 'ENV_SVC_SERVICE_PORT', value: 'mine' }] });
    expect(plain.env).toEqual(
      expect.arrayContaining([
        'ENV_SVC_SERVICE_HOST=10.96.7.7',
        'ENV_SVC_SERVICE_PORT=mine', // the pod's own env wins
        'ENV_SVC_SERVICE_PORT_HTTP=80',
        'ENV_SVC_PORT=tcp://10.96.7.7:80',
        'ENV_SVC_PORT_80_TCP=tcp://10.96.7.7:80',
        'ENV_SVC_PORT_80_TCP_PROTO=tcp',
        'ENV_SVC_PORT_80_TCP_PORT=80',
        'ENV_SVC_PORT_80_TCP_ADDR=10.96.7.7',
      ]),
    );
    expect(plain.env.filter((e) => e.startsWith('ENV_SVC_SERVICE_PORT='))).toEqual(['ENV_SVC_SERVICE_PORT=mine']);
    expect(plain.dns).toEqual({ servers: ['10.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] });

    const unlinked = await envOf('env-unlinked', { enableServiceLinks: false, dnsPolicy: 'Default' });
    expect(unlinked.env.filter((e) => e.startsWith('ENV_SVC_'))).toEqual([]);
    expect(unlinked.dns).toBeUndefined();
    for (const name of ['env-plain', 'env-unlinked']) await pods().delete('default', name, { gracePeriodSeconds: 0 });
    await typed(client, 'service').delete('default', 'env-svc');
  });
});
