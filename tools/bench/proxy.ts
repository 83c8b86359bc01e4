/**
 * Issue 5 benchmarks: the proxy (a Service's ClusterIP:port balanced by the built proxy app)
 * against the same backend reached directly, in the same run, on loopback.
 *
 * A cluster (startCluster: etcd, NATS, the built apiserver, scheduler, one controller-manager and
 * the proxy serving node NODE; no kubelet) with the bench playing the kubelet of NODE: it
 * registers the Node, renews its Lease, and for each pod it "runs" starts a TCP server on the
 * pod's own loopback IP (127.x.y.z) and writes the pod's status (podIP, hostIP, Running, Ready)
 * with UpdateStatus. The controller-manager's endpoint controller turns Ready pods into Endpoints;
 * the proxy routes to them. Backend and load generator are separate processes (the backend a
 * child process of the bench), so the proxy path costs one more process, as it does for users.
 *
 *   1. Throughput, closed loop: requests/s where each request is a NEW TCP connection (connect,
 *      send a small HTTP request, read the response, the server closes), `--in-flight` at once,
 *      direct vs through ClusterIP:port, in alternating rounds (goal >= 0.8x). Then bytes/s of
 *      one bulk stream (`--bulk-mib` MiB from the backend through one connection), both ways.
 *   2. Added latency, open loop: `--rate` requests/s direct and as many through the proxy, the
 *      two alternating request by request for `--seconds` seconds (both paths see the same
 *      moments of a shared machine), each request a new connection; p50/p99 from its connect
 *      call to the end of its response (goal: added p99 < 1 ms).
 *   3. Endpoint propagation, pod Ready -> the proxy routes to it (goal p99 < 200 ms): one
 *      Service per sample pod (selector unique to the pod, listener bound before the sample, no
 *      endpoints yet); per sample, the time from sending the pod's Ready status (UpdateStatus
 *      call sent) to the pod's backend accepting its first connection, while a client connects
 *      to the ClusterIP:port about every millisecond (until then the proxy resets it).
 *
 * Everything stays on loopback and the cluster's own /24 of 10.96.0.0/16; every phase is bounded
 * in requests and seconds. Run as root (the proxy routes the service CIDR locally on lo).
 * Run: npm run bench -- proxy [--requests 20000] [--in-flight 64] [--bulk-mib 256] [--rate 1000]
 *      [--seconds 10] [--samples 100]
 */
import { once } from 'node:events';
import net from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { intOrString, Lease, Node, ObjectMeta, Pod, Service, type Condition } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { startCluster, startProcess, testLabel, waitFor, type Cluster, type TestProcess } from '@skiff/testing';
import { Command } from 'commander';
import { cpuMeter, machineBusy, machineLoadLine, perOperation } from './process-cpu';
import { fmt, runConcurrently, summarize } from './stats';

/** Set in the backend child's environment: it runs backendMain() with these settings (JSON). */
const BACKEND_ENV = 'SKIFF_PROXY_BENCH_BACKEND';

interface BackendSettings {
  host: string;
  httpPort: number;
  bulkPort: number;
  bulkBytes: number;
}

const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: skiff-proxy-bench\r\nAccept: */*\r\n\r\n');
const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n');

const NS = 'default';
const run = testLabel();
const NODE = `bench-${run.value}`;
const BACKEND_IP = '127.0.100.1';
const HTTP_PORT = 8080;
const BULK_PORT = 8081;

// ---------------------------------------------------------------------------------------------
// The backend child: an HTTP-ish server (answers each connection's request, then closes) and a
// bulk source (sends bulkBytes, then closes).

function backendMain(settings: BackendSettings): void {
  const http = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(RESPONSE));
  });
  const chunk = Buffer.alloc(1 << 20, 0x61);
  const bulk = net.createServer((socket) => {
    socket.on('error', () => undefined);
    let left = settings.bulkBytes;
    const pump = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!socket.write(piece)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
  });
  http.listen({ host: settings.host, port: settings.httpPort, backlog: 1024 });
  bulk.listen({ host: settings.host, port: settings.bulkPort });
  process.on('SIGTERM', () => process.exit(0));
}

/** Starts the backend child on BACKEND_IP and waits until both its ports accept connections. */
async function startBackend(bulkBytes: number): Promise<TestProcess> {
  const settings: BackendSettings = { host: BACKEND_IP, httpPort: HTTP_PORT, bulkPort: BULK_PORT, bulkBytes };
  const child = startProcess('backend', process.execPath, [__filename], undefined, { ...process.env, [BACKEND_ENV]: JSON.stringify(settings) });
  await waitFor('the backend to listen', async () => {
    if (!child.running) throw new Error(`the backend exited:\n${child.recentOutput}`);
    return (await tryRequest(BACKEND_IP, HTTP_PORT)) && (await tryRequest(BACKEND_IP, BULK_PORT, true));
  }, { timeoutMs: 10_000, intervalMs: 20 });
  return child;
}

