// PodNetworkKeeper against the real kernel, in a network namespace this file creates (so the
// machine's own routes and rules are never touched) and deletes at the end. Needs root.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Node } from '@skiff/api';
import { createLogger } from '@skiff/service';
import { commandRunner, PodNetworkKeeper } from './pod-network-keeper';
import { podNetworkRules } from './pod-network-plan';

const ns = `skiff-pn-${randomBytes(3).toString('hex')}`;
const run = commandRunner(['nsenter', `--net=/var/run/netns/${ns}`]);
const sh = (args: string[]) => execFileSync('nsenter', [`--net=/var/run/netns/${ns}`, ...args], { encoding: 'utf8' });
const CLUSTER = '10.244.0.0/16';
const rules = podNetworkRules(CLUSTER);
const log = createLogger('proxy', 'silent');

const node = (name: string, podCIDR: string, internalIP: string) =>
  Node.fromPartial({ metadata: { name }, spec: { podCIDR }, status: { addresses: [{ type: 'InternalIP', address: internalIP }] } });

/** Our routes in the namespace, as "dst via gateway". */
const routes = () =>
  (JSON.parse(sh(['ip', '-j', '-4', 'route', 'show', 'proto', '157'])) as { dst: string; gateway?: string }[]).map((r) => `${r.dst} via ${r.gateway}`).sort();
const chain = (table: string, name: string) => sh(['iptables', '-w', '-t', table, '-S', name]).trim().split('\n');

beforeAll(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  sh(['ip', 'link', 'set', 'lo', 'up']);
  // The link to the other "machines": their node addresses 10.77.0.x are on it.
  // (a veth pair inside the namespace: this kernel has no dummy links)
  sh(['ip', 'link', 'add', 'peers', 'type', 'veth', 'peer', 'name', 'peers-end']);
  sh(['ip', 'addr', 'add', '10.77.0.1/24', 'dev', 'peers']);
  sh(['ip', 'link', 'set', 'peers', 'up']);
  sh(['ip', 'link', 'set', 'peers-end', 'up']);
});

afterAll(() => {
  execFileSync('ip', ['netns', 'del', ns]);
});

describe('PodNetworkKeeper in a network namespace', () => {
  const nodes = [
    node('local', '10.244.1.0/24', '10.77.0.1'),
    node('b', '10.244.2.0/24', '10.77.0.2'),
    node('c', '10.244.3.0/24', '10.77.0.3'),
    node('unreachable', '10.244.4.0/24', '10.99.0.4'),
    node('waiting', '', '10.77.0.5'),
  ];

  it("routes other nodes' pod CIDRs, accepts pod forwarding, masquerades pods' outside traffic, turns forwarding on", async () => {
    sh(['sysctl', '-w', 'net.ipv4.ip_forward=0']);
    // Not ours: a static route in the cluster CIDR, and a proto-157 route of another cluster.
    sh(['ip', 'route', 'add', '10.244.50.0/24', 'via', '10.77.0.50']);
    sh(['ip', 'route', 'add', '10.245.1.0/24', 'via', '10.77.0.51', 'proto', '157']);
    // Ours but stale (a node deleted while the proxy was down).
    sh(['ip', 'route', 'add', '10.244.9.0/24', 'via', '10.77.0.9', 'proto', '157']);

    const keeper = new PodNetworkKeeper({ clusterCidr: CLUSTER, localNodes: ['local'], run, log });
    await keeper.apply(nodes);
    expect(routes()).toEqual(['10.244.2.0/24 via 10.77.0.2', '10.244.3.0/24 via 10.77.0.3', '10.245.1.0/24 via 10.77.0.51']);
    expect(sh(['ip', 'route', 'show', '10.244.50.0/24'])).toContain('via 10.77.0.50');
    expect(sh(['sysctl', '-n', 'net.ipv4.ip_forward']).trim()).toBe('1');

    expect(chain('filter', 'FORWARD')).toContain('-A FORWARD -j DOCKER-USER');
    expect(chain('filter', 'DOCKER-USER')[1]).toBe(`-A DOCKER-USER -j ${rules.forwardChain}`);
    expect(chain('filter', rules.forwardChain).slice(1).map((r) => r.replace(/ -m comment --comment "[^"]*"/, ''))).toEqual([
      `-A ${rules.forwardChain} -s ${CLUSTER} -j ACCEPT`,
      `-A ${rules.forwardChain} -d ${CLUSTER} -j ACCEPT`,
    ]);
    expect(chain('nat', 'POSTROUTING')[1]).toMatch(new RegExp(`^-A POSTROUTING -s ${CLUSTER} .*-j ${rules.masqueradeChain}$`));
    expect(chain('nat', rules.masqueradeChain).slice(1).map((r) => r.replace(/ -m comment --comment "[^"]*"/, ''))).toEqual([
      `-A ${rules.masqueradeChain} -d ${CLUSTER} -j RETURN`,
      `-A ${rules.masqueradeChain} -d 224.0.0.0/4 -j RETURN`,
      `-A ${rules.masqueradeChain} -j MASQUERADE`,
    ]);
  });

  it('converges after a restart with nothing duplicated, and follows nodes coming, moving and going', async () => {
    const before = [chain('filter', 'FORWARD'), chain('filter', 'DOCKER-USER'), chain('nat', 'POSTROUTING'), chain('filter', rules.forwardChain)];
    const restarted = new PodNetworkKeeper({ clusterCidr: CLUSTER, localNodes: ['local'], run, log });
    await restarted.apply(nodes);
    expect([chain('filter', 'FORWARD'), chain('filter', 'DOCKER-USER'), chain('nat', 'POSTROUTING'), chain('filter', rules.forwardChain)]).toEqual(before);

    // A hand-damaged chain is rebuilt.
    sh(['iptables', '-w', '-D', rules.forwardChain, '2']);
    await restarted.apply(nodes);
    expect(chain('filter', rules.forwardChain)).toEqual(before[3]);

    // b moves, c goes, waiting gets its pod CIDR.
    await restarted.apply([nodes[0], node('b', '10.244.2.0/24', '10.77.0.22'), node('waiting', '10.244.5.0/24', '10.77.0.5')]);
    expect(routes()).toEqual(['10.244.2.0/24 via 10.77.0.22', '10.244.5.0/24 via 10.77.0.5', '10.245.1.0/24 via 10.77.0.51']);
  });

  it('cleans up its routes, chains and jumps, and nothing else', async () => {
    const keeper = new PodNetworkKeeper({ clusterCidr: CLUSTER, localNodes: ['local'], run, log });
    await keeper.cleanup();
    expect(routes()).toEqual(['10.245.1.0/24 via 10.77.0.51']);
    expect(sh(['ip', 'route', 'show', '10.244.50.0/24'])).toContain('via 10.77.0.50');
    expect(chain('filter', 'DOCKER-USER')).toEqual(['-N DOCKER-USER']);
    expect(chain('nat', 'POSTROUTING')).toEqual(['-P POSTROUTING ACCEPT']);
    expect(sh(['iptables-save']).includes('SKIFF-POD')).toBe(false);
    await keeper.cleanup(); // twice is fine
  });
});
