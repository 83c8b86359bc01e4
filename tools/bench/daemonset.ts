/**
 * DaemonSet benchmark: a DaemonSet on 500 nodes, from its create until all 500 pods run (phase
 * Running, seen by a watch). Goal: < 10 s. The baseline, measured in the same run on the same
 * cluster (etcd, NATS, the built apiserver, scheduler and controller-manager), is the same 500
 * pods created directly through the API (64 in flight), each with the node-name affinity the
 * DaemonSet controller gives its pods, bound by the scheduler and run the same way.
 *
 * Nodes (--kubelets): one kubelet process per node would not fit (500 Node.js processes).
 *   writer (default): 500 Ready Node objects registered by the bench (as the scheduler bench
 *     does) and one pod watch that plays their kubelets (a bound pod turns Running and Ready);
 *     node lifecycle is left out (no Leases). What is measured is the control plane: apiserver,
 *     DaemonSet controller, scheduler, binding and status writes.
 *   hollow: real hollow kubelets, many per process (the kubelet app's --hollow-nodes, kubemark's
 *     hollow nodes), 500 over --processes processes. Each kubelet's pod watch is one node's
 *     shard of the stream (spec.nodeName in the NATS subject), but on a 2-core machine the 500
 *     kubelets share the cores with the control plane they load (kubemark runs them elsewhere).
 * Each phase prints the apiserver requests it caused (per pod: create, bind, two status writes,
 * about four Events) and the CPU seconds each process used (kubelets summed): on 2 cores a phase
 * cannot be shorter than the sum over 2. SKIFF_CPU_PROF_DIR=<dir> writes a CPU profile of every component.
 * Run: npm run bench -- daemonset [--nodes 500] [--kubelets writer|hollow] [--processes 5] [--rounds 3] [--timeout 300]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonSet, Node, Pod, PodTemplateSpec } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { componentNodeFlags, ensureAppBuilt, startCluster, startProcess, testLabel, waitFor, type Cluster, type TestProcess } from '@skiff/testing';
import { Command } from 'commander';
import { describeRequests, scrapeRequests } from './apiserver-requests';
import { cpuMeter } from './process-cpu';
import { fmt, runConcurrently, summarize } from './stats';
import { watchUntil } from './watch-until';

const opts = new Command()
  .option('--nodes <n>', 'hollow nodes', '500')
  .option('--kubelets <mode>', 'writer: Node objects registered by the bench, one pod-status writer plays every kubelet; hollow: real hollow kubelets (--hollow-nodes, see --processes)', 'writer')
  .option('--processes <n>', 'with --kubelets hollow: kubelet processes the hollow nodes are spread over', '5')
  .option('--rounds <n>', 'baseline + DaemonSet pairs, alternating', '3')
  .option('--timeout <s>', 'give up a phase after this many seconds', '300')
  .parse()
  .opts();
const nodeCount = Math.min(Number(opts.nodes), 1000);
const processes = Math.max(1, Math.min(Number(opts.processes), 20));
const mode = opts.kubelets === 'hollow' ? 'hollow' : 'writer';
const rounds = Math.min(Number(opts.rounds), 5);
const timeoutMs = Number(opts.timeout) * 1000;
const GOAL_S = 10;
const NS = 'default';
const run = testLabel().value;
const prefix = `hollow-${run}`;

function template(app: string): PodTemplateSpec {
  return PodTemplateSpec.fromPartial({
    metadata: { labels: { app, bench: run } },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'agent', image: '127.0.0.1:5000/skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: { requests: { cpu: '10m' } } }] },
  });
}

const running = (all: ReadonlyMap<string, Pod>) => [...all.values()].filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp).length;

/** `call`, again (up to 10 times, 0.5 s apart) while the apiserver answers UNAVAILABLE (a loaded machine: etcd connections drop). */
async function retryUnavailable<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if ((err as { code?: unknown }).code !== 14 || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * The pods of app=<app> as watch events that survive a broken stream: under the load of 500
 * kubelets the apiserver's watch may end with UNAVAILABLE ("resume from there"); it is opened
 * again from the last revision seen (from a fresh list when none was seen yet).
 */
async function* podEvents(client: SkiffClient, app: string, signal: AbortSignal): AsyncIterable<{ type: string; object: Pod }> {
  const pods = typed(client, 'pod');
  const labelSelector = app ? `app=${app}` : `bench=${run}`;
  let revision = 0;
  for (;;) {
    try {
      for await (const ev of pods.watch({ namespace: NS, labelSelector, resourceVersion: revision ? String(revision) : '' }, signal)) {
        revision = ev.revision;
        yield ev;
      }
      return;
    } catch (err) {
      if (signal.aborted || (err as { code?: unknown }).code !== 14) throw err;
      if (!revision) for (const object of (await retryUnavailable(() => pods.list({ namespace: NS, labelSelector }))).items) yield { type: 'MODIFIED', object };
    }
  }
}

/** Baseline: one pod per node created directly (with the DaemonSet's node-name affinity); seconds until all run. */
async function directPods(client: SkiffClient, app: string, nodes: readonly string[]): Promise<number> {
  const pods = typed(client, 'pod');
  const spec = template(app);
  const started = performance.now();
  const done = watchUntil((signal) => podEvents(client, app, signal), (all) => running(all) >= nodes.length, `${nodes.length} direct pods Running`, timeoutMs);
  await runConcurrently(nodes.length, 64, (i) =>
    retryUnavailable(() => pods.create(
      Pod.fromPartial({
        metadata: { name: `${app}-${i}`, namespace: NS, labels: spec.metadata!.labels },
        spec: { ...spec.spec, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodes[i]] }] }] } } } },
      }),
    ).catch((err: unknown) => {
      if ((err as { code?: unknown }).code === 6) return undefined; // created by an attempt whose answer was lost
      throw err;
    })),
  );
  await done;
  return (performance.now() - started) / 1000;
}

