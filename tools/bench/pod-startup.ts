/**
 * Issue 3 benchmark: pod startup latency with real Docker. A cluster (startCluster: etcd, NATS,
 * the built apiserver, scheduler and two kubelets on the DockerRuntime) runs pods of the test
 * image; each pod's time is from its create call to Running as seen by a watch. The baseline is
 * bare Docker over its socket doing what the runtime does for such a pod (a sandbox container,
 * then an app container joined to its network namespace, same image, created and started in
 * sequence), measured in the same run.
 *   (a) N pods one at a time: p50/p90 vs bare Docker's; goal p50 <= bare + 150 ms.
 *   (b) M pods at once: time until all Running vs bare Docker starting M pairs concurrently;
 *       goal <= 1.25x.
 * Everything created carries a label unique to the run and is removed at the end.
 * Run: npm run bench -- pod-startup [--sequential 10] [--concurrent 30] [--timeout 180]
 */
import { execFileSync } from 'node:child_process';
import { Pod } from '@skiff/api';
import { connect, typed } from '@skiff/client';
import { dockerCall, NODE_LABEL_KEY, TEST_IMAGE, removeLabelledDockerObjects, startCluster, testLabel, type Cluster } from '@skiff/testing';
import { Command } from 'commander';
import { fmt, summarize } from './stats';

const opts = new Command()
  .option('--sequential <n>', 'pods created one at a time', '10')
  .option('--concurrent <n>', 'pods created at once', '30')
  .option('--timeout <s>', 'give up a phase after this many seconds', '180')
  .parse()
  .opts();
const sequential = Math.min(Number(opts.sequential), 100);
const concurrent = Math.min(Number(opts.concurrent), 200);
const timeoutMs = Number(opts.timeout) * 1000;

const run = testLabel();
const NODES = [`bench-${run.value}-1`, `bench-${run.value}-2`];
const BARE_LABELS = { ...run.labels, 'io.skiff.bench': 'bare' };

/** One call to the Docker Engine API over its socket, with a JSON body. */
const docker = (method: string, path: string, body?: unknown) => dockerCall(method, path, body);

/** Bare Docker: a sandbox (sleep) and an app container in its network namespace, created and started in sequence. */
async function barePod(name: string): Promise<number> {
  const started = performance.now();
  const sandbox = (await docker('POST', `/containers/create?name=${name}-sandbox`, {
    Image: TEST_IMAGE, Hostname: name, Entrypoint: ['sleep'], Cmd: ['infinity'], Labels: BARE_LABELS, StopSignal: 'SIGKILL',
    HostConfig: { NetworkMode: 'bridge', RestartPolicy: { Name: 'no' } },
  })).body as { Id: string };
  await docker('POST', `/containers/${sandbox.Id}/start`);
  const app = (await docker('POST', `/containers/create?name=${name}-app`, {
    Image: TEST_IMAGE, Entrypoint: ['sleep'], Cmd: ['3600'], Labels: BARE_LABELS,
    HostConfig: { NetworkMode: `container:${sandbox.Id}`, RestartPolicy: { Name: 'no' } },
  })).body as { Id: string };
  await docker('POST', `/containers/${app.Id}/start`);
  return performance.now() - started;
}

function benchPod(name: string): Pod {
  return Pod.fromPartial({
    metadata: { name, namespace: 'default', labels: { bench: run.value } },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
  });
}

