/**
 * Issue 6 benchmark: the cost of resource metrics collection, as kubelet CPU per collection pass
 * (and per 100 pods). A cluster (startCluster: etcd, NATS, the built apiserver, scheduler and two
 * built kubelets) with one kubelet on real Docker and one on the hollow runtime, both sampling
 * every second (--housekeeping-interval 1, pod resync pushed out of the way with
 * --resync-interval 3600). Each kubelet's CPU (from /proc) is measured over the same window twice
 * in one run: with 0 pods (the baseline: heartbeats, watches, empty passes), then with N pods on
 * each node (busybox `sleep` on Docker: a sandbox and an app container each) once all run and the
 * status writes settled. The difference per pass is what the pods add: one Docker listing and
 * three cgroup files per container per pass, and the Summary kept ready. dockerd's CPU (which
 * answers the listing) is shown too. Everything created is labelled and removed at the end.
 * Run: npm run bench -- metrics-collection [--pods 100] [--window 20] [--timeout 240]
 */
import { readFileSync } from 'node:fs';
import { Pod } from '@skiff/api';
import { connect, typed } from '@skiff/client';
import { NODE_LABEL_KEY, TEST_IMAGE, ensureTestImages, removeLabelledDockerObjects, startCluster, testLabel, waitFor, type Cluster } from '@skiff/testing';
import { Command } from 'commander';
import { cpuMeter } from './process-cpu';
import { fmt, runConcurrently } from './stats';

const opts = new Command()
  .option('--pods <n>', 'pods per node', '100')
  .option('--window <s>', 'seconds measured per phase (one pass a second)', '20')
  .option('--timeout <s>', 'give up waiting for the pods after this many seconds', '240')
  .parse()
  .opts();
const podCount = Math.min(Number(opts.pods), 300);
const windowSeconds = Number(opts.window);
const timeoutMs = Number(opts.timeout) * 1000;
const run = testLabel();
const DOCKER_NODE = `bench-${run.value}-docker`;
const HOLLOW_NODE = `bench-${run.value}-hollow`;

function sleeper(node: string, i: number): Pod {
  return Pod.fromPartial({
    metadata: { name: `${node.endsWith('hollow') ? 'hollow' : 'docker'}-${i}`, namespace: 'default', labels: { bench: run.value, node } },
    spec: {
      terminationGracePeriodSeconds: 0,
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: [{ name: 'app', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: { requests: { cpu: '1m' } } }],
    },
  });
}

function dockerdPid(): number | undefined {
  try {
    return Number(readFileSync('/var/run/docker.pid', 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** CPU (ms) each measured process used over `seconds`. */
async function measure(pids: Record<string, number>, seconds: number): Promise<Record<string, number>> {
  const stop = cpuMeter(pids).start();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return stop();
}

async function main(): Promise<void> {
  let cluster: Cluster | undefined;
  const client = () => connect(cluster!.address);
  try {
    await ensureTestImages();
    cluster = await startCluster({
      nodes: [
        { name: DOCKER_NODE, cpu: '64', memory: '64Gi', args: ['--pods', '500'] },
        { name: HOLLOW_NODE, cpu: '64', memory: '64Gi', args: ['--pods', '500', '--runtime', 'hollow'] },
      ],
      kubeletArgs: ['--housekeeping-interval', '1', '--resync-interval', '3600'],
    });
    const api = client();
    const pods = typed(api, 'pod');
    const pids: Record<string, number> = {
      'kubelet (docker)': cluster.kubelets.get(DOCKER_NODE)!.process.child.pid!,
      'kubelet (hollow)': cluster.kubelets.get(HOLLOW_NODE)!.process.child.pid!,
    };
    const dockerd = dockerdPid();
    if (dockerd) pids.dockerd = dockerd;

    console.log(`metrics collection cost: ${podCount} pods per node vs 0, ${windowSeconds} s (= passes) per phase, 1 pass per second`);
    await new Promise((resolve) => setTimeout(resolve, 5_000)); // start-up work (registration, first lists) out of the window
    const empty = await measure(pids, windowSeconds);

    const started = performance.now();
    await runConcurrently(podCount * 2, 16, (i) => pods.create(sleeper(i % 2 ? HOLLOW_NODE : DOCKER_NODE, Math.floor(i / 2))));
    await waitFor(
      'every pod Running',
      async () => {
        const list = await pods.list({ namespace: 'default', labelSelector: `bench=${run.value}` });
        return list.items.filter((p) => p.status?.phase === 'Running').length === podCount * 2;
      },
      { timeoutMs, intervalMs: 1_000 },
    );
    console.log(`  ${podCount * 2} pods Running in ${fmt((performance.now() - started) / 1000)} s; letting status writes settle`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const metrics = await api.podMetrics('default', `bench=${run.value}`);
    const full = await measure(pids, windowSeconds);

    for (const name of Object.keys(pids)) {
      const base = empty[name] / windowSeconds;
      const loaded = full[name] / windowSeconds;
      const per100 = ((loaded - base) * 100) / podCount;
      console.log(
        `  ${name.padEnd(17)} 0 pods ${fmt(base, 2)} ms CPU/pass, ${podCount} pods ${fmt(loaded, 2)} ms CPU/pass (${fmt(loaded / base, 2)}x): +${fmt(per100, 2)} ms per pass per 100 pods` +
          (name.startsWith('kubelet') ? ` = ${fmt(per100 / 100, 3)}% of a core at the default 10 s resolution, ${fmt(per100 / 10, 2)}% at 1 s` : ''),
      );
    }
    console.log(`  the metrics API answered for ${metrics.items.length} of the ${podCount * 2} pods`);
    api.close();
  } finally {
    await cluster?.stop();
    await removeLabelledDockerObjects(`${NODE_LABEL_KEY}=${DOCKER_NODE}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
