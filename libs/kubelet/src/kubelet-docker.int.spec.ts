import { NotFoundError, Pod } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { DockerRuntime } from '@skiff/runtime';
import { createLogger } from '@skiff/service';
import {
  TEST_IMAGE,
  ensureTestImages,
  freePort,
  labelledContainers,
  removeLabelledDockerObjects,
  startApiserver,
  startEtcd,
  startNats,
  testLabel,
  waitFor,
  type ApiserverProcess,
  type EtcdServer,
  type NatsServer,
} from '@skiff/testing';
import { runKubelet } from './kubelet';

/**
 * End to end with real dockerd: the kubelet in-process on the DockerRuntime against real etcd,
 * NATS and the apiserver; a busybox httpd pod pulled from the local registry. Everything the
 * test creates carries its test label and is removed at the end.
 */
const label = testLabel();
const NODE = `docker-${label.value}`;
let etcd: EtcdServer;
let nats: NatsServer;
let apiserver: ApiserverProcess;
let client: SkiffClient;
let kubelet: { stop: AbortController; done: Promise<void> } | undefined;
let hostPort: number;

beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats(), ensureTestImages()]);
  apiserver = await startApiserver({ etcd, nats, logLevel: 'warn' });
  client = connect(apiserver.address);
  hostPort = await freePort();
  const stop = new AbortController();
  const runtime = new DockerRuntime({ nodeName: NODE, hostIP: '127.0.0.1', extraLabels: label.labels });
  kubelet = {
    stop,
    done: runKubelet(
      { nodeName: NODE, server: apiserver.address, nats: [nats.url], nodeIP: '127.0.0.1', listen: '127.0.0.1:0', runtime, leaseIntervalMs: 1_000, backoff: { baseMs: 500, maxMs: 2_000 }, logger: createLogger('kubelet', 'warn') },
      stop.signal,
    ),
  };
}, 300_000);

afterAll(async () => {
  kubelet?.stop.abort();
  await kubelet?.done;
  client?.close();
  await apiserver?.stop();
  await Promise.all([nats?.stop(), etcd?.stop()]);
  await removeLabelledDockerObjects(label.filter);
}, 60_000);

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

describe('kubelet on Docker', () => {
  it('runs a busybox httpd pod that answers on its host port; logs and exec go through the apiserver; delete removes its containers', async () => {
    const pods = typed(client, 'pod');
    await pods.create(
      Pod.fromPartial({
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            { name: 'httpd', image: TEST_IMAGE, imagePullPolicy: 'Always', ports: [{ containerPort: 8080, hostPort, protocol: 'TCP' }] },
            { name: 'logger', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo started; exec sleep 3600'] },
          ],
        },
      }),
    );
    await client.bind({ namespace: 'default', name: 'web', nodeName: NODE, uid: '', resourceVersion: '' });
    const status = await waitFor(
      'web to be Running and Ready',
      async () => {
        const s = (await pods.get('default', 'web')).status;
        return s?.phase === 'Running' && s.conditions.find((c) => c.type === 'Ready')?.status === 'True' ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(status.containerStatuses.map((c) => [c.name, c.ready, c.containerID.startsWith('docker://')])).toEqual([
      ['httpd', true, true],
      ['logger', true, true],
    ]);
    expect(status.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const body = await waitFor('httpd to answer on the host port', async () => {
      const res = await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(2_000) });
      return res.ok ? res.text() : undefined;
    });
    expect(body).toBe('skiff\n');

    const logs = await waitFor('the logger output', async () => {
      const chunks = await collect(client.podLogs({ namespace: 'default', name: 'web', container: 'logger', follow: false, previous: false, timestamps: false }, AbortSignal.timeout(5_000)));
      const text = Buffer.concat(chunks.map((c) => Buffer.from(c.data))).toString();
      return text.includes('started') ? text : undefined;
    });
    expect(logs).toBe('started\n');

    const exec = await collect(client.podExec({ namespace: 'default', name: 'web', container: 'httpd', command: ['sh', '-c', 'echo hi; echo oops >&2; exit 4'] }, AbortSignal.timeout(10_000)));
    const stdout = exec.filter((o) => o.output?.$case === 'stdout').map((o) => Buffer.from(o.output?.value as Uint8Array).toString()).join('');
    const stderr = exec.filter((o) => o.output?.$case === 'stderr').map((o) => Buffer.from(o.output?.value as Uint8Array).toString()).join('');
    expect([stdout, stderr, exec.at(-1)?.output]).toEqual(['hi\n', 'oops\n', { $case: 'exitCode', value: 4 }]);

    expect((await labelledContainers(label.filter)).length).toBe(3); // sandbox + 2
    await pods.delete('default', 'web');
    await waitFor(
      'web to be gone from the API and Docker',
      async () => {
        const gone = await pods.get('default', 'web').then(
          () => false,
          (err: unknown) => err instanceof NotFoundError,
        );
        return gone && (await labelledContainers(label.filter)).length === 0;
      },
      { timeoutMs: 20_000 },
    );
  }, 90_000);
});
