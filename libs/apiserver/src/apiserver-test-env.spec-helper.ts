/**
 * Test helper: an in-process apiserver (runApiserver) serving real gRPC on a loopback port, on
 * the real etcd and NATS a spec started (startEtcd/startNats from @skiff/testing), plus small
 * builders for objects in manifest form.
 */
import { objectFromManifest, type ApiObject, type KubeObject, type ObjectMeta } from '@skiff/api';
import { createLogger } from '@skiff/service';
import { EtcdStorage } from '@skiff/storage';
import { rawApi, type RawApi } from './raw-api-client.spec-helper';
import { runApiserver, type ApiserverConfig } from './run-apiserver';

/** The parts of @skiff/testing's EtcdServer / NatsServer the environment uses. */
export interface TestServices {
  etcd: { endpoint: string; stop(): Promise<void> };
  nats: { url: string; stop(): Promise<void> };
}

export interface TestEnv extends TestServices {
  api: RawApi;
  address: string;
  metricsAddress: string;
  /** A direct etcd client, to check what is stored. */
  storage: EtcdStorage;
  stop(): Promise<void>;
}

/**
 * Starts an apiserver on the given etcd and NATS; stop() stops it and them. No controller-manager
 * runs here, so nothing creates the `default` ServiceAccounts: the ServiceAccount admission
 * plugin is off unless `overrides.disableAdmissionPlugins` says otherwise.
 */
export async function startTestEnv({ etcd, nats }: TestServices, overrides: Partial<ApiserverConfig> = {}): Promise<TestEnv> {
  const ac = new AbortController();
  let onListening!: (a: { grpc: string; metrics: string }) => void;
  const listening = new Promise<{ grpc: string; metrics: string }>((resolve) => (onListening = resolve));
  const running = runApiserver(
    {
      listen: '127.0.0.1:0',
      metricsListen: '127.0.0.1:0',
      etcd: [etcd.endpoint],
      nats: [nats.url],
      compactionIntervalMs: 0,
      disableAdmissionPlugins: ['ServiceAccount'],
      version: { version: 'test', gitCommit: '' },
      logger: createLogger('apiserver', process.env.SKIFF_TEST_LOG_LEVEL ?? 'silent'),
      onListening,
      ...overrides,
    },
    ac.signal,
  );
  const addresses = await Promise.race([listening, running.then(() => Promise.reject(new Error('apiserver stopped before listening')))]);
  const api = rawApi(addresses.grpc);
  const storage = new EtcdStorage({ endpoints: [etcd.endpoint] });
  return {
    etcd,
    nats,
    api,
    address: addresses.grpc,
    metricsAddress: addresses.metrics,
    storage,
    async stop() {
      api.close();
      ac.abort();
      await running;
      await storage.close();
      await Promise.all([etcd.stop(), nats.stop()]);
    },
  };
}

/** An ApiObject from a manifest (apiVersion/kind/metadata/...). */
export function obj(manifest: Record<string, unknown>): ApiObject {
  return objectFromManifest(manifest);
}

export function configMap(name: string, data: Record<string, string> = {}, metadata: Record<string, unknown> = {}): ApiObject {
  return obj({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', ...metadata }, data });
}

export function pod(name: string, metadata: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): ApiObject {
  return obj({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...metadata }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], ...spec } });
}

/** The object inside an ApiObject, typed loosely for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose access for assertions
export function inner<T = KubeObject & { spec?: any; status?: any; data?: any }>(object: ApiObject): T {
  return object.kind!.value as T;
}

export function meta(object: ApiObject): ObjectMeta {
  return inner(object).metadata!;
}

/** Applies `change` to a deep copy of `object`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests edit any field of any kind
export function edit(object: ApiObject, change: (o: any) => void): ApiObject {
  const copy = structuredClone(object);
  change(copy.kind!.value);
  return copy;
}
