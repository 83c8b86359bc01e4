import { startEtcdCluster, type EtcdCluster } from './etcd-cluster';
import { startNatsCluster, type NatsCluster } from './nats-cluster';
import { waitFor } from './wait-for';

async function put(endpoint: string, key: string, value: string): Promise<Response> {
  return fetch(`${endpoint}/v3/kv/put`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from(key).toString('base64'), value: Buffer.from(value).toString('base64') }),
    signal: AbortSignal.timeout(3_000),
  });
}

async function get(endpoint: string, key: string): Promise<string | undefined> {
  const res = await fetch(`${endpoint}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from(key).toString('base64') }), signal: AbortSignal.timeout(3_000) });
  const body = (await res.json()) as { kvs?: { value: string }[] };
  return body.kvs?.[0] ? Buffer.from(body.kvs[0].value, 'base64').toString() : undefined;
}

describe('startEtcdCluster', () => {
  let etcd: EtcdCluster;
  afterAll(() => etcd?.stop(), 20_000);

  it('runs 3 members that keep serving without their leader and take it back on restart', async () => {
    etcd = await startEtcdCluster(3);
    expect(etcd.endpoints).toHaveLength(3);
    expect(new Set(etcd.endpoints).size).toBe(3);
    await waitFor('the cluster to be healthy', () => etcd.healthy());
    const leader = await etcd.leader();
    await leader.kill();
    const other = etcd.members.find((m) => m !== leader)!;
    await waitFor('a write without the old leader', async () => (await put(other.endpoint, 'k', 'v1')).ok, { timeoutMs: 10_000, intervalMs: 100 });
    expect((await etcd.leader()).name).not.toBe(leader.name);
    await leader.restart();
    await waitFor('the restarted member to catch up', async () => (await get(leader.endpoint, 'k')) === 'v1', { timeoutMs: 10_000 });
    await waitFor('the cluster to be healthy again', () => etcd.healthy());
  }, 60_000);
});

describe('startNatsCluster', () => {
  let nats: NatsCluster;
  afterAll(() => nats?.stop(), 20_000);

  it('runs 3 servers with clustered JetStream; a killed server rejoins', async () => {
    nats = await startNatsCluster(3);
    expect(nats.urls).toHaveLength(3);
    // (Replicated streams are tested in libs/bus, which may import nats; here: the meta group.)
    const jsz = (await (await fetch(`${nats.members[0].monitorUrl}/jsz`)).json()) as { meta_cluster?: { cluster_size?: number; leader?: string } };
    expect(jsz.meta_cluster?.cluster_size).toBe(3);
    expect(jsz.meta_cluster?.leader).toBeTruthy();
    await nats.members[1].kill();
    await nats.members[1].restart();
    await waitFor('the meta leader to see 2 current followers', async () => {
      for (const m of nats.members) {
        const meta = ((await (await fetch(`${m.monitorUrl}/jsz`)).json()) as { meta_cluster?: { replicas?: { current: boolean }[] } }).meta_cluster;
        if ((meta?.replicas ?? []).filter((r) => r.current).length === 2) return true;
      }
      return false;
    }, { timeoutMs: 20_000, intervalMs: 200 });
  }, 60_000);
});
