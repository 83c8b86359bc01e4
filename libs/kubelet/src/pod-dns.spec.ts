import type { Pod } from '@skiff/api';
import { podDnsConfig } from './pod-dns';

const pod = (namespace: string, dnsPolicy = ''): Pod => ({ metadata: { namespace, name: 'p' }, spec: { dnsPolicy, containers: [] } }) as unknown as Pod;
const settings = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local' };

describe('pod DNS settings', () => {
  it('gives ClusterFirst pods (the default) the cluster nameserver, namespace search list and ndots:5', () => {
    const expected = { servers: ['10.96.0.10'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] };
    expect(podDnsConfig(pod('team'), settings)).toEqual(expected);
    expect(podDnsConfig(pod('team', 'ClusterFirst'), settings)).toEqual(expected);
    expect(podDnsConfig(pod('team', 'ClusterFirstWithHostNet'), settings)).toEqual(expected);
  });

  it('honours --cluster-domain (a trailing dot is dropped)', () => {
    expect(podDnsConfig(pod('default'), { clusterDNS: ['10.0.0.10', '10.0.0.11'], clusterDomain: 'corp.example.' })).toEqual({
      servers: ['10.0.0.10', '10.0.0.11'],
      searches: ['default.svc.corp.example', 'svc.corp.example', 'corp.example'],
      options: ['ndots:5'],
    });
  });

  it("keeps the node's resolvers for dnsPolicy Default, and for every pod without a cluster DNS address", () => {
    expect(podDnsConfig(pod('team', 'Default'), settings)).toBeUndefined();
    expect(podDnsConfig(pod('team'), { clusterDNS: [], clusterDomain: 'cluster.local' })).toBeUndefined();
  });
});
