import { Pod, type ApiObject, type WatchEvent } from '@skiff/api';
import { startNats, waitFor, type NatsServer } from '@skiff/testing';
import { connectBus, type BusConnection } from './connection';
import { ensureWatchStream } from './watch-stream';
import { WatchPublisher, WrongLastRevisionError } from './watch-publisher';
import { BusResetError, subscribeWatch } from './watch-subscription';
import { WATCH_STREAM } from './subjects';
import { collect } from './collect-messages.test-helper';

function podEvent(revision: number, name: string, type = 'ADDED', resource = 'pods'): WatchEvent {
  const object: ApiObject = {
    kind: { $case: 'pod', value: Pod.fromPartial({ metadata: { name, namespace: 'default', resourceVersion: String(revision) } }) },
  };
  return { type, object, revision, resource, namespace: 'default', name };
}


describe('watch stream on a real nats-server', () => {
  let nats: NatsServer;
  let bus: BusConnection;
  const controllers: AbortController[] = [];

  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus(nats.url, { name: 'bus-spec' });
    await ensureWatchStream(bus, { maxAgeMs: 3_600_000 });
  }, 30_000);

  afterAll(async () => {
    for (const c of controllers) c.abort();
    await bus?.close();
    await nats?.stop();
  });

  function signal(): AbortSignal {
    const c = new AbortController();
    controllers.push(c);
    return c.signal;
  }

  async function purge(): Promise<void> {
    await bus.manager.streams.purge(WATCH_STREAM);
  }

  it('creates the stream idempotently with the agreed configuration', async () => {
    await ensureWatchStream(bus, { maxAgeMs: 3_600_000, maxMsgs: 5_000 });
    const info = await bus.manager.streams.info(WATCH_STREAM);
    expect(info.config.subjects).toEqual(['skiff.watch.>']);
    expect(info.config.storage).toBe('file');
    expect(info.config.retention).toBe('limits');
    expect(info.config.max_msgs).toBe(5_000);
    expect(info.config.duplicate_window).toBeGreaterThan(0);
  });

  it('publishes in order and refuses a repeated or out-of-order revision', async () => {
    await purge();
    const a = new WatchPublisher(bus);
    expect(await a.lastPublished()).toBeUndefined();
    await a.publish(podEvent(10, 'a'), 0, { pods: 10 }, 0);
    await a.publish(podEvent(11, 'b'), 10, { pods: 11 }, 10);

    // The same revision with the same expectation again: refused, not stored twice.
    const again = a.publish(podEvent(11, 'b'), 10, { pods: 11 }, 10);
    await expect(again).rejects.toBeInstanceOf(WrongLastRevisionError);

    // A second publisher that lags (expects 10, the stream is at 11): refused.
    const b = new WatchPublisher(bus);
    await expect(b.publish(podEvent(12, 'c'), 11, { pods: 12 }, 10)).rejects.toMatchObject({ name: 'WrongLastRevisionError', duplicate: false });
    // After reading the position, it goes on.
    expect(await b.lastPublished()).toEqual({ revision: 11, resourceRevisions: { pods: 11 } });
    await b.publish(podEvent(12, 'c'), 11, { pods: 12 }, 11);
    // Now `a` is the one lagging.
    await expect(a.publish(podEvent(12, 'c'), 11, { pods: 12 }, 11)).rejects.toBeInstanceOf(WrongLastRevisionError);
    await expect(a.publish(podEvent(13, 'd'), 11, { pods: 13 }, 11)).rejects.toBeInstanceOf(WrongLastRevisionError);

    const info = await bus.manager.streams.info(WATCH_STREAM);
    expect(info.state.messages).toBe(3);
  });

  it('two publishers racing from the same position: exactly one wins each revision', async () => {
    await purge();
    const [a, b] = [new WatchPublisher(bus), new WatchPublisher(bus)];
    await a.publish(podEvent(1, 'x'), 0, { pods: 1 }, 0);
    await Promise.all([a.lastPublished(), b.lastPublished()]);
    const results = await Promise.allSettled([a.publish(podEvent(2, 'y'), 1, { pods: 2 }, 1), b.publish(podEvent(2, 'y'), 1, { pods: 2 }, 1)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const info = await bus.manager.streams.info(WATCH_STREAM);
    expect(info.state.messages).toBe(2);
  });

  it('delivers one resource in order, from now on, and ends when aborted', async () => {
    await purge();
    const p = new WatchPublisher(bus);
    await p.publish(podEvent(1001, 'before'), 0, { pods: 1001 }, 0);
    const controller = new AbortController();
    const sub = subscribeWatch(bus, 'pods', controller.signal, { heartbeatMs: 500 });
    await sub.ready;
    const got = collect(sub);
    let rev = 1001;
    for (let i = 0; i < 200; i++) {
      const resource = i % 3 === 0 ? 'nodes' : 'pods';
      await p.publish(podEvent(rev + 1, `p${i}`, 'MODIFIED', resource), rev, {}, rev);
      rev++;
    }
    const expected = Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => i + 1002);
    await waitFor('all pod events', () => got.messages.length >= expected.length, { timeoutMs: 10_000 });
    expect(got.messages.map((m) => m.event.revision)).toEqual(expected);
    expect(got.messages.every((m) => m.event.resource === 'pods')).toBe(true);
    expect(got.messages[1].prevRevision).toBe(got.messages[0].event.revision);
    controller.abort();
    await waitFor('the iteration to end', () => got.done);
    expect(got.error).toBeUndefined();
  }, 20_000);

  it('resets the subscription when its consumer is deleted', async () => {
    const sub = subscribeWatch(bus, 'pods', signal(), { heartbeatMs: 300 });
    await sub.ready;
    const got = collect(sub);
    const consumers = [];
    for await (const c of await bus.manager.consumers.list(WATCH_STREAM)) consumers.push(c);
    for (const c of consumers) await bus.manager.consumers.delete(WATCH_STREAM, c.name);
    await waitFor('a reset', () => got.done, { timeoutMs: 5_000 });
    expect(got.error).toBeInstanceOf(BusResetError);
  }, 10_000);

  it('survives a nats-server restart: the position is read back, publishing resumes, subscribers reset', async () => {
    await purge();
    const p = new WatchPublisher(bus);
    await p.lastPublished();
    for (let rev = 2001; rev <= 2005; rev++) await p.publish(podEvent(rev, `r${rev}`), rev - 1, { pods: rev, nodes: 0 }, rev === 2001 ? 0 : rev - 1);
    const sub = subscribeWatch(bus, 'pods', signal(), { heartbeatMs: 500 });
    await sub.ready;
    const got = collect(sub);

    await nats.process.kill();
    await nats.restart();
    await waitFor('a reset', () => got.done, { timeoutMs: 10_000 });
    expect(got.error).toBeInstanceOf(BusResetError);

    // The same connection reconnects by itself.
    const restarted = new WatchPublisher(bus);
    const position = await waitFor('the stream to answer', () => restarted.lastPublished(), { timeoutMs: 10_000 });
    expect(position).toEqual({ revision: 2005, resourceRevisions: { pods: 2005, nodes: 0 } });
    await restarted.publish(podEvent(2006, 'r6'), 2005, { pods: 2006 }, 2005);
    // A publisher that did not read the position uses the last message id.
    const other = new WatchPublisher(bus);
    await expect(other.publish(podEvent(2007, 'r7'), 2005, { pods: 2007 }, 2005)).rejects.toBeInstanceOf(WrongLastRevisionError);
    await other.publish(podEvent(2007, 'r7'), 2006, { pods: 2007 }, 2006);

    // A fresh connection subscribes again and gets what comes next.
    const sub2 = subscribeWatch(bus, 'pods', signal(), { heartbeatMs: 500 });
    await sub2.ready;
    const got2 = collect(sub2);
    await restarted.lastPublished();
    await restarted.publish(podEvent(2008, 'r8'), 2007, { pods: 2008 }, 2007);
    await waitFor('revision 2008', () => got2.messages.length === 1);
    expect(got2.messages[0].event.revision).toBe(2008);
    expect(got2.messages[0].prevRevision).toBe(2007);
  }, 40_000);
});
