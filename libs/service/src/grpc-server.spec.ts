import { credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ApiClient, ApiService, ConfigMap, ConflictError, GRPC_CODE, type WatchEvent } from '@skiff/api';
import { waitFor } from '@skiff/testing';
import { once } from 'node:events';
import { join } from 'node:path';
import { bindService } from './grpc-handlers';
import { startGrpcServer, type GrpcServer } from './grpc-server';
import { createLogger } from './logger';
import { createMetricsRegistry, startMetricsServer } from './metrics-server';
import { findUpwards, loadProtoPackage } from './proto-package';

const logger = createLogger('test', 'silent');
const unimplemented = async () => {
  throw new Error('not used');
};

function call<T>(fn: (cb: (err: ServiceError | null, res: T) => void) => unknown): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

describe('gRPC server kit', () => {
  let server: GrpcServer;
  let client: InstanceType<typeof ApiClient>;
  let watchAborted: Promise<void>;
  let resolveWatchAborted: () => void;

  beforeAll(async () => {
    watchAborted = new Promise((resolve) => (resolveWatchAborted = resolve));
    const repo = findUpwards('proto/skiff/api/v1/api.proto', [__dirname]);
    if (!repo) throw new Error('proto folder not found');
    server = await startGrpcServer({
      address: '127.0.0.1:0',
      logger,
      reflection: loadProtoPackage(join(repo, 'proto'), ['skiff/api/v1/api.proto']),
      services: [
        bindService('skiff.api.v1.Api', ApiService, {
          create: unimplemented,
          list: unimplemented,
          updateStatus: unimplemented,
          delete: unimplemented,
          bind: unimplemented,
          evict: unimplemented,
          podMetrics: unimplemented,
          nodeMetrics: unimplemented,
          get: async (request) => {
            if (request.name === 'stale') throw new ConflictError('pods "stale" was modified');
            if (request.name === 'bug') throw new TypeError('cannot read x of undefined');
            return { kind: { $case: 'configMap', value: ConfigMap.fromPartial({ metadata: { name: request.name } }) } };
          },
          update: async (_request, signal) => {
            await new Promise((resolve) => signal.addEventListener('abort', resolve));
            resolveWatchAborted();
            return {};
          },
          version: async () => ({ version: '1.2.3', gitCommit: 'abc', platform: 'linux' }),
          podLogs: async function* () {
            yield* [];
            throw new Error('not used by this test');
          },
          podExec: async function* () {
            yield* [];
            throw new Error('not used by this test');
          },
          watch: async function* (request, signal) {
            for (let i = 1; i <= Number(request.resourceVersion); i++) yield { type: 'ADDED', revision: i, resource: 'pods', namespace: '', name: `p${i}` };
            if (request.namespace === 'fail') throw new ConflictError('stream broke');
            if (request.namespace === 'hold') await new Promise((resolve) => signal.addEventListener('abort', resolve));
          },
        }),
      ],
    });
    server.setServing(true);
    client = new ApiClient(server.address, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await server?.close(1_000);
  });

  it('serves unary handlers and maps typed errors to their status', async () => {
    const ok = await call<unknown>((cb) => client.get({ resource: 'configmaps', namespace: 'default', name: 'web' }, cb));
    expect(ok).toMatchObject({ kind: { $case: 'configMap', value: { metadata: { name: 'web' } } } });
    await expect(call((cb) => client.get({ resource: 'configmaps', namespace: '', name: 'stale' }, cb))).rejects.toMatchObject({
      code: GRPC_CODE.ABORTED,
      details: 'pods "stale" was modified',
    });
    await expect(call((cb) => client.get({ resource: 'configmaps', namespace: '', name: 'bug' }, cb))).rejects.toMatchObject({
      code: GRPC_CODE.INTERNAL,
    });
  });

  it('streams from async generators and ends with the thrown status', async () => {
    const events: WatchEvent[] = [];
    const stream = client.watch({ resource: 'pods', namespace: 'fail', labelSelector: '', fieldSelector: '', resourceVersion: '3' });
    stream.on('data', (ev: WatchEvent) => events.push(ev));
    const [err] = (await once(stream, 'error')) as [ServiceError];
    expect(events.map((e) => e.name)).toEqual(['p1', 'p2', 'p3']);
    expect(err.code).toBe(GRPC_CODE.ABORTED);

    const ok = client.watch({ resource: 'pods', namespace: '', labelSelector: '', fieldSelector: '', resourceVersion: '2' });
    const got: WatchEvent[] = [];
    ok.on('data', (ev: WatchEvent) => got.push(ev));
    await once(ok, 'end');
    expect(got).toHaveLength(2);
  });

  it('aborts the handler signal when the client cancels', async () => {
    const pending = client.update({ object: {}, dryRun: false }, new Metadata(), () => undefined);
    await waitFor('the call to reach the server', () => true);
    setTimeout(() => pending.cancel(), 50);
    await watchAborted;
  });

  it('reports SERVING on the health service', async () => {
    const def = loadSync(join(__dirname, '../../../node_modules/grpc-health-check/proto/health/v1/health.proto'), { enums: String });
    const pkg = loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: new (a: string, c: unknown) => { check: (r: unknown, cb: (e: unknown, r: { status: string }) => void) => void; close(): void } } } } };
    const health = new pkg.grpc.health.v1.Health(server.address, credentials.createInsecure());
    try {
      expect((await call<{ status: string }>((cb) => health.check({ service: '' }, cb as never))).status).toBe('SERVING');
      expect((await call<{ status: string }>((cb) => health.check({ service: 'skiff.api.v1.Api' }, cb as never))).status).toBe('SERVING');
    } finally {
      health.close();
    }
  });

  it('answers server reflection with the served services', async () => {
    const def = loadSync(join(__dirname, '../../../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'), { keepCase: true });
    type Reflection = new (a: string, c: unknown) => { serverReflectionInfo(): NodeJS.ReadWriteStream & { end(): void }; close(): void };
    const pkg = loadPackageDefinition(def) as unknown as { grpc: { reflection: { v1: { ServerReflection: Reflection } } } };
    const reflection = new pkg.grpc.reflection.v1.ServerReflection(server.address, credentials.createInsecure());
    try {
      const stream = reflection.serverReflectionInfo();
      stream.write({ list_services: '' } as never);
      const [response] = (await once(stream, 'data')) as [{ list_services_response: { service: { name: string }[] } }];
      stream.end();
      expect(response.list_services_response.service.map((s) => s.name)).toContain('skiff.api.v1.Api');
    } finally {
      reflection.close();
    }
  });

  it('serves /metrics and /healthz', async () => {
    const registry = createMetricsRegistry('test');
    const metrics = await startMetricsServer({ address: '127.0.0.1:0', registry, logger });
    try {
      const text = await (await fetch(`http://${metrics.address}/metrics`)).text();
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(await (await fetch(`http://${metrics.address}/healthz`)).text()).toBe('ok');
      expect((await fetch(`http://${metrics.address}/nope`)).status).toBe(404);
    } finally {
      await metrics.close();
    }
  });
});
