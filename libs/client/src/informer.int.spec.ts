/**
 * The informer against a real nats-server and a small in-memory API served over real gRPC, so
 * that faults can be placed exactly (a publisher gap, a lost consumer). The same informer against
 * the real apiserver and etcd is in informer.acceptance.int.spec.ts.
 */
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { ApiService, Pod, type ApiObject, type ApiServer, type WatchEvent } from '@skiff/api';
import { connectBus, ensureWatchStream, WatchPublisher, WATCH_STREAM, type BusConnection } from '@skiff/bus';
import { startNats, waitFor, type NatsServer } from '@skiff/testing';
import { connect } from './grpc-client';
import { Informer } from './informer';
import type { SkiffClient } from './skiff-client';

/** Pods in memory with etcd-like revisions, published on the watch stream like the apiserver. */
class PodLedger {
  revision = 100;
  readonly pods = new Map<string, Pod>();
  private lastPublished = 0;
  private podsPrev = 0;

  constructor(private readonly publisher: WatchPublisher) {}

  /** Writes a pod (or deletes it) and publishes the event; `skipPublish` loses it on purpose. */
  async write(type: 'ADDED' | 'MODIFIED' | 'DELETED', name: string, labels: Record<string, string> = {}, skipPublish = false): Promise<number> {
    const revision = ++this.revision;
    const pod = Pod.fromPartial({ metadata: { name, namespace: 'default', resourceVersion: String(revision), labels } });
    if (type === 'DELETED') this.pods.delete(name);
    else this.pods.set(name, pod);
    const event: WatchEvent = { type, object: { kind: { $case: 'pod', value: pod } }, revision, resource: 'pods', namespace: 'default', name };
    if (!skipPublish) {
      await this.publisher.publish(event, this.podsPrev, { pods: revision }, this.lastPublished);
      this.lastPublished = revision;
    }
    this.podsPrev = revision;
    return revision;
  }

  list(): { items: ApiObject[]; resourceVersion: string } {
    return { items: [...this.pods.values()].map((value) => ({ kind: { $case: 'pod', value } })), resourceVersion: String(this.revision) };
  }
}

