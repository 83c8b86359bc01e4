import { Node } from '@skiff/api';
import { cidrWithin, desiredPodRoutes, nodeRouteView, podNetworkRules, routeChanges, type NodeRouteView } from './pod-network-plan';

const CLUSTER = '10.244.0.0/16';
const view = (name: string, podCIDR: string, internalIP: string): NodeRouteView => ({ name, podCIDR, internalIP });

describe('nodeRouteView', () => {
  it("reads the Node's podCIDR and InternalIP", () => {
    const node = Node.fromPartial({
      metadata: { name: 'n1' },
      spec: { podCIDR: '10.244.1.0/24' },
      status: { addresses: [{ type: 'Hostname', address: 'h' }, { type: 'InternalIP', address: '10.0.0.1' }] },
    });
    expect(nodeRouteView(node)).toEqual({ name: 'n1', podCIDR: '10.244.1.0/24', internalIP: '10.0.0.1' });
    expect(nodeRouteView(Node.fromPartial({ metadata: { name: 'bare' } }))).toEqual({ name: 'bare', podCIDR: '', internalIP: '' });
  });
});

describe('desiredPodRoutes', () => {
  const input = (nodes: NodeRouteView[], localNodes: string[] = [], localAddresses: string[] = []) => ({
    clusterCidr: CLUSTER,
    nodes,
    localNodes: new Set(localNodes),
    localAddresses: new Set(localAddresses),
  });

  it("routes every other node's pod CIDR via its InternalIP, sorted", () => {
    const nodes = [view('c', '10.244.3.0/24', '10.0.0.3'), view('a', '10.244.1.0/24', '10.0.0.1'), view('b', '10.244.2.0/24', '10.0.0.2')];
    expect(desiredPodRoutes(input(nodes, ['a']))).toEqual([
      { dst: '10.244.2.0/24', via: '10.0.0.2', node: 'b' },
      { dst: '10.244.3.0/24', via: '10.0.0.3', node: 'c' },
    ]);
  });

  it('leaves out nodes that cannot or need not be routed', () => {
    const nodes = [
      view('no-cidr', '', '10.0.0.9'),
      view('no-ip', '10.244.9.0/24', ''),
      view('outside', '192.168.5.0/24', '10.0.0.5'),
      view('bad-cidr', '10.244.7.0', '10.0.0.7'),
      view('loopback', '10.244.8.0/24', '127.0.0.1'),
      view('same-machine-address', '10.244.10.0/24', '192.0.2.2'),
      view('ip-inside-cluster', '10.244.11.0/24', '10.244.200.1'),
      view('ipv6', '10.244.12.0/24', 'fd00::1'),
    ];
    expect(desiredPodRoutes(input(nodes, [], ['192.0.2.2']))).toEqual([]);
  });

  it('routes a pod CIDR claimed twice once, for the first node by name', () => {
    const nodes = [view('z', '10.244.4.0/24', '10.0.0.26'), view('m', '10.244.4.0/24', '10.0.0.13')];
    expect(desiredPodRoutes(input(nodes))).toEqual([{ dst: '10.244.4.0/24', via: '10.0.0.13', node: 'm' }]);
  });
});

describe('routeChanges', () => {
  const desired = [
    { dst: '10.244.2.0/24', via: '10.0.0.2', node: 'b' },
    { dst: '10.244.3.0/24', via: '10.0.0.3', node: 'c' },
  ];

  it('adds missing routes, fixes changed gateways, removes stale ones (a restart converges)', () => {
    const installed = [
      { dst: '10.244.2.0/24', gateway: '10.0.0.2' }, // as wanted
      { dst: '10.244.3.0/24', gateway: '10.0.0.99' }, // node moved
      { dst: '10.244.5.0/24', gateway: '10.0.0.5' }, // node gone
    ];
    expect(routeChanges(installed, desired, CLUSTER)).toEqual({ replace: [desired[1]], remove: ['10.244.5.0/24'] });
    expect(routeChanges([], desired, CLUSTER)).toEqual({ replace: desired, remove: [] });
    expect(routeChanges(installed.slice(0, 1).concat({ dst: '10.244.3.0/24', gateway: '10.0.0.3' }), desired, CLUSTER)).toEqual({ replace: [], remove: [] });
  });

  it('never touches routes outside its cluster CIDR (another cluster on the machine)', () => {
    expect(routeChanges([{ dst: '10.245.1.0/24', gateway: '10.0.0.1' }, { dst: 'default', gateway: '192.0.2.1' }], [], CLUSTER)).toEqual({ replace: [], remove: [] });
  });
});

describe('podNetworkRules', () => {
  it('accepts forwarding from and to the cluster CIDR and masquerades only traffic leaving it', () => {
    const rules = podNetworkRules('10.244.0.0/16');
    expect(rules.forwardChain).toMatch(/^SKIFF-PODFWD-[0-9A-F]{8}$/);
    expect(rules.masqueradeChain).toMatch(/^SKIFF-PODMASQ-[0-9A-F]{8}$/);
    expect(rules.forwardChain.length).toBeLessThanOrEqual(28); // iptables' limit
    expect(rules.forwardRules.map((r) => [r[0], r[1], r.at(-1)])).toEqual([['-s', CLUSTER, 'ACCEPT'], ['-d', CLUSTER, 'ACCEPT']]);
    expect(rules.masqueradeRules.map((r) => r.at(-1))).toEqual(['RETURN', 'RETURN', 'MASQUERADE']);
    expect(rules.masqueradeRules[0].slice(0, 2)).toEqual(['-d', CLUSTER]);
    expect(rules.masqueradeJump.slice(0, 2)).toEqual(['-s', CLUSTER]);
    expect(rules.masqueradeJump.at(-1)).toBe(rules.masqueradeChain);
  });

  it('names chains per cluster CIDR, so two clusters on one machine keep apart', () => {
    expect(podNetworkRules('10.200.16.0/20').forwardChain).not.toBe(podNetworkRules('10.200.32.0/20').forwardChain);
    expect(podNetworkRules('10.244.0.0/16')).toEqual(podNetworkRules('10.244.0.0/16'));
  });
});

describe('cidrWithin', () => {
  it.each([
    ['10.244.1.0/24', CLUSTER, true],
    ['10.244.1.7', CLUSTER, true],
    ['10.0.0.0/8', CLUSTER, false],
    ['10.245.0.0/24', CLUSTER, false],
    ['nonsense', CLUSTER, false],
  ])('%s in %s: %s', (inner, outer, within) => {
    expect(cidrWithin(inner, outer)).toBe(within);
  });
});
