/**
 * Issue 2 benchmarks: apiserver create throughput vs raw etcd puts, watch delivery latency to an
 * informer, List of 10,000 pods and the apiserver's memory with them stored.
 * Real etcd, NATS and the built apiserver, all on loopback. Run: npm run bench -- apiserver
 * Options: --creates N (default 5000), --list-pods N (default 10000), --rate N (500), --seconds N (10)
 */
import { Pod, objectFromManifest, unwrap } from '@skiff/api';
import { connectBus } from '@skiff/bus';
import { Informer, connect, typed } from '@skiff/client';
import { startApiserver, startEtcd, startNats, waitFor } from '@skiff/testing';
import { Command } from 'commander';
import { Etcd3 } from 'etcd3';
import { readFileSync } from 'node:fs';
import { fmt, runConcurrently, summarize } from './stats';

const opts = new Command()
  .option('--creates <n>', 'creates in the throughput test', '5000')
  .option('--in-flight <n>', 'concurrent requests', '64')
  .option('--list-pods <n>', 'pods stored for the List test', '10000')
  .option('--rate <n>', 'events per second in the watch latency test', '500')
  .option('--seconds <n>', 'duration of the watch latency test', '10')
  .parse()
  .opts();
const creates = Number(opts.creates);
const inFlight = Number(opts.inFlight);
const listPods = Number(opts.listPods);
const rate = Number(opts.rate);
const seconds = Number(opts.seconds);

function pod(name: string): Pod {
  const object = objectFromManifest({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'bench', tier: 'web' } },
    spec: {
      containers: [
        {
          name: 'web',
          image: '127.0.0.1:5000/skiff/busybox:latest',
          command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
        },
      ],
    },
  });
  return unwrap(object).object as Pod;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? NaN) / 1024;
}

