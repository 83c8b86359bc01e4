/**
 * The highly available control plane's storage and watch half (issue 12 "HA"): two apiserver
 * processes on a 3-member etcd cluster and a 3-server NATS cluster with the watch stream at R3.
 * Writes go to both apiservers while one apiserver, the etcd leader and the NATS stream leader
 * are SIGKILLed in turn: every acknowledged write is in etcd and on the stream, each revision
 * once and in order, and the surviving apiserver carries on publishing at once.
 */
import { WatchEvent } from '@skiff/api';
import { connectBus, WATCH_STREAM, type BusConnection } from '@skiff/bus';
import { startApiserver, startEtcdCluster, startNatsCluster, waitFor, type EtcdCluster, type NatsCluster } from '@skiff/testing';
import { configMap, meta, startTestEnv } from './apiserver-test-env.spec-helper';
import { rawApi, type RawApi } from './raw-api-client.spec-helper';

let etcd: EtcdCluster;
let nats: NatsCluster;
let bus: BusConnection;
/** apiservers a test started, stopped in afterAll too (a failed test does not leave them running). */
const started: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcdCluster(3), startNatsCluster(3)]);
  bus = await connectBus(nats.urls, { name: 'ha-test' });
}, 60_000);

afterAll(async () => {
  await Promise.all(started.splice(0).map((a) => a.stop().catch(() => undefined)));
  await bus?.close();
  await Promise.all([etcd?.stop(), nats?.stop()]);
}, 30_000);

async function waitForReplicas(count: number): Promise<void> {
  await waitFor(`the watch stream to have ${count} current replicas`, async () => {
    const replicas = await nats.streamReplicas(WATCH_STREAM);
    return replicas.length === count && replicas.every((r) => r.current);
  }, { timeoutMs: 30_000, intervalMs: 200 });
}

/** The stream's events from sequence `from` on. */
async function streamEvents(from = 1): Promise<WatchEvent[]> {
  const info = await bus.manager.streams.info(WATCH_STREAM);
  const events: WatchEvent[] = [];
  for (let seq = Math.max(from, info.state.first_seq); seq <= info.state.last_seq; seq++) {
    events.push(WatchEvent.decode((await bus.manager.streams.getMessage(WATCH_STREAM, { seq })).data));
  }
  return events;
}

describe('highly available apiservers', () => {
  it('creates the watch stream with the configured replicas (watchStreamReplicas: 3)', async () => {
    const env = await startTestEnv(
      { etcd: { endpoint: etcd.endpoints[0], stop: async () => undefined }, nats: { url: nats.urls[0], stop: async () => undefined } },
      { etcd: etcd.endpoints, nats: nats.urls, watchStreamReplicas: 3 },
    );
    try {
      await env.api.create(configMap('replicated'));
      await waitForReplicas(3);
      expect((await bus.manager.streams.info(WATCH_STREAM)).config.num_replicas).toBe(3);
    } finally {
      await env.stop();
    }
  }, 60_000);

  it('keeps every acknowledged write, each revision once and in order, while an apiserver, the etcd leader and the stream leader die', async () => {
    const first = await startApiserver({ etcd, nats, logLevel: 'warn' });
    const second = await startApiserver({ etcd, nats, logLevel: 'warn' });
    started.push(first, second);
    const clients: RawApi[] = [rawApi(first.address), rawApi(second.address)];
    const startSeq = (await bus.manager.streams.info(WATCH_STREAM)).state.last_seq + 1;
    const acked = new Map<string, number>(); // name -> revision acknowledged
    let failures = 0;
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `w${w}-${i}`;
        // Alternate apiservers; a dead one's calls fail (UNAVAILABLE) and the next goes to the other.
        const api = clients[(w + i) % 2];
        try {
          acked.set(name, Number(meta(await api.create(configMap(name))).resourceVersion));
        } catch {
          failures++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    const ackedAfter = async (what: string, since: number, extra = 20) =>
      waitFor(what, () => [...acked.values()].filter((rev) => rev > since).length >= extra, { timeoutMs: 20_000, intervalMs: 50 });
    const lastRevision = () => Math.max(0, ...acked.values());
    let apiserverFailoverMs = 0;
    try {
      await ackedAfter('writes to flow', 0, 50);

      // 1. SIGKILL the first apiserver: the second publishes what is written from then on.
      await first.kill();
      const killedAt = Date.now();
      const before = lastRevision();
      await ackedAfter('writes after the apiserver died', before, 1);
      const firstNew = Math.min(...[...acked.values()].filter((rev) => rev > before));
      await waitFor('the stream to carry a write made after the kill', async () => {
        const info = await bus.manager.streams.info(WATCH_STREAM);
        const last = await bus.manager.streams.getMessage(WATCH_STREAM, { seq: info.state.last_seq });
        return Number(last.header.get('Nats-Msg-Id')) >= firstNew;
      }, { timeoutMs: 10_000, intervalMs: 20 });
      apiserverFailoverMs = Date.now() - killedAt;

      // 2. SIGKILL the etcd leader.
      const leader = await etcd.leader();
      await leader.kill();
      await ackedAfter('writes after the etcd leader died', lastRevision());
      await leader.restart();

      // 3. SIGKILL the NATS server leading the watch stream.
      const streamLeader = (await nats.streamReplicas(WATCH_STREAM)).find((r) => r.leader)!;
      const natsMember = nats.members.find((m) => m.name === streamLeader.name)!;
      await natsMember.kill();
      await ackedAfter('writes after the stream leader died', lastRevision());
      await natsMember.restart();

      await first.restart();
      await ackedAfter('writes through the restarted apiserver', lastRevision(), 40);
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    console.log(`ha apiservers: ${acked.size} writes acknowledged, ${failures} failed; publishing resumed ${apiserverFailoverMs} ms after the apiserver was killed`);

    // Every acknowledged write is in etcd ...
    const listed = await clients[1].list({ resource: 'configmaps', namespace: 'default' });
    const stored = new Map(listed.items.map((o) => [meta(o).name!, Number(meta(o).resourceVersion)]));
    for (const [name, rev] of acked) expect(stored.get(name)).toBe(rev);
    // ... and on the stream, each revision once and in order.
    const last = lastRevision();
    const events = await waitFor('the stream to reach the last write', async () => {
      const evs = await streamEvents(startSeq);
      return evs.length && evs[evs.length - 1].revision >= last ? evs : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const revisions = events.map((e) => e.revision);
    for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThan(revisions[i - 1]);
    expect(new Set(revisions).size).toBe(revisions.length);
    const onStream = new Set(revisions);
    for (const rev of acked.values()) expect(onStream.has(rev)).toBe(true);

    await waitForReplicas(3);
    expect(await etcd.healthy()).toBe(true);
    for (const c of clients) c.close();
    await Promise.all([first.stop(), second.stop()]);
  }, 150_000);
});
