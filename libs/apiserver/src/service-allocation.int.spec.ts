/**
 * ClusterIP and node port allocation through real apiservers on one real etcd: defaults, requests,
 * conflicts, immutability, release on delete and on type change, and two apiservers racing.
 */
import { GRPC_CODE, unwrap, type ApiObject } from '@skiff/api';
import { startEtcd, startNats } from '@skiff/testing';
import { createLogger } from '@skiff/service';
import { edit, inner, meta, obj, startTestEnv, type TestEnv } from './apiserver-test-env.spec-helper';
import { rawApi, type RawApi } from './raw-api-client.spec-helper';
import { GenericStore } from './generic-store';
import { encodeObject, type StoredObject } from './object-access';
import { runApiserver, type ApiserverConfig } from './run-apiserver';
import { ipInRange, parseServiceIpRange } from './service-ip-range';

const RANGES = { serviceClusterIpRange: '10.96.0.0/24', serviceNodePortRange: '30000-30199' };

let env: TestEnv;
beforeAll(async () => {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  env = await startTestEnv({ etcd, nats }, RANGES);
}, 30_000);
afterAll(async () => {
  await env?.stop();
}, 30_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests of any shape
function service(name: string, spec: Record<string, any> = {}): ApiObject {
  return obj({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } });
}

const invalid = (field: string, detail: string) => expect.objectContaining({ code: GRPC_CODE.INVALID_ARGUMENT, details: expect.stringMatching(new RegExp(`${field.replace(/[[\].]/g, '\\$&')}: .*${detail}`)) });
const clusterIP = (o: ApiObject): string => inner(o).spec.clusterIP;
const nodePorts = (o: ApiObject): number[] => inner(o).spec.ports.map((p: { nodePort: number }) => p.nodePort);

/** The allocation keys stored under a prefix, by value -> owner name. */
async function allocations(prefix: string): Promise<Map<string, string>> {
  const { items } = await env.storage.list(prefix);
  return new Map(items.map((kv) => [kv.key.slice(prefix.length), JSON.parse(new TextDecoder().decode(kv.value)).name as string]));
}
const ips = () => allocations('/registry/ipallocations/');
const ports = () => allocations('/registry/servicenodeports/');

describe('ClusterIP allocation', () => {
  it('gives a service without clusterIP a free address of the range (never .0, .1, .10, .255) and records it', async () => {
    const created = await env.api.create(service('auto'));
    const ip = clusterIP(created);
    expect(ipInRange(parseServiceIpRange(RANGES.serviceClusterIpRange), ip)).toBe(true);
    expect(['10.96.0.1', '10.96.0.10']).not.toContain(ip);
    expect(inner(created).spec.clusterIPs).toEqual([ip]);
    expect(clusterIP(await env.api.get('services', 'default', 'auto'))).toBe(ip);
    expect((await ips()).get(ip)).toBe('auto');
  });

  it('takes a requested free address (.10 for DNS too), refuses a taken one or one outside the range, naming spec.clusterIP', async () => {
    expect(clusterIP(await env.api.create(service('dns', { clusterIP: '10.96.0.10', ports: [{ port: 53, protocol: 'UDP' }] })))).toBe('10.96.0.10');
    await expect(env.api.create(service('dns-2', { clusterIP: '10.96.0.10' }))).rejects.toEqual(invalid('spec.clusterIP', 'provided IP is already allocated'));
    await expect(env.api.create(service('outside', { clusterIP: '10.97.0.5' }))).rejects.toEqual(invalid('spec.clusterIP', 'provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/24'));
    await expect(env.api.create(service('broadcast', { clusterIP: '10.96.0.255' }))).rejects.toEqual(invalid('spec.clusterIP', 'not in the valid range'));
    expect((await ips()).get('10.96.0.10')).toBe('dns');
    for (const name of ['dns-2', 'outside', 'broadcast']) await expect(env.api.get('services', 'default', name)).rejects.toMatchObject({ code: GRPC_CODE.NOT_FOUND });
  });

  it('allocates nothing for a headless service', async () => {
    const before = await ips();
    const created = await env.api.create(service('headless', { clusterIP: 'None' }));
    expect(clusterIP(created)).toBe('None');
    expect(await ips()).toEqual(before);
  });

  it('keeps the clusterIP immutable; an update that leaves it out keeps it', async () => {
    const created = await env.api.create(service('fixed'));
    const other = clusterIP(created) === '10.96.0.200' ? '10.96.0.201' : '10.96.0.200'; // the range is a /24: the random pick can be .200
    await expect(env.api.update(edit(created, (s) => ((s.spec.clusterIP = other), (s.spec.clusterIPs = [other]))))).rejects.toEqual(
      invalid('spec.clusterIP', 'field is immutable'),
    );
    const updated = await env.api.update(edit(created, (s) => ((s.spec.clusterIP = ''), (s.spec.clusterIPs = []), (s.metadata.labels = { touched: 'yes' }))));
    expect(clusterIP(updated)).toBe(clusterIP(created));
    expect(meta(updated).generation).toBe(1);
  });

  it('frees the address on delete, so it can be requested again', async () => {
    const ip = clusterIP(await env.api.create(service('short-lived')));
    await env.api.delete({ resource: 'services', namespace: 'default', name: 'short-lived' });
    expect((await ips()).has(ip)).toBe(false);
    expect(clusterIP(await env.api.create(service('successor', { clusterIP: ip })))).toBe(ip);
  });

  it('allocates nothing when the create fails (name taken, dry run)', async () => {
    const before = await ips();
    const free = Array.from({ length: 200 }, (_, i) => `10.96.0.${i + 20}`).find((ip) => !before.has(ip))!;
    await expect(env.api.create(service('auto', { clusterIP: free }))).rejects.toMatchObject({ code: GRPC_CODE.ALREADY_EXISTS });
    const dry = await env.api.create(service('dry'), true);
    expect(clusterIP(dry)).toMatch(/^10\.96\.0\./);
    const stored = await ips();
    expect(stored.has(free)).toBe(false);
    expect([...stored.values()]).not.toContain('dry');
  });
});

