import { decideNodeCidr, occupancy, parseClusterCidr, subnetAt, subnetIndex, type NodeCidrView } from './node-cidr-plan';

const range = parseClusterCidr({ clusterCidr: '10.244.0.0/16', nodeCidrMaskSize: 24 });
const node = (name: string, podCIDR = '', createdAt = 0): NodeCidrView => ({ name, podCIDR, createdAt });

describe('parseClusterCidr', () => {
  it('cuts the cluster CIDR into node subnets', () => {
    expect(range).toEqual({ cidr: '10.244.0.0/16', base: 0x0af40000, prefix: 16, maskSize: 24, count: 256 });
    expect(parseClusterCidr({ clusterCidr: '10.200.16.0/20', nodeCidrMaskSize: 24 }).count).toBe(16);
  });

  it.each([
    [{ clusterCidr: '10.244.0.0', nodeCidrMaskSize: 24 }, /must be an IPv4 CIDR/],
    [{ clusterCidr: '10.244.300.0/16', nodeCidrMaskSize: 24 }, /must be an IPv4 CIDR/],
    [{ clusterCidr: 'fd00::/64', nodeCidrMaskSize: 80 }, /must be an IPv4 CIDR/],
    [{ clusterCidr: '10.244.1.0/16', nodeCidrMaskSize: 24 }, /host bits/],
    [{ clusterCidr: '10.244.0.0/16', nodeCidrMaskSize: 8 }, /between 16 and 30/],
    [{ clusterCidr: '10.244.0.0/16', nodeCidrMaskSize: 31 }, /between 16 and 30/],
    [{ clusterCidr: '10.0.0.0/8', nodeCidrMaskSize: 30 }, /more than 65536/],
  ])('refuses %j', (config, message) => {
    expect(() => parseClusterCidr(config)).toThrow(message);
  });
});

describe('subnetAt / subnetIndex', () => {
  it('map indexes to aligned subnets and back', () => {
    expect(subnetAt(range, 0)).toBe('10.244.0.0/24');
    expect(subnetAt(range, 255)).toBe('10.244.255.0/24');
    expect(subnetIndex(range, '10.244.7.0/24')).toBe(7);
  });

  it.each(['10.245.0.0/24', '10.244.7.0/25', '10.244.7.1/24', '10.243.255.0/24', 'garbage', ''])('%s is not a node subnet of the range', (cidr) => {
    expect(subnetIndex(range, cidr)).toBeUndefined();
  });
});

describe('decideNodeCidr', () => {
  it('gives the lowest free subnet, skipping occupied and pending ones', () => {
    const nodes = [node('a', '10.244.0.0/24'), node('b'), node('c', '10.244.2.0/24'), node('d')];
    expect(decideNodeCidr(range, 'b', nodes)).toEqual({ kind: 'assign', podCIDR: '10.244.1.0/24' });
    expect(decideNodeCidr(range, 'd', nodes, new Map([['b', '10.244.1.0/24']]))).toEqual({ kind: 'assign', podCIDR: '10.244.3.0/24' });
  });

  it('keeps a node that owns its subnet', () => {
    expect(decideNodeCidr(range, 'a', [node('a', '10.244.9.0/24')])).toEqual({ kind: 'keep' });
  });

  it("frees a deleted node's subnet: it is computed from the listed nodes only", () => {
    expect(decideNodeCidr(range, 'new', [node('new')])).toEqual({ kind: 'assign', podCIDR: '10.244.0.0/24' });
    // A pending assignment of a node no longer listed holds nothing.
    expect(decideNodeCidr(range, 'new', [node('new')], new Map([['gone', '10.244.0.0/24']]))).toEqual({ kind: 'assign', podCIDR: '10.244.0.0/24' });
  });

  it('rebuilds the same allocation from the node list alone (a restarted controller)', () => {
    const nodes = [node('a', '10.244.0.0/24', 1), node('b', '10.244.1.0/24', 2), node('c', '', 3)];
    expect([...occupancy(range, nodes)]).toEqual([[0, 'a'], [1, 'b']]);
    expect(decideNodeCidr(range, 'c', nodes)).toEqual({ kind: 'assign', podCIDR: '10.244.2.0/24' });
  });

  it('leaves a podCIDR outside the cluster CIDR (or of another size) alone, as not available', () => {
    const decision = decideNodeCidr(range, 'x', [node('x', '192.168.0.0/24')]);
    expect(decision).toEqual({ kind: 'unavailable', message: expect.stringContaining('not a /24 of the cluster CIDR 10.244.0.0/16') });
    expect(decideNodeCidr(range, 'x', [node('x', '10.244.0.0/23')]).kind).toBe('unavailable');
  });

  it('gives a subnet claimed twice to the older node; the younger is not available', () => {
    const nodes = [node('young', '10.244.4.0/24', 200), node('old', '10.244.4.0/24', 100)];
    expect(decideNodeCidr(range, 'old', nodes)).toEqual({ kind: 'keep' });
    expect(decideNodeCidr(range, 'young', nodes)).toEqual({ kind: 'unavailable', message: expect.stringContaining('already allocated to node old') });
    // ... and a node without one never gets it.
    expect(decideNodeCidr(range, 'n', [...nodes, node('n', '', 300)])).toEqual({ kind: 'assign', podCIDR: '10.244.0.0/24' });
  });

  it('re-proposes its own pending assignment while the cache lags', () => {
    expect(decideNodeCidr(range, 'a', [node('a')], new Map([['a', '10.244.5.0/24']]))).toEqual({ kind: 'assign', podCIDR: '10.244.5.0/24' });
  });

  it('reports a full range', () => {
    const small = parseClusterCidr({ clusterCidr: '10.200.0.0/23', nodeCidrMaskSize: 24 });
    const nodes = [node('a', '10.200.0.0/24'), node('b', '10.200.1.0/24'), node('c')];
    expect(decideNodeCidr(small, 'c', nodes)).toEqual({ kind: 'full', message: expect.stringContaining('no remaining /24') });
  });
});
