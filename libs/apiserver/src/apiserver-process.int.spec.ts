import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { VersionRequest, WatchEvent, type VersionResponse } from '@skiff/api';
import { connectBus, WATCH_STREAM, type BusConnection } from '@skiff/bus';
import { startApiserver, startEtcd, startNats, waitFor, type ApiserverProcess, type EtcdServer, type NatsServer } from '@skiff/testing';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configMap, meta } from './apiserver-test-env.spec-helper';
import { rawApi, type RawApi } from './raw-api-client.spec-helper';

const repo = join(__dirname, '../../..');
let etcd: EtcdServer;
let nats: NatsServer;
let first: ApiserverProcess;
let second: ApiserverProcess;
let bus: BusConnection;
const clients: RawApi[] = [];

beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  first = await startApiserver({ etcd, nats });
  second = await startApiserver({ etcd, nats });
  bus = await connectBus(nats.url, { name: 'test' });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await bus?.close();
  await Promise.all([first?.stop(), second?.stop()]);
  await Promise.all([etcd?.stop(), nats?.stop()]);
}, 30_000);

function client(server: ApiserverProcess): RawApi {
  const c = rawApi(server.address);
  clients.push(c);
  return c;
}

/** Every event on the watch stream, in stream order. */
async function streamEvents(): Promise<WatchEvent[]> {
  const info = await bus.manager.streams.info(WATCH_STREAM);
  const events: WatchEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const msg = await bus.manager.streams.getMessage(WATCH_STREAM, { seq });
    events.push(WatchEvent.decode(msg.data));
  }
  return events;
}

describe('the apiserver process', () => {
  it('answers Version with the package version', async () => {
    const api = client(first);
    const version = await new Promise<VersionResponse>((resolve, reject) => api.raw.version(VersionRequest.fromPartial({}), (err, res) => (err ? reject(err) : resolve(res))));
    expect(version.version).toBe(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version);
    expect(version.platform).toContain(process.platform);
  });

  it('serves /metrics and /healthz', async () => {
    await client(first).list({ resource: 'pods' });
    const text = await (await fetch(`http://${first.metricsAddress}/metrics`)).text();
    expect(text).toMatch(/skiff_apiserver_requests_total\{verb="list",resource="pods",code="OK"/);
    expect(text).toContain('skiff_apiserver_etcd_request_duration_seconds');
    expect(text).toContain('process_resident_memory_bytes');
    expect((await fetch(`http://${first.metricsAddress}/healthz`)).status).toBe(200);
  });

  it('answers server reflection (grpcurl list)', async () => {
    const def = loadSync(join(repo, 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'), { keepCase: true });
    type Reflection = new (a: string, c: unknown) => { serverReflectionInfo(): NodeJS.ReadWriteStream & { end(): void }; close(): void };
    const pkg = loadPackageDefinition(def) as unknown as { grpc: { reflection: { v1: { ServerReflection: Reflection } } } };
    const reflection = new pkg.grpc.reflection.v1.ServerReflection(first.address, credentials.createInsecure());
    try {
      const stream = reflection.serverReflectionInfo();
      stream.write({ list_services: '' } as never);
      const [response] = (await once(stream, 'data')) as [{ list_services_response: { service: { name: string }[] } }];
      stream.end();
      const names = response.list_services_response.service.map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['skiff.api.v1.Api', 'grpc.health.v1.Health']));
    } finally {
      reflection.close();
    }
  });

  it('publishes every revision exactly once, in order, with two apiservers and a NATS outage (acceptance 6)', async () => {
    const [a, b] = [client(first), client(second)];
    const written: number[] = [];
    const writeBatch = async (prefix: string, count: number) => {
      const results = await Promise.all(Array.from({ length: count }, (_, i) => (i % 2 ? a : b).create(configMap(`${prefix}-${i}`))));
      written.push(...results.map((o) => Number(meta(o).resourceVersion)));
    };
    await writeBatch('two', 40);

    await nats.process.kill();
    await writeBatch('outage', 10);
    await nats.restart();
    await writeBatch('after', 10);

    const last = Math.max(...written);
    const events = await waitFor(
      'the stream to reach the last write',
      async () => {
        const evs = await streamEvents();
        return evs.length && evs[evs.length - 1].revision >= last ? evs : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const revisions = events.map((e) => e.revision);
    for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBe(revisions[i - 1] + 1); // once each, in order, no gap
    expect(revisions).toEqual(expect.arrayContaining(written));
  }, 60_000);

  it('stops cleanly on SIGTERM (exit code 0)', async () => {
    await second.stop();
    expect(second.process.child.exitCode).toBe(0);
    expect(second.process.child.signalCode).toBeNull();
  }, 20_000);
});