describe('NodePort allocation', () => {
  it('gives each port without nodePort a free port of the range, takes requested ones, refuses taken or out-of-range ones', async () => {
    const created = await env.api.create(service('np', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 30150 }] }));
    const [auto, requested] = nodePorts(created);
    expect(auto).toBeGreaterThanOrEqual(30000);
    expect(auto).toBeLessThanOrEqual(30199);
    expect(requested).toBe(30150);
    const stored = await ports();
    expect(stored.get(String(auto))).toBe('np');
    expect(stored.get('30150')).toBe('np');
    await expect(env.api.create(service('np-2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30150 }] }))).rejects.toEqual(invalid('spec.ports[0].nodePort', 'provided port is already allocated'));
    await expect(env.api.create(service('np-3', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }))).rejects.toEqual(
      invalid('spec.ports[0].nodePort', 'provided port is not in the valid range. The range of valid ports is 30000-30199'),
    );
    await expect(env.api.create(service('np-4', { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30151 }] }))).rejects.toEqual(invalid('spec.ports[0].nodePort', 'may not be used'));
  });

  it('keeps node ports an update leaves out, releases them when the type becomes ClusterIP, allocates when it becomes NodePort', async () => {
    const created = await env.api.create(service('switch', { type: 'NodePort' }));
    const [port] = nodePorts(created);
    const kept = await env.api.update(edit(created, (s) => (s.spec.ports[0].nodePort = 0)));
    expect(nodePorts(kept)).toEqual([port]);

    const asClusterIP = await env.api.update(edit(kept, (s) => ((s.spec.type = 'ClusterIP'), (s.spec.ports[0].nodePort = 0))));
    expect(nodePorts(asClusterIP)).toEqual([0]);
    expect((await ports()).has(String(port))).toBe(false);
    expect(clusterIP(asClusterIP)).toBe(clusterIP(created));

    const again = await env.api.update(edit(asClusterIP, (s) => (s.spec.type = 'NodePort')));
    const [next] = nodePorts(again);
    expect(next).toBeGreaterThanOrEqual(30000);
    expect((await ports()).get(String(next))).toBe('switch');

    await env.api.delete({ resource: 'services', namespace: 'default', name: 'switch' });
    const left = await ports();
    expect(left.has(String(next))).toBe(false);
    expect((await ips()).has(clusterIP(created))).toBe(false);
  });
});

