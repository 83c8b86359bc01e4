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
 * Control, same run: the kernel alone on the same wire. Two more test hosts on the same test
 * network, each with a plain Linux bridge and "pods" that are bare network namespaces on it, the
 * same routes between hosts, no Docker, no Skiff, the same node client and server: its cross/same
 * ratio is what the one-machine simulation of a wire costs (an extra veth pair, a bridge and two
 * forwarding namespaces on the same CPUs as both ends); Skiff's ratio divided by it is what the
 * pod network itself costs across hosts.
 *
 * Everything stays inside this machine's namespaces; every phase is bounded in bytes and requests.
 * Run as root: npm run bench -- pod-network [--mib 1024] [--requests 2000] [--rounds 5]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ensureNodeImage, ensureTestImages, runCommand, startMultiHostCluster, testLabel, waitFor, type MultiHostCluster } from '@skiff/testing';
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

/** The kernel-only control: two hosts on `network`, bridges and bare-namespace "pods"; node clients run with nsenter. */
async function kernelControl(network: MultiHostCluster['network']) {
  const [a, b] = [await network.addHost('ka'), await network.addHost('kb')];
  const pods: string[] = [];
  const addPod = async (host: typeof a, k: number, n: number) => {
    const ns = `${host.netns}-p${n}`;
    await runCommand('ip', ['netns', 'add', ns]);
    pods.push(ns);
    const veth = `kp${k}${n}${run}`;
    await runCommand('ip', ['link', 'add', veth, 'netns', host.netns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await host.exec('ip', ['link', 'set', veth, 'master', 'kbr0', 'up']);
    const inPod = (args: string[]) => runCommand('nsenter', [`--net=/var/run/netns/${ns}`, ...args]);
    await inPod(['ip', 'addr', 'add', `10.250.${k}.${n + 1}/24`, 'dev', 'eth0']);
    await inPod(['ip', 'link', 'set', 'eth0', 'up']);
    await inPod(['ip', 'link', 'set', 'lo', 'up']);
    await inPod(['ip', 'route', 'add', 'default', 'via', `10.250.${k}.1`]);
    return ns;
  };
  try {
    for (const [k, host, other] of [[1, a, b], [2, b, a]] as const) {
      await host.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      await host.exec('ip', ['link', 'add', 'kbr0', 'type', 'bridge']);
      await host.exec('ip', ['addr', 'add', `10.250.${k}.1/24`, 'dev', 'kbr0']);
      await host.exec('ip', ['link', 'set', 'kbr0', 'up']);
      await host.exec('ip', ['route', 'add', `10.250.${3 - k}.0/24`, 'via', other.ip]);
    }
    const serverNs = await addPod(a, 1, 1);
    const sameNs = await addPod(a, 1, 2);
    const crossNs = await addPod(b, 2, 1);
    const server = spawn('nsenter', [`--net=/var/run/netns/${serverNs}`, process.execPath, '-e', SERVER], { stdio: 'ignore' });
    const client = (path: 'same' | 'cross', mode: 'bulk' | 'echo', arg: number) =>
      runCommand('nsenter', [`--net=/var/run/netns/${path === 'same' ? sameNs : crossNs}`, process.execPath, '-e', CLIENT, '10.250.1.2', mode, String(arg)], 300_000);
    await waitFor('the control server to answer', async () => (await client('cross', 'echo', 1).catch(() => '')).startsWith('['), { timeoutMs: 30_000, intervalMs: 200 });
    return {
      client,
      async stop() {
        server.kill('SIGKILL');
        for (const ns of pods) await runCommand('ip', ['netns', 'del', ns]).catch(() => undefined);
      },
    };
  } catch (err) {
    for (const ns of pods) await runCommand('ip', ['netns', 'del', ns]).catch(() => undefined);
    throw err;
  }
}

async function main(): Promise<void> {
  const opts = new Command('pod-network')
    .option('--mib <n>', 'MiB per bulk stream', '1024')
    .option('--requests <n>', 'request/responses per latency round', '2000')
    .option('--rounds <n>', 'rounds per path (alternating)', '5')
    .parse()
    .opts<{ mib: string; requests: string; rounds: string }>();
  const [mib, requests, rounds] = [Number(opts.mib), Number(opts.requests), Number(opts.rounds)];
  console.log(machineLoadLine());
  await ensureTestImages();
  await ensureNodeImage();
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-pod-network-'));
  let cluster: MultiHostCluster | undefined;
  let control: Awaited<ReturnType<typeof kernelControl>> | undefined;
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

    control = await kernelControl(c.network);
    console.log('control up: the same wire with two more test hosts, bare namespaces as pods (no Docker, no Skiff)');

    const bulk = { same: { bytes: 0, seconds: 0 }, cross: { bytes: 0, seconds: 0 } };
    const controlBulk = { same: { bytes: 0, seconds: 0 }, cross: { bytes: 0, seconds: 0 } };
    const latency = { same: [] as number[], cross: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const path of ['same', 'cross'] as const) {
        for (const [into, run] of [[bulk, client], [controlBulk, control.client]] as const) {
          const b = JSON.parse(await run(path, 'bulk', mib << 20)) as { bytes: number; seconds: number };
          into[path].bytes += b.bytes;
          into[path].seconds += b.seconds;
        }
      }
      for (const path of ['same', 'cross'] as const) latency[path].push(...(JSON.parse(await client(path, 'echo', requests)) as number[]).map((us) => us / 1000));
    }
    const mibps = (p: 'same' | 'cross', of = bulk) => of[p].bytes / (1 << 20) / of[p].seconds;
    console.log(`1. throughput: one TCP stream of ${mib} MiB client -> server pod, ${rounds} alternating rounds per path`);
    for (const p of ['same', 'cross'] as const) console.log(`   ${p.padEnd(5)} ${fmt(mibps(p), 0).padStart(6)} MiB/s (${fmt(bulk[p].bytes / (1 << 20), 0)} MiB in ${fmt(bulk[p].seconds, 3)} s)`);
    const ratio = mibps('cross') / mibps('same');
    console.log(`   ratio cross/same: ${fmt(ratio, 2)}x (goal >= 0.9x): ${ratio >= 0.9 ? 'met' : 'NOT met'}`);
    const controlRatio = mibps('cross', controlBulk) / mibps('same', controlBulk);
    console.log(`   control, the kernel alone on the same wire: same ${fmt(mibps('same', controlBulk), 0)} MiB/s, cross ${fmt(mibps('cross', controlBulk), 0)} MiB/s, ratio cross/same ${fmt(controlRatio, 2)}x`);
    console.log(`   Skiff's cross/same ratio against the kernel's on the same wire: ${fmt(ratio / controlRatio, 2)}x (1.0: the pod network adds nothing across hosts)`);
    console.log(`2. latency: one connection, ${requests} sequential 64-byte request/responses per round and path, ${rounds} rounds alternating`);
    const s = summarize(latency.same);
    const x = summarize(latency.cross);
    for (const [p, v] of [['same', s], ['cross', x]] as const) console.log(`   ${p.padEnd(5)} p50 ${fmt(v.p50, 3)} ms p90 ${fmt(v.p90, 3)} ms p99 ${fmt(v.p99, 3)} ms max ${fmt(v.max, 2)} ms (${v.n} samples)`);
    const added = x.p99 - s.p99;
    console.log(`   added across hosts: p50 ${fmt(x.p50 - s.p50, 3)} ms, p99 ${fmt(added, 3)} ms (goal < 0.2 ms): ${added < 0.2 ? 'met' : 'NOT met'}; ratio p50 ${fmt(x.p50 / s.p50, 2)}x p99 ${fmt(x.p99 / s.p99, 2)}x`);
    console.log(`machine load average (1 min) after the run: ${fmt(loadavg()[0] ?? 0, 2)}`);
  } finally {
    await control?.stop();
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