async function tryRequest(host: string, port: number, connectOnly = false): Promise<boolean> {
  try {
    if (connectOnly) {
      const socket = net.connect({ host, port });
      await once(socket, 'connect');
      socket.destroy();
    } else {
      await httpRequest(host, port);
    }
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Clients.

/**
 * One request on a new connection: connect, send REQUEST, read until the server closes.
 * Resolves with the ms from the connect call to the end of the response; rejects on an error or
 * a response that is not RESPONSE's length.
 */
function httpRequest(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ host, port });
    let bytes = 0;
    socket.on('data', (data: Buffer) => (bytes += data.length));
    socket.once('end', () => {
      const ms = performance.now() - started;
      if (bytes === RESPONSE.length) resolve(ms);
      else reject(new Error(`short response from ${host}:${port}: ${bytes} bytes`));
    });
    socket.once('error', reject);
    socket.write(REQUEST);
  });
}

/** Reads one bulk stream from host:port to its end; resolves with bytes and seconds. */
function bulkRead(host: string, port: number): Promise<{ bytes: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ host, port });
    let bytes = 0;
    socket.on('data', (data: Buffer) => (bytes += data.length));
    socket.once('end', () => resolve({ bytes, seconds: (performance.now() - started) / 1000 }));
    socket.once('error', reject);
  });
}

interface Target {
  name: 'direct' | 'proxy';
  host: string;
  port: number;
}

/** `total` requests to `target`, `inFlight` at once; seconds taken and errors. */
async function closedLoop(target: Target, total: number, inFlight: number): Promise<{ seconds: number; errors: number }> {
  let errors = 0;
  const seconds = await runConcurrently(total, inFlight, () => httpRequest(target.host, target.port).catch(() => errors++));
  return { seconds, errors };
}

/**
 * Open loop: each target gets `rate` requests/s for `seconds`, whatever the others do; requests
 * alternate between the targets (so that every target sees the same moments of the machine).
 * Resolves with each target's latencies (ms, connect call to end of response), its errors, and
 * how late the bench's timer started requests (ms).
 */
async function openLoop(targets: readonly Target[], rate: number, seconds: number): Promise<{ latencies: Map<string, number[]>; errors: Map<string, number>; lag: number[] }> {
  const total = rate * seconds * targets.length;
  const interval = 1000 / (rate * targets.length);
  const latencies = new Map(targets.map((t) => [t.name, [] as number[]]));
  const errors = new Map(targets.map((t) => [t.name, 0]));
  const lag: number[] = [];
  const inFlight: Promise<unknown>[] = [];
  const start = performance.now() + 10;
  let next = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        const target = targets[next % targets.length] as Target;
        lag.push(now - (start + next * interval));
        inFlight.push(httpRequest(target.host, target.port).then(
          (ms) => latencies.get(target.name)?.push(ms),
          () => errors.set(target.name, (errors.get(target.name) ?? 0) + 1),
        ));
        next++;
      }
      if (next >= total) return done();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
  return { latencies, errors, lag };
}

// ---------------------------------------------------------------------------------------------
// Playing the kubelet of NODE.

function readyNode(now: Date): Node {
  const allocatable = { cpu: '64', memory: '256Gi', pods: '1000' };
  return Node.fromPartial({
    metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } },
    status: {
      capacity: allocatable,
      allocatable,
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  });
}

/**
 * Registers NODE and renews its Lease every 5 s until `signal` aborts, as a kubelet does;
 * `renewing` resolves once the renewals have stopped (a failed renewal is tried again).
 */