async function main(): Promise<void> {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  const apiserver = await startApiserver({ etcd, nats, logLevel: 'warn' });
  const client = connect(apiserver.address);
  const pods = typed(client, 'pod');
  const raw = new Etcd3({ hosts: etcd.endpoint });
  const bus = await connectBus(nats.url, { name: 'bench' });
  const abort = new AbortController();
  try {
    console.log(`# apiserver benchmark (${creates} creates, ${inFlight} in flight; list of ${listPods}; watch at ${rate}/s for ${seconds}s)`);

    // 1. Create throughput vs raw etcd puts of the same bytes, same concurrency.
    const size = Pod.encode(pod('bench-00000')).finish().length;
    const value = Buffer.alloc(size, 7);
    await runConcurrently(500, inFlight, (i) => raw.put(`/bench/warm/${i}`).value(value)); // warm up
    await runConcurrently(200, inFlight, (i) => pods.create(pod(`warm-${i}`)));
    const etcdSeconds = await runConcurrently(creates, inFlight, (i) => raw.put(`/bench/raw/${i}`).value(value));
    const apiSeconds = await runConcurrently(creates, inFlight, (i) => pods.create(pod(`create-${i}`)));
    const etcdRate = creates / etcdSeconds;
    const apiRate = creates / apiSeconds;
    console.log(`create throughput: apiserver ${fmt(apiRate, 0)}/s, raw etcd put ${fmt(etcdRate, 0)}/s (${size} B values), ratio ${fmt(apiRate / etcdRate, 2)} (goal >= 0.5)`);

    // 2. Watch delivery latency: creates paced at `rate`/s, time from sending the create to the
    // informer's cache holding the object (an upper bound of commit-to-cache).
    const informer = new Informer({ client, bus, resource: 'pod', labelSelector: 'tier=latency' });
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const createLatencies: number[] = [];
    informer.addHandler({
      onAdd: (p) => {
        const sent = sentAt.get(p.metadata?.name ?? '');
        if (sent !== undefined) latencies.push(performance.now() - sent);
      },
    });
    void informer.start(abort.signal);
    await informer.synced();
    const total = rate * seconds;
    const started = performance.now();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const p = pod(`latency-${i}`);
      p.metadata!.labels = { app: 'bench', tier: 'latency' };
      const sent = performance.now();
      sentAt.set(p.metadata!.name, sent);
      writes.push(pods.create(p).then(() => createLatencies.push(performance.now() - sent)));
    }
    await Promise.all(writes);
    const achieved = total / ((performance.now() - started) / 1000);
    await waitFor('the informer to see every create', () => latencies.length >= total, { timeoutMs: 30_000 });
    const lat = summarize(latencies);
    const rpc = summarize(createLatencies);
    console.log(`watch delivery (create sent -> informer cache) at ${fmt(achieved, 0)}/s: p50 ${fmt(lat.p50)} ms, p90 ${fmt(lat.p90)} ms, p99 ${fmt(lat.p99)} ms, max ${fmt(lat.max)} ms over ${lat.n} events (goal p99 < 50 ms)`);
    console.log(`  for comparison, the create call itself (sent -> acknowledged): p50 ${fmt(rpc.p50)} ms, p99 ${fmt(rpc.p99)} ms, max ${fmt(rpc.max)} ms`);

    // 2b. Commit -> cache: the same rate of pods written straight to etcd (as the apiserver
    // stores them), timed from the put being sent (an upper bound of its commit) to the cache.
    const committedAt = new Map<string, number>();
    const pipeline: number[] = [];
    const putLatencies: number[] = [];
    informer.addHandler({
      onAdd: (p) => {
        const at = committedAt.get(p.metadata?.name ?? '');
        if (at !== undefined) pipeline.push(performance.now() - at);
      },
    });
    const rawStarted = performance.now();
    const puts: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = rawStarted + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const p = pod(`commit-${i}`);
      p.metadata!.labels = { app: 'bench', tier: 'latency' };
      p.metadata!.uid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      p.metadata!.creationTimestamp = new Date();
      p.metadata!.generation = 1;
      const bytes = Buffer.from(Pod.encode(p).finish());
      const putAt = performance.now();
      committedAt.set(p.metadata!.name, putAt);
      puts.push(raw.put(`/registry/pods/default/${p.metadata!.name}`).value(bytes).then(() => putLatencies.push(performance.now() - putAt)));
    }
    await Promise.all(puts);
    await waitFor('the informer to see every committed pod', () => pipeline.length >= total, { timeoutMs: 30_000 });
    const pipe = summarize(pipeline);
    const putLat = summarize(putLatencies);
    console.log(`  etcd put (sent -> acknowledged): p50 ${fmt(putLat.p50)} ms, p99 ${fmt(putLat.p99)} ms`);
    console.log(`watch delivery (etcd commit -> informer cache) at ${rate}/s: p50 ${fmt(pipe.p50)} ms, p90 ${fmt(pipe.p90)} ms, p99 ${fmt(pipe.p99)} ms, max ${fmt(pipe.max)} ms over ${pipe.n} events (goal p99 < 50 ms)`);

    // 3. List of `listPods` pods, against a raw etcd range of the same keys.
    const have = (await client.list('pods', { namespace: 'default' })).items.length;
    const more = Math.max(0, listPods - have);
    await runConcurrently(more, inFlight, (i) => pods.create(pod(`list-${i}`)));
    const listTimes: number[] = [];
    const rawTimes: number[] = [];
    let listed = 0;
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      listed = (await client.list('pods')).items.length;
      listTimes.push(performance.now() - t);
      t = performance.now();
      await raw.getAll().prefix('/registry/pods/').buffers();
      rawTimes.push(performance.now() - t);
    }
    const list = summarize(listTimes);
    const rawList = summarize(rawTimes);
    console.log(`list ${listed} pods: median ${fmt(list.p50, 0)} ms (raw etcd range of the same keys ${fmt(rawList.p50, 0)} ms, ratio ${fmt(list.p50 / rawList.p50, 2)}) (goal < 500 ms)`);
    const metrics = await (await fetch(`http://${apiserver.metricsAddress}/metrics`)).text();
    const failures = metrics.split('\n').filter((l) => l.startsWith('skiff_apiserver_watch_publish_failures_total'));
    console.log(`watch publisher refusals/failures during the run: ${failures.length ? failures.join(', ') : 'none'}`);
    const pid = apiserver.process.child.pid!;
    console.log(`apiserver RSS with ${listed} pods stored: ${fmt(rssMiB(pid), 0)} MiB`);
  } finally {
    abort.abort();
    client.close();
    raw.close();
    await bus.close();
    await apiserver.stop();
    await Promise.all([etcd.stop(), nats.stop()]);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
