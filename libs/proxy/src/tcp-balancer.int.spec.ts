/**
 * The TCP balancer on real loopback sockets (no apiserver: the listeners are given directly), as
 * a NodePort listener on 127.0.0.1 would be.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { Registry } from 'prom-client';
import { createLogger } from '@skiff/service';
import { freePort, waitFor } from '@skiff/testing';
import { createProxyMetrics } from './proxy-metrics';
import type { Backend, ListenerSpec } from './proxy-table';
import { TcpBalancer } from './tcp-balancer';

interface TestBackend extends Backend {
  name: string;
  server: net.Server;
}

/** Answers "<name>:<what the client sent>" once the client has half-closed. */
async function startEchoBackend(name: string): Promise<TestBackend> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => socket.end(`${name}:${data}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { name, host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, server };
}

/** Sends `payload`, half-closes, resolves with the whole answer. */
function exchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => socket.end(payload));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

/** A server that sends back everything it reads, and ends when the client has ended. */
async function startMirrorBackend(): Promise<TestBackend> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { name: 'mirror', host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, server };
}

/**
 * Writes `payload` to port in 64 KiB pieces (waiting for 'drain' when told to) and half-closes;
 * reads nothing back until its own writes block (every buffer on the way, the proxy's included,
 * is full then); resolves with the sha256 and length of what came back, and whether its writes
 * blocked before the end.
 */
function mirrorThrough(port: number, payload: Buffer): Promise<{ sha256: string; length: number; blocked: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const hash = createHash('sha256');
    let length = 0;
    let blocked = false;
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    socket.pause();
    socket.on('end', () => resolve({ sha256: hash.digest('hex'), length, blocked }));
    socket.on('error', reject);
    let offset = 0;
    const write = () => {
      while (offset < payload.length) {
        const piece = payload.subarray(offset, offset + 65_536);
        offset += piece.length;
        if (!socket.write(piece)) {
          blocked = true;
          socket.resume();
          return void socket.once('drain', write);
        }
      }
      socket.end();
      socket.resume();
    };
    write();
  });
}

describe('TcpBalancer on loopback', () => {
  const registry = new Registry();
  const metrics = createProxyMetrics(registry);
  const balancer = new TcpBalancer({ logger: createLogger('proxy', 'warn'), metrics, connectTimeoutMs: 500 });
  let backends: TestBackend[];
  let port: number;

  const listener = (over: Partial<ListenerSpec> = {}): ListenerSpec => ({
    id: `TCP/127.0.0.1:${port}`,
    protocol: 'TCP',
    host: '127.0.0.1',
    port,
    service: 'default/np',
    portName: 'web',
    kind: 'node',
    sessionAffinity: 'None',
    backends: backends.map(({ host, port: p }) => ({ host, port: p })),
    ...over,
  });

  beforeAll(async () => {
    backends = await Promise.all(['a', 'b'].map(startEchoBackend));
    port = await freePort();
  });

  afterAll(async () => {
    await balancer.close();
    await Promise.all(backends.map((b) => new Promise((r) => b.server.close(r))));
  });

  it('passes half-closed exchanges through, alternating backends', async () => {
    await balancer.apply([listener()]);
    expect(balancer.listenerIds()).toEqual([`TCP/127.0.0.1:${port}`]);
    const answers = [await exchange(port, 'x'), await exchange(port, 'y'), await exchange(port, 'z')];
    expect(answers.map((a) => a.split(':')[1])).toEqual(['x', 'y', 'z']);
    expect(new Set(answers.map((a) => a.split(':')[0]))).toEqual(new Set(['a', 'b']));
  });

  it('keeps an established connection when its backend is removed, new ones go to the others', async () => {
    await balancer.apply([listener({ backends: [backends[0] as Backend] })]);
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    const ended = new Promise<void>((resolve) => socket.on('end', resolve));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('early ');
    await balancer.apply([listener({ backends: [backends[1] as Backend] })]);
    expect(await exchange(port, 'new')).toBe('b:new');
    socket.end('late');
    await ended;
    expect(data).toBe('a:early late');
  });

  it('carries a bulk stream both ways intact through full buffers (backpressure)', async () => {
    const mirror = await startMirrorBackend();
    try {
      await balancer.apply([listener({ backends: [{ host: mirror.host, port: mirror.port }] })]);
      const payload = randomBytes(24 << 20);
      const back = await mirrorThrough(port, payload);
      expect(back).toEqual({ sha256: createHash('sha256').update(payload).digest('hex'), length: payload.length, blocked: true });
    } finally {
      await new Promise((r) => mirror.server.close(r));
    }
  });

  it('keeps a client on one backend with ClientIP affinity', async () => {
    await balancer.apply([listener({ sessionAffinity: 'ClientIP' })]);
    const names = new Set<string>();
    for (let i = 0; i < 10; i++) names.add((await exchange(port, '')).split(':')[0] ?? '');
    expect(names.size).toBe(1);
  });

  it('resets a connection when no backend is left and closes a listener no longer wanted', async () => {
    await balancer.apply([listener({ backends: [] })]);
    await expect(exchange(port, 'x')).rejects.toThrow(/ECONNRESET/);
    expect(await registry.getSingleMetricAsString('skiff_proxy_errors_total')).toMatch(/reason="no_backend"[^}]*\} 1/);
    await balancer.apply([]);
    expect(balancer.listenerIds()).toEqual([]);
    await waitFor('listener closed', () => exchange(port, 'x').then(() => false, (err: Error) => /ECONNREFUSED/.test(err.message)));
  });
});
