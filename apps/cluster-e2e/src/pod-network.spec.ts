import { execFileSync } from 'node:child_process';
import { Pod } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, testLabel, waitFor } from '@skiff/testing';
import { startE2eCluster, waitPodRunning, type E2eCluster } from './e2e-fixture';

/**
 * The pod network end to end (ARCHITECTURE.md "Services, proxy, DNS", flannel's host-gw model):
 * the built components with NO full controller-manager, so node IPAM runs in startCluster's
 * node-ipam-only controller-manager, two kubelets on real Docker and the proxy (which lets pod
 * traffic pass between the nodes' bridges). Each node gets its own pod CIDR of the cluster's
 * CIDR; a pod on node 1 reaches a pod on node 2 at its pod IP and the receiver sees the sender's
 * pod IP (no NAT); a containerPort without hostPort publishes nothing on the node.
 */
const run = testLabel().value;
const NODES = [`pn-${run}-1`, `pn-${run}-2`];
const NS = 'default';
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;

/** A busybox httpd on 8080 whose /cgi-bin/ip answers with the client address it sees (REMOTE_ADDR). */
const WHOAMI = [
  'mkdir -p /w/cgi-bin',
  `printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /w/cgi-bin/ip`,
  'chmod +x /w/cgi-bin/ip',
  'exec httpd -f -p 8080 -h /w',
].join(' && ');

function pod(name: string, node: string, script: string, ports: { containerPort: number; hostPort?: number }[] = []): Pod {
  return Pod.fromPartial({
    metadata: { name, namespace: NS },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], ports: ports.map((p) => ({ name: '', protocol: 'TCP', hostIP: '', hostPort: 0, ...p })) }],
    },
  });
}

/** "a.b.c.d" within "net/prefix" (IPv4). */
function inCidr(ip: string, cidr: string): boolean {
  const toNumber = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const [base, prefix] = cidr.split('/');
  const size = 2 ** (32 - Number(prefix));
  return Math.floor(toNumber(ip) / size) === Math.floor(toNumber(base) / size);
}

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

beforeAll(async () => {
  e2e = await startE2eCluster({ nodes: NODES.map((name) => ({ name })), proxy: {} });
  pods = e2e.typed('pod');
  await pods.create(pod('server', NODES[1], WHOAMI, [{ containerPort: 8080 }]));
  await pods.create(pod('client', NODES[0], 'exec sleep 3600'));
  await Promise.all(['server', 'client'].map((name) => waitPodRunning(pods, NS, name, { timeoutMs: 60_000, intervalMs: 200 })));
}, 240_000);

afterAll(async () => {
  await e2e?.stop();
  // The nodes' pod networks went with their containers.
  for (const node of NODES) expect(docker('network', 'ls', '-q', '--filter', `name=skiff-${node}`)).toBe('');
}, 60_000);

describe('the pod network', () => {
  it('gives each node its own pod CIDR of the cluster CIDR, and each pod an IP of its node\'s', async () => {
    const nodes = await Promise.all(NODES.map((name) => e2e.typed('node').get('', name)));
    const cidrs = nodes.map((n) => n.spec?.podCIDR ?? '');
    for (const cidr of cidrs) {
      expect(cidr).toMatch(/\/24$/);
      expect(inCidr(cidr.split('/')[0], e2e.cluster.clusterCidr)).toBe(true);
    }
    expect(cidrs[0]).not.toBe(cidrs[1]);
    const [client, server] = await Promise.all([pods.get(NS, 'client'), pods.get(NS, 'server')]);
    expect(inCidr(client.status?.podIP ?? '', cidrs[0])).toBe(true);
    expect(inCidr(server.status?.podIP ?? '', cidrs[1])).toBe(true);
    // The node's Docker bridge network has exactly its pod CIDR.
    expect(docker('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', `skiff-${NODES[1]}`)).toBe(cidrs[1]);
  });

  it('lets a pod on node 1 reach a pod on node 2 at its pod IP, and the receiver sees the sender\'s pod IP (no NAT)', async () => {
    const [client, server] = await Promise.all([pods.get(NS, 'client'), pods.get(NS, 'server')]);
    const request = `printf 'GET /cgi-bin/ip HTTP/1.0\\r\\n\\r\\n' | nc ${server.status?.podIP} 8080 | tail -n 1`;
    const seen = await waitFor('an answer from the server pod', async () => (await e2e.cli(['exec', 'client', '--', 'sh', '-c', request], 20_000).catch(() => '')).trim() || undefined, {
      timeoutMs: 20_000,
      intervalMs: 500,
    });
    // busybox httpd listens on IPv6 too and shows IPv4 peers as [::ffff:a.b.c.d].
    expect(seen.replace(/^\[(::ffff:)?|\]$/g, '')).toBe(client.status?.podIP);
  }, 60_000);

  it('publishes nothing on the node for a containerPort without hostPort', async () => {
    const server = await pods.get(NS, 'server');
    expect(server.status?.publishedPorts ?? []).toEqual([]);
    const sandbox = docker('ps', '-q', '--filter', `label=io.skiff.pod.uid=${server.metadata?.uid}`, '--filter', 'label=io.skiff.kind=sandbox');
    expect(sandbox).not.toBe('');
    expect(JSON.parse(docker('inspect', '-f', '{{json .HostConfig.PortBindings}}', sandbox)) ?? {}).toEqual({});
    // (The image EXPOSEs 8080: Docker lists it, bound to nothing.)
    const ports = (JSON.parse(docker('inspect', '-f', '{{json .NetworkSettings.Ports}}', sandbox)) ?? {}) as Record<string, unknown>;
    expect(Object.values(ports).filter((bindings) => bindings !== null)).toEqual([]);
  });
});
