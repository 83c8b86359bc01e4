/**
 * Issue 13 benchmark: a Job of 1,000 completions at parallelism 100 whose pods finish at once
 * (hollow kubelets: a container whose command is `true` exits 0 as soon as it starts), from its
 * create to its Complete condition. The baseline, measured in the same run on the same cluster
 * (etcd, NATS, the built apiserver, scheduler and controller-manager, hollow kubelets), is the
 * same 1,000 pods created directly through the API, never more than 100 unfinished at once (a new
 * one for each that succeeds, as the Job controller does), until all have Succeeded, seen by a
 * watch. Goal: the Job <= 1.5x the baseline.
 * Run: npm run bench -- job [--completions 1000] [--parallelism 100] [--nodes 4] [--rounds 2] [--timeout 300]
 */
import { Job, Pod, PodTemplateSpec } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { startCluster, testLabel, type Cluster } from '@skiff/testing';
import { Command } from 'commander';
import { fmt, runConcurrently, summarize } from './stats';
import { watchUntil } from './watch-until';

const opts = new Command()
  .option('--completions <n>', 'completions of the Job (and pods of the baseline)', '1000')
  .option('--parallelism <n>', 'pods of the Job (and of the baseline) unfinished at once', '100')
  .option('--nodes <n>', 'hollow nodes', '4')
  .option('--rounds <n>', 'baseline + Job pairs, alternating', '2')
  .option('--timeout <s>', 'give up a phase after this many seconds', '300')
  .parse()
  .opts();
const completions = Math.min(Number(opts.completions), 5000);
const parallelism = Math.min(Number(opts.parallelism), 500);
const nodeCount = Math.min(Number(opts.nodes), 20);
const rounds = Math.min(Number(opts.rounds), 5);
const timeoutMs = Number(opts.timeout) * 1000;
const NS = 'default';
const run = testLabel().value;

function template(app: string): PodTemplateSpec {
  return PodTemplateSpec.fromPartial({
    metadata: { labels: { app, bench: run } },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'task', image: '127.0.0.1:5000/skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['true'], resources: { requests: { cpu: '10m' } } }],
    },
  });
}

/** Baseline: `completions` pods created directly, at most `parallelism` unfinished; seconds until all Succeeded. */
async function directPods(client: SkiffClient, app: string): Promise<number> {
  const pods = typed(client, 'pod');
  const spec = template(app);
  let created = 0;
  let inFlight = 0;
  let failure: unknown;
  const create = () => {
    const i = created++;
    inFlight++;
    pods.create(Pod.fromPartial({ metadata: { name: `${app}-${i}`, namespace: NS, labels: spec.metadata!.labels }, spec: spec.spec })).catch((err: unknown) => (failure ??= err));
  };
  const started = performance.now();
  const finished = new Set<string>();
  const done = watchUntil(
    (signal) => pods.watch({ namespace: NS, labelSelector: `app=${app}` }, signal),
    (all) => {
      if (failure) throw failure;
      for (const [name, pod] of all) {
        if (pod.status?.phase !== 'Succeeded' || finished.has(name)) continue;
        finished.add(name);
        inFlight--;
      }
      while (inFlight < parallelism && created < completions) create();
      return finished.size >= completions;
    },
    `${completions} direct pods Succeeded`,
    timeoutMs,
  );
  while (created < Math.min(parallelism, completions)) create();
  await done;
  return (performance.now() - started) / 1000;
}

/** The Job: seconds from its create to its Complete condition. */
async function job(client: SkiffClient, app: string): Promise<number> {
  const jobs = typed(client, 'job');
  const started = performance.now();
  const complete = watchUntil(
    (signal) => jobs.watch({ namespace: NS, fieldSelector: `metadata.name=${app}` }, signal),
    (all) => {
      const conditions = all.get(app)?.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) throw new Error(`${app} failed`);
      return conditions.some((c) => c.type === 'Complete' && c.status === 'True');
    },
    `${app} Complete`,
    timeoutMs,
  );
  await jobs.create(Job.fromPartial({ metadata: { name: app, namespace: NS }, spec: { completions, parallelism, template: template(app) } }));
  await complete;
  return (performance.now() - started) / 1000;
}

async function cleanUp(client: SkiffClient): Promise<void> {
  const pods = typed(client, 'pod');
  const jobs = typed(client, 'job');
  for (const j of (await jobs.list({ namespace: NS })).items) await jobs.delete(NS, j.metadata!.name, { propagationPolicy: 'Background' });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = (await pods.list({ namespace: NS, labelSelector: `bench=${run}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
    if (left.length === 0) break;
    if (Date.now() > deadline) throw new Error('pods left after the clean-up');
    await runConcurrently(left.length, 64, (i) => pods.delete(NS, left[i].metadata!.name, { gracePeriodSeconds: 0 }).catch(() => undefined));
  }
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
    await job(client, 'warm-job');
    await cleanUp(client);

    const direct: number[] = [];
    const jobbed: number[] = [];
    for (let r = 0; r < rounds; r++) {
      direct.push(await directPods(client, `direct-${r}`));
      await cleanUp(client);
      jobbed.push(await job(client, `job-${r}`));
      await cleanUp(client);
    }
    const j = summarize(jobbed);
    const b = summarize(direct);
    const ratio = j.p50 / b.p50;
    console.log(`Job of ${completions} completions at parallelism ${parallelism}, create -> Complete (${nodeCount} hollow kubelets, 1 controller-manager), ${rounds} rounds`);
    console.log(`  Job:                    ${jobbed.map((s) => fmt(s, 2)).join(' s, ')} s (best ${fmt(Math.min(...jobbed), 2)} s)`);
    console.log(`  baseline (direct pods): ${direct.map((s) => fmt(s, 2)).join(' s, ')} s (best ${fmt(Math.min(...direct), 2)} s)`);
    console.log(`  ratio (p50/p50): ${fmt(ratio, 2)}x; goal <= 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'}`);
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
