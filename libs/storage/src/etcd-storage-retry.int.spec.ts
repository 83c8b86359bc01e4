import { createServer, connect, type Server, type Socket } from 'node:net';
import { startEtcd, type EtcdServer } from '@skiff/testing';
import { EtcdStorage } from './etcd-storage';

const bytes = (s: string) => new TextEncoder().encode(s);

/**
 * A TCP proxy in front of etcd that, once armed, lets the next request through but drops the
 * connection instead of passing the answer back: the write commits and the client never hears
 * of it, as when a member dies mid-request. The etcd3 client then sends the transaction again.
 */
async function startAnswerDroppingProxy(target: URL): Promise<{ endpoint: string; arm(): void; connections: number; close(): void }> {
  let armed = false;
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server: Server = createServer((client) => {
    state.connections++;
    const upstream = connect({ host: target.hostname, port: Number(target.port) });
    sockets.add(client).add(upstream);
    client.on('data', (d) => upstream.write(d));
    let dropping = false;
    upstream.on('data', (d) => {
      if (dropping) return;
      if (!armed) {
        client.write(d);
        return;
      }
      // From here on nothing reaches the client; the connection drops once the write surely committed.
      armed = false;
      dropping = true;
      setTimeout(() => {
        client.destroy();
        upstream.destroy();
      }, 200);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    arm: () => (armed = true),
    get connections() {
      return state.connections;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('EtcdStorage when an answer is lost after the write committed', () => {
  let etcd: EtcdServer;
  let proxy: Awaited<ReturnType<typeof startAnswerDroppingProxy>>;
  let storage: EtcdStorage;

  beforeAll(async () => {
    etcd = await startEtcd();
    proxy = await startAnswerDroppingProxy(new URL(etcd.endpoint));
    storage = new EtcdStorage({ endpoints: [proxy.endpoint] });
  }, 30_000);
  afterAll(async () => {
    await storage?.close();
    proxy?.close();
    await etcd?.stop();
  });

  it('reports the retried create and update as done at the revision they committed at', async () => {
    const key = '/registry/configmaps/default/lost-answer';
    const before = await storage.currentRevision();
    const connectionsBefore = proxy.connections;
    proxy.arm();
    const created = await storage.create(key, bytes('v1'));
    expect(proxy.connections).toBeGreaterThan(connectionsBefore); // the client did reconnect and retry
    expect(created).toBe(before + 1); // one write, not two
    expect((await storage.get(key))?.modRevision).toBe(created);

    proxy.arm();
    const updated = await storage.update(key, bytes('v2'), created);
    expect(updated).toBe(created + 1);
    const stored = await storage.get(key);
    expect(new TextDecoder().decode(stored?.value)).toBe('v2');
    expect(stored?.modRevision).toBe(updated);
  }, 30_000);

  it('still reports a real conflict and a real duplicate', async () => {
    const key = '/registry/configmaps/default/plain';
    const rev = await storage.create(key, bytes('same'));
    await expect(storage.create(key, bytes('same'))).rejects.toMatchObject({ name: expect.stringMatching(/AlreadyExists/) });
    await storage.update(key, bytes('next'), rev);
    await expect(storage.update(key, bytes('next'), rev)).rejects.toMatchObject({ name: expect.stringMatching(/Conflict/) });
  });
});
