/**
 * Events expire (Kubernetes' --event-ttl): the built apiserver, started with --event-ttl 2s on
 * real etcd and NATS, writes Events on an etcd lease; etcd deletes them after the TTL, each
 * change of an Event starts its TTL again, and watchers get the deletion. Other kinds stay.
 */
import { ConfigMap, Event, NotFoundError } from '@skiff/api';
import { connectBus, type BusConnection } from '@skiff/bus';
import { connect, Informer, typed, type SkiffClient } from '@skiff/client';
import { startApiserverEnv, waitFor, type ApiserverEnv } from '@skiff/testing';

let env: ApiserverEnv;
let client: SkiffClient;
let bus: BusConnection;
const stop = new AbortController();

beforeAll(async () => {
  env = await startApiserverEnv({ apiserverArgs: ['--event-ttl', '2s'] });
  client = connect(env.apiserver.address, { timeoutMs: 10_000 });
  bus = await connectBus(env.nats.url, { name: 'event-ttl-spec' });
}, 120_000);

afterAll(async () => {
  stop.abort();
  await bus?.close();
  client?.close();
  await env?.stop();
}, 30_000);

const event = (name: string) =>
  Event.fromPartial({ metadata: { namespace: 'default', name }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' }, reason: 'Started', message: 'Started container c', type: 'Normal', count: 1 });

describe('--event-ttl', () => {
  it('an Event is deleted after its TTL from its last change, watchers see it go, a ConfigMap stays', async () => {
    const events = typed(client, 'event');
    const informer = new Informer({ client, bus, resource: 'event', namespace: 'default', heartbeatMs: 500 });
    const deleted = new Map<string, number>();
    informer.addHandler({ onDelete: (e) => deleted.set(e.metadata?.name ?? '', Date.now()) });
    const running = informer.start(stop.signal);
    await informer.synced();

    await typed(client, 'configMap').create(ConfigMap.fromPartial({ metadata: { namespace: 'default', name: 'stays' }, data: { a: '1' } }));
    const createdAt = Date.now();
    await events.create(event('once'));
    const changed = await events.create(event('changed'));
    await waitFor('1.5 s to pass', () => Date.now() - createdAt >= 1_500, { timeoutMs: 5_000 });
    await events.update(Event.fromPartial({ ...changed, count: 2 }));
    const changedAt = Date.now();

    await waitFor('both Events deleted by etcd', () => deleted.has('once') && deleted.has('changed'), { timeoutMs: 15_000 });
    expect(deleted.get('once')! - createdAt).toBeGreaterThanOrEqual(1_900);
    expect(deleted.get('changed')! - changedAt).toBeGreaterThanOrEqual(1_900);
    await expect(events.get('default', 'once')).rejects.toBeInstanceOf(NotFoundError);
    expect((await typed(client, 'configMap').get('default', 'stays')).data).toEqual({ a: '1' });

    stop.abort();
    await running;
  }, 60_000);

  it('an Event with a finalizer, marked for deletion, still expires', async () => {
    const events = typed(client, 'event');
    await events.create(Event.fromPartial({ ...event('held'), metadata: { namespace: 'default', name: 'held', finalizers: ['example.com/hold'] } }));
    await events.delete('default', 'held');
    expect((await events.get('default', 'held')).metadata?.deletionTimestamp).toBeDefined();
    await waitFor('the marked Event deleted by etcd', () => events.get('default', 'held').then(() => false, (err: unknown) => err instanceof NotFoundError), { timeoutMs: 15_000, intervalMs: 200 });
  }, 30_000);
});
