import type { ServiceError } from '@grpc/grpc-js';
import { GRPC_CODE, KubeletService, StatsSummary, type ListNodeMetricsRequest, type ListPodMetricsRequest, type NodeMetricsList, type PodMetricsList } from '@skiff/api';
import { bindService, createLogger, startGrpcServer, type GrpcServer } from '@skiff/service';
import { freePort, startEtcd, startNats, waitFor } from '@skiff/testing';
import { meta, obj, pod, startTestEnv, type TestEnv } from './apiserver-test-env.spec-helper';

/**
 * The metrics API against a real apiserver (etcd, NATS): kubelets here are real gRPC servers on
 * loopback answering Summary with known figures (the real kubelet's collection is tested with
 * Docker in libs/kubelet and end to end in cluster-e2e), so that which nodes are asked, what is
 * left out, and how answers are reused can be checked exactly.
 */
const time = new Date();
const window = { seconds: 1, nanos: 0 };
const figures = (millicores: number, mebibytes: number) => ({
  cpu: { time, usageNanoCores: millicores * 1e6, usageCoreNanoSeconds: 1e9, window },
  memory: { time, workingSetBytes: mebibytes * 2 ** 20 },
});

interface FakeKubelet {
  server: GrpcServer;
  calls: number;
  summary: () => StatsSummary;
}

async function fakeKubelet(summary: () => StatsSummary): Promise<FakeKubelet> {
  const kubelet = { calls: 0, summary } as FakeKubelet;
  kubelet.server = await startGrpcServer({
    address: '127.0.0.1:0',
    logger: createLogger('kubelet', 'silent'),
    services: [
      bindService('skiff.node.v1.Kubelet', KubeletService, {
        logs: async function* () {},
        exec: async function* () {},
        summary: async () => {
          kubelet.calls++;
          return kubelet.summary();
        },
      }),
    ],
  });
  return kubelet;
}

function node(name: string, port: number, ready: boolean, labels: Record<string, string> = {}) {
  return obj({
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels },
    status: {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { port } },
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  });
}

let env: TestEnv;
let a: FakeKubelet;
let b: FakeKubelet;
let d: FakeKubelet;
const uids: Record<string, string> = {};

const podStats = (name: string, namespace: string, millicores: number, mebibytes: number) => ({
  podRef: { namespace, name, uid: uids[`${namespace}/${name}`] },
  containers: [{ name: 'main', ...figures(millicores, mebibytes) }],
  ...figures(millicores, mebibytes),
});

