/**
 * Issue 12 benchmark: pod-to-pod across two machines against pod-to-pod on one machine, in the
 * same run. A cluster on test hosts (libs/testing startMultiHostCluster: network namespaces as
 * machines, each worker with its own dockerd, kubelet and proxy); a server pod on worker w1, a
 * client pod beside it on w1 (the same-host baseline) and one on w2 (across hosts: pod bridge ->
 * w2 -> the test network's bridge -> w1 -> pod bridge, by the pod CIDR routes of the proxies).
 * Pods run NODE_IMAGE (node in busybox); the client's timings are taken inside the client pod
 * (process.hrtime), so `skiff exec` costs nothing measured.
 *
 *   1. Throughput: one TCP stream of `--mib` MiB from the client to the server, timed from
 *      connect to the server's acknowledgement of the last byte; `--rounds` rounds alternating
 *      same-host and cross-host (goal: cross >= 0.9x same).
 *   2. Latency: one connection, `--requests` sequential 64-byte request/responses (50 warm-up
 *      ones not counted) per round and path, alternating; p50/p99 of each request's round trip
 *      (goal: cross p99 - same p99 < 0.2 ms).
 *
 * Everything stays inside this machine's namespaces; every phase is bounded in bytes and requests.
 * Run as root: npm run bench -- pod-network [--mib 256] [--requests 2000] [--rounds 3]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNodeImage, ensureTestImages, startMultiHostCluster, testLabel, waitFor, type MultiHostCluster } from '@skiff/testing';
import { Command } from 'commander';
import { machineLoadLine } from './process-cpu';
import { fmt, summarize } from './stats';

const BULK_PORT = 5001;
const ECHO_PORT = 5002;

/** The server pod: counts a bulk stream and acknowledges its end; echoes request/responses. */
const SERVER = `const net = require('net');
net.createServer({ allowHalfOpen: true }, (s) => { s.on('data', () => {}); s.on('end', () => s.end('ok')); }).listen(${BULK_PORT});
net.createServer((s) => { s.setNoDelay(true); s.pipe(s); }).listen(${ECHO_PORT});`;

/** The client: `bulk BYTES` prints {bytes, seconds}; `echo COUNT` prints the round trips in microseconds. */
const CLIENT = `const net = require('net');
const [host, mode, arg] = process.argv.slice(1);
const now = () => process.hrtime.bigint();
if (mode === 'bulk') {
  const bytes = Number(arg), chunk = Buffer.alloc(1 << 20, 7);
  const s = net.connect(${BULK_PORT}, host);
  let t0;
  s.on('connect', () => {
    t0 = now();
    let sent = 0;
    const pump = () => { while (sent < bytes) { sent += chunk.length; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
    pump();
  });
  s.on('data', () => { console.log(JSON.stringify({ bytes, seconds: Number(now() - t0) / 1e9 })); s.destroy(); });
} else {
  const count = Number(arg), warm = 50, msg = Buffer.alloc(64, 1), out = [];
  const s = net.connect(${ECHO_PORT}, host);
  s.setNoDelay(true);
  let t0, got = 0;
  const send = () => { got = 0; t0 = now(); s.write(msg); };
  s.on('connect', send);
  s.on('data', (d) => {
    got += d.length;
    if (got < msg.length) return;
    out.push(Number(now() - t0) / 1e3);
    if (out.length >= count + warm) { console.log(JSON.stringify(out.slice(warm).map((x) => Math.round(x)))); s.destroy(); } else send();
  });
}`;

const run = testLabel().value.slice(0, 6);

function podYaml(name: string, node: string, image: string, command: string[]): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: default, labels: { bench: pod-network-${run} } }
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${image}
      command: ${JSON.stringify(command)}