describe('services stored without allocation records (from before they existed)', () => {
  it('get their ClusterIP and node ports recorded, so that nobody else is given them', async () => {
    // Earlier tests' random picks hold some addresses and ports: take ones that are free.
    const [takenIps, takenPorts] = await Promise.all([ips(), ports()]);
    const ip = Array.from({ length: 50 }, (_, i) => `10.96.0.${250 - i}`).find((a) => !takenIps.has(a))!;
    const port = Array.from({ length: 50 }, (_, i) => 30199 - i).find((p) => !takenPorts.has(String(p)))!;
    const { info, object } = unwrap(service('legacy', { type: 'NodePort', clusterIP: ip, ports: [{ port: 80, nodePort: port }] }));
    const legacy = object as StoredObject;
    Object.assign(legacy.metadata!, { uid: 'legacy-uid', creationTimestamp: new Date() });
    await env.storage.create('/registry/services/default/legacy', encodeObject(info, legacy));
    await env.storage.create('/registry/services/default/legacy-twin', encodeObject(info, { ...legacy, metadata: { ...legacy.metadata!, name: 'legacy-twin', uid: 'twin-uid' } } as StoredObject));
    const store = new GenericStore(env.storage, undefined, undefined, { serviceIpRange: parseServiceIpRange(RANGES.serviceClusterIpRange), nodePortRange: { min: 30000, max: 30199 } });
    const first = await store.recordServiceAllocations();
    expect(first.recorded.sort()).toEqual([`/registry/ipallocations/${ip}`, `/registry/servicenodeports/${port}`]);
    expect(first.duplicates.sort()).toEqual([`/registry/ipallocations/${ip}`, `/registry/servicenodeports/${port}`]);
    expect(await store.recordServiceAllocations()).toEqual({ recorded: [], duplicates: first.duplicates }); // idempotent
    expect((await ips()).get(ip)).toMatch(/^legacy/);
    await expect(env.api.create(service('newcomer', { clusterIP: ip }))).rejects.toEqual(invalid('spec.clusterIP', 'provided IP is already allocated'));
    for (const name of ['legacy', 'legacy-twin']) await env.api.delete({ resource: 'services', namespace: 'default', name });
    expect((await ips()).has(ip)).toBe(false);
  });
});

describe('two apiservers on one etcd', () => {
  /** A second apiserver on the same etcd and NATS (stopping it leaves them running). */
  async function startSecond(overrides: Partial<ApiserverConfig>): Promise<{ api: RawApi; stop(): Promise<void> }> {
    const ac = new AbortController();
    let onListening!: (a: { grpc: string }) => void;
    const listening = new Promise<{ grpc: string }>((resolve) => (onListening = resolve));
    const running = runApiserver(
      {
        listen: '127.0.0.1:0',
        metricsListen: '127.0.0.1:0',
        etcd: [env.etcd.endpoint],
        nats: [env.nats.url],
        compactionIntervalMs: 0,
        version: { version: 'test', gitCommit: '' },
        logger: createLogger('apiserver-2', process.env.SKIFF_TEST_LOG_LEVEL ?? 'silent'),
        onListening,
        ...overrides,
      },
      ac.signal,
    );
    const { grpc } = await Promise.race([listening, running.then(() => Promise.reject(new Error('apiserver stopped before listening')))]);
    const api = rawApi(grpc);
    return {
      api,
      async stop() {
        api.close();
        ac.abort();
        await running;
      },
    };
  }

  it('racing 50 creates on each hand out no IP and no node port twice, and each sees the other\'s allocations', async () => {
    const second = await startSecond(RANGES);
    try {
      const create = (api: RawApi, name: string) => api.create(service(name, { type: 'NodePort' }));
      const created = await Promise.all(
        Array.from({ length: 50 }, (_, i) => [create(env.api, `race-a-${i}`), create(second.api, `race-b-${i}`)]).flat(),
      );
      const allIps = created.map(clusterIP);
      const allPorts = created.flatMap(nodePorts);
      expect(new Set(allIps).size).toBe(100);
      expect(new Set(allPorts).size).toBe(100);
      // etcd's records agree with the services: one key per value, owned by the service holding it.
      const storedIps = await ips();
      const storedPorts = await ports();
      created.forEach((svc) => {
        expect(storedIps.get(clusterIP(svc))).toBe(meta(svc).name);
        expect(storedPorts.get(String(nodePorts(svc)[0]))).toBe(meta(svc).name);
      });
      // A value allocated through one apiserver is taken for the other (and for a restarted one: the state is in etcd).
      await expect(second.api.create(service('late', { clusterIP: allIps[0] }))).rejects.toEqual(invalid('spec.clusterIP', 'provided IP is already allocated'));
      await expect(env.api.create(service('late', { type: 'NodePort', ports: [{ port: 80, nodePort: allPorts[1] }] }))).rejects.toEqual(
        invalid('spec.ports[0].nodePort', 'provided port is already allocated'),
      );
      await Promise.all(created.map((svc, i) => (i % 2 ? env.api : second.api).delete({ resource: 'services', namespace: 'default', name: meta(svc).name })));
      const leftIps = await ips();
      expect(allIps.filter((ip) => leftIps.has(ip))).toEqual([]);
      const leftPorts = await ports();
      expect(allPorts.filter((p) => leftPorts.has(String(p)))).toEqual([]);
    } finally {
      await second.stop();
    }
  }, 60_000);
});