function call<Req, Res>(method: (req: Req, cb: (err: ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method.call(env.api.raw, req, (err, res) => (err ? reject(err) : resolve(res))));
}
const podMetrics = (req: Partial<ListPodMetricsRequest>) => call<ListPodMetricsRequest, PodMetricsList>(env.api.raw.podMetrics, { namespace: '', labelSelector: '', name: '', ...req });
const nodeMetrics = (req: Partial<ListNodeMetricsRequest>) => call<ListNodeMetricsRequest, NodeMetricsList>(env.api.raw.nodeMetrics, { labelSelector: '', name: '', ...req });
const names = (list: PodMetricsList | NodeMetricsList) => list.items.map((i) => (i.metadata?.namespace ? `${i.metadata.namespace}/${i.metadata.name}` : i.metadata?.name));

beforeAll(async () => {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  env = await startTestEnv({ etcd, nats });
  a = await fakeKubelet(() =>
    StatsSummary.fromPartial({
      node: { nodeName: 'node-a', ...figures(900, 700) },
      pods: [podStats('web-1', 'default', 250, 100), podStats('db', 'default', 50, 300), podStats('tool', 'ops', 5, 10)],
      resolution: { seconds: 2, nanos: 0 },
    }),
  );
  b = await fakeKubelet(() => StatsSummary.fromPartial({ node: { nodeName: 'node-b', ...figures(400, 200) }, pods: [podStats('web-2', 'default', 300, 120)], resolution: window }));
  d = await fakeKubelet(() => StatsSummary.fromPartial({}));
  const closed = await freePort(); // nothing listens there: that kubelet is down
  await env.api.create(node('node-a', a.server.port, true, { zone: 'a' }));
  await env.api.create(node('node-b', b.server.port, true, { zone: 'b' }));
  await env.api.create(node('node-c', closed, true));
  await env.api.create(node('node-d', d.server.port, false));
  await env.api.create(obj({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ops' } }));
  const place = [
    ['default', 'web-1', 'node-a', 'web'], ['default', 'db', 'node-a', 'db'], ['default', 'web-2', 'node-b', 'web'],
    ['default', 'web-3', 'node-b', 'web'], ['default', 'lost', 'node-c', 'web'], ['ops', 'tool', 'node-a', 'tool'], ['default', 'pending', '', 'web'],
  ];
  for (const [namespace, name, nodeName, app] of place) {
    const created = await env.api.create(pod(name, { namespace, labels: { app } }));
    uids[`${namespace}/${name}`] = meta(created).uid;
    if (nodeName) await env.api.bind({ namespace, name, nodeName });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([a, b, d].map((k) => k?.server.close(0)));
  await env?.stop();
});

describe('the metrics API (metrics.k8s.io) through the apiserver', () => {
  it('lists pod metrics from the kubelets of their nodes, leaving out pods without figures', async () => {
    const list = await podMetrics({ namespace: 'default' });
    expect(names(list)).toEqual(['default/db', 'default/web-1', 'default/web-2']); // web-3: no figures yet; lost: node down; pending: no node
    expect(list.items[1]).toMatchObject({ metadata: { labels: { app: 'web' } }, timestamp: time, window, containers: [{ name: 'main', usage: { cpu: '250m', memory: '100Mi' } }] });
    expect(names(await podMetrics({ namespace: 'default', labelSelector: 'app=web' }))).toEqual(['default/web-1', 'default/web-2']);
    expect(names(await podMetrics({}))).toEqual(['default/db', 'default/web-1', 'default/web-2', 'ops/tool']);
    expect(names(await podMetrics({ namespace: 'default', name: 'web-2' }))).toEqual(['default/web-2']);
  });

  it('answers NOT_FOUND for a pod without metrics and INVALID_ARGUMENT for a bad selector', async () => {
    await expect(podMetrics({ namespace: 'default', name: 'web-3' })).rejects.toMatchObject({ code: GRPC_CODE.NOT_FOUND, details: 'podmetrics.metrics.k8s.io "default/web-3" not found' });
    await expect(podMetrics({ namespace: 'default', name: 'nope' })).rejects.toMatchObject({ code: GRPC_CODE.NOT_FOUND });
    await expect(podMetrics({ labelSelector: 'app in (' })).rejects.toMatchObject({ code: GRPC_CODE.INVALID_ARGUMENT });
  });

  it('lists node metrics of the Ready nodes that answer; a NotReady node is not asked', async () => {
    const list = await nodeMetrics({});
    expect(names(list)).toEqual(['node-a', 'node-b']);
    expect(list.items[0]).toMatchObject({ metadata: { name: 'node-a', labels: { zone: 'a' } }, usage: { cpu: '900m', memory: '700Mi' }, window });
    expect(names(await nodeMetrics({ labelSelector: 'zone=b' }))).toEqual(['node-b']);
    await expect(nodeMetrics({ name: 'node-c' })).rejects.toMatchObject({ code: GRPC_CODE.NOT_FOUND, details: 'nodemetrics.metrics.k8s.io "node-c" not found' });
    expect(d.calls).toBe(0);
  });

  it("reuses a kubelet's answer until its next sample is due, one call for concurrent requests", async () => {
    // node-a's kubelet samples every 2 s: wait for a fresh answer, then ask many times at once.
    const before = a.calls;
    await waitFor('a fresh answer from node-a', async () => (await nodeMetrics({ name: 'node-a' })) && a.calls > before, { timeoutMs: 10_000, intervalMs: 100 });
    const fetched = a.calls;
    await Promise.all([...Array(10)].map(() => podMetrics({ namespace: 'default' })));
    await nodeMetrics({});
    expect(a.calls).toBe(fetched);
    await waitFor('node-a asked again after its resolution', async () => (await nodeMetrics({ name: 'node-a' })) && a.calls === fetched + 1, { timeoutMs: 10_000, intervalMs: 200 });
  }, 30_000);
});