async function registerNode(client: SkiffClient, signal: AbortSignal): Promise<{ renewing: Promise<void> }> {
  await typed(client, 'node').create(readyNode(new Date()));
  const leases = typed(client, 'lease');
  const leaseOf = (now: Date, old?: Lease): Lease => ({
    metadata: ObjectMeta.fromPartial({ ...(old?.metadata ?? {}), name: NODE, namespace: 'skiff-node-lease' }),
    spec: { holderIdentity: NODE, leaseDurationSeconds: 40, acquireTime: old?.spec?.acquireTime ?? now, renewTime: now, leaseTransitions: 0 },
  });
  let lease = await leases.create(leaseOf(new Date()));
  const renewing = (async () => {
    while (!signal.aborted) {
      await new Promise((r) => setTimeout(r, 5_000, undefined).unref());
      if (signal.aborted) break;
      lease = await leases.update(leaseOf(new Date(), lease), { signal }).catch(() => leases.get('skiff-node-lease', NODE).catch(() => lease));
    }
  })();
  return { renewing };
}

/** A pod of NODE (bound at creation, as a static assignment) with the http and bulk ports. */
function benchPod(name: string, labels: Record<string, string>): Pod {
  return Pod.fromPartial({
    metadata: { name, namespace: NS, labels: { ...labels, ...run.labels } },
    spec: {
      nodeName: NODE,
      containers: [{
        name: 'app', image: 'bench', command: ['serve'],
        ports: [{ name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' }, { name: 'bulk', containerPort: BULK_PORT, protocol: 'TCP' }],
      }],
    },
  });
}

/** `pod` with the status a kubelet writes once its containers run and are ready at `ip`. */
function runningReady(pod: Pod, ip: string, now: Date): Pod {
  const cond = (type: string): Condition => ({ type, status: 'True', reason: '', message: '', lastTransitionTime: now } as Condition);
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: ip,
      podIPs: [{ ip }],
      startTime: now,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(cond),
      containerStatuses: [],
      initContainerStatuses: [],
      publishedPorts: [],
      message: '',
      reason: '',
    },
  };
}

function benchService(name: string, selector: Record<string, string>, ports: { name: string; port: number; target: number }[]): Service {
  return Service.fromPartial({
    metadata: { name, namespace: NS, labels: run.labels },
    spec: { selector, ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: 'TCP', targetPort: intOrString(p.target) })) },
  });
}

// ---------------------------------------------------------------------------------------------
// Phases.

async function throughput(paths: { http: [Target, Target]; bulk: [Target, Target] }, pids: Record<string, number | 'self'>, requests: number, inFlight: number, bulkMiB: number): Promise<void> {
  const [direct, proxied] = paths.http;
  for (const target of [direct, proxied]) await closedLoop(target, Math.min(2_000, requests), inFlight); // warm-up (JIT, caches)
  const rounds = 4;
  const perRound = Math.ceil(requests / rounds);
  const totals = { direct: { seconds: 0, errors: 0, requests: 0, cpu: {} as Record<string, number> }, proxy: { seconds: 0, errors: 0, requests: 0, cpu: {} as Record<string, number> } };
  const busy = machineBusy();
  for (let r = 0; r < rounds; r++) {
    for (const target of [direct, proxied]) {
      const stop = cpuMeter(pids).start();
      const result = await closedLoop(target, perRound, inFlight);
      const used = stop();
      const t = totals[target.name];
      t.seconds += result.seconds;
      t.errors += result.errors;
      t.requests += perRound;
      for (const [k, v] of Object.entries(used)) t.cpu[k] = (t.cpu[k] ?? 0) + v;
    }
  }
  const machine = busy();
  const rate = (t: typeof totals.direct) => (t.requests - t.errors) / t.seconds;
  console.log(`1. throughput, closed loop: ${inFlight} in flight, each request a new TCP connection (connect, ~80-byte HTTP request, 80-byte response, close); ${rounds} alternating rounds of ${perRound} per path`);
  for (const name of ['direct', 'proxy'] as const) {
    const t = totals[name];
    console.log(`   ${name.padEnd(6)} ${fmt(rate(t), 0).padStart(6)} requests/s (${t.requests} in ${fmt(t.seconds, 2)} s, ${t.errors} errors); CPU ms per request: ${perOperation(t.cpu, t.requests)}`);
  }
  const ratio = rate(totals.proxy) / rate(totals.direct);
  console.log(`   ratio proxy/direct: ${fmt(ratio, 2)}x (goal >= 0.8x): ${ratio >= 0.8 ? 'met' : 'NOT met'}; the machine was ${fmt(machine * 100, 0)}% busy over the ${availableParallelism()} CPUs`);

  const bulk: Record<string, { bytes: number; seconds: number; cpu: Record<string, number> }> = {};
  for (const target of paths.bulk) {
    const stop = cpuMeter(pids).start();
    const result = await bulkRead(target.host, target.port);
    bulk[target.name] = { ...result, cpu: stop() };
  }
  const mibps = (b: { bytes: number; seconds: number }) => b.bytes / b.seconds / (1 << 20);
  console.log(`   bulk: one connection, ${bulkMiB} MiB from the backend:`);
  for (const name of ['direct', 'proxy']) {
    const b = bulk[name] as { bytes: number; seconds: number; cpu: Record<string, number> };
    const cpu = Object.entries(b.cpu).map(([k, v]) => `${k} ${fmt(v, 0)}`).join(', ');
    console.log(`   ${name.padEnd(6)} ${fmt(mibps(b), 0).padStart(6)} MiB/s (${fmt(b.bytes / (1 << 20), 0)} MiB in ${fmt(b.seconds, 3)} s; CPU ms: ${cpu})`);
  }
  console.log(`   ratio proxy/direct: ${fmt(mibps(bulk.proxy as { bytes: number; seconds: number }) / mibps(bulk.direct as { bytes: number; seconds: number }), 2)}x`);
}

