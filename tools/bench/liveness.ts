/**
 * Issue 6 benchmark: from a liveness failure to the restarted container Ready, against the
 * configured bound (periodSeconds x failureThreshold + 1 period = 1 s x 3 + 1 s = 4 s), with a
 * plain container restart measured in the same run as the baseline.
 *
 * A cluster (startCluster: etcd, NATS, the built apiserver, scheduler and two kubelets on real
 * Docker) runs 2N pods of the test image: busybox httpd on 8080 serving /www, whose command
 * creates /www/index.html and /www/healthz at every start, under `sh` with a TERM trap (a
 * SIGTERM ends the container at once, exit 143). Every pod has a readiness probe (GET /, period
 * 1 s), so "Ready again" means the restarted container answers HTTP.
 *   live-i: also a liveness probe (GET /healthz, period 1 s, failureThreshold 3). Broken by
 *           `rm /www/healthz` through the API's exec (as `skiff exec`); the failure time is the
 *           kernel's mtime of /www after the unlink (read in the container: same clock as the
 *           host), not the exec's round trip.
 *   base-i: no liveness probe. Killed by `kill 1` through exec (pid 1 is the sh: exit 143); the
 *           death time is Docker's finishedAt of the instance (lastState.terminated.finishedAt).
 * Breaks alternate live/base, one every --gap ms, so both kinds see the same machine moments.
 * Phases, each from the failure (live) or the death (base):
 *   first failed probe   the Unhealthy event's firstTimestamp (its count should be failureThreshold)
 *   kill decided         the Killing event's firstTimestamp (the kubelet's sync that stops it)
 *   died                 lastState.terminated.finishedAt (Docker)
 *   new container up     state.running.startedAt of the new instance (Docker)
 *   restartCount seen    a watch of the pods delivers restartCount >= 1 (bench's clock)
 *   Ready again          a watch delivers Ready=True with restartCount >= 1 (bench's clock)
 * Everything created carries the run's node names and is removed at the end; every wait is bounded.
 * Run: npm run bench -- liveness [--pods 10] [--gap 400] [--timeout 60]
 */
import { loadavg } from 'node:os';
import { intOrString, Pod, type Event } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { ensureTestImages, startCluster, testLabel, waitFor, TEST_IMAGE, type Cluster } from '@skiff/testing';
import { Command } from 'commander';
import { machineLoadLine } from './process-cpu';
import { fmt, summarize } from './stats';

const opts = new Command()
  .option('--pods <n>', 'pods broken by a failing liveness endpoint (and as many killed for the baseline)', '10')
  .option('--gap <ms>', 'time between two breaks (live and base alternate)', '400')
  .option('--timeout <s>', 'give up a phase after this many seconds', '60')
  .parse()
  .opts();
const podCount = Math.min(Math.max(1, Number(opts.pods)), 50);
const gapMs = Math.min(Math.max(0, Number(opts.gap)), 5_000);
const timeoutMs = Number(opts.timeout) * 1000;

const PERIOD_S = 1;
const FAILURE_THRESHOLD = 3;
/** Acceptance 1's bound: periodSeconds x failureThreshold, + 1 period. */
const BOUND_MS = (PERIOD_S * FAILURE_THRESHOLD + PERIOD_S) * 1000;
const NS = 'default';
const run = testLabel().value;
const NODES = [`live-${run}-1`, `live-${run}-2`];

type Role = 'live' | 'base';

/** A bench pod: httpd with a readiness probe on /, and for `live` a liveness probe on /healthz. */
function benchPod(name: string, role: Role): Pod {
  const start = "mkdir -p /www && hostname > /www/index.html && echo ok > /www/healthz && trap 'exit 143' TERM; httpd -f -p 8080 -h /www & wait";
  const http = (path: string) => ({ httpGet: { path, port: intOrString(8080) }, periodSeconds: PERIOD_S });
  return Pod.fromPartial({
    metadata: { name, namespace: NS, labels: { bench: run, role } },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: [{
        name: 'web',
        image: TEST_IMAGE,
        imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', start],
        readinessProbe: http('/'),
        livenessProbe: role === 'live' ? { ...http('/healthz'), failureThreshold: FAILURE_THRESHOLD } : undefined,
      }],
    },
  });
}

const isReady = (p: Readonly<Pod>) => p.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** What the watch saw of one pod, in the bench's clock (Date.now()). */
interface Seen {
  readyOnce?: number;
  restartSeen?: number;
  readyAgain?: number;
  /** The pod as it was when first seen Ready again. */
  pod?: Pod;
}