`;
}

async function main(): Promise<void> {
  const opts = new Command('pod-network')
    .option('--mib <n>', 'MiB per bulk stream', '256')
    .option('--requests <n>', 'request/responses per latency round', '2000')
    .option('--rounds <n>', 'rounds per path (alternating)', '3')
    .parse()
    .opts<{ mib: string; requests: string; rounds: string }>();
  const [mib, requests, rounds] = [Number(opts.mib), Number(opts.requests), Number(opts.rounds)];
  console.log(machineLoadLine());
  await ensureTestImages();
  await ensureNodeImage();
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-pod-network-'));
  let cluster: MultiHostCluster | undefined;
  try {
    cluster = await startMultiHostCluster({ workers: 2 });
    const c = cluster;
    const [w1, w2] = [...c.workers.keys()] as [string, string];
    const image = `${c.network.registry}/skiff/node:latest`;
    const manifest = join(dir, 'pods.yaml');
    writeFileSync(manifest, [
      podYaml(`server-${run}`, w1, image, ['node', '-e', SERVER]),
      podYaml(`same-${run}`, w1, image, ['sh', '-c', 'exec sleep 36000']),
      podYaml(`cross-${run}`, w2, image, ['sh', '-c', 'exec sleep 36000']),
    ].join('---\n'));
    await c.cli(['apply', '-f', manifest], 60_000);
    const podIp = async (name: string) => {
      const pod = JSON.parse(await c.cli(['get', 'pod', name, '-o', 'json'])) as { status?: { phase?: string; podIP?: string } };
      return pod.status?.phase === 'Running' ? pod.status.podIP : undefined;
    };
    const server = await waitFor('the bench pods to run', async () => {
      const ips = await Promise.all([`server-${run}`, `same-${run}`, `cross-${run}`].map(podIp));
      return ips.every(Boolean) ? ips[0] : undefined;
    }, { timeoutMs: 180_000, intervalMs: 500 });
    const client = (path: 'same' | 'cross', mode: 'bulk' | 'echo', arg: number) =>
      c.cli(['exec', `${path}-${run}`, '--', 'node', '-e', CLIENT, server, mode, String(arg)], 300_000);
    for (const path of ['same', 'cross'] as const) {
      await waitFor(`the server to answer the ${path}-host client`, async () => (await client(path, 'echo', 1)).startsWith('['), { timeoutMs: 30_000, intervalMs: 500 }).catch((err: Error) => {
        throw new Error(`${path}-host: the client pod cannot reach the server pod at ${server} (is the pod network routed between hosts?): ${err.message}`, { cause: err });
      });
    }
    console.log(`cluster up: server pod ${server} on ${w1}; clients on ${w1} (same host) and ${w2} (across hosts, via test network ${c.network.subnet})`);

    const bulk = { same: { bytes: 0, seconds: 0 }, cross: { bytes: 0, seconds: 0 } };
    const latency = { same: [] as number[], cross: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const path of ['same', 'cross'] as const) {
        const b = JSON.parse(await client(path, 'bulk', mib << 20)) as { bytes: number; seconds: number };
        bulk[path].bytes += b.bytes;
        bulk[path].seconds += b.seconds;
      }
      for (const path of ['same', 'cross'] as const) latency[path].push(...(JSON.parse(await client(path, 'echo', requests)) as number[]).map((us) => us / 1000));
    }
    const mibps = (p: 'same' | 'cross') => bulk[p].bytes / (1 << 20) / bulk[p].seconds;
    console.log(`1. throughput: one TCP stream of ${mib} MiB client -> server pod, ${rounds} alternating rounds per path`);
    for (const p of ['same', 'cross'] as const) console.log(`   ${p.padEnd(5)} ${fmt(mibps(p), 0).padStart(6)} MiB/s (${fmt(bulk[p].bytes / (1 << 20), 0)} MiB in ${fmt(bulk[p].seconds, 3)} s)`);
    const ratio = mibps('cross') / mibps('same');
    console.log(`   ratio cross/same: ${fmt(ratio, 2)}x (goal >= 0.9x): ${ratio >= 0.9 ? 'met' : 'NOT met'}`);
    console.log(`2. latency: one connection, ${requests} sequential 64-byte request/responses per round and path, ${rounds} rounds alternating`);
    const s = summarize(latency.same);
    const x = summarize(latency.cross);
    for (const [p, v] of [['same', s], ['cross', x]] as const) console.log(`   ${p.padEnd(5)} p50 ${fmt(v.p50, 3)} ms p90 ${fmt(v.p90, 3)} ms p99 ${fmt(v.p99, 3)} ms max ${fmt(v.max, 2)} ms (${v.n} samples)`);
    const added = x.p99 - s.p99;
    console.log(`   added across hosts: p50 ${fmt(x.p50 - s.p50, 3)} ms, p99 ${fmt(added, 3)} ms (goal < 0.2 ms): ${added < 0.2 ? 'met' : 'NOT met'}; ratio p50 ${fmt(x.p50 / s.p50, 2)}x p99 ${fmt(x.p99 / s.p99, 2)}x`);
    console.log(`machine load average (1 min) after the run: ${fmt(loadavg()[0] ?? 0, 2)}`);
  } finally {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
