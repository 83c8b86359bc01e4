/**
 * The UDP balancer on real loopback sockets (no apiserver: the listeners are given directly).
 */
import dgram from 'node:dgram';
import { Registry } from 'prom-client';
import { createLogger } from '@skiff/service';
import { freePort, waitFor } from '@skiff/testing';
import { createProxyMetrics } from './proxy-metrics';
import type { Backend, ListenerSpec } from './proxy-table';
import { UdpBalancer } from './udp-balancer';

interface UdpBackend extends Backend {
  socket: dgram.Socket;
}

/** Answers each datagram with "<name>:<datagram>". */
async function startUdpEcho(name: string): Promise<UdpBackend> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(`${name}:${msg.toString()}`, rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { host: '127.0.0.1', port: socket.address().port, socket };
}

/** A client socket; ask() sends one datagram to `port` and resolves with the first reply. */
async function udpClient(port: number): Promise<{ ask(text: string): Promise<string>; close(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    ask: (text) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reply to ${text}`)), 1000);
        socket.once('message', (msg) => {
          clearTimeout(timer);
          resolve(msg.toString());
        });
        socket.send(text, port, '127.0.0.1');
      }),
    close: () => socket.close(),
  };
}

describe('UdpBalancer on loopback', () => {
  const registry = new Registry();
  const metrics = createProxyMetrics(registry);
  const balancer = new UdpBalancer({ logger: createLogger('proxy', 'warn'), metrics });
  let a: UdpBackend;
  let b: UdpBackend;
  let port: number;
  const listener = (backends: Backend[]): ListenerSpec => ({
    id: `UDP/127.0.0.1:${port}`,
    protocol: 'UDP',
    host: '127.0.0.1',
    port,
    service: 'default/dns',
    portName: 'dns',
    kind: 'node',
    sessionAffinity: 'None',
    backends: backends.map(({ host, port: p }) => ({ host, port: p })),
  });

  beforeAll(async () => {
    [a, b] = await Promise.all([startUdpEcho('a'), startUdpEcho('b')]);
    port = await freePort();
  });

  afterAll(async () => {
    await balancer.close();
    a.socket.close();
    b.socket.close();
  });

  it('keeps a client flow on one backend and spreads new clients round robin', async () => {
    await balancer.apply([listener([a, b])]);
    expect(balancer.listenerIds()).toEqual([`UDP/127.0.0.1:${port}`]);
    const [c1, c2] = await Promise.all([udpClient(port), udpClient(port)]);
    const first = [await c1.ask('1'), await c1.ask('2'), await c1.ask('3')];
    expect(new Set(first.map((r) => r.split(':')[0])).size).toBe(1);
    const other = await c2.ask('x');
    expect(other.split(':')[0]).not.toBe(first[0]?.split(':')[0]);
    c1.close();
    c2.close();
  });

  it('moves a flow to another backend once its backend refuses', async () => {
    const dead = await startUdpEcho('dead');
    const deadBackend = { host: dead.host, port: dead.port };
    await new Promise<void>((resolve) => dead.socket.close(resolve));
    await balancer.apply([listener([deadBackend, b])]);
    const client = await udpClient(port);
    // The flow goes to whichever backend round robin gives; retry until an answer comes back.
    const answer = await waitFor('an answer from a live backend', () => client.ask('q').catch(() => undefined), { timeoutMs: 5000 });
    expect(answer).toBe('b:q');
    // Round robin stood at the first backend: the flow went to the dead one first and was dropped.
    expect(await registry.getSingleMetricAsString('skiff_proxy_errors_total')).toMatch(/reason="connect"[^}]*\} [1-9]/);
    client.close();
  });

  it('closes a listener no longer wanted', async () => {
    await balancer.apply([]);
    expect(balancer.listenerIds()).toEqual([]);
    const client = await udpClient(port);
    await expect(client.ask('gone')).rejects.toThrow('no reply');
    client.close();
  });
});