/** Sums of the proxy's Node.js runtime metrics (its /metrics): GC pauses and event loop delay. */
async function proxyRuntime(metricsAddress: string): Promise<{ gcCount: number; gcSeconds: number; lagP99: number; lagMax: number }> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const sum = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  return { gcCount: sum('nodejs_gc_duration_seconds_count'), gcSeconds: sum('nodejs_gc_duration_seconds_sum'), lagP99: sum('nodejs_eventloop_lag_p99_seconds'), lagMax: sum('nodejs_eventloop_lag_max_seconds') };
}

async function latency(direct: Target, proxied: Target, rate: number, seconds: number, proxy: { pid: number; metrics: string }): Promise<void> {
  const before = await proxyRuntime(proxy.metrics); // also restarts its event loop delay histogram
  const proxyCpu = cpuMeter({ proxy: proxy.pid }).start();
  const busy = machineBusy();
  const { latencies, errors, lag } = await openLoop([direct, proxied], rate, seconds);
  const machine = busy();
  const cpu = proxyCpu().proxy ?? NaN;
  const after = await proxyRuntime(proxy.metrics);
  const d = summarize(latencies.get('direct') ?? []);
  const p = summarize(latencies.get('proxy') ?? []);
  const l = summarize(lag);
  console.log(`2. latency, open loop: ${rate} requests/s direct and ${rate} requests/s through the proxy, alternating request by request, for ${seconds} s; each request a new connection, timed from its connect call to the end of its response`);
  console.log(`   direct p50 ${fmt(d.p50, 3)} ms p90 ${fmt(d.p90, 3)} ms p99 ${fmt(d.p99, 3)} ms max ${fmt(d.max, 1)} ms (${d.n} ok, ${errors.get('direct')} errors)`);
  console.log(`   proxy  p50 ${fmt(p.p50, 3)} ms p90 ${fmt(p.p90, 3)} ms p99 ${fmt(p.p99, 3)} ms max ${fmt(p.max, 1)} ms (${p.n} ok, ${errors.get('proxy')} errors)`);
  const added = p.p99 - d.p99;
  console.log(`   added by the proxy: p50 ${fmt(p.p50 - d.p50, 3)} ms, p99 ${fmt(added, 3)} ms (goal < 1 ms): ${added < 1 ? 'met' : 'NOT met'}; ratio p99 ${fmt(p.p99 / d.p99, 2)}x`);
  console.log(`   requests started late by the bench's timer: p50 ${fmt(l.p50, 2)} ms p99 ${fmt(l.p99, 2)} ms (not counted in the latencies); machine ${fmt(machine * 100, 0)}% busy`);
  console.log(`   the proxy meanwhile: ${fmt(cpu / seconds / 10, 0)}% of one CPU; ${after.gcCount - before.gcCount} GC pauses, ${fmt((after.gcSeconds - before.gcSeconds) * 1000, 0)} ms in all; event loop delay p99 ${fmt(after.lagP99 * 1000, 1)} ms max ${fmt(after.lagMax * 1000, 1)} ms (10 ms timer)`);
}

