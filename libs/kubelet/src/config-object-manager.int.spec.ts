/**
 * The watch-based ConfigMap/Secret manager against real etcd, NATS and the built apiserver: reads
 * wait for the object's watch, changes reach onChange with the referencing pods, references are
 * counted, the NATS consumer of a watch carries only its own object, and nothing secret is logged.
 * Prints the latency from an Update call returning to onChange (p50/p99 over 100 updates).
 */
import { Writable } from 'node:stream';
import { ConfigMap, Namespace, Pod, Secret } from '@skiff/api';
import { connectBus, WATCH_STREAM, type BusConnection } from '@skiff/bus';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { startApiserverEnv, waitFor, type ApiserverEnv } from '@skiff/testing';
import pino from 'pino';
import { ConfigObjectManager, ObjectNotRegisteredError } from './config-object-manager';

const SECRET_VALUE = 'hunter2-never-logged';

let env: ApiserverEnv;
let client: SkiffClient;
const buses: BusConnection[] = [];
const managers: ConfigObjectManager[] = [];
const logLines: string[] = [];
const configMaps = () => typed(client, 'configMap');
const secrets = () => typed(client, 'secret');

/** A debug-level logger whose lines the spec reads back (to check that no secret is logged). */
const log = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
);

function podUsing(uid: string, namespace: string, refs: { configMaps?: string[]; secrets?: string[] }): Pod {
  return Pod.fromPartial({
    metadata: { name: `pod-${uid}`, namespace, uid },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          env: [
            ...(refs.configMaps ?? []).map((name) => ({ name: `CM_${name.replaceAll('-', '_')}`, valueFrom: { configMapKeyRef: { name, key: 'k' } } })),
            ...(refs.secrets ?? []).map((name) => ({ name: `S_${name.replaceAll('-', '_')}`, valueFrom: { secretKeyRef: { name, key: 'k' } } })),
          ],
        },
      ],
    },
  });
}

async function newManager(heartbeatMs = 1_000): Promise<{ manager: ConfigObjectManager; bus: BusConnection; changes: string[][] }> {
  const bus = await connectBus(env.nats.url, { name: `config-object-manager-${buses.length}` });
  buses.push(bus);
  const manager = new ConfigObjectManager({ client, bus, log, heartbeatMs, backoffMs: { initial: 50, max: 1_000 } });
  managers.push(manager);
  const changes: string[][] = [];
  manager.onChange((uids) => changes.push([...uids].sort()));
  return { manager, bus, changes };
}

const signal = () => AbortSignal.timeout(15_000);

async function createNamespaces(...names: string[]): Promise<void> {
  for (const name of names) await typed(client, 'namespace').create(Namespace.fromPartial({ metadata: { name } }));
}

/** Watch consumers on the stream whose filter is under `prefix` (the manager's, per object). */
async function consumersUnder(bus: BusConnection, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const info of await bus.manager.consumers.list(WATCH_STREAM)) {
    const filter = info.config.filter_subject ?? '';
    if (filter.startsWith(prefix)) found.push(filter);
  }
  return found;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

beforeAll(async () => {
  env = await startApiserverEnv();
  client = connect(env.apiserver.address, { timeoutMs: 10_000 });
}, 120_000);

afterAll(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  await Promise.all(buses.map((b) => b.close()));
  client?.close();
  await env?.stop();
}, 30_000);

