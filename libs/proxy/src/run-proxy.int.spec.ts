/**
 * The proxy in-process (runProxy, managing the local route of the default service CIDR) against
 * real etcd, NATS and the built apiserver. The test plays the endpoints controller: it writes an
 * Endpoints object whose addresses are pods of the served node "node-1" at 127.0.0.1, one port per
 * local TCP server, and connects through the Service's allocated ClusterIP. Its pod network
 * keeper acts in a network namespace this file creates (not on the machine's own routes).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import { Endpoints, EndpointSubset, intOrString, Node, Service } from '@skiff/api';
import { connect, typed, type SkiffClient, type TypedClient } from '@skiff/client';
import { createLogger } from '@skiff/service';
import { startApiserverEnv, waitFor, type ApiserverEnv } from '@skiff/testing';
import { commandRunner } from './pod-network/pod-network-keeper';
import { runProxy, type ProxyHandle } from './run-proxy';

/** The namespace standing in for this machine's network, for the pod network keeper. */
const netns = `skiff-rp-${randomBytes(3).toString('hex')}`;
const inNetns = (args: string[]) => execFileSync('nsenter', [`--net=/var/run/netns/${netns}`, ...args], { encoding: 'utf8' });

const NS = 'default';

/** A TCP server that answers each connection with its name and closes it. */
async function startBackend(name: string): Promise<{ name: string; port: number; server: net.Server }> {
  const server = net.createServer((socket) => socket.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { name, port: (server.address() as net.AddressInfo).port, server };
}

/** One connection to host:port; resolves with what the server sent before closing. */
function request(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

/** `n` sequential requests; counts answers by backend name. */
async function spread(host: string, port: number, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await request(host, port);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

const subsetFor = (port: number) => EndpointSubset.fromPartial({ addresses: [{ ip: '127.0.0.1', nodeName: 'node-1' }], ports: [{ name: 'web', port, protocol: 'TCP' }] });

describe('runProxy against the real apiserver', () => {
  let env: ApiserverEnv;
  let client: SkiffClient;
  let services: TypedClient<'service'>;
  let endpoints: TypedClient<'endpoints'>;
  let backends: { name: string; port: number; server: net.Server }[];
  const stop = new AbortController();
  let done: Promise<void>;
  let proxy: ProxyHandle;

  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', netns]);
    inNetns(['ip', 'link', 'add', 'peers', 'type', 'veth', 'peer', 'name', 'peers-end']);
    inNetns(['ip', 'addr', 'add', '10.77.0.1/24', 'dev', 'peers']);
    inNetns(['ip', 'link', 'set', 'peers', 'up']);
    inNetns(['ip', 'link', 'set', 'peers-end', 'up']);
    env = await startApiserverEnv();
    client = connect(env.apiserver.address, { timeoutMs: 10_000 });
    services = typed(client, 'service');
    endpoints = typed(client, 'endpoints');
    backends = await Promise.all(['a', 'b', 'c'].map(startBackend));
    let handle: ProxyHandle | undefined;
    done = runProxy(
      {
        server: env.apiserver.address,
        nats: [env.nats.url],
        nodes: ['node-1'],
        nodeIPs: ['127.0.0.1'],
        metricsListen: '127.0.0.1:0',
        logger: createLogger('proxy', 'warn'),
        balancer: { connectTimeoutMs: 500 },
        dns: { host: '127.0.0.1', port: 0 },
        podNetworkCommands: commandRunner(['nsenter', `--net=/var/run/netns/${netns}`]),
        podNetworkResyncMs: 500,
        onListening: (h) => (handle = h),
      },
      stop.signal,
    );
    proxy = await waitFor('proxy serving', () => handle);
  }, 120_000);

  afterAll(async () => {
    stop.abort();
    await done;
    await Promise.all(backends.map((b) => new Promise((r) => b.server.close(r))));
    client?.close();
    await env?.stop();
    // The stopped proxy removed its pod network rules and routes.
    const left = inNetns(['iptables-save']).includes('SKIFF-POD') || inNetns(['ip', 'route', 'show', 'proto', '157']).trim() !== '';
    execFileSync('ip', ['netns', 'del', netns]);
    expect(left).toBe(false);
  }, 30_000);

  it("routes the other nodes' pod CIDRs via their addresses, following Node changes", async () => {
    const nodes = typed(client, 'node');
    const node = (name: string, podCIDR: string, address: string) =>
      Node.fromPartial({ metadata: { name }, spec: { podCIDR }, status: { addresses: [{ type: 'InternalIP', address }] } });
    const routes = () => inNetns(['ip', 'route', 'show', 'proto', '157']).trim();
    await nodes.create(node('node-1', '10.244.1.0/24', '10.77.0.1')); // this machine's: no route
    await nodes.create(node('node-2', '10.244.2.0/24', '10.77.0.2'));
    await waitFor('the route to node-2', () => routes() === '10.244.2.0/24 via 10.77.0.2 dev peers');
    expect(inNetns(['iptables-save'])).toMatch(/-A POSTROUTING -s 10\.244\.0\.0\/16 .*-j SKIFF-PODMASQ-/);
    await nodes.delete('', 'node-2');
    await waitFor('no route once node-2 is gone', () => routes() === '');
  }, 30_000);

  it('spreads connections over the ClusterIP, stops using a removed backend and retries past a refusing one', async () => {
    const svc = await services.create(
      Service.fromPartial({ metadata: { name: 'web', namespace: NS }, spec: { ports: [{ name: 'web', protocol: 'TCP', port: 80, targetPort: intOrString(8080) }] } }),
    );
    const clusterIP = svc.spec?.clusterIP ?? '';
    expect(clusterIP).toMatch(/^10\.96\./);
    const id = `TCP/${clusterIP}:80`;
    const ep = await endpoints.create(Endpoints.fromPartial({ metadata: { name: 'web', namespace: NS }, subsets: backends.map((b) => subsetFor(b.port)) }));
    await waitFor('listener with 3 backends', () => proxy.balancer.backendsOf(id)?.length === 3);

    const counts = await spread(clusterIP, 80, 300);
    for (const b of backends) {
      expect(counts[b.name] ?? 0).toBeGreaterThanOrEqual(60);
      expect(counts[b.name] ?? 0).toBeLessThanOrEqual(141);
    }

    // Remove backend c: after the proxy sees it, no connection reaches it.
    const [a, b, c] = backends as [(typeof backends)[0], (typeof backends)[0], (typeof backends)[0]];
    const withoutC = await endpoints.update({ ...ep, subsets: [subsetFor(a.port), subsetFor(b.port)] });
    await waitFor('listener with 2 backends', () => proxy.balancer.backendsOf(id)?.length === 2);
    const after = await spread(clusterIP, 80, 60);
    expect(after[c.name]).toBeUndefined();
    expect((after[a.name] ?? 0) + (after[b.name] ?? 0)).toBe(60);

    // A backend that refuses (a port nobody listens on): every connection still succeeds elsewhere.
    const dead = await startBackend('dead');
    await new Promise((r) => dead.server.close(r));
    await endpoints.update({ ...withoutC, subsets: [subsetFor(dead.port), subsetFor(a.port), subsetFor(b.port)] });
    await waitFor('listener with the refusing backend', () => proxy.balancer.backendsOf(id)?.length === 3);
    const retried = await spread(clusterIP, 80, 60);
    expect((retried[a.name] ?? 0) + (retried[b.name] ?? 0)).toBe(60);
    const metrics = await fetch(`http://${proxy.metrics}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/skiff_proxy_errors_total\{[^}]*reason="connect"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/skiff_proxy_connections_total\{[^}]*service="default\/web"[^}]*\} 420/);

    // Deleting the Service closes its listener.
    await services.delete(NS, 'web');
    await waitFor('listener closed', () => !proxy.balancer.listenerIds().includes(id));
    await expect(request(clusterIP, 80)).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);

  it('serves a UDP service port on its ClusterIP', async () => {
    const echo = dgram.createSocket('udp4');
    echo.on('message', (msg, rinfo) => echo.send(`echo:${msg.toString()}`, rinfo.port, rinfo.address));
    await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
    const svc = await services.create(Service.fromPartial({ metadata: { name: 'dns', namespace: NS }, spec: { ports: [{ name: 'dns', protocol: 'UDP', port: 53 }] } }));
    const clusterIP = svc.spec?.clusterIP ?? '';
    await endpoints.create(
      Endpoints.fromPartial({
        metadata: { name: 'dns', namespace: NS },
        subsets: [{ addresses: [{ ip: '127.0.0.1', nodeName: 'node-1' }], ports: [{ name: 'dns', port: echo.address().port, protocol: 'UDP' }] }],
      }),
    );
    await waitFor('udp listener', () => proxy.udp.backendsOf(`UDP/${clusterIP}:53`)?.length === 1);
    const client = dgram.createSocket('udp4');
    const reply = new Promise<string>((resolve) => client.once('message', (msg) => resolve(msg.toString())));
    client.send('ping', 53, clusterIP);
    expect(await reply).toBe('echo:ping');
    client.close();
    echo.close();
  }, 30_000);

  it('answers cluster DNS names from its caches', async () => {
    const svc = await services.create(Service.fromPartial({ metadata: { name: 'named', namespace: NS }, spec: { ports: [{ name: 'http', protocol: 'TCP', port: 80 }] } }));
    const resolver = new Resolver();
    resolver.setServers([proxy.dns() ?? '']);
    const answer = await waitFor('the A record', () => resolver.resolve4(`named.${NS}.svc.cluster.local`).catch(() => undefined));
    expect(answer).toEqual([svc.spec?.clusterIP]);
    await expect(resolver.resolve4(`missing.${NS}.svc.cluster.local`)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  }, 30_000);
});
