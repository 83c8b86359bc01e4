/**
 * Issue 2 benchmarks: apiserver create throughput vs raw etcd puts, watch delivery latency to an
 * informer, List of 10,000 pods and the apiserver's memory with them stored.
 * Real etcd, NATS and the built apiserver, all on loopback. Run: npm run bench -- apiserver
 * Options: --creates N (default 5000), --list-pods N (default 10000), --rate N (500), --seconds N (10)
 */
import { Namespace, Pod, kindFor, objectFromManifest, unwrap, wrap } from '@skiff/api';
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

let raw: Etcd3;

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

/** The baseline for List: the same keys read straight from etcd in pages of 1,000 at one revision. */
async function rawPagedList(prefix: string): Promise<number> {
  let count = 0;
  let revision: string | undefined;
  let from = Buffer.from(prefix);
  const end = Buffer.from(prefix);
  end[end.length - 1]++;
  for (;;) {
    const res = await raw.kv.range({ key: from, range_end: end, limit: '1000', revision });
    revision ??= res.header.revision;
    count += res.kvs.length;
    if (!res.more || res.kvs.length === 0) return count;
    from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
  }
}

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
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
  raw = new Etcd3({ hosts: etcd.endpoint });
  const bus = await connectBus(nats.url, { name: 'bench' });
  const abort = new AbortController();
  try {
    console.log(`# apiserver benchmark (${creates} creates, ${inFlight} in flight; list of ${listPods}; watch at ${rate}/s for ${seconds}s)`);

    // 1. Create throughput vs raw etcd puts of the same bytes, same concurrency.
    const size = Pod.encode(pod('bench-00000')).finish().length;
    const value = Buffer.alloc(size, 7);
    // Warm both paths up alike (JIT, connections) before measuring.
    await runConcurrently(2000, inFlight, (i) => raw.put(`/bench/warm/${i}`).value(value).exec());
    await runConcurrently(2000, inFlight, (i) => pods.create(pod(`warm-${i}`)));
    const etcdSeconds = await runConcurrently(creates, inFlight, (i) => raw.put(`/bench/raw/${i}`).value(value).exec());
    const cpuBefore = cpuMs(apiserver.process.child.pid!);
    const apiSeconds = await runConcurrently(creates, inFlight, (i) => pods.create(pod(`create-${i}`)));
    const cpuPerCreate = (cpuMs(apiserver.process.child.pid!) - cpuBefore) / creates;
    const etcdRate = creates / etcdSeconds;
    const apiRate = creates / apiSeconds;
    console.log(`create throughput: apiserver ${fmt(apiRate, 0)}/s, raw etcd put ${fmt(etcdRate, 0)}/s (${size} B values), ratio ${fmt(apiRate / etcdRate, 2)} (goal >= 0.5)`);
    console.log(`  apiserver CPU per create (user + system, from /proc): ${fmt(cpuPerCreate, 3)} ms`);

    // 2. Watch delivery latency at `rate` events/s: from a write being sent to the informer's
    // cache holding the object. (a) creates through the API; (b) the same pods written straight
    // to etcd as the apiserver stores them, so the write is one etcd put and the figure is
    // commit -> cache (the put's send time bounds its commit from above).
    const informer = new Informer({ client, bus, resource: 'pod', labelSelector: 'tier=latency' });
    const sentAt = new Map<string, number>();
    let delivered: number[] = [];
    informer.addHandler({
      onAdd: (p) => {
        const sent = sentAt.get(p.metadata?.name ?? '');
        if (sent !== undefined) delivered.push(performance.now() - sent);
      },
    });
    void informer.start(abort.signal);
    await informer.synced();
    const total = rate * seconds;

    /** Sends `total` writes paced at `rate`/s; returns delivery and write-call latencies. */
    const deliveryRun = async (prefix: string, write: (p: Pod, i: number) => Promise<unknown>) => {
      delivered = [];
      const calls: number[] = [];
      const writes: Promise<unknown>[] = [];
      const started = performance.now();
      for (let i = 0; i < total; i++) {
        const wait = started + (i * 1000) / rate - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const p = pod(`${prefix}-${i}`);
        p.metadata!.labels = { app: 'bench', tier: 'latency' };
        const sent = performance.now();
        sentAt.set(p.metadata!.name, sent);
        writes.push(write(p, i).then(() => calls.push(performance.now() - sent)));
      }
      await Promise.all(writes);
      const achieved = total / ((performance.now() - started) / 1000);
      await waitFor(`the informer to see every ${prefix} pod`, () => delivered.length >= total, { timeoutMs: 30_000 });
      return { achieved, delivery: summarize(delivered), call: summarize(calls) };
    };

    const viaApi = await deliveryRun('latency', (p) => pods.create(p));
    console.log(`watch delivery (create sent -> informer cache) at ${fmt(viaApi.achieved, 0)}/s: p50 ${fmt(viaApi.delivery.p50)} ms, p90 ${fmt(viaApi.delivery.p90)} ms, p99 ${fmt(viaApi.delivery.p99)} ms, max ${fmt(viaApi.delivery.max)} ms over ${viaApi.delivery.n} events`);
    console.log(`  the create call itself (sent -> acknowledged): p50 ${fmt(viaApi.call.p50)} ms, p99 ${fmt(viaApi.call.p99)} ms, max ${fmt(viaApi.call.max)} ms`);
    const viaEtcd = await deliveryRun('commit', (p, i) => {
      p.metadata!.uid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      p.metadata!.creationTimestamp = new Date();
      p.metadata!.generation = 1;
      return raw.put(`/registry/pods/default/${p.metadata!.name}`).value(Buffer.from(Pod.encode(p).finish())).exec();
    });
    console.log(`watch delivery (etcd commit -> informer cache) at ${fmt(viaEtcd.achieved, 0)}/s: p50 ${fmt(viaEtcd.delivery.p50)} ms, p90 ${fmt(viaEtcd.delivery.p90)} ms, p99 ${fmt(viaEtcd.delivery.p99)} ms, max ${fmt(viaEtcd.delivery.max)} ms over ${viaEtcd.delivery.n} events (goal p99 < 50 ms)`);
    console.log(`  the etcd put itself (sent -> acknowledged): p50 ${fmt(viaEtcd.call.p50)} ms, p99 ${fmt(viaEtcd.call.p99)} ms`);

    // 3. List of exactly `listPods` pods (in a namespace of their own), against a raw paged
    // etcd read of the same keys.
    await client.create(wrap(kindFor('namespaces'), Namespace.fromPartial({ metadata: { name: 'bench-list' } })));
    await runConcurrently(listPods, inFlight, (i) => {
      const p = pod(`list-${i}`);
      p.metadata!.namespace = 'bench-list';
      return pods.create(p);
    });
    const listTimes: number[] = [];
    const rawTimes: number[] = [];
    let listed = 0;
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      listed = (await client.list('pods', { namespace: 'bench-list' })).items.length;
      listTimes.push(performance.now() - t);
      t = performance.now();
      await rawPagedList('/registry/pods/bench-list/');
      rawTimes.push(performance.now() - t);
    }
    const list = summarize(listTimes);
    const rawList = summarize(rawTimes);
    const stored = (await client.list('pods')).items.length;
    console.log(`list ${listed} pods: median ${fmt(list.p50, 0)} ms (raw paged etcd read of the same keys ${fmt(rawList.p50, 0)} ms, ratio ${fmt(list.p50 / rawList.p50, 2)}) (goal < 500 ms)`);
    const metrics = await (await fetch(`http://${apiserver.metricsAddress}/metrics`)).text();
    const failures = metrics.split('\n').filter((l) => l.startsWith('skiff_apiserver_watch_publish_failures_total'));
    const lag = metrics
      .split('\n')
      .filter((l) => l.startsWith('skiff_apiserver_watch_publish_lag_seconds_bucket'))
      .map((l) => ({ le: Number(/le="([^"]+)"/.exec(l)?.[1]), count: Number(l.split(' ').pop()) }));
    const all = lag.find((b) => !Number.isFinite(b.le))?.count ?? 0;
    const p99Bucket = lag.find((b) => b.count >= 0.99 * all);
    console.log(`publisher lag (etcd event received -> NATS ack), p99 at most ${p99Bucket ? fmt(p99Bucket.le * 1000, 0) : '?'} ms over ${all} events (histogram bucket)`);
    console.log(`watch publisher refusals/failures during the run: ${failures.length ? failures.join(', ') : 'none'}`);
    const pid = apiserver.process.child.pid!;
    console.log(`apiserver RSS with ${stored} pods stored: ${fmt(rssMiB(pid), 0)} MiB`);
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