/** Watches the bench's pods from before their creation and records, per pod, when each state was first delivered. */
function podTracker(client: SkiffClient, signal: AbortSignal) {
  const seen = new Map<string, Seen>();
  const done = (async () => {
    for await (const ev of typed(client, 'pod').watch({ namespace: NS, labelSelector: `bench=${run}` }, signal)) {
      const at = Date.now();
      const pod = ev.object;
      const s = seen.get(pod.metadata?.name ?? '') ?? {};
      seen.set(pod.metadata?.name ?? '', s);
      const restarts = pod.status?.containerStatuses[0]?.restartCount ?? 0;
      if (isReady(pod) && restarts === 0) s.readyOnce ??= at;
      if (restarts >= 1) s.restartSeen ??= at;
      if (restarts >= 1 && isReady(pod) && s.readyAgain === undefined) {
        s.readyAgain = at;
        s.pod = pod;
      }
    }
  })().catch((err: Error) => {
    if (!signal.aborted) throw err;
  });
  return { seen, done };
}

/** Runs `command` in the pod's container through the API; resolves with its exit code and stdout. */
async function exec(client: SkiffClient, name: string, command: string[]): Promise<{ exitCode?: number; stdout: string }> {
  let stdout = '';
  let exitCode: number | undefined;
  for await (const { output } of client.podExec({ namespace: NS, name, container: 'web', command }, AbortSignal.timeout(15_000))) {
    if (output?.$case === 'stdout') stdout += output.value.toString();
    else if (output?.$case === 'exitCode') exitCode = output.value;
  }
  return { exitCode, stdout };
}

/** busybox `stat -c %y` ("2026-11-25 02:29:21.839982819 +0000") as ms since the epoch; NaN if it is not that. */
function parseStatTime(text: string): number {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)? ([+-]\d\d)(\d\d)$/.exec(text.trim());
  if (!m) return NaN;
  return Date.parse(`${m[1]}T${m[2]}${(m[3] ?? '').slice(0, 4)}${m[4]}:${m[5]}`);
}

/** Breaks a live pod: removes /www/healthz; resolves with when the unlink happened (the directory's mtime). */
async function breakLiveness(client: SkiffClient, name: string): Promise<{ failedAt: number; execMs: number }> {
  const sent = Date.now();
  const out = await exec(client, name, ['sh', '-c', 'rm /www/healthz && stat -c %y /www']);
  const returned = Date.now();
  if (out.exitCode !== 0) throw new Error(`${name}: rm /www/healthz exited ${out.exitCode}`);
  const failedAt = parseStatTime(out.stdout);
  // Without a parsable mtime, the exec's return: the latest the failure can have happened.
  return { failedAt: Number.isNaN(failedAt) ? returned : failedAt, execMs: returned - sent };
}

/** Kills a base pod's pid 1; the exec may lose its stream as the container dies, which is fine. */
async function killContainer(client: SkiffClient, name: string): Promise<void> {
  await exec(client, name, ['kill', '1']).catch(() => undefined);
}

/** The pod events of this namespace with `reason` whose message starts with `prefix`. */
async function podEvents(client: SkiffClient, reason: string, prefix: string): Promise<Event[]> {
  return (await typed(client, 'event').list({ namespace: NS })).items.filter((e) => e.reason === reason && e.involvedObject?.kind === 'Pod' && e.message.startsWith(prefix));
}

/** Each pod's earliest event with `reason` whose message starts with `prefix`: pod name -> event. */
async function firstEvents(client: SkiffClient, reason: string, prefix: string): Promise<Map<string, Event>> {
  const byPod = new Map<string, Event>();
  for (const e of await podEvents(client, reason, prefix)) {
    const name = e.involvedObject?.name ?? '';
    const before = byPod.get(name);
    if (!before || (e.firstTimestamp?.getTime() ?? 0) < (before.firstTimestamp?.getTime() ?? 0)) byPod.set(name, e);
  }
  return byPod;
}

/** One line of a phase: p50/p90/max in ms and, when a bound is given, the ratios to it and met / NOT met (max within the bound). */
function phaseLine(label: string, samples: number[], bound?: number): string {
  const valid = samples.filter((x) => Number.isFinite(x));
  const s = summarize(valid);
  const missing = samples.length - valid.length;
  const figures = `p50 ${fmt(s.p50, 0).padStart(5)} ms  p90 ${fmt(s.p90, 0).padStart(5)} ms  max ${fmt(s.max, 0).padStart(5)} ms`;
  const ratio = bound ? `  (${fmt(s.p50 / bound, 2)}x / ${fmt(s.max / bound, 2)}x the bound: ${s.max <= bound && missing === 0 ? 'met' : 'NOT met'})` : '';
  return `   ${label.padEnd(22)} ${figures}${ratio}${missing ? `  [${missing} of ${samples.length} not measured]` : ''}`;
}

