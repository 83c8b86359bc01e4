import { randomUUID } from 'node:crypto';
import { credentials } from '@grpc/grpc-js';
import { Container, KubeletClient, type Pod, type StatsSummary } from '@skiff/api';
import { DockerRuntime } from '@skiff/runtime';
import { createLogger, startGrpcServer, type GrpcServer } from '@skiff/service';
import { TEST_IMAGE, ensureTestImages, labelledContainers, removeLabelledDockerObjects, testLabel, waitFor } from '@skiff/testing';
import { kubeletService } from './kubelet-service';
import { ResourceMetricsCollector } from './resource-metrics-collector';

/**
 * The kubelet's resource metrics with real dockerd: the collector samples the cgroups of real
 * containers every second, and the Summary rpc serves what it found over gRPC. A container that
 * busy-loops under a 500m CPU limit must show about 500m; one that holds 100 MiB (dd's 100 MiB
 * block, stuck writing into a pipe nobody reads) about 100 MiB. Everything carries the test label.
 */
const label = testLabel();
const NODE = `metrics-${label.value}`;
const log = createLogger('kubelet', 'warn');
let runtime: DockerRuntime;
let collector: ResourceMetricsCollector;
let server: GrpcServer;
let client: KubeletClient;
const stop = new AbortController();
let collecting: Promise<void>;

function container(name: string, script: string, limits: Record<string, string>): Container {
  return Container.fromPartial({ name, image: TEST_IMAGE, command: ['sh', '-c', script], imagePullPolicy: 'IfNotPresent', resources: { limits, requests: {} } });
}

async function runPod(name: string, containers: Container[]): Promise<Pod> {
  const pod = { metadata: { name, namespace: 'default', uid: randomUUID() } as Pod['metadata'], spec: { containers } as Pod['spec'] };
  const sandbox = await runtime.runPodSandbox(pod);
  for (const c of containers) await runtime.startContainer(await runtime.createContainer(sandbox, c, { attempt: 0 }));
  return pod;
}

function summary(): Promise<StatsSummary> {
  return new Promise((resolve, reject) => client.summary({}, (err, res) => (err ? reject(err) : resolve(res))));
}

beforeAll(async () => {
  await ensureTestImages();
  runtime = new DockerRuntime({ nodeName: NODE, extraLabels: label.labels });
  collector = new ResourceMetricsCollector({ runtime, resolutionMs: 1_000, log });
  server = await startGrpcServer({ address: '127.0.0.1:0', services: [kubeletService({ runtime, findPod: () => undefined, metrics: { nodeName: NODE, collector } })], logger: log });
  server.setServing(true);
  client = new KubeletClient(server.address, credentials.createInsecure());
  collecting = collector.start(stop.signal);
}, 120_000);

afterAll(async () => {
  stop.abort();
  await collecting;
  client?.close();
  await server?.close(0);
  await removeLabelledDockerObjects(label.filter);
  expect(await labelledContainers(label.filter)).toEqual([]);
}, 60_000);

describe('resource metrics from cgroups (real Docker)', () => {
  it('reports a busy loop at its CPU limit and a 100 MiB holder at 100 MiB, per container and summed per pod and node', async () => {
    const busy = await runPod('busy', [container('loop', 'while :; do :; done', { cpu: '500m' })]);
    const holder = await runPod('holder', [
      container('hold', 'mkfifo /tmp/hold; sleep 3600 </tmp/hold & exec dd if=/dev/zero of=/tmp/hold bs=100M count=1', { memory: '256Mi' }),
      container('idle', 'exec sleep 3600', {}),
    ]);
    // Let the loop settle at its quota, then take the figures of a pass whose window lies after that.
    const since = Date.now() + 2_000;
    const found = await waitFor(
      'both pods in the summary with a window after start-up',
      async () => {
        const s = await summary();
        const pods = s.pods.filter((p) => (p.cpu?.time?.getTime() ?? 0) - 1_000 > since);
        const byUid = (uid?: string) => pods.find((p) => p.podRef?.uid === uid);
        const b = byUid(busy.metadata?.uid);
        const h = byUid(holder.metadata?.uid);
        return b && h ? { s, b, h } : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const { s, b, h } = found;
    const millicores = (n = 0) => n / 1e6;
    const mebibytes = (n = 0) => n / 2 ** 20;
    expect(b.podRef).toEqual({ namespace: 'default', name: 'busy', uid: busy.metadata?.uid });
    expect(millicores(b.containers[0].cpu?.usageNanoCores)).toBeGreaterThan(500 * 0.75);
    expect(millicores(b.containers[0].cpu?.usageNanoCores)).toBeLessThan(500 * 1.25);
    expect(b.containers[0].cpu?.window).toMatchObject({ seconds: expect.any(Number) });
    const windowMs = (b.cpu?.window?.seconds ?? 0) * 1000 + (b.cpu?.window?.nanos ?? 0) / 1e6;
    expect(windowMs).toBeGreaterThan(800);
    expect(windowMs).toBeLessThan(2_500);

    expect(h.containers.map((c) => c.name)).toEqual(['hold', 'idle']);
    expect(mebibytes(h.containers[0].memory?.workingSetBytes)).toBeGreaterThan(100 * 0.85);
    expect(mebibytes(h.containers[0].memory?.workingSetBytes)).toBeLessThan(100 * 1.15);
    expect(mebibytes(h.memory?.workingSetBytes)).toBeGreaterThan(100 * 0.85);
    expect(millicores(h.cpu?.usageNanoCores)).toBeLessThan(50);

    expect(s.node?.nodeName).toBe(NODE);
    expect(millicores(s.node?.cpu?.usageNanoCores)).toBeGreaterThan(500 * 0.75);
    expect(mebibytes(s.node?.memory?.workingSetBytes)).toBeGreaterThan(100 * 0.85);
    expect(s.resolution).toEqual({ seconds: 1, nanos: 0 });

    // A stopped container leaves the figures at the next pass.
    const loop = (await runtime.listContainers({ podUid: busy.metadata?.uid }))[0];
    await runtime.stopContainer(loop.id, 0);
    await waitFor('the busy pod to leave the summary', async () => !(await summary()).pods.some((p) => p.podRef?.uid === busy.metadata?.uid), { timeoutMs: 10_000, intervalMs: 250 });
  }, 90_000);
});
