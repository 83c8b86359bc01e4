import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from '@skiff/api';
import { connect, typed, type SkiffClient, type TypedClient } from '@skiff/client';
import { ensureTestImages, startMultiHostCluster, testLabel, waitFor, type ClusterWorker, type MultiHostCluster } from '@skiff/testing';
import { isLive, isRunning, podsOfApp } from './e2e-fixture';

/**
 * Issue 12's acceptance on test hosts (network namespaces as machines, see libs/testing
 * test-hosts.ts): a control plane host (etcd, NATS, apiserver, scheduler, controller-manager)
 * and worker hosts, each with its own dockerd, kubelet and proxy. The test runs in the root
 * namespace, as a user's machine: it drives the cluster through the CLI at the control plane's
 * address and looks into hosts only as an operator would (`ip route`, `docker inspect` on that
 * host's dockerd).
 *
 *  1. A pod on worker A reaches a pod on worker B by pod IP, through a ClusterIP Service and by
 *     the Service's DNS name; `skiff logs` and `skiff exec` work on both workers; only hostPort
 *     publishes a port on a node.
 *  2. A worker dies (its host removed): its Node goes NotReady, its Deployment pods run again on
 *     the other worker; once its Node is deleted (as an operator does for a machine gone for
 *     good) every remaining host drops the route to its pod CIDR; a new worker joins with a pod
 *     CIDR of its own and receives pods, reachable across hosts.
 */
const run = testLabel().value.slice(0, 6);
const NS = 'default';
let cluster: MultiHostCluster;
let client: SkiffClient;
let pods: TypedClient<'pod'>;
let nodes: TypedClient<'node'>;
let dir: string;