/** The DaemonSet: seconds from its create until a pod runs on every node. */
async function daemonSet(client: SkiffClient, app: string, nodes: readonly string[]): Promise<number> {
  const started = performance.now();
  const done = watchUntil((signal) => podEvents(client, app, signal), (all) => running(all) >= nodes.length, `${app}: ${nodes.length} pods Running`, timeoutMs);
  await retryUnavailable(() => typed(client, 'daemonSet').create(DaemonSet.fromPartial({ metadata: { name: app, namespace: NS }, spec: { selector: { matchLabels: { app } }, template: template(app) } })));
  await done;
  return (performance.now() - started) / 1000;
}

async function cleanUp(client: SkiffClient): Promise<void> {
  const pods = typed(client, 'pod');
  const daemonSets = typed(client, 'daemonSet');
  // Orphan the pods, then delete them at once (the garbage collector would take its time).
  for (const ds of (await retryUnavailable(() => daemonSets.list({ namespace: NS }))).items) await retryUnavailable(() => daemonSets.delete(NS, ds.metadata!.name, { propagationPolicy: 'Orphan' })).catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = (await retryUnavailable(() => pods.list({ namespace: NS, labelSelector: `bench=${run}` }))).items;
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error('pods left after the clean-up');
    await runConcurrently(left.length, 64, (i) => pods.delete(NS, left[i].metadata!.name, { gracePeriodSeconds: 0 }).catch(() => undefined));
  }
}

/** Registers `nodeCount` Ready Node objects (no kubelet behind them); resolves with their names. */
async function registerNodes(client: SkiffClient): Promise<string[]> {
  const allocatable = { cpu: '32', memory: '128Gi', pods: '250' };
  const names = Array.from({ length: nodeCount }, (_, i) => `${prefix}-${i}`);
  await runConcurrently(names.length, 32, (i) =>
    retryUnavailable(() =>
      typed(client, 'node').create(
        Node.fromPartial({
          metadata: { name: names[i], labels: { 'kubernetes.io/hostname': names[i] } },
          status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date() }] },
        }),
      ),
    ),
  );
  return names;
}

/**
 * Plays the kubelets of the registered nodes, as hollow kubelets would answer: every bench pod
 * bound to a node turns Running and Ready (one updateStatus per pod). One watch for all nodes.
 */