async function main(): Promise<void> {
  console.log(machineLoadLine());
  await ensureTestImages();
  const cluster: Cluster = await startCluster({ nodes: NODES.map((name) => ({ name, cpu: '4', memory: '8Gi' })), logLevel: 'error' });
  const client = connect(cluster.address, { timeoutMs: 30_000 });
  const pods = typed(client, 'pod');
  const stop = new AbortController();
  const tracker = podTracker(client, stop.signal);
  try {
    const names = Array.from({ length: podCount }, (_, i) => [`live-${i}`, `base-${i}`] as const).flat();
    const started = performance.now();
    await Promise.all(names.map((name) => pods.create(benchPod(name, name.startsWith('live') ? 'live' : 'base'))));
    await waitFor('every pod Ready', () => names.every((n) => tracker.seen.get(n)?.readyOnce !== undefined), { timeoutMs, intervalMs: 50 });
    console.log(`${names.length} pods Ready in ${fmt((performance.now() - started) / 1000, 1)} s on ${NODES.length} Docker kubelets; breaking one every ${gapMs} ms (live and base alternating)`);

    const failedAt = new Map<string, number>();
    const execMs: number[] = [];
    const windowStart = Date.now();
    const breaks: Promise<void>[] = [];
    for (const name of names) {
      breaks.push(
        name.startsWith('live')
          ? breakLiveness(client, name).then((b) => {
              failedAt.set(name, b.failedAt);
              execMs.push(b.execMs);
            })
          : killContainer(client, name),
      );
      await new Promise((resolve) => setTimeout(resolve, gapMs)); // pacing the load, not waiting for a state
    }
    await Promise.all(breaks);
    await waitFor('every pod Ready again after its restart', () => names.every((n) => tracker.seen.get(n)?.readyAgain !== undefined), { timeoutMs, intervalMs: 20 });
    const windowSeconds = (Date.now() - windowStart) / 1000;
    const loadAfter = loadavg()[0] ?? 0;
    // Events are written in the background by the kubelets' recorders (repeats folded into count):
    // wait for every live pod's Killing and its liveness Unhealthy event at its final count.
    const lives = names.filter((n) => n.startsWith('live'));
    const bases = names.filter((n) => n.startsWith('base'));
    const liveEvents = async () => ({
      killing: await firstEvents(client, 'Killing', 'Container web failed liveness probe'),
      unhealthy: await firstEvents(client, 'Unhealthy', 'Liveness probe failed'),
    });
    let events = await waitFor('the Killing and Unhealthy events of every live pod', async () => {
      const e = await liveEvents();
      return lives.every((n) => e.killing.has(n) && e.unhealthy.has(n)) ? e : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    events = await waitFor('every liveness Unhealthy event at failureThreshold', async () => {
      const e = await liveEvents();
      return lives.every((n) => (e.unhealthy.get(n)?.count ?? 0) >= FAILURE_THRESHOLD) ? e : undefined;
    }, { timeoutMs: 5_000, intervalMs: 200 }).catch(() => events); // reported below as it is
    const { killing, unhealthy } = events;
    const status = (n: string) => tracker.seen.get(n)!.pod!.status!.containerStatuses[0]!;
    const diedAt = (n: string) => status(n).lastState?.terminated?.finishedAt?.getTime() ?? NaN;
    const upAt = (n: string) => status(n).state?.running?.startedAt?.getTime() ?? NaN;
    const since = (from: (n: string) => number, to: (n: string) => number, list: string[]) => list.map((n) => to(n) - from(n));
    const failure = (n: string) => failedAt.get(n) ?? NaN;
    const first = (events: Map<string, Event>) => (n: string) => events.get(n)?.firstTimestamp?.getTime() ?? NaN;
    const restartSeen = (n: string) => tracker.seen.get(n)?.restartSeen ?? NaN;
    const readyAgain = (n: string) => tracker.seen.get(n)?.readyAgain ?? NaN;

    // A new container's first readiness probe that failed (connection refused: httpd did not listen yet) makes it Ready one period later.
    const readinessFailed = await podEvents(client, 'Unhealthy', 'Readiness probe failed');
    const lateReady = new Set(names.filter((n) => readinessFailed.some((e) => e.involvedObject?.name === n && (e.lastTimestamp?.getTime() ?? 0) >= upAt(n))));

    const liveReady = since(failure, readyAgain, lives);
    const baseReady = since(diedAt, readyAgain, bases);
    const liveDied = since(failure, diedAt, lives);
    const counts = lives.map((n) => unhealthy.get(n)?.count ?? 0);
    const exitCodes = new Set([...lives, ...bases].map((n) => status(n).lastState?.terminated?.exitCode));
    console.log(`liveness: http GET /healthz, periodSeconds ${PERIOD_S}, failureThreshold ${FAILURE_THRESHOLD}: bound ${BOUND_MS} ms (period x failureThreshold + 1 period); readiness GET / every ${PERIOD_S} s`);
    console.log(`live (${lives.length} pods), from the failure (mtime of /www after rm /www/healthz):`);
    console.log(phaseLine('first failed probe', since(failure, first(unhealthy), lives)));
    console.log(phaseLine('kill decided (Killing)', since(failure, first(killing), lives), BOUND_MS));
    console.log(phaseLine('died (finishedAt)', liveDied, BOUND_MS));
    console.log(phaseLine('new container up', since(failure, upAt, lives), BOUND_MS));
    console.log(phaseLine('restartCount seen', since(failure, restartSeen, lives), BOUND_MS));
    console.log(phaseLine('Ready again', liveReady, BOUND_MS));
    const firstTry = lives.filter((n) => !lateReady.has(n));
    if (firstTry.length < lives.length) console.log(phaseLine(`  of which ${firstTry.length} ready at once`, since(failure, readyAgain, firstTry), BOUND_MS));
    console.log(`baseline (${bases.length} pods, same readiness probe, no liveness probe; kill 1 in the container), from its death (finishedAt):`);
    console.log(phaseLine('new container up', since(diedAt, upAt, bases)));
    console.log(phaseLine('restartCount seen', since(diedAt, restartSeen, bases)));
    console.log(phaseLine('Ready again', baseReady));
    const baseFirstTry = bases.filter((n) => !lateReady.has(n));
    if (baseFirstTry.length < bases.length) console.log(phaseLine(`  of which ${baseFirstTry.length} ready at once`, since(diedAt, readyAgain, baseFirstTry)));
    const l = summarize(liveReady.filter(Number.isFinite));
    const b = summarize(baseReady.filter(Number.isFinite));
    const d = summarize(liveDied.filter(Number.isFinite));
    console.log(`failure -> Ready again: p50 ${fmt(l.p50, 0)} ms = detection and kill (failure -> died) p50 ${fmt(d.p50, 0)} ms + the rest; a plain restart (died -> Ready again) p50 ${fmt(b.p50, 0)} ms`);
    const restarted = summarize(since(failure, restartSeen, lives).filter(Number.isFinite));
    const within = (x: { max: number; n: number }, bound = BOUND_MS) => (x.max <= bound && x.n === lives.length ? 'met' : 'NOT met');
    console.log(`   the probe's share of the p50: ${fmt((100 * d.p50) / l.p50, 0)}%; ratio live/baseline p50 ${fmt(l.p50 / b.p50, 2)}x`);
    console.log(`   goal, every container restarted (restartCount seen) within ${BOUND_MS} ms: ${within(restarted)}; every restarted container Ready within ${BOUND_MS} ms: ${within(l)}, within the bound + 1 readiness period (${BOUND_MS + PERIOD_S * 1000} ms): ${within(l, BOUND_MS + PERIOD_S * 1000)}`);
    console.log(`checks: liveness failures counted per live pod (Unhealthy event count) ${[...new Set(counts)].join('/')} (expected ${FAILURE_THRESHOLD}); exit codes of the dead instances ${[...exitCodes].join('/')}; new containers whose first readiness probe failed (probed before httpd listened: Ready one period later) ${lateReady.size} of ${names.length}; exec round trip (rm) p50 ${fmt(summarize(execMs).p50, 0)} ms max ${fmt(summarize(execMs).max, 0)} ms`);
    console.log(`machine load average (1 min) at the end of the ${fmt(windowSeconds, 1)} s measured window: ${fmt(loadAfter, 2)}`);
  } finally {
    stop.abort();
    await tracker.done;
    const left = await pods.list({ namespace: NS, labelSelector: `bench=${run}` }).catch(() => ({ items: [] as Pod[] }));
    await Promise.all(left.items.map((p) => pods.delete(NS, p.metadata?.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined)));
    client.close();
    await cluster.stop(); // also removes every container labelled with the run's node names
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
