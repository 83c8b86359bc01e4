import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import type { Pod, Service } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { NODE_IMAGE, TEST_IMAGE, ensureNodeImage, testLabel, waitFor } from '@skiff/testing';
import { endpointAddresses, httpGet, isLive, livePodsOfApp, startE2eCluster, waitPodRunning, type E2eCluster } from './e2e-fixture';

/**
 * Issue 5's acceptance end to end: the built apiserver, scheduler, controller-manager (endpoint
 * controller), two kubelets on real Docker and ONE proxy serving only node 1; endpoints on both
 * nodes are reached at their pod IP (the pod network routes pod CIDRs cluster-wide). Everything is applied with the built
 * CLI; connections go from the host (this process) and from inside a pod (busybox `nc`).
 *
 * The web pods answer with their own name (busybox httpd serving `hostname`). As PID 1 of their
 * container httpd ignores SIGTERM, so a deleted pod keeps answering at its pod IP for its whole
 * grace period: what stops requests reaching it through the service is the endpoints change alone.
 */
const run = testLabel().value;
const NODES = [`svc-${run}-1`, `svc-${run}-2`];
const NS = 'default';
const GRACE_SECONDS = 15;
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;

beforeAll(async () => {
  await ensureNodeImage();
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    controllerManagers: 1,
    proxy: { nodes: [NODES[0]] },
  });
  pods = e2e.typed('pod');
  await apply('web.yaml', webManifest());
  // The client pod comes after the web Service: it gets its environment variables.
  await apply('client.yaml', podManifest('client', NODES[0], `[sh, -c, "exec sleep 3600"]`));
  await Promise.all([waitEndpoints('web', 3), waitPodRunning(pods, NS, 'client', { timeoutMs: 60_000, intervalMs: 200 })]);
}, 240_000);

afterAll(async () => {
  await e2e?.stop();
}, 60_000);

function skiff(...args: string[]): Promise<string> {
  return e2e.cli(args, 90_000);
}

async function apply(file: string, yaml: string): Promise<void> {
  await e2e.apply(file, yaml);
}

/** The httpd of TEST_IMAGE on port 8080 (named http), answering GET / with the pod's name. */
const HTTPD = `[sh, -c, "hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]`;

/** Deployment web (3 pods of HTTPD) and its NodePort Service web: port 80 (named http) -> http. */
function webManifest(): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: ${GRACE_SECONDS}
      containers:
      - name: web
        image: ${TEST_IMAGE}
        imagePullPolicy: IfNotPresent
        command: ${HTTPD}
        ports: [{name: http, containerPort: 8080}]
        resources: {requests: {cpu: 100m}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;
}

/** A bare pod labelled app=<name> on `node` running `command` in `image`, with `ports` (YAML flow list). */
function podManifest(name: string, node: string, command: string, { image = TEST_IMAGE, ports = '[]' } = {}): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: ${command}
    ports: ${ports}
`;
}

/** A Service `name` selecting app=<app>, one port. */
function serviceManifest(name: string, app: string, port: number, targetPort: string | number, protocol = 'TCP'): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${app}}
  ports: [{port: ${port}, targetPort: ${targetPort}, protocol: ${protocol}}]
`;
}

const service = (name: string): Promise<Service> => e2e.typed('service').get(NS, name);
const clusterIP = async (name: string): Promise<string> => (await service(name)).spec?.clusterIP ?? '';

/** The IPs of the ready addresses of the Endpoints `name` (none when it does not exist). */
async function endpointIPs(name: string): Promise<string[]> {
  return (await endpointAddresses(e2e.typed('endpoints'), NS, name)).ready;
}