async function writeStatuses(client: SkiffClient, signal: AbortSignal): Promise<void> {
  const pods = typed(client, 'pod');
  try {
    for await (const { object: pod } of podEvents(client, '', signal)) {
      if (!pod.spec?.nodeName || pod.status?.phase === 'Running' || pod.metadata?.deletionTimestamp) continue;
      const now = new Date();
      void pods
        .updateStatus({ ...pod, status: { ...pod.status!, phase: 'Running', hostIP: '127.0.0.1', startTime: now, conditions: [{ type: 'Ready', status: 'True', reason: '', message: '', lastTransitionTime: now }] } })
        .catch(() => undefined); // a conflict: the newer event comes round again
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

/** Starts the hollow kubelet processes and resolves with the node names once every Node is Ready. */
async function startHollowNodes(cluster: Cluster, client: SkiffClient, rootDir: string): Promise<{ names: string[]; kubelets: TestProcess[] }> {
  const kubeletMain = ensureAppBuilt('kubelet');
  const perProcess = Math.ceil(nodeCount / processes);
  const names: string[] = [];
  const kubelets: TestProcess[] = [];
  for (let p = 0, left = nodeCount; left > 0; p++, left -= perProcess) {
    const count = Math.min(perProcess, left);
    const base = `${prefix}-p${p}`;
    for (let i = 0; i < count; i++) names.push(`${base}-${i}`);
    kubelets.push(
      startProcess(`kubelets ${base}`, process.execPath, [
        ...componentNodeFlags(), kubeletMain, '--node-name', base, '--hollow-nodes', String(count), '--runtime', 'hollow',
        '--server', cluster.address, '--nats', cluster.nats.url, '--listen', '127.0.0.1:0', '--root-dir', join(rootDir, base),
        '--cpu', '32', '--memory', '128Gi', '--pods', '250', '--log-level', 'error',
        // Less background chatter from 500 kubelets on a 2-core machine (the Lease still within the 40 s grace period).
        '--lease-interval', '20s', '--node-status-interval', '5m', '--housekeeping-interval', '5m', '--resync-interval', '5m',
      ]),
    );
  }
  // Listed rather than watched: 500 registrations at once may break a watch stream (the bench would stop).
  await waitFor(
    `${nodeCount} hollow nodes Ready with a pod CIDR`,
    async () => {
      for (const k of kubelets) if (!k.running) throw new Error(`${k.name} exited:\n${k.recentOutput}`);
      const { items } = await retryUnavailable(() => typed(client, 'node').list({}));
      // Ready, and given a pod CIDR by node IPAM (a hollow kubelet does not wait for it): the
      // rounds then measure a settled cluster, not 500 node registrations still being processed.
      return items.filter((n) => n.metadata?.name?.startsWith(prefix) && !!n.spec?.podCIDR && n.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True')).length >= nodeCount;
    },
    { timeoutMs, intervalMs: 500 },
  );
  return { names, kubelets };
}

async function main(): Promise<void> {
  const cluster: Cluster = await startCluster({
    nodes: [],
    controllerManagers: 1,
    logLevel: 'error',
    clusterCidr: '10.200.0.0/14',
    // Registered nodes have no kubelet renewing a Lease: node lifecycle would mark them NotReady.
    controllerManagerArgs: mode === 'writer' ? ['--controllers', '*,-nodelifecycle'] : [],
  });
  const client = connect(cluster.address, { timeoutMs: 60_000 });
  const rootDir = mkdtempSync(join(tmpdir(), 'skiff-bench-ds-'));
  const writer = new AbortController();
  let statusWriter: Promise<void> = Promise.resolve();
  let kubelets: TestProcess[] = [];
  try {
    const setupStart = performance.now();
    let hollow: { names: string[] };
    if (mode === 'hollow') {
      const started = await startHollowNodes(cluster, client, rootDir);
      kubelets = started.kubelets;
      hollow = started;
      console.log(`${nodeCount} hollow nodes Ready with a pod CIDR in ${fmt((performance.now() - setupStart) / 1000)} s (${kubelets.length} kubelet processes)`);
    } else {
      hollow = { names: await registerNodes(client) };
      statusWriter = writeStatuses(client, writer.signal);
      console.log(`${nodeCount} Node objects registered in ${fmt((performance.now() - setupStart) / 1000)} s (one pod-status writer plays their kubelets)`);
    }
    // Warm-up: one pod on every node first, so that no round pays a node's first pod (its
    // kubelet's first sync, the processes' code paths compiled under load) and every round
    // measures the same thing; the figure is the median of the rounds.
    const warmSeconds = await directPods(client, 'warm-pods', hollow.names);
    console.log(`warm-up: a first pod on each of ${hollow.names.length} nodes in ${fmt(warmSeconds, 2)} s`);
    await cleanUp(client);

    const direct: number[] = [];
    const ds: number[] = [];
    const requests = () => scrapeRequests(cluster.apiserver.metricsAddress);
    const meter = cpuMeter({
      etcd: cluster.etcd.process.child.pid!,
      nats: cluster.nats.process.child.pid!,
      apiserver: cluster.apiserver.process.child.pid!,
      scheduler: cluster.scheduler.child.pid!,
      'controller-manager': cluster.controllerManagers[0]!.child.pid!,
      ...Object.fromEntries(kubelets.map((k, i) => [`kubelets ${i}`, k.child.pid!])),
      bench: 'self',
    });
    /** "apiserver 9.1, kubelets 8.0, ..." CPU seconds by process, largest first (kubelet processes summed). */
    const cpuText = (used: Record<string, number>): string => {
      const merged = new Map<string, number>();
      for (const [name, ms] of Object.entries(used)) {
        const group = name.replace(/ \d+$/, '');
        merged.set(group, (merged.get(group) ?? 0) + ms);
      }
      const total = [...merged.values()].reduce((a, b) => a + b, 0);
      return `CPU s: ${[...merged].sort((a, b) => b[1] - a[1]).map(([name, ms]) => `${name} ${fmt(ms / 1000, 1)}`).join(', ')}; total ${fmt(total / 1000, 1)}`;
    };
    const phase = async (label: string, run: () => Promise<number>): Promise<number> => {
      const before = await requests();
      const stopMeter = meter.start();
      const seconds = await run();
      const used = stopMeter();
      console.log(`  ${label} ${fmt(seconds, 2)} s (${describeRequests(before, await requests())})`);
      console.log(`    ${cpuText(used)}`);
      return seconds;
    };
    // Settled: the Events of 500 node registrations (RegisteredNode, the kubelets' start-up
    // Events) are written one at a time per recorder, as client-go does, for a while after the
    // nodes are Ready; the rounds start once the apiserver is down to background work (Lease
    // renewals: nodes / 20 s) for a whole second.
    const settleStart = performance.now();
    const leasesPerSecond = hollow.names.length / 20;
    let last = await requests();
    await waitFor(
      'the apiserver to settle after the node registrations',
      async () => {
        await new Promise((r) => setTimeout(r, 1_000));
        const now = await requests();
        const since = (key: string) => (now.get(key) ?? 0) - (last.get(key) ?? 0);
        const events = since('create events') + since('update events');
        const total = [...now.keys()].reduce((sum, key) => sum + since(key), 0);
        last = now;
        return events < 10 && total < leasesPerSecond + 20;
      },
      { timeoutMs: 120_000, intervalMs: 0 },
    );
    console.log(`settled after ${fmt((performance.now() - settleStart) / 1000)} s more`);
    // The background: what the nodes and the control plane use with nothing to do (heartbeats,
    // Leases, watch upkeep), over a fixed 5 s window: the rounds below pay it too.
    await phase('idle', async () => {
      await new Promise((r) => setTimeout(r, 5_000));
      return 5;
    });
    for (let r = 0; r < rounds; r++) {
      direct.push(await phase(`round ${r + 1}: direct pods`, () => directPods(client, `direct-${r}`, hollow.names)));
      await cleanUp(client);
      ds.push(await phase(`round ${r + 1}: DaemonSet`, () => daemonSet(client, `ds-${r}`, hollow.names)));
      await cleanUp(client);
    }
    const d = summarize(ds);
    const b = summarize(direct);
    const kubeletText = mode === 'hollow' ? `${kubelets.length} hollow kubelet processes` : 'one pod-status writer for the kubelets';
    console.log(`DaemonSet on ${nodeCount} nodes, create -> ${nodeCount} pods Running (${kubeletText}, scheduler, 1 controller-manager), ${rounds} rounds`);
    console.log(`  DaemonSet:              ${ds.map((s) => fmt(s, 2)).join(' s, ')} s (best ${fmt(Math.min(...ds), 2)} s)`);
    console.log(`  baseline (direct pods): ${direct.map((s) => fmt(s, 2)).join(' s, ')} s (best ${fmt(Math.min(...direct), 2)} s)`);
    console.log(`  ratio (p50/p50): ${fmt(d.p50 / b.p50, 2)}x; goal < ${GOAL_S} s: ${d.p50 < GOAL_S ? 'met' : 'NOT met'}`);
  } finally {
    await cleanUp(client).catch(() => undefined);
    writer.abort();
    await statusWriter;
    client.close();
    await Promise.all(kubelets.map((k) => k.stop().catch(() => undefined)));
    await cluster.stop();
    rmSync(rootDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