describe('ConfigObjectManager (real apiserver, etcd, NATS)', () => {
  it('a missing ConfigMap reads as undefined; when it is created the pod is told and the next read returns it', async () => {
    const { manager, changes } = await newManager();
    manager.registerPod(podUsing('uid-a', 'default', { configMaps: ['later'] }));
    expect(await manager.configMap('default', 'later', signal())).toBeUndefined();
    expect(changes).toEqual([]);

    await configMaps().create(ConfigMap.fromPartial({ metadata: { namespace: 'default', name: 'later' }, data: { k: 'v1' } }));
    await waitFor('onChange #1', () => changes.length === 1, { timeoutMs: 5_000 });
    expect(changes).toEqual([['uid-a']]);
    expect((await manager.configMap('default', 'later', signal()))?.data).toEqual({ k: 'v1' });

    await configMaps().delete('default', 'later');
    await waitFor('onChange #2', () => changes.length === 2, { timeoutMs: 5_000 });
    expect(await manager.configMap('default', 'later', signal())).toBeUndefined();
  }, 30_000);

  it('reads an existing object, resolves podObjects for containerEnvironment, and tells of every update (latency printed)', async () => {
    await configMaps().create(ConfigMap.fromPartial({ metadata: { namespace: 'default', name: 'app-config' }, data: { k: 'v0' } }));
    await secrets().create(Secret.fromPartial({ metadata: { namespace: 'default', name: 'app-secret' }, data: { k: Buffer.from(SECRET_VALUE) } }));
    const { manager, changes } = await newManager();
    const pod = podUsing('uid-b', 'default', { configMaps: ['app-config'], secrets: ['app-secret'] });
    manager.registerPod(pod);
    const objects = await manager.podObjects(pod, signal());
    expect(objects.configMap('default', 'app-config')?.data).toEqual({ k: 'v0' });
    expect(Buffer.from(objects.secret('default', 'app-secret')?.data.k ?? []).toString()).toBe(SECRET_VALUE);
    expect(objects.configMap('other', 'app-config')).toBeUndefined();
    expect(changes).toEqual([]); // the initial List is not a change

    let current = await manager.configMap('default', 'app-config', signal());
    const fromReturn: number[] = [];
    const fromCall: number[] = [];
    let notified = 0;
    let notifiedAt = 0;
    manager.onChange(() => {
      notified++;
      notifiedAt = performance.now();
    });
    for (let i = 1; i <= 100; i++) {
      const before = notified;
      const called = performance.now();
      const updated = await configMaps().update(ConfigMap.fromPartial({ ...current, data: { k: `v${i}` } }));
      const returned = performance.now();
      await waitFor(`onChange for update ${i}`, () => notified > before, { timeoutMs: 5_000, intervalMs: 1 });
      fromReturn.push(Math.max(0, notifiedAt - returned));
      fromCall.push(notifiedAt - called);
      current = await manager.configMap('default', 'app-config', signal());
      expect(current?.metadata?.resourceVersion).toBe(updated.metadata?.resourceVersion);
      expect(current?.data).toEqual({ k: `v${i}` });
    }
    expect(changes).toHaveLength(100);
    expect(changes.every((uids) => uids.join() === 'uid-b')).toBe(true);
    fromReturn.sort((a, b) => a - b);
    fromCall.sort((a, b) => a - b);
    const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms, max ${xs[xs.length - 1].toFixed(1)} ms`;
    console.log(`ConfigMap update -> onChange over 100 updates: from Update returning: ${fmt(fromReturn)}; from Update called: ${fmt(fromCall)}`);
    expect(percentile(fromReturn, 99)).toBeLessThan(2_000);
  }, 120_000);

  it('counts references: two pods share a Secret; the watch lives until the last one goes', async () => {
    await createNamespaces('shared-ns');
    await secrets().create(Secret.fromPartial({ metadata: { namespace: 'shared-ns', name: 'shared' }, data: { k: Buffer.from('s0') } }));
    const { manager, bus, changes } = await newManager();
    manager.registerPod(podUsing('uid-1', 'shared-ns', { secrets: ['shared'] }));
    manager.registerPod(podUsing('uid-2', 'shared-ns', { secrets: ['shared'] }));
    expect(manager.watchedObjects()).toEqual(['secret/shared-ns/shared']);
    let current = await manager.secret('shared-ns', 'shared', signal());
    await waitFor('1 consumer(s) under skiff.watch.secrets.shared-ns.', async () => (await consumersUnder(bus, 'skiff.watch.secrets.shared-ns.')).length === 1, { timeoutMs: 5_000 });

    current = await secrets().update(Secret.fromPartial({ ...current, data: { k: Buffer.from('s1') } }));
    await waitFor('onChange #1', () => changes.length === 1, { timeoutMs: 5_000 });
    expect(changes[0]).toEqual(['uid-1', 'uid-2']);

    manager.unregisterPod('uid-1');
    expect(manager.watchedObjects()).toEqual(['secret/shared-ns/shared']);
    current = await secrets().update(Secret.fromPartial({ ...current, data: { k: Buffer.from('s2') } }));
    await waitFor('onChange #2', () => changes.length === 2, { timeoutMs: 5_000 });
    expect(changes[1]).toEqual(['uid-2']);

    manager.unregisterPod('uid-2');
    expect(manager.watchedObjects()).toEqual([]);
    await expect(manager.secret('shared-ns', 'shared', signal())).rejects.toBeInstanceOf(ObjectNotRegisteredError);
    await waitFor('0 consumer(s) under skiff.watch.secrets.shared-ns.', async () => (await consumersUnder(bus, 'skiff.watch.secrets.shared-ns.')).length === 0, { timeoutMs: 10_000 });
    await secrets().update(Secret.fromPartial({ ...current, data: { k: Buffer.from('s3') } }));
    // A change after the last reference reaches no one (checked after a later, watched change arrives).
    manager.registerPod(podUsing('uid-3', 'shared-ns', { configMaps: ['marker'] }));
    await manager.configMap('shared-ns', 'marker', signal());
    await configMaps().create(ConfigMap.fromPartial({ metadata: { namespace: 'shared-ns', name: 'marker' }, data: { k: 'x' } }));
    await waitFor('onChange #3', () => changes.length === 3, { timeoutMs: 5_000 });
    expect(changes[2]).toEqual(['uid-3']);
  }, 60_000);

  it('re-registering a changed pod keeps the objects both versions use and drops the rest', async () => {
    const { manager } = await newManager();
    manager.registerPod(podUsing('uid-r', 'default', { configMaps: ['one', 'two'], secrets: ['s'] }));
    expect(manager.watchedObjects()).toEqual(['configmap/default/one', 'configmap/default/two', 'secret/default/s']);
    manager.registerPod(podUsing('uid-r', 'default', { configMaps: ['two', 'three'] }));
    expect(manager.watchedObjects()).toEqual(['configmap/default/three', 'configmap/default/two']);
    await expect(manager.configMap('default', 'one', signal())).rejects.toBeInstanceOf(ObjectNotRegisteredError);
    manager.unregisterPod('uid-r');
    expect(manager.watchedObjects()).toEqual([]);
  }, 30_000);

  it('a read waiting for a watch that stops (its pod went) rejects with ObjectNotRegisteredError', async () => {
    const { manager } = await newManager();
    manager.registerPod(podUsing('uid-w', 'default', { configMaps: ['slow'] }));
    const read = manager.configMap('default', 'slow', signal());
    manager.unregisterPod('uid-w');
    await expect(read).rejects.toBeInstanceOf(ObjectNotRegisteredError);
  });

  it('receives nothing of Secrets of another namespace or name, nor of ConfigMaps of the same name (counted on its NATS connection)', async () => {
    const noise = 30;
    await createNamespaces('iso', ...Array.from({ length: noise / 3 }, (_, i) => `elsewhere-${i}`));
    await secrets().create(Secret.fromPartial({ metadata: { namespace: 'iso', name: 'mine' }, data: { k: Buffer.from('m0') } }));
    // Long heartbeats: during the measurement the connection receives watch events and nothing else.
    const { manager, bus, changes } = await newManager(60_000);
    manager.registerPod(podUsing('uid-iso', 'iso', { secrets: ['mine'] }));
    const mine = await manager.secret('iso', 'mine', signal());
    const received = () => bus.nats.stats().inMsgs;
    const baseline = received();

    for (let i = 0; i < noise / 3; i++) {
      await secrets().create(Secret.fromPartial({ metadata: { namespace: 'iso', name: `other-${i}` }, data: { k: Buffer.from('o') } }));
      await secrets().create(Secret.fromPartial({ metadata: { namespace: `elsewhere-${i}`, name: 'mine' }, data: { k: Buffer.from('e') } }));
      await configMaps().create(ConfigMap.fromPartial({ metadata: { namespace: 'iso', name: i === 0 ? 'mine' : `mine-${i}` }, data: { k: 'c' } }));
    }
    await secrets().update(Secret.fromPartial({ ...mine, data: { k: Buffer.from('m1') } }));
    await waitFor('onChange #1', () => changes.length === 1, { timeoutMs: 5_000 });
    // Stream order: every noise event was published before the update that reached us.
    const got = received() - baseline;
    console.log(`NATS messages received by the manager's connection: ${got} for 1 watched change among ${noise} other writes`);
    expect(changes).toEqual([['uid-iso']]);
    expect(got).toBeLessThanOrEqual(3); // the event (and at most a flow-control or heartbeat message)
    expect(Buffer.from((await manager.secret('iso', 'mine', signal()))?.data.k ?? []).toString()).toBe('m1');
  }, 60_000);

  it('never logs a Secret value', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain(SECRET_VALUE);
    expect(logLines.join('')).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
  });
});