/** Waits until the Endpoints `name` lists exactly `ready` ready addresses; resolves with their IPs. */
function waitEndpoints(name: string, ready: number, timeoutMs = 60_000): Promise<string[]> {
  return waitFor(
    `${name} to have ${ready} ready endpoints`,
    async () => {
      const ips = await endpointIPs(name);
      return ips.length === ready ? ips : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Answers counted by body. */
function tally(bodies: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const b of bodies) counts.set(b, (counts.get(b) ?? 0) + 1);
  return counts;
}

/** Lines of `ss` (iproute2) for TCP sockets matching the filter, e.g. ['state', 'listening', 'src', '10.96.1.2:80']. */
function tcpSockets(filter: string[]): string[] {
  return execFileSync('ss', ['-Htn', ...filter], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** A request loop from the host on new connections; stop() resolves with every attempt. */
function requestLoop(host: string, port: number): { stop(): Promise<{ at: number; body?: string; error?: string }[]> } {
  const results: { at: number; body?: string; error?: string }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      try {
        results.push({ at, body: await httpGet(host, port) });
      } catch (err) {
        results.push({ at, error: (err as Error).message });
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return results;
    },
  };
}

/** The longest time (ms) between a failed attempt and the next success (0 without failures). */
function longestOutage(results: readonly { at: number; error?: string }[]): number {
  let longest = 0;
  let since: number | undefined;
  for (const r of results) {
    if (r.error) since ??= r.at;
    else if (since !== undefined) {
      longest = Math.max(longest, r.at - since);
      since = undefined;
    }
  }
  return since === undefined ? longest : Infinity;
}

const webPodNames = async (): Promise<string[]> => (await livePodsOfApp(pods, 'web')).map((p) => p.metadata?.name ?? '');

describe('a ClusterIP service through the proxy', () => {
  it('shows the service and its endpoints in skiff get', async () => {
    const ip = await clusterIP('web');
    expect(ip).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(await skiff('get', 'svc', 'web')).toMatch(new RegExp(`web\\s+NodePort\\s+${ip.replace(/\./g, '\\.')}\\s+\\S+\\s+80:3\\d{4}/TCP`));
    const endpoints = await skiff('get', 'endpoints', 'web');
    for (const pod of await livePodsOfApp(pods, 'web')) expect(endpoints).toContain(`${pod.status?.podIP}:8080`);
  });

  it('spreads 300 connections from the host (ClusterIP) and 300 from a pod (DNS name) over the 3 pods, each 20-47%', async () => {
    const names = await webPodNames();
    expect(names).toHaveLength(3);
    // The pods run on both nodes, all reached at their pod IP.
    const nodes = new Set((await livePodsOfApp(pods, 'web')).map((p) => p.spec?.nodeName));
    expect(nodes.size).toBe(2);

    const ip = await clusterIP('web');
    const fromHost: string[] = [];
    for (let i = 0; i < 300; i++) fromHost.push(await httpGet(ip, 80));
    const fromPod = (
      await skiff('exec', 'client', '--', 'sh', '-c', `for i in $(seq 300); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc web.default.svc.cluster.local 80 | tail -n 1; done`)
    ).split('\n').filter(Boolean);

    for (const answers of [fromHost, fromPod]) {
      expect(answers).toHaveLength(300);
      const counts = tally(answers);
      expect([...counts.keys()].sort()).toEqual([...names].sort());
      for (const n of counts.values()) {
        expect(n).toBeGreaterThanOrEqual(60);
        expect(n).toBeLessThanOrEqual(141);
      }
    }
  }, 120_000);

  it('answers the short names web.default and web from a pod (search domains), and the ClusterIP itself', async () => {
    const names = await webPodNames();
    const ip = await clusterIP('web');
    for (const host of ['web.default', 'web', ip]) {
      const body = await skiff('exec', 'client', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc ${host} 80 | tail -n 1`);
      expect(names).toContain(body.trim());
    }
  });

  it('gives a pod created after a service its environment variables, and none of a later service', async () => {
    await apply('late-svc.yaml', serviceManifest('later', 'web', 8000, 'http'));
    const ip = await clusterIP('web');
    const env = await skiff('exec', 'client', '--', 'env');
    expect(env).toContain(`WEB_SERVICE_HOST=${ip}\n`);
    expect(env).toContain('WEB_SERVICE_PORT=80\n');
    expect(env).toContain('WEB_SERVICE_PORT_HTTP=80\n');
    expect(env).toContain(`WEB_PORT=tcp://${ip}:80\n`);
    expect(env).toContain(`WEB_PORT_80_TCP_ADDR=${ip}\n`);
    expect(env).not.toContain('LATER_SERVICE_HOST');
    await skiff('delete', 'svc', 'later');
  });

  it('keeps answering while the Deployment scales 3 -> 1 -> 3, with no outage longer than propagation', async () => {
    const ip = await clusterIP('web');
    const loop = requestLoop(ip, 80);
    let results: Awaited<ReturnType<ReturnType<typeof requestLoop>['stop']>>;
    try {
      await skiff('scale', 'deploy/web', '--replicas', '1');
      await waitEndpoints('web', 1);
      await skiff('scale', 'deploy/web', '--replicas', '3');
      await waitEndpoints('web', 3);
    } finally {
      results = await loop.stop();
    }
    const failures = results.filter((r) => r.error);
    // Endpoint propagation is measured by `npm run bench -- proxy` (goal p99 < 200 ms).
    expect({ attempts: results.length > 100, longestOutageMs: longestOutage(results) < 200 }).toEqual({ attempts: true, longestOutageMs: true });
    expect(failures.length).toBeLessThanOrEqual(results.length / 100);
    // The new pods answer too.
    const names = await webPodNames();
    await waitFor('every web pod to answer through the service', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) seen.add(await httpGet(ip, 80));
      return names.every((n) => seen.has(n));
    }, { timeoutMs: 10_000, intervalMs: 100 });
  }, 120_000);

  it('stops sending to a deleted pod once its endpoints change, though the pod still answers at its IP', async () => {
    const ip = await clusterIP('web');
    const [victim] = await livePodsOfApp(pods, 'web');
    const victimName = victim.metadata?.name ?? '';
    const victimIP = victim.status?.podIP ?? '';
    await skiff('delete', 'pod', victimName, '--wait=false');
    await waitFor('the endpoints to drop the deleted pod', async () => !(await endpointIPs('web')).includes(victimIP), { timeoutMs: 20_000, intervalMs: 50 });
    // Propagation to the proxy: within its goal (200 ms), then none of 100 requests reaches it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answers: string[] = [];
    for (let i = 0; i < 100; i++) answers.push(await httpGet(ip, 80));
    expect(answers).not.toContain(victimName);
    expect(answers).toHaveLength(100);
    // It is still in its grace period, answering at its own address.
    const now: Pod = await pods.get(NS, victimName);
    expect(isLive(now)).toBe(false);
    expect(await httpGet(victimIP, 8080)).toBe(victimName);
    await waitEndpoints('web', 3); // its replacement
  }, 60_000);
});

describe('the path across nodes, node ports, UDP and DNS', () => {
  it('reaches a service whose only pod runs on the other node at its pod IP (no host port published)', async () => {
    await apply('far.yaml', podManifest('far', NODES[1], HTTPD, { ports: '[{name: http, containerPort: 8080}]' }) + '---\n' + serviceManifest('far', 'far', 80, 'http'));
    await waitEndpoints('far', 1);
    const far = await pods.get(NS, 'far');
    expect(far.status?.publishedPorts ?? []).toEqual([]);
    const ep = await e2e.typed('endpoints').get(NS, 'far');
    expect(ep.subsets[0]?.addresses[0]).toMatchObject({ ip: far.status?.podIP, nodeName: NODES[1], hostPorts: [] });

    // The client (node 1) holds its connection open for a while, so the proxy's onward connection can be seen.
    const answer = skiff('exec', 'client', '--', 'sh', '-c', `(sleep 2; printf 'GET / HTTP/1.0\\r\\n\\r\\n') | nc far 80 | tail -n 1`);
    await waitFor('the proxy to connect to far at its pod IP', async () => tcpSockets(['state', 'established', 'dst', `${far.status?.podIP}:8080`]).length > 0, { timeoutMs: 5_000, intervalMs: 50 });
    expect((await answer).trim()).toBe('far');
  }, 60_000);

  it('serves a NodePort service on 127.0.0.1:<nodePort>', async () => {
    const nodePort = (await service('web')).spec?.ports[0]?.nodePort ?? 0;
    const [low, high] = e2e.cluster.nodePortRange.split('-').map(Number);
    expect(nodePort).toBeGreaterThanOrEqual(low);
    expect(nodePort).toBeLessThanOrEqual(high);
    const names = await webPodNames();
    const answers = new Set<string>();
    for (let i = 0; i < 30; i++) answers.add(await httpGet('127.0.0.1', nodePort));
    expect([...answers].sort()).toEqual([...names].sort());
  });

  it('balances a UDP service (a Node UDP echo server in a pod on node 2)', async () => {
    const echo = `[node, -e, "const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send(require('os').hostname() + ':' + m, r.port, r.address)); s.bind(9000)"]`;
    await apply('udp.yaml', podManifest('udp-echo', NODES[1], echo, { image: NODE_IMAGE, ports: '[{name: echo, containerPort: 9000, protocol: UDP}]' }) + '---\n' + serviceManifest('udp-echo', 'udp-echo', 5353, 'echo', 'UDP'));
    await waitEndpoints('udp-echo', 1);
    const ip = await clusterIP('udp-echo');
    const socket = dgram.createSocket('udp4');
    try {
      const reply = await waitFor('an answer through the UDP service', () => new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => {
          socket.removeAllListeners('message');
          resolve(undefined);
        }, 500);
        socket.once('message', (m) => {
          clearTimeout(timer);
          resolve(m.toString());
        });
        socket.send('ping', 5353, ip);
      }), { timeoutMs: 20_000, intervalMs: 100 });
      expect(reply).toBe('udp-echo:ping');
    } finally {
      socket.close();
    }
  }, 120_000);

  it('answers cluster DNS: A, SRV for a named port, NXDOMAIN for an unknown service', async () => {
    const resolver = new Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([e2e.cluster.clusterDns]);
    expect(await resolver.resolve4('web.default.svc.cluster.local')).toEqual([await clusterIP('web')]);
    expect(await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local')).toMatchObject([
      expect.objectContaining({ name: 'web.default.svc.cluster.local', port: 80 }),
    ]);
    await expect(resolver.resolve4('nope.default.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    // The proxy registered the DNS Service, which holds the address (no other Service gets it).
    expect(await skiff('get', 'svc', '-n', 'skiff-system', 'kube-dns')).toMatch(new RegExp(`kube-dns\\s+ClusterIP\\s+${e2e.cluster.clusterDns.replace(/\./g, '\\.')}\\s+\\S+\\s+53/UDP,53/TCP`));
    // And from inside a pod, through the nameserver the kubelet gave it.
    expect(await skiff('exec', 'client', '--', 'nslookup', 'web.default.svc.cluster.local')).toContain(await clusterIP('web'));
  });
});

describe('restarting the proxy', () => {
  it.each(['crash (SIGKILL)', 'stop (SIGTERM)'])('serves again after a %s, with services changed while it was down and nothing stale bound', async (how) => {
    const proxy = e2e.cluster.proxy!;
    const suffix = how.startsWith('crash') ? 'k' : 't';
    await apply(`gone-${suffix}.yaml`, serviceManifest(`gone-${suffix}`, 'web', 81, 'http'));
    const goneIP = await clusterIP(`gone-${suffix}`);
    await waitFor('the proxy to serve gone', async () => (await httpGet(goneIP, 81).catch(() => '')) !== '', { timeoutMs: 10_000, intervalMs: 50 });

    if (how.startsWith('crash')) await proxy.kill();
    else {
      await proxy.stop();
      // A clean stop releases every listener it had.
      expect(tcpSockets(['state', 'listening', 'src', `${await clusterIP('web')}:80`])).toEqual([]);
    }
    await skiff('delete', 'svc', `gone-${suffix}`);
    await apply(`late-${suffix}.yaml`, serviceManifest(`late-${suffix}`, 'web', 82, 'http'));
    const lateIP = await clusterIP(`late-${suffix}`);
    await proxy.restart();

    const names = await webPodNames();
    await waitFor('web and the new service to answer', async () => {
      const [a, b] = await Promise.all([httpGet(await clusterIP('web'), 80).catch(() => ''), httpGet(lateIP, 82).catch(() => '')]);
      return names.includes(a) && names.includes(b);
    }, { timeoutMs: 10_000, intervalMs: 50 });
    expect(tcpSockets(['state', 'listening', 'src', `${goneIP}:81`])).toEqual([]);
    await expect(httpGet(goneIP, 81)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await skiff('delete', 'svc', `late-${suffix}`);
  }, 60_000);
});
