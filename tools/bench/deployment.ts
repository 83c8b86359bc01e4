/**
 * Issue 4 benchmark: a 100-replica Deployment, from its create (what `skiff apply` sends) to 100
 * available replicas in its status. The cluster is startCluster's (etcd, NATS, the built
 * apiserver, scheduler and controller-manager) with hollow kubelets (--runtime hollow: pods
 * "run" at once, so the figure is the control plane's). The baseline, measured in the same run
 * on the same cluster, is the same 100 pods created directly (64 creates in flight) until all
 * are Ready, seen by a watch. Goal: the Deployment < 10 s.
 * Run: npm run bench -- deployment [--replicas 100] [--nodes 4] [--rounds 2] [--timeout 120]
 */
import { Deployment, Pod, PodTemplateSpec } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { startCluster, testLabel, type Cluster } from '@skiff/testing';
import { Command } from 'commander';
import { fmt, runConcurrently, summarize } from './stats';
import { watchUntil } from './watch-until';

const opts = new Command()
  .option('--replicas <n>', 'replicas of the Deployment (and pods of the baseline)', '100')
  .option('--nodes <n>', 'hollow nodes', '4')
  .option('--rounds <n>', 'baseline + Deployment pairs, alternating', '2')
  .option('--timeout <s>', 'give up a phase after this many seconds', '120')
  .parse()
  .opts();
const replicas = Math.min(Number(opts.replicas), 1000);
const nodeCount = Math.min(Number(opts.nodes), 20);
const rounds = Math.min(Number(opts.rounds), 5);
const timeoutMs = Number(opts.timeout) * 1000;
const NS = 'default';
const run = testLabel().value;

function template(app: string): PodTemplateSpec {
  return PodTemplateSpec.fromPartial({
    metadata: { labels: { app, bench: run } },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: '127.0.0.1:5000/skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: { requests: { cpu: '10m' } } }] },
  });
}

const isReady = (p: Pod) => p.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Baseline: `replicas` pods created directly; seconds until all are Ready. */
async function directPods(client: SkiffClient, app: string): Promise<number> {
  const pods = typed(client, 'pod');
  const started = performance.now();
  const ready = watchUntil((signal) => pods.watch({ namespace: NS, labelSelector: `app=${app}` }, signal), (all) => [...all.values()].filter(isReady).length >= replicas, `${replicas} direct pods Ready`, timeoutMs);
  await runConcurrently(replicas, 64, (i) => pods.create(Pod.fromPartial({ metadata: { name: `${app}-${i}`, namespace: NS, labels: template(app).metadata!.labels }, spec: template(app).spec })));
  await ready;
  return (performance.now() - started) / 1000;
}

/** The Deployment: seconds from its create to status.availableReplicas = replicas. */
async function deployment(client: SkiffClient, app: string): Promise<number> {
  const deployments = typed(client, 'deployment');
  const started = performance.now();
  const available = watchUntil(
    (signal) => deployments.watch({ namespace: NS, fieldSelector: `metadata.name=${app}` }, signal),
    (all) => (all.get(app)?.status?.availableReplicas ?? 0) >= replicas,
    `${app} ${replicas} available`,
    timeoutMs,
  );
  await deployments.create(Deployment.fromPartial({ metadata: { name: app, namespace: NS }, spec: { replicas, selector: { matchLabels: { app } }, template: template(app) } }));
  await available;
  return (performance.now() - started) / 1000;
}

async function cleanUp(client: SkiffClient): Promise<void> {
  const pods = typed(client, 'pod');
  for (const d of (await typed(client, 'deployment').list({ namespace: NS })).items) await typed(client, 'deployment').delete(NS, d.metadata!.name, { propagationPolicy: 'Background' });
  for (const rs of (await typed(client, 'replicaSet').list({ namespace: NS })).items) await typed(client, 'replicaSet').delete(NS, rs.metadata!.name).catch(() => undefined);
  const left = (await pods.list({ namespace: NS, labelSelector: `bench=${run}` })).items;
  await runConcurrently(left.length, 64, (i) => pods.delete(NS, left[i].metadata!.name, { gracePeriodSeconds: 0 }).catch(() => undefined));
  const deadline = Date.now() + timeoutMs;
  while ((await pods.list({ namespace: NS, labelSelector: `bench=${run}` })).items.length > 0) {
    if (Date.now() > deadline) throw new Error('pods left after the clean-up');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const nodes = Array.from({ length: nodeCount }, (_, i) => ({ name: `hollow-${run}-${i}`, cpu: '32', memory: '128Gi', args: ['--runtime', 'hollow', '--pods', '250'] }));
  const cluster: Cluster = await startCluster({ nodes, controllerManagers: 1, logLevel: 'error' });
  const client = connect(cluster.address, { timeoutMs: 60_000 });
  try {
    // Warm-up, not counted: every path once (connections, JIT, informers).
    await directPods(client, 'warm-pods');
    await deployment(client, 'warm-deploy');
    await cleanUp(client);

    const direct: number[] = [];
    const deployed: number[] = [];
    for (let r = 0; r < rounds; r++) {
      direct.push(await directPods(client, `direct-${r}`));
      await cleanUp(client);
      deployed.push(await deployment(client, `web-${r}`));
      await cleanUp(client);
    }
    const d = summarize(deployed);
    const b = summarize(direct);
    console.log(`${replicas}-replica Deployment, create -> ${replicas} available (${nodeCount} hollow kubelets, 1 controller-manager), ${rounds} rounds`);
    console.log(`  Deployment:           ${deployed.map((s) => fmt(s, 2)).join(' s, ')} s (best ${fmt(Math.min(...deployed), 2)} s)`);
    console.log(`  baseline (direct pods): ${direct.map((s) => fmt(s, 2)).join(' s, ')} s (best ${fmt(Math.min(...direct), 2)} s)`);
    console.log(`  ratio (p50/p50): ${fmt(d.p50 / b.p50, 2)}x; goal < 10 s: ${d.max < 10 ? 'met' : 'NOT met'} (worst ${fmt(d.max, 2)} s)`);
  } finally {
    await cleanUp(client).catch(() => undefined);
    client.close();
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
