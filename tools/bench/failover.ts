/**
 * Issue 12 "HA" benchmark: how long the control plane stalls when one member dies (goals < 5 s).
 *   1. SIGKILL of the publishing apiserver -> the next watch event delivered to an informer (for a
 *      write made after the kill);
 *   2. SIGKILL of the etcd leader -> the next acknowledged write (made after the kill).
 * On five test hosts (network namespaces, libs/testing test-hosts.ts; run as root):
 * s1-s3 with an etcd member and a NATS server each (watch stream R3), c1 and c2 with an apiserver,
 * scheduler and controller-manager each, every process a built app from its config file. A writer creates one ConfigMap every 20 ms through a client of both apiservers, and an informer
 * (through both apiservers and the NATS cluster) records when each arrives. The baseline, in the
 * same run: the write -> informer delay with nothing killed (median). Each kill is repeated
 * `--rounds` times (the victim restarted in between); figures are the median and the worst, with
 * the goal ratio (figure / 5 s).
 * Run as root: npm run bench -- failover [--rounds 3] [--timeout 30]
 */
import { ConfigMap } from '@skiff/api';
import { connectBus } from '@skiff/bus';
import { connect, Informer, typed } from '@skiff/client';
import { startMultiHostCluster } from '@skiff/testing';
import { Command } from 'commander';
import { fmt, summarize } from './stats';

const opts = new Command()
  .option('--rounds <n>', 'kills of each kind', '3')
  .option('--timeout <s>', 'give up waiting for recovery after this many seconds', '30')
  .parse()
  .opts();
const rounds = Math.max(1, Math.min(Number(opts.rounds), 10));
const timeoutMs = Number(opts.timeout) * 1000;
const GOAL_MS = 5_000;
const NS = 'default';

async function until<T>(what: string, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main(): Promise<void> {
  console.log('failover: starting 5 test hosts (3 x etcd + NATS, 2 x apiserver + scheduler + controller-manager)');
  const cluster = await startMultiHostCluster({ ha: { stores: 3, controlPlanes: 2 }, workers: 0, logLevel: 'error' });
  const etcd = cluster.etcd!;
  const stop = new AbortController();
  let client: ReturnType<typeof connect> | undefined;
  let bus: Awaited<ReturnType<typeof connectBus>> | undefined;
  try {
    bus = await connectBus(cluster.nats!.urls, { name: 'failover-bench' });
    client = connect(cluster.address);
    const configMaps = typed(client, 'configMap');

    // Write i: started at sent[i], acknowledged at acked[i], seen by the informer at seen[i] (ms, performance.now()).
    const sent: number[] = [];
    const acked: number[] = [];
    const seen: number[] = [];
    const informer = new Informer({ client, bus, resource: 'configMap', namespace: NS });
    informer.addHandler({
      onAdd: (cm) => {
        const i = Number(cm.metadata?.name?.split('-')[1]);
        if (Number.isInteger(i) && seen[i] === undefined) seen[i] = performance.now();
      },
    });
    const informing = informer.start(stop.signal);
    await informer.synced();

    const writer = (async () => {
      for (let i = 0; !stop.signal.aborted; i++) {
        sent[i] = performance.now();
        // One attempt per write: a failed one is not retried (the next write comes 20 ms later).
        configMaps.create(ConfigMap.fromPartial({ metadata: { name: `fo-${i}`, namespace: NS }, data: { i: String(i) } }), { timeoutMs: 10_000 }).then(
          () => (acked[i] = performance.now()),
          () => undefined,
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    /** Of the writes started after `at`, the earliest time `times` holds so far (undefined: none yet). */
    const firstAfter = (times: number[], at: number) => () => {
      let first = sent.length;
      while (first > 0 && sent[first - 1] > at) first--;
      let earliest: number | undefined;
      for (let j = first; j < sent.length; j++) if (times[j] !== undefined && (earliest === undefined || times[j] < earliest)) earliest = times[j];
      return earliest;
    };

    // Baseline: write -> informer, nothing killed.
    await new Promise((r) => setTimeout(r, 3_000));
    const baselineDelays = seen.map((t, i) => t - sent[i]).filter((d) => Number.isFinite(d));
    const baseline = summarize(baselineDelays);

    const apiserverMs: number[] = [];
    const etcdMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const victim = (await cluster.publishingControlPlane()).apiserver;
      await victim.kill();
      const killedAt = performance.now();
      const deliveredAt = await until('an event after the apiserver was killed', firstAfter(seen, killedAt));
      apiserverMs.push(deliveredAt - killedAt);
      await victim.restart();

      const leader = await etcd.leader();
      await leader.kill();
      const etcdKilledAt = performance.now();
      const ackAt = await until('a write acknowledged after the etcd leader was killed', firstAfter(acked, etcdKilledAt));
      etcdMs.push(ackAt - etcdKilledAt);
      await leader.restart();
      await new Promise((r) => setTimeout(r, 1_000)); // let the writer run a steady second
    }
    stop.abort();
    await writer;
    await informing;

    const line = (what: string, samples: number[]) => {
      const s = summarize(samples);
      return `  ${what.padEnd(44)} median ${fmt(s.p50 / 1000, 2)} s, worst ${fmt(s.max / 1000, 2)} s of ${s.n}   goal < 5 s: ${fmt(s.max / GOAL_MS, 2)}x the goal (${s.max < GOAL_MS ? 'met' : 'NOT met'})`;
    };
    console.log(`failover: 3 etcd members, 3 NATS servers (watch stream R3), 2 apiservers on test hosts; a ConfigMap written every 20 ms through a client of both`);
    console.log(`  baseline write -> informer, nothing killed: median ${fmt(baseline.p50, 1)} ms, p99 ${fmt(baseline.p99, 1)} ms (${baseline.n} writes)`);
    console.log(line('SIGKILL publishing apiserver -> next event', apiserverMs));
    console.log(line('SIGKILL etcd leader -> next acknowledged write', etcdMs));
    console.log(`  (${sent.length} writes sent, ${acked.filter(Boolean).length} acknowledged, ${seen.filter(Boolean).length} seen by the informer)`);
  } finally {
    stop.abort();
    client?.close();
    await bus?.close().catch(() => undefined);
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
