import { Pod, type WatchEvent } from '@skiff/api';
import { startNatsCluster, waitFor, type NatsCluster } from '@skiff/testing';
import { connectBus, type BusConnection } from './connection';
import { ensureWatchStream } from './watch-stream';
import { WatchPublisher } from './watch-publisher';
import { BusResetError, subscribeWatch } from './watch-subscription';
import { WATCH_STREAM } from './subjects';
import { collect } from './collect-messages.test-helper';

function podEvent(revision: number, name: string): WatchEvent {
  const object = { kind: { $case: 'pod' as const, value: Pod.fromPartial({ metadata: { name, namespace: 'default', resourceVersion: String(revision) } }) } };
  return { type: 'ADDED', object, revision, resource: 'pods', namespace: 'default', name };
}


/** Publishes revisions from..to, each expecting the one before; retries a publish whose outcome is unknown after resyncing. */
async function publishRange(p: WatchPublisher, from: number, to: number, timeoutMs = 60_000): Promise<void> {
  let rev = from;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (rev <= to) {
    if (Date.now() > deadline) throw new Error(`publishing revisions ${from}..${to}: stuck at ${rev} after ${timeoutMs} ms: ${String(lastError)}`);
    try {
      const last = (await p.lastPublished())?.revision ?? 0;
      rev = last + 1;
      for (; rev <= to; rev++) await p.publish(podEvent(rev, `p${rev}`), rev - 1, { pods: rev }, rev - 1);
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 100)); // the stream elects a new leader: try again
    }
  }
}

describe('watch stream on a 3-server NATS cluster', () => {
  let nats: NatsCluster;
  let bus: BusConnection;
  const controllers: AbortController[] = [];

  beforeAll(async () => {
    nats = await startNatsCluster(3);
    bus = await connectBus(nats.urls, { name: 'bus-cluster-spec' });
  }, 60_000);

  afterAll(async () => {
    for (const c of controllers) c.abort();
    await bus?.close();
    await nats?.stop();
  }, 30_000);

  it('raises an R1 stream to R3 without losing events, and never lowers it', async () => {
    await ensureWatchStream(bus, { replicas: 1 });
    expect((await bus.manager.streams.info(WATCH_STREAM)).config.num_replicas).toBe(1);
    const p = new WatchPublisher(bus);
    await publishRange(p, 1, 20);

    await ensureWatchStream(bus, { replicas: 3 });
    await waitFor('3 current replicas', async () => {
      const replicas = await nats.streamReplicas(WATCH_STREAM);
      return replicas.length === 3 && replicas.every((r) => r.current);
    }, { timeoutMs: 20_000, intervalMs: 200 });
    const info = await bus.manager.streams.info(WATCH_STREAM);
    expect(info.config.num_replicas).toBe(3);
    expect(info.state.messages).toBe(20);

    await ensureWatchStream(bus); // an apiserver with the default
    expect((await bus.manager.streams.info(WATCH_STREAM)).config.num_replicas).toBe(3);
  }, 40_000);

  it('keeps every event and carries on when the stream leader dies, with clients on it failing over', async () => {
    const leaderName = (await nats.streamReplicas(WATCH_STREAM)).find((r) => r.leader)!.name;
    const leader = nats.members.find((m) => m.name === leaderName)!;
    // A client on the leader, given every server (listed leader first; nats.js shuffles, so only
    // the leader is listed at first and the cluster tells it the others).
    const onLeader = await connectBus([leader.url], { name: 'on-leader' });
    const statuses: string[] = [];
    onLeader.onStatus((s) => statuses.push(s.type));
    expect(onLeader.nats.info?.server_name).toBe(leaderName);
    const controller = new AbortController();
    controllers.push(controller);
    const sub = subscribeWatch(onLeader, 'pods', controller.signal, { heartbeatMs: 500 });
    await sub.ready;
    const got = collect(sub);

    const p = new WatchPublisher(bus, { timeoutMs: 2_000 });
    await publishRange(p, 21, 30);
    await leader.kill();
    const started = Date.now();
    await publishRange(p, 31, 60);
    const failoverMs = Date.now() - started;
    await waitFor('the client on the dead leader to reconnect elsewhere', () => statuses.includes('reconnect') && onLeader.nats.info?.server_name !== leaderName, { timeoutMs: 15_000 });

    await waitFor('the subscription to reset or go on', () => got.done || got.messages.length >= 40, { timeoutMs: 15_000 });
    if (got.done) expect(got.error).toBeInstanceOf(BusResetError); // never a silent stop

    const info = await bus.manager.streams.info(WATCH_STREAM);
    expect(info.state.last_seq).toBe(60);
    expect(info.state.messages).toBe(60);
    // Each revision once, in order: message i holds revision i.
    for (const seq of [1, 21, 31, 45, 60]) {
      const msg = await bus.manager.streams.getMessage(WATCH_STREAM, { seq });
      expect(msg.header.get('Nats-Msg-Id')).toBe(String(seq));
    }

    // A fresh subscription on the surviving servers sees what comes next.
    // (as an informer does: a failed subscription is tried again after a backoff)
    const subscribedAt = Date.now();
    const sub2 = await waitFor('a new subscription', async () => {
      const s = subscribeWatch(onLeader, 'pods', controller.signal, { heartbeatMs: 500 });
      await s.ready;
      return s;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    console.log(`stream failover: publishing again after ${failoverMs} ms; new subscription after ${Date.now() - subscribedAt} ms`);
    const got2 = collect(sub2);
    await publishRange(p, 61, 61);
    await waitFor('revision 61', () => got2.messages.some((m) => m.event.revision === 61));

    await new WatchPublisher(onLeader).lastPublished(); // the failed-over client reads the stream too
    // The killed server rejoins and catches up.
    await leader.restart();
    let seen: unknown;
    await waitFor('3 current replicas again', async () => {
      const replicas = await nats.streamReplicas(WATCH_STREAM);
      seen = replicas;
      return replicas.length === 3 && replicas.every((r) => r.current);
    }, { timeoutMs: 30_000, intervalMs: 250 }).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(seen)}`);
    });
    controller.abort();
    await onLeader.close();
  }, 180_000);
});