describe('Informer on real NATS', () => {
  let nats: NatsServer;
  let bus: BusConnection;
  let ledger: PodLedger;
  let server: Server;
  let client: SkiffClient;
  let listFails = false;
  const stops: AbortController[] = [];

  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus(nats.url, { name: 'informer-spec' });
    await ensureWatchStream(bus);
    ledger = new PodLedger(new WatchPublisher(bus, { timeoutMs: 3_000 }));
    server = new Server();
    server.addService(ApiService, {
      list: (_call, cb) => (listFails ? cb({ code: status.UNAVAILABLE, details: 'down' }) : cb(null, ledger.list())),
    } as Partial<ApiServer> as ApiServer);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = connect(`127.0.0.1:${port}`);
  }, 30_000);

  afterAll(async () => {
    for (const s of stops) s.abort();
    client?.close();
    await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
    await bus?.close();
    await nats?.stop();
  });

  function run(informer: Informer<'pod'>): Promise<void> {
    const stop = new AbortController();
    stops.push(stop);
    return informer.start(stop.signal);
  }

  const cacheMatchesLedger = (informer: Informer<'pod'>) => {
    const want = [...ledger.pods.values()].map((p) => `${p.metadata?.name}@${p.metadata?.resourceVersion}`).sort();
    const got = informer.list().map((p) => `${p.metadata?.name}@${p.metadata?.resourceVersion}`).sort();
    return JSON.stringify(want) === JSON.stringify(got);
  };

  it('lists, then applies every later event in order; handlers see each update', async () => {
    await ledger.write('ADDED', 'pre');
    const informer = new Informer({ client, bus, resource: 'pod', heartbeatMs: 500 });
    const seen: string[] = [];
    informer.addHandler({
      onAdd: (p) => seen.push(`add ${p.metadata?.name}@${p.metadata?.resourceVersion}`),
      onUpdate: (o, p) => seen.push(`update ${p.metadata?.name}@${o.metadata?.resourceVersion}->${p.metadata?.resourceVersion}`),
      onDelete: (p) => seen.push(`delete ${p.metadata?.name}`),
    });
    void run(informer);
    await informer.synced();
    const r1 = await ledger.write('ADDED', 'web');
    const r2 = await ledger.write('MODIFIED', 'web');
    const r3 = await ledger.write('MODIFIED', 'web');
    await ledger.write('DELETED', 'pre');
    await waitFor('the cache to catch up', () => informer.revision === ledger.revision);
    expect(seen).toEqual([`add pre@${r1 - 1}`, `add web@${r1}`, `update web@${r1}->${r2}`, `update web@${r2}->${r3}`, 'delete pre']);
    expect(informer.get('default/web')?.metadata?.resourceVersion).toBe(String(r3));
    expect(informer.listCount).toBe(1);
  }, 20_000);

  it('relists when a publisher gap shows in the previous revision, and converges', async () => {
    const informer = new Informer({ client, bus, resource: 'pod', heartbeatMs: 500 });
    void run(informer);
    await informer.synced();
    await ledger.write('ADDED', 'lost-event', {}, true);
    await ledger.write('ADDED', 'after-gap');
    await waitFor('a relist', () => informer.listCount >= 2, { timeoutMs: 10_000 });
    await waitFor('the cache to equal the ledger', () => cacheMatchesLedger(informer), { timeoutMs: 10_000 });
    expect(informer.get('default/lost-event')).toBeDefined();
  }, 20_000);

  it('relists after its consumer is deleted and after a NATS restart, retrying a failing List', async () => {
    const informer = new Informer({ client, bus, resource: 'pod', heartbeatMs: 300, backoffMs: { initial: 50, max: 500 } });
    const keys: string[] = [];
    const stop = new AbortController();
    stops.push(stop);
    void (async () => {
      for await (const key of informer.changes(stop.signal)) keys.push(key);
    })();
    void run(informer);
    await informer.synced();

    for await (const c of await bus.manager.consumers.list(WATCH_STREAM)) await bus.manager.consumers.delete(WATCH_STREAM, c.name);
    await waitFor('a relist after the consumer loss', () => informer.listCount >= 2, { timeoutMs: 10_000 });

    listFails = true;
    await nats.process.kill();
    await nats.restart();
    await waitFor('JetStream to answer again', () => bus.manager.streams.info(WATCH_STREAM), { timeoutMs: 15_000 });
    await ledger.write('MODIFIED', 'web', { during: 'outage' });
    listFails = false;
    await ledger.write('MODIFIED', 'web', { after: 'outage' });
    await waitFor('the cache to equal the ledger', () => cacheMatchesLedger(informer), { timeoutMs: 15_000 });
    expect(informer.listCount).toBeGreaterThanOrEqual(3);
    expect(informer.get('default/web')?.metadata?.labels).toEqual({ after: 'outage' });
    await waitFor('the change to be notified', () => keys.includes('default/web'));
  }, 40_000);

  it('filters by label selector and namespace on the client side, and resyncs', async () => {
    const informer = new Informer({ client, bus, resource: 'pod', labelSelector: 'app=web', namespace: 'default', heartbeatMs: 500, resyncMs: 200 });
    let resyncs = 0;
    informer.addHandler({ onUpdate: (o, p) => (o === p ? resyncs++ : undefined) });
    void run(informer);
    await informer.synced();
    await ledger.write('ADDED', 'sel', { app: 'web' });
    await waitFor('the selected pod', () => informer.get('default/sel'));
    await ledger.write('MODIFIED', 'sel', { app: 'db' });
    await waitFor('the pod to leave the selection', () => !informer.get('default/sel'));
    expect(informer.list().every((p) => p.metadata?.labels?.app === 'web')).toBe(true);
    await ledger.write('MODIFIED', 'sel', { app: 'web' });
    await waitFor('a resync', () => resyncs > 0, { timeoutMs: 5_000 });
  }, 20_000);
});
