import { Pod } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import {
  NODE_LABEL_KEY,
  TEST_IMAGE,
  dockerApi,
  ensureAppBuilt,
  ensureTestImages,
  freePort,
  randomClusterCidr,
  removeLabelledDockerObjects,
  startApiserver,
  startEtcd,
  startNats,
  startProcess,
  testLabel,
  waitFor,
  type ApiserverProcess,
  type EtcdServer,
  type NatsServer,
  type TestProcess,
} from '@skiff/testing';

/**
 * The built kubelet (dist/apps/kubelet/main.js, DockerRuntime) as a process against real etcd,
 * NATS and the apiserver: on SIGTERM it exits promptly and leaves its pods running, as the
 * kubelet does (a kubelet restart is not a reason to stop containers), even while it is in the
 * middle of a long graceful termination. Every container carries `io.skiff.node=<NODE>` and is
 * removed at the end.
 */
const NODE = `shutdown-${testLabel().value}`;
const NODE_FILTER = `${NODE_LABEL_KEY}=${NODE}`;
/** No controller-manager here: the kubelet brings its own pod CIDR (a /24 of a random test range). */
const POD_CIDR = randomClusterCidr().replace(/\/20$/, '/24');
let etcd: EtcdServer;
let nats: NatsServer;
let apiserver: ApiserverProcess;
let client: SkiffClient;
let kubelet: TestProcess | undefined;

interface DockerContainerState {
  Id: string;
  State: string;
  Labels: Record<string, string>;
}

async function nodeContainers(): Promise<DockerContainerState[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [NODE_FILTER] }));
  return (await dockerApi('GET', `/containers/json?all=1&filters=${filters}`)).body as DockerContainerState[];
}

async function startKubelet(): Promise<TestProcess> {
  const main = ensureAppBuilt('kubelet');
  const listen = `127.0.0.1:${await freePort()}`;
  const args = ['--enable-source-maps', main, '--node-name', NODE, '--node-ip', '127.0.0.1', '--listen', listen, '--pod-cidr', POD_CIDR, '--server', apiserver.address, '--nats', nats.url, '--lease-interval', '1', '--log-level', 'warn'];
  const child = startProcess(`kubelet ${NODE}`, process.execPath, args);
  await waitFor(
    'the node to be Ready',
    async () => {
      if (!child.running) throw new Error(`the kubelet exited:\n${child.recentOutput}`);
      const node = await typed(client, 'node').get('', NODE);
      return node.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  return child;
}

/** Sends SIGTERM and resolves with the milliseconds until the process exited and its exit code. */
async function terminate(child: TestProcess): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => child.child.once('exit', (code) => resolve(code)));
  child.child.kill('SIGTERM');
  const code = await exited;
  return { ms: Date.now() - started, code };
}

function podOf(name: string, command: string[], terminationGracePeriodSeconds = 30): Pod {
  return Pod.fromPartial({
    metadata: { name, namespace: 'default' },
    spec: { terminationGracePeriodSeconds, containers: [{ name: 'main', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command }] },
  });
}

async function runBound(pod: Pod): Promise<void> {
  await typed(client, 'pod').create(pod);
  await client.bind({ namespace: 'default', name: pod.metadata?.name ?? '', nodeName: NODE, uid: '', resourceVersion: '' });
  await waitFor(`${pod.metadata?.name} to be Running`, async () => (await typed(client, 'pod').get('default', pod.metadata?.name ?? '')).status?.phase === 'Running', { timeoutMs: 30_000 });
}

beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats(), ensureTestImages()]);
  apiserver = await startApiserver({ etcd, nats, logLevel: 'warn' });
  client = connect(apiserver.address);
}, 300_000);

afterAll(async () => {
  await kubelet?.stop();
  client?.close();
  await apiserver?.stop();
  await Promise.all([nats?.stop(), etcd?.stop()]);
  await removeLabelledDockerObjects(NODE_FILTER);
  expect(await nodeContainers()).toEqual([]);
}, 120_000);

describe('kubelet process shutdown', () => {
  it('exits promptly on SIGTERM and leaves its pods running; the next kubelet adopts them', async () => {
    kubelet = await startKubelet();
    await runBound(podOf('steady', ['sh', '-c', 'echo up; exec sleep 3600']));
    const before = await nodeContainers();
    expect(before.map((c) => c.State)).toEqual(['running', 'running']); // sandbox + main

    const { ms, code } = await terminate(kubelet);
    console.log(`kubelet exit after SIGTERM with a running pod: ${ms} ms`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(3_000);
    const after = await nodeContainers();
    expect(after.map((c) => [c.Id, c.State]).sort()).toEqual(before.map((c) => [c.Id, c.State]).sort());

    kubelet = await startKubelet();
    const status = (await typed(client, 'pod').get('default', 'steady')).status;
    expect(status?.containerStatuses[0]).toMatchObject({ restartCount: 0, ready: true });
    expect((await nodeContainers()).map((c) => [c.Id, c.State]).sort()).toEqual(before.map((c) => [c.Id, c.State]).sort());
  }, 120_000);

  it('exits promptly on SIGTERM while it waits out a long termination grace period', async () => {
    kubelet ??= await startKubelet();
    // It notes SIGTERM and carries on, so the kubelet's stop waits out the whole grace period.
    await runBound(podOf('stubborn', ['sh', '-c', 'trap "echo got TERM" TERM; echo up; while true; do sleep 0.1; done'], 60));
    const [main] = (await nodeContainers()).filter((c) => c.Labels['io.skiff.pod.name'] === 'stubborn' && c.Labels['io.skiff.kind'] === 'container');
    await typed(client, 'pod').delete('default', 'stubborn');
    await waitFor('the container to get SIGTERM', async () => String((await dockerApi('GET', `/containers/${main.Id}/logs?stdout=1`)).body).includes('got TERM'), { timeoutMs: 20_000, intervalMs: 100 });

    const { ms, code } = await terminate(kubelet);
    kubelet = undefined;
    console.log(`kubelet exit after SIGTERM during a 60 s grace period: ${ms} ms`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(3_000);
  }, 120_000);
});
