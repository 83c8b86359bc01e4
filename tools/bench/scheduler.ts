/**
 * Issue 3 benchmark: scheduler throughput. 1,000 hollow nodes (Node objects only: nobody runs
 * their pods) and 10,000 pending pods, scheduled by the built scheduler app; pods bound per
 * second, against the baseline of raw Bind calls (10,000 binds of other pending pods issued
 * straight to the API with 64 in flight, no decision) measured in the same run.
 * Real etcd, NATS, the built apiserver and scheduler, all on loopback.
 * Run: npm run bench -- scheduler [--nodes 1000] [--pods 10000] [--in-flight 64] [--timeout 300]
 * (SKIFF_BENCH_PROFILE_DIR=dir also writes a CPU profile of the scheduler there.)
 * Both phases also print the CPU each process used per bind (from /proc), to show where a
 * machine's cycles go when every component shares it.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { Namespace, Node, Pod } from '@skiff/api';
import { connect, typed } from '@skiff/client';
import { freePort, startApiserver, startEtcd, startNats, startProcess, waitFor, type TestProcess } from '@skiff/testing';
import { Command } from 'commander';
import { cpuMeter, machineLoadLine, perOperation } from './process-cpu';
import { fmt, runConcurrently } from './stats';

const opts = new Command()
  .option('--nodes <n>', 'hollow nodes', '1000')
  .option('--pods <n>', 'pods to schedule (and to bind in the baseline)', '10000')
  .option('--in-flight <n>', 'concurrent requests for setup and the baseline', '64')
  .option('--timeout <s>', 'give up scheduling after this many seconds', '300')
  .parse()
  .opts();
const nodeCount = Number(opts.nodes);
const podCount = Number(opts.pods);
const inFlight = Number(opts.inFlight);
const timeoutMs = Number(opts.timeout) * 1000;

function hollowNode(i: number): Node {
  const allocatable = { cpu: '32', memory: '128Gi', pods: '110' };
  return Node.fromPartial({
    metadata: { name: `hollow-${i}`, labels: { 'kubernetes.io/hostname': `hollow-${i}`, zone: `zone-${i % 3}` } },
    status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
  });
}

function pendingPod(namespace: string, i: number, schedulerName: string): Pod {
  return Pod.fromPartial({
    metadata: {
      name: `pod-${i}`,
      namespace,
      labels: { app: 'bench' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${i % 100}`, uid: `rs-uid-${i % 100}`, controller: true }],
    },
    spec: {
      schedulerName,
      containers: [{ name: 'app', image: '127.0.0.1:5000/skiff/busybox:latest', resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
    },
  });
}

/** The scheduler's successful binds, read from its /metrics. */
async function boundCount(metricsAddress: string): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('skiff_scheduler_binds_total{') && l.includes('result="ok"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function main(): Promise<void> {
  console.log(machineLoadLine());
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  const apiserver = await startApiserver({ etcd, nats, logLevel: 'warn' });
  const client = connect(apiserver.address, { timeoutMs: 60_000 });
  const pods = typed(client, 'pod');
  let scheduler: TestProcess | undefined;
  try {
    for (const name of ['bench-raw', 'bench']) await typed(client, 'namespace').create(Namespace.fromPartial({ metadata: { name } }));
    const setupNodes = await runConcurrently(nodeCount, inFlight, (i) => typed(client, 'node').create(hollowNode(i)));
    console.log(`created ${nodeCount} hollow nodes in ${fmt(setupNodes)} s`);

    // Baseline: the same number of binds, straight to the API, no scheduling decision.
    const rawPods = await runConcurrently(podCount, inFlight, (i) => pods.create(pendingPod('bench-raw', i, 'nobody')));
    console.log(`created ${podCount} pods for the baseline in ${fmt(rawPods)} s`);
    const pids = { etcd: etcd.process.child.pid!, nats: nats.process.child.pid!, apiserver: apiserver.process.child.pid! };
    const stopRawMeter = cpuMeter({ ...pids, bench: 'self' }).start();
    const rawSeconds = await runConcurrently(podCount, inFlight, (i) => client.bind({ namespace: 'bench-raw', name: `pod-${i}`, nodeName: `hollow-${i % nodeCount}`, uid: '', resourceVersion: '' }));
    const rawRate = podCount / rawSeconds;
    console.log(`baseline: ${podCount} raw Bind calls (${inFlight} in flight) in ${fmt(rawSeconds, 2)} s = ${fmt(rawRate, 0)} binds/s`);
    console.log(`  CPU per bind: ${perOperation(stopRawMeter(), podCount)}`);

    // The scheduler: every pod pending before it starts, so that the figure is its own pace.
    const created = await runConcurrently(podCount, inFlight, (i) => pods.create(pendingPod('bench', i, 'default-scheduler')));
    console.log(`created ${podCount} pending pods in ${fmt(created)} s`);
    execFileSync(process.execPath, ['tools/build-app.mjs', 'scheduler'], { stdio: 'pipe' });
    const metricsAddress = `127.0.0.1:${await freePort()}`;
    const startedAt = performance.now();
    // SKIFF_BENCH_PROFILE_DIR=dir: a V8 CPU profile of the scheduler is written there at its exit.
    const profile = process.env.SKIFF_BENCH_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.SKIFF_BENCH_PROFILE_DIR] : [];
    scheduler = startProcess('scheduler', process.execPath, [
      ...profile,
      'dist/apps/scheduler/main.js', '--server', apiserver.address, '--nats', nats.url, '--metrics-listen', metricsAddress, '--log-level', 'warn',
    ]);
    const proc = scheduler;
    const meter = cpuMeter({ ...pids, scheduler: proc.child.pid! });
    let stopMeter: (() => Record<string, number>) | undefined;
    let firstAt = 0;
    let firstCount = 0;
    let lastCount = 0;
    await waitFor(
      `${podCount} pods bound`,
      async () => {
        if (!proc.running) throw new Error(`the scheduler exited:\n${proc.recentOutput}`);
        lastCount = await boundCount(metricsAddress).catch(() => lastCount);
        if (lastCount > 0 && !firstAt) {
          firstAt = performance.now();
          firstCount = lastCount;
          stopMeter = meter.start();
        }
        return lastCount >= podCount;
      },
      // Scraping /metrics costs the scheduler CPU: often enough for a 1% figure, no more.
      { timeoutMs, intervalMs: 100 },
    ).catch((err: Error) => console.log(`stopped waiting: ${err.message} (${lastCount} bound)`));
    const doneAt = performance.now();
    const used = stopMeter?.();
    // From the first scrape that saw a bind to the one that saw them all: binds counted between.
    const seconds = (doneAt - firstAt) / 1000;
    const rate = (lastCount - firstCount) / seconds;
    console.log(`scheduler: ${lastCount} pods on ${nodeCount} nodes bound, ${lastCount - firstCount} of them in ${fmt(seconds, 2)} s after the first bind was seen = ${fmt(rate, 0)} pods/s (goal >= 1000)`);
    console.log(`  start-up (process start, informers listing ${2 * podCount} pods and ${nodeCount} nodes) until the first bind: ${fmt((firstAt - startedAt) / 1000, 2)} s`);
    console.log(`  ratio to raw Bind calls: ${fmt(rate / rawRate, 2)}x`);
    if (used) {
      const busy = Object.values(used).reduce((a, b) => a + b, 0) / 1000 / seconds;
      console.log(`  CPU per pod bound (from the first bind seen): ${perOperation(used, lastCount - firstCount)}`);
      console.log(`  these processes kept ${fmt(busy, 2)} of the ${availableParallelism()} CPUs busy (the rest: idle or other work)`);
    }

    // Check: nothing over-committed (100m x pods per node vs 32 cpus and 110 pods).
    const perNode = new Map<string, number>();
    for (const p of (await pods.list({ namespace: 'bench', timeoutMs: 120_000 })).items) {
      if (p.spec?.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    }
    const counts = [...perNode.values()];
    console.log(`  placement: ${perNode.size} nodes used, ${Math.min(...counts)}..${Math.max(...counts)} pods per node (limit 110)`);
  } finally {
    await scheduler?.stop();
    client.close();
    await apiserver.stop();
    await Promise.all([etcd.stop(), nats.stop()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