/** The ClusterIP a Service got, read back. */
async function clusterIP(client: SkiffClient, name: string): Promise<string> {
  const svc = await typed(client, 'service').get(NS, name);
  const ip = svc.spec?.clusterIP ?? '';
  if (!ip || ip === 'None') throw new Error(`service ${name} has no ClusterIP`);
  return ip;
}

/** Connects once: 'refused' (nothing bound), 'reset' (bound, no backend), or 'ok' (an answer). */
function probe(host: string, port: number): Promise<'refused' | 'reset' | 'ok'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.on('data', () => undefined);
    socket.once('end', () => resolve('ok'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : 'reset'));
    socket.write(REQUEST);
  });
}

const podIP = (i: number) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

async function propagation(client: SkiffClient, samples: number): Promise<void> {
  const pods = typed(client, 'pod');
  const services = typed(client, 'service');
  const names = Array.from({ length: samples }, (_, i) => `prop-${i}`);
  const created = new Map<string, Pod>();
  const setup = await runConcurrently(samples, 8, async (i) => {
    const name = names[i] as string;
    await services.create(benchService(name, { 'bench-pod': name }, [{ name: 'http', port: 80, target: HTTP_PORT }]));
    created.set(name, await pods.create(benchPod(name, { 'bench-pod': name })));
  });
  const ips = await Promise.all(names.map((name) => clusterIP(client, name)));
  // Each listener bound (the proxy resets: bound, no endpoints) and each empty Endpoints written.
  await waitFor(`${samples} service listeners bound`, async () => (await Promise.all(ips.map((ip) => probe(ip, 80)))).every((r) => r === 'reset'), { timeoutMs: 30_000, intervalMs: 100 });
  await waitFor(`${samples} empty Endpoints`, async () => (await typed(client, 'endpoints').list({ namespace: NS })).items.filter((e) => names.includes(e.metadata?.name ?? '')).length === samples, { timeoutMs: 30_000, intervalMs: 100 });
  console.log(`3. endpoint propagation: ${samples} services and pods created, listeners bound, in ${fmt(setup, 1)} s (setup)`);

  const routed: number[] = [];
  const writes: number[] = [];
  const probes: number[] = [];
  for (let i = 0; i < samples; i++) {
    const name = names[i] as string;
    const ip = podIP(i);
    let acceptedAt = 0;
    let accepted!: () => void;
    const first = new Promise<void>((resolve) => (accepted = resolve));
    const server = net.createServer((socket) => {
      if (!acceptedAt) {
        acceptedAt = performance.now();
        accepted();
      }
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end(RESPONSE));
    });
    await new Promise<void>((resolve) => server.listen({ host: ip, port: HTTP_PORT }, resolve));
    // The client: one connection at a time to ClusterIP:80, about one per ms, until answered.
    let attempts = 0;
    const deadline = performance.now() + 10_000;
    const prober = (async () => {
      while (!acceptedAt && performance.now() < deadline) {
        attempts++;
        if ((await probe(ips[i] as string, 80)) === 'ok') return;
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const sentAt = performance.now();
    const pod = created.get(name) as Pod;
    await pods.updateStatus(runningReady(pod, ip, new Date()));
    writes.push(performance.now() - sentAt);
    await Promise.race([first, prober]);
    await prober;
    await new Promise((resolve) => server.close(resolve));
    if (!acceptedAt) throw new Error(`${name} (${ip}) was not routed within 10 s`);
    routed.push(acceptedAt - sentAt);
    probes.push(attempts);
  }
  const r = summarize(routed);
  const w = summarize(writes);
  console.log(`   pod Ready (UpdateStatus sent) -> its backend accepts the proxy's first connection, ${samples} samples, one Service per pod, client connecting ~every ms:`);
  console.log(`   p50 ${fmt(r.p50, 1)} ms p90 ${fmt(r.p90, 1)} ms p99 ${fmt(r.p99, 1)} ms max ${fmt(r.max, 1)} ms (goal p99 < 200 ms): ${r.p99 < 200 ? 'met' : 'NOT met'}`);
  console.log(`   of which the UpdateStatus call itself (sent -> returned): p50 ${fmt(w.p50, 1)} ms p99 ${fmt(w.p99, 1)} ms; client connections per sample p50 ${summarize(probes).p50}`);
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--requests <n>', 'requests per path, closed loop (after 2,000 warm-up)', '20000')
    .option('--in-flight <n>', 'concurrent connections, closed loop', '64')
    .option('--bulk-mib <n>', 'MiB of the bulk stream', '256')
    .option('--rate <n>', 'requests/s, open loop', '1000')
    .option('--seconds <n>', 'seconds of the open loop', '10')
    .option('--samples <n>', 'endpoint propagation samples', '100')
    .parse()
    .opts();
  const requests = Math.max(100, Math.min(Number(opts.requests), 100_000));
  const inFlight = Math.max(1, Math.min(Number(opts.inFlight), 256));
  const bulkMiB = Math.max(1, Math.min(Number(opts.bulkMib), 4096));
  const rate = Math.max(10, Math.min(Number(opts.rate), 5_000));
  const seconds = Math.max(1, Math.min(Number(opts.seconds), 30));
  const samples = Math.max(1, Math.min(Number(opts.samples), 1_000));

  console.log(machineLoadLine());
  const stop = new AbortController();
  let cluster: Cluster | undefined;
  let backend: TestProcess | undefined;
  let client: SkiffClient | undefined;
  let heartbeat: Promise<void> | undefined;
  try {
    cluster = await startCluster({ nodes: [], controllerManagers: 1, proxy: { nodes: [NODE] }, logLevel: 'warn' });
    const proxyPid = cluster.proxy?.process.child.pid;
    if (!proxyPid) throw new Error('the cluster has no proxy');
    client = connect(cluster.address);
    heartbeat = (await registerNode(client, stop.signal)).renewing;

    // The backend pod of phases 1 and 2, made Ready by us, its Endpoints by the controller-manager.
    backend = await startBackend(bulkMiB << 20);
    const pods = typed(client, 'pod');
    await typed(client, 'service').create(benchService('backend', { 'bench-pod': 'backend' }, [{ name: 'http', port: 80, target: HTTP_PORT }, { name: 'bulk', port: 81, target: BULK_PORT }]));
    const pod = await pods.create(benchPod('backend', { 'bench-pod': 'backend' }));
    await pods.updateStatus(runningReady(pod, BACKEND_IP, new Date()));
    const direct: Target = { name: 'direct', host: BACKEND_IP, port: HTTP_PORT };
    const proxied: Target = { name: 'proxy', host: await clusterIP(client, 'backend'), port: 80 };
    await waitFor('the proxy to route to the backend', () => tryRequest(proxied.host, proxied.port), { timeoutMs: 20_000, intervalMs: 20 });
    console.log(`cluster up: service backend ${proxied.host}:80 (-> ${BACKEND_IP}:${HTTP_PORT}) and :81 (-> :${BULK_PORT}); proxy pid ${proxyPid}`);

    const pids = { bench: 'self' as const, backend: backend.child.pid as number, proxy: proxyPid };
    const bulk: [Target, Target] = [{ name: 'direct', host: BACKEND_IP, port: BULK_PORT }, { name: 'proxy', host: proxied.host, port: 81 }];
    await throughput({ http: [direct, proxied], bulk }, pids, requests, inFlight, bulkMiB);
    await latency(direct, proxied, rate, seconds, { pid: proxyPid, metrics: cluster.proxy?.metricsAddress ?? '' });
    await propagation(client, samples);
    console.log(`machine load average (1 min) after the run: ${fmt(loadavg()[0] ?? 0, 2)}`);
  } finally {
    stop.abort();
    await heartbeat?.catch(() => undefined);
    client?.close();
    await backend?.stop();
    await cluster?.stop();
  }
}

const backendSettings = process.env[BACKEND_ENV];
if (backendSettings) {
  backendMain(JSON.parse(backendSettings) as BackendSettings);
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
