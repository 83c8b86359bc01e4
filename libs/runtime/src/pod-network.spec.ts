import { networkCreateBody, networkMatches, podBridgeName, podNetworkSpec } from './pod-network';

describe('pod network', () => {
  it('is a bridge with exactly the pod CIDR, gateway .1, masquerade off, labelled with the node', () => {
    const spec = podNetworkSpec('a-rather-long-node-name-of-a-test-run', '10.244.3.0/24', { 'io.skiff.test': 'x' });
    expect(spec).toMatchObject({ name: 'skiff-a-rather-long-node-name-of-a-test-run', subnet: '10.244.3.0/24', gateway: '10.244.3.1' });
    expect(spec.bridge.length).toBeLessThanOrEqual(15);
    expect(spec.bridge).toBe(podBridgeName('a-rather-long-node-name-of-a-test-run'));
    expect(podBridgeName('node-2')).not.toBe(podBridgeName('node-1'));
    expect(networkCreateBody(spec)).toEqual({
      Name: 'skiff-a-rather-long-node-name-of-a-test-run',
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.244.3.0/24', Gateway: '10.244.3.1' }] },
      Options: {
        'com.docker.network.bridge.name': spec.bridge,
        'com.docker.network.bridge.enable_ip_masquerade': 'false',
        'com.docker.network.bridge.gateway_mode_ipv4': 'nat-unprotected',
      },
      Labels: { 'io.skiff.test': 'x', 'io.skiff.managed': 'true', 'io.skiff.node': 'a-rather-long-node-name-of-a-test-run' },
    });
  });

  it('normalises a pod CIDR with host bits and refuses what is not one', () => {
    expect(podNetworkSpec('n', '10.200.17.9/28')).toMatchObject({ subnet: '10.200.17.0/28', gateway: '10.200.17.1' });
    expect(() => podNetworkSpec('n', '10.200.17.0')).toThrow(/invalid pod CIDR/);
    expect(() => podNetworkSpec('n', 'fd00::/64')).toThrow(/invalid pod CIDR/);
    expect(() => podNetworkSpec('n', '10.0.0.0/31')).toThrow(/too small/);
  });

  it('matches an existing network with the same subnet, gateway and options only', () => {
    const spec = podNetworkSpec('n', '10.244.3.0/24');
    const existing = { Id: 'x', Name: spec.name, IPAM: { Config: [{ Subnet: '10.244.3.0/24', Gateway: '10.244.3.1' }] }, Options: spec.options };
    expect(networkMatches(existing, spec)).toBe(true);
    expect(networkMatches({ ...existing, IPAM: { Config: [{ Subnet: '10.244.4.0/24', Gateway: '10.244.4.1' }] } }, spec)).toBe(false);
    expect(networkMatches({ ...existing, Options: { ...spec.options, 'com.docker.network.bridge.enable_ip_masquerade': 'true' } }, spec)).toBe(false);
    expect(networkMatches({ ...existing, IPAM: { Config: null } }, spec)).toBe(false);
  });
});