beforeAll(async () => {
  await ensureTestImages();
  cluster = await startMultiHostCluster({
    workers: 2,
    // fast failure detection for (2), as node-failure.spec.ts
    kubelet: { leaseInterval: '1' },
    controllerManager: { nodeMonitorGracePeriod: '4' },
    apiserver: { defaultTolerationSeconds: '0' },
  });
  client = connect(cluster.address);
  pods = typed(client, 'pod');
  nodes = typed(client, 'node');
  dir = mkdtempSync(join(tmpdir(), 'skiff-multi-host-'));
}, 240_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** `skiff apply -f` of a manifest written to a file, as a user does. */
async function apply(file: string, yaml: string): Promise<void> {
  const path = join(dir, file);
  writeFileSync(path, yaml);
  await cluster.cli(['apply', '-f', path], 60_000);
}

/** `skiff exec pod -- sh -c script`: its stdout. */
const shIn = (pod: string, script: string, timeoutMs = 20_000) => cluster.cli(['exec', pod, '--', 'sh', '-c', script], timeoutMs);

/** An HTTP/1.0 GET from inside `pod` with busybox nc; the whole answer. */
const httpFrom = (pod: string, host: string, port: number) => shIn(pod, `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port}`);

function podManifest(name: string, node: string, labels: Record<string, string>, script: string, ports = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${NS}
  labels: {${Object.entries(labels).map(([k, v]) => `${k}: ${v}`).join(', ')}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${cluster.image}
      command: [sh, -c, ${JSON.stringify(script)}]
${ports}`;
}

const waitRunning = (name: string, timeoutMs = 90_000) =>
  waitFor(`pod ${name} to be Running with a pod IP`, async () => {
    const pod = await pods.get(NS, name);
    return isRunning(pod) && pod.status?.podIP ? pod : undefined;
  }, { timeoutMs, intervalMs: 250 });

/** The IPv4 routes of a host (`ip -4 route` in its namespace). */
const routesOf = (worker: ClusterWorker) => worker.host.exec('ip', ['-4', 'route']);

/** Whether ip is inside the /N cidr. */
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = 2 ** 32 - 2 ** (32 - Number(bits));
  return (n(ip) & mask) >>> 0 === (n(base as string) & mask) >>> 0;
}

const podCidrOf = async (name: string) => (await nodes.get('', name)).spec?.podCIDR ?? '';

it('(1) pods on two hosts reach each other by pod IP, ClusterIP and DNS name; logs and exec on both; only hostPort publishes', async () => {
  const [a, b] = [...cluster.workers.values()] as [ClusterWorker, ClusterWorker];
  const app = `web-${run}`;
  await apply('pods.yaml', [
    podManifest(`server-${run}`, b.name, { app }, 'echo started-b; exec httpd -f -v -p 8080 -h /www', '      ports: [{ containerPort: 8080 }]\n'),
    podManifest(`client-${run}`, a.name, { role: 'client' }, 'echo started-a; exec sleep 3600'),
    podManifest(`hostport-${run}`, a.name, { role: 'hostport' }, 'exec httpd -f -p 8080 -h /www', '      ports: [{ containerPort: 8080, hostPort: 18080 }]\n'),
  ].join('---\n'));
  await apply('service.yaml', `apiVersion: v1
kind: Service
metadata: { name: ${app}, namespace: ${NS} }
spec:
  selector: { app: ${app} }
  ports: [{ port: 80, targetPort: 8080 }]
`);
  const [server, clientPod, hostPortPod] = [await waitRunning(`server-${run}`), await waitRunning(`client-${run}`), await waitRunning(`hostport-${run}`)];
  // logs and exec on both workers
  await waitFor('the logs of both pods', async () =>
    (await cluster.cli(['logs', `server-${run}`])).includes('started-b') && (await cluster.cli(['logs', `client-${run}`])).includes('started-a'),
  { timeoutMs: 15_000, intervalMs: 250 });
  expect((await shIn(`server-${run}`, 'cat /www/index.html')).trim()).toBe('skiff');
  expect((await shIn(`client-${run}`, 'echo from-a')).trim()).toBe('from-a');

  // no pod port is published on its node unless the pod declares hostPort
  const publishedOf = async (worker: ClusterWorker, uid: string) => {
    const ids = (await worker.host.docker(['ps', '-q', '--filter', `label=io.skiff.pod.uid=${uid}`])).split('\n').filter(Boolean);
    expect(ids.length).toBeGreaterThan(0);
    const inspected = JSON.parse(await worker.host.docker(['inspect', ...ids])) as { HostConfig: { PortBindings?: Record<string, { HostPort: string }[] | null> | null } }[];
    return inspected.flatMap((c) => Object.values(c.HostConfig.PortBindings ?? {}).flatMap((bindings) => (bindings ?? []).map((x) => x.HostPort)));
  };
  expect(await publishedOf(b, server.metadata?.uid as string)).toEqual([]);
  expect(await publishedOf(a, clientPod.metadata?.uid as string)).toEqual([]);
  expect(await publishedOf(a, hostPortPod.metadata?.uid as string)).toEqual(['18080']);
  // the hostPort answers on worker A's address, from worker B's pod
  expect(await httpFrom(`server-${run}`, a.host.ip, 18080)).toContain('skiff');


  const serverIp = server.status?.podIP as string;
  // pod IPs come from each node's pod CIDR, inside the cluster CIDR
  for (const [pod, worker] of [[server, b], [clientPod, a]] as [Pod, ClusterWorker][]) {
    const podCidr = await podCidrOf(worker.name);
    expect(inCidr(podCidr.split('/')[0] as string, cluster.clusterCidr)).toBe(true);
    expect(inCidr(pod.status?.podIP as string, podCidr)).toBe(true);
  }
  expect(await podCidrOf(a.name)).not.toBe(await podCidrOf(b.name));

  // by pod IP, across hosts
  expect(await httpFrom(`client-${run}`, serverIp, 8080)).toContain('skiff');
  // through the ClusterIP Service
  const clusterIp = JSON.parse(await cluster.cli(['get', 'service', app, '-n', NS, '-o', 'json'])).spec.clusterIP as string;
  await waitFor('the Service to answer from worker A', async () => (await httpFrom(`client-${run}`, clusterIp, 80)).includes('skiff'), { timeoutMs: 30_000, intervalMs: 500 });
  // by its DNS name, from the proxy's DNS at the cluster DNS address
  // (the pod's resolv.conf may name Docker's embedded DNS, 127.0.0.11, on a pod network: it forwards to the cluster DNS)
  expect(await shIn(`client-${run}`, `nslookup ${app}.${NS}.svc.cluster.local ${cluster.clusterDns}`)).toContain(clusterIp);
  expect(await httpFrom(`client-${run}`, `${app}.${NS}.svc.cluster.local`, 80)).toContain('skiff');

  await cluster.cli(['delete', 'pod', `server-${run}`, `client-${run}`, `hostport-${run}`, '-n', NS], 30_000);
  await cluster.cli(['delete', 'service', app, '-n', NS], 30_000);
}, 300_000);

it('(2) a worker dies: NotReady, its pods run on the other worker, its pod CIDR routes go, a new worker joins and gets pods', async () => {
  const app = `spread-${run}`;
  const deployment = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${app}, namespace: ${NS} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${app} } }
  template:
    metadata: { labels: { app: ${app} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: ${cluster.image}
          command: [sh, -c, 'exec httpd -f -p 8080 -h /www']
          resources: { requests: { cpu: 100m } }
`;
  const running = async () => (await podsOfApp(pods, app, NS)).filter((p) => isLive(p) && isRunning(p));
  await apply('deployment.yaml', deployment(4));
  const before = await waitFor('4 Running pods on both workers', async () => {
    const list = await running();
    return list.length === 4 && new Set(list.map((p) => p.spec?.nodeName)).size === 2 ? list : undefined;
  }, { timeoutMs: 120_000, intervalMs: 250 });
  const [victimName, survivorName] = [...cluster.workers.keys()] as [string, string];
  const victim = cluster.workers.get(victimName) as ClusterWorker;
  const survivor = cluster.workers.get(survivorName) as ClusterWorker;
  const victimCidr = await podCidrOf(victimName);
  expect(victimCidr).not.toBe('');
  // the survivor routes the victim's pod CIDR via the victim's address
  await waitFor('the route to the victim\'s pod CIDR on the survivor', async () => (await routesOf(survivor)).includes(`${victimCidr} via ${victim.host.ip}`), { timeoutMs: 30_000, intervalMs: 250 });
  expect(before.some((p) => p.spec?.nodeName === victimName)).toBe(true);

  await cluster.removeWorker(victimName);
  await waitFor('the dead node to be NotReady', async () => {
    const node: Node = await nodes.get('', victimName);
    return node.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True';
  }, { timeoutMs: 30_000, intervalMs: 250 });
  await waitFor('4 Running pods, all on the survivor', async () => {
    const list = await running();
    return list.length === 4 && list.every((p) => p.spec?.nodeName === survivorName);
  }, { timeoutMs: 90_000, intervalMs: 250 });
  // The routes follow Node objects (a NotReady node keeps its routes: its pods may still run). The
  // machine is gone for good, so the operator deletes its Node, as with Kubernetes.
  expect((await routesOf(survivor)).includes(victimCidr)).toBe(true);
  await cluster.cli(['delete', 'node', victimName], 30_000);
  await waitFor('the route to the dead node\'s pod CIDR to leave every remaining host', async () => {
    for (const worker of cluster.workers.values()) if ((await routesOf(worker)).includes(victimCidr)) return false;
    return !(await cluster.controlPlane.exec('ip', ['-4', 'route'])).includes(victimCidr);
  }, { timeoutMs: 60_000, intervalMs: 250 });

  // a new worker joins with a new pod CIDR and receives pods
  const joined = await cluster.addWorker();
  const joinedCidr = await waitFor('the new node\'s pod CIDR', () => podCidrOf(joined.name), { timeoutMs: 20_000, intervalMs: 250 });
  expect(inCidr(joinedCidr.split('/')[0] as string, cluster.clusterCidr)).toBe(true);
  expect(joinedCidr).not.toBe(await podCidrOf(survivorName));
  await apply('deployment.yaml', deployment(8));
  const onJoined = await waitFor('pods Running on the new worker', async () => {
    const list = await running();
    const there = list.filter((p) => p.spec?.nodeName === joined.name);
    return list.length === 8 && there.length > 0 ? there : undefined;
  }, { timeoutMs: 120_000, intervalMs: 250 });
  // the survivor reaches a pod on the new worker through the new route
  await waitFor('the route to the new pod CIDR on the survivor', async () => (await routesOf(survivor)).includes(`${joinedCidr} via ${joined.host.ip}`), { timeoutMs: 30_000, intervalMs: 250 });
  const survivorPod = (await running()).find((p) => p.spec?.nodeName === survivorName) as Pod;
  expect(await httpFrom(survivorPod.metadata?.name as string, onJoined[0]?.status?.podIP as string, 8080)).toContain('skiff');

  await cluster.cli(['delete', 'deployment', app, '-n', NS], 30_000);
}, 420_000);