/** Watches the bench's pods and resolves each name's promise when it is first seen Running. */
function runningWatcher(cluster: Cluster, signal: AbortSignal) {
  const client = connect(cluster.address);
  const seen = new Map<string, number>();
  const waiters = new Map<string, (at: number) => void>();
  const ready = (async () => {
    for await (const event of typed(client, 'pod').watch({ namespace: 'default', labelSelector: `bench=${run.value}` }, signal)) {
      const name = event.object.metadata?.name ?? '';
      if (event.object.status?.phase !== 'Running' || seen.has(name)) continue;
      const at = performance.now();
      seen.set(name, at);
      waiters.get(name)?.(at);
    }
  })().catch((err: Error) => {
    if (!signal.aborted) throw err;
  });
  return {
    client,
    ready,
    running(name: string): Promise<number> {
      const at = seen.get(name);
      if (at !== undefined) return Promise.resolve(at);
      return new Promise((resolve, reject) => {
        waiters.set(name, resolve);
        const timer = setTimeout(() => reject(new Error(`${name} not Running after ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      });
    },
  };
}

async function deleteAllPods(cluster: Cluster, client: ReturnType<typeof connect>): Promise<void> {
  const pods = typed(client, 'pod');
  const list = await pods.list({ namespace: 'default', labelSelector: `bench=${run.value}` });
  await Promise.all(list.items.map((p) => pods.delete('default', p.metadata?.name ?? '').catch(() => undefined)));
  // The kubelets remove the containers; then the labels make sure nothing is left between phases.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const left = (await pods.list({ namespace: 'default', labelSelector: `bench=${run.value}` })).items.length;
    if (left === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const node of cluster.kubelets.keys()) await removeLabelledDockerObjects(`${NODE_LABEL_KEY}=${node}`);
}

async function main(): Promise<void> {
  execFileSync('bash', ['tools/images/build.sh'], { stdio: 'inherit' }); // dockerd, registry, TEST_IMAGE
  const cluster = await startCluster({ nodes: NODES.map((name) => ({ name })), logLevel: 'error' });
  const stop = new AbortController();
  const watcher = runningWatcher(cluster, stop.signal);
  const pods = typed(watcher.client, 'pod');
  try {
    // Warm-up: one pod and one bare pair, not counted (first use of the image, page cache).
    await pods.create(benchPod('warmup'));
    await watcher.running('warmup');
    await barePod(`bench-${run.value}-warm`);
    await deleteAllPods(cluster, watcher.client);
    await removeLabelledDockerObjects(run.filter);

    // (a) one at a time, alternating skiff and bare Docker so both see the same machine state.
    const skiffSeq: number[] = [];
    const bareSeq: number[] = [];
    for (let i = 0; i < sequential; i++) {
      const name = `seq-${i}`;
      const created = performance.now();
      await pods.create(benchPod(name));
      skiffSeq.push((await watcher.running(name)) - created);
      bareSeq.push(await barePod(`bench-${run.value}-seq-${i}`));
    }
    await deleteAllPods(cluster, watcher.client);
    await removeLabelledDockerObjects(run.filter);

    // (b) all at once.
    const bareStart = performance.now();
    await Promise.all(Array.from({ length: concurrent }, (_, i) => barePod(`bench-${run.value}-con-${i}`)));
    const bareAll = performance.now() - bareStart;
    await removeLabelledDockerObjects(run.filter);

    const skiffStart = performance.now();
    const names = Array.from({ length: concurrent }, (_, i) => `con-${i}`);
    await Promise.all(names.map(async (name) => {
      await pods.create(benchPod(name));
      await watcher.running(name);
    }));
    const skiffAll = performance.now() - skiffStart;

    const s = summarize(skiffSeq);
    const b = summarize(bareSeq);
    console.log(`pod startup, create -> Running seen by a watch (${NODES.length} kubelets on Docker)`);
    console.log(`(a) ${sequential} pods one at a time: skiff p50 ${fmt(s.p50, 0)} ms p90 ${fmt(s.p90, 0)} ms | bare Docker p50 ${fmt(b.p50, 0)} ms p90 ${fmt(b.p90, 0)} ms`);
    console.log(`    p50 overhead ${fmt(s.p50 - b.p50, 0)} ms (goal <= 150 ms): ${s.p50 - b.p50 <= 150 ? 'met' : 'NOT met'}; ratio ${fmt(s.p50 / b.p50, 2)}x`);
    console.log(`(b) ${concurrent} pods at once: skiff ${fmt(skiffAll / 1000, 2)} s | bare Docker ${fmt(bareAll / 1000, 2)} s`);
    console.log(`    ratio ${fmt(skiffAll / bareAll, 2)}x (goal <= 1.25x): ${skiffAll / bareAll <= 1.25 ? 'met' : 'NOT met'}`);
  } finally {
    stop.abort();
    await watcher.ready;
    await deleteAllPods(cluster, watcher.client).catch(() => undefined);
    watcher.client.close();
    await cluster.stop();
    await removeLabelledDockerObjects(run.filter);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
