import type { Pod, PodDNSConfig } from '@skiff/api';
import { fitResolvConfLimits, mergeDnsConfig, mergeDnsOptions, podDnsConfig, podHostDomain, type ClusterDnsSettings } from './pod-dns';

const pod = (namespace: string, dnsPolicy = '', dnsConfig?: Partial<PodDNSConfig>): Pod =>
  ({ metadata: { namespace, name: 'p' }, spec: { dnsPolicy, dnsConfig, containers: [] } }) as unknown as Pod;
const node = { servers: ['192.0.2.53'], searches: ['lan'], options: ['edns0'] };
const settings: ClusterDnsSettings = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostDns: () => structuredClone(node) };
const noClusterDns: ClusterDnsSettings = { ...settings, clusterDNS: [] };
const cluster = { servers: ['10.96.0.10'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] };
const extra: PodDNSConfig = { nameservers: ['10.0.0.53', '10.96.0.10'], searches: ['corp.example', 'svc.cluster.local'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] };

describe('pod DNS settings', () => {
  it('gives ClusterFirst pods (the default) the cluster nameserver, namespace search list and ndots:5', () => {
    expect(podDnsConfig(pod('team'), settings)).toEqual(cluster);
    expect(podDnsConfig(pod('team', 'ClusterFirst'), settings)).toEqual(cluster);
    expect(podDnsConfig(pod('team', 'ClusterFirstWithHostNet'), settings)).toEqual(cluster);
  });

  it('honours --cluster-domain (a trailing dot is dropped)', () => {
    expect(podDnsConfig(pod('default'), { clusterDNS: ['10.0.0.10', '10.0.0.11'], clusterDomain: 'corp.example.' })).toEqual({
      servers: ['10.0.0.10', '10.0.0.11'],
      searches: ['default.svc.corp.example', 'svc.corp.example', 'corp.example'],
      options: ['ndots:5'],
    });
  });

  it('merges dnsConfig into the cluster settings: servers and searches appended without repeats, options by name', () => {
    const merged = { servers: ['10.96.0.10', '10.0.0.53'], searches: [...cluster.searches, 'corp.example'], options: ['ndots:2', 'edns0'] };
    expect(podDnsConfig(pod('team', 'ClusterFirst', extra), settings)).toEqual(merged);
    expect(podDnsConfig(pod('team', 'ClusterFirstWithHostNet', extra), settings)).toEqual(merged);
  });

  it("keeps the node's resolvers for dnsPolicy Default, and for every pod without a cluster DNS address", () => {
    expect(podDnsConfig(pod('team', 'Default'), settings)).toBeUndefined();
    expect(podDnsConfig(pod('team'), noClusterDns)).toBeUndefined();
    expect(podDnsConfig(pod('team', 'ClusterFirstWithHostNet'), noClusterDns)).toBeUndefined();
  });

  it("merges a Default pod's dnsConfig into the node's resolv.conf, read only then", () => {
    let reads = 0;
    const counted: ClusterDnsSettings = { ...settings, hostDns: () => (reads++, structuredClone(node)) };
    const merged = { servers: ['192.0.2.53', '10.0.0.53', '10.96.0.10'], searches: ['lan', 'corp.example', 'svc.cluster.local'], options: ['edns0', 'ndots:2'] };
    expect(podDnsConfig(pod('team', 'Default', extra), counted)).toEqual(merged);
    expect(reads).toBe(1);
    // ClusterFirst without a cluster DNS falls back to exactly that.
    expect(podDnsConfig(pod('team', 'ClusterFirst', extra), { ...counted, clusterDNS: [] })).toEqual(merged);
    expect(reads).toBe(2);
    podDnsConfig(pod('team', 'ClusterFirst', extra), counted);
    podDnsConfig(pod('team', 'None', extra), counted);
    podDnsConfig(pod('team', 'Default'), counted);
    expect(reads).toBe(2);
    // Without a reader, the node's settings count as empty.
    expect(podDnsConfig(pod('team', 'Default', { searches: ['corp.example'] }), { clusterDNS: [], clusterDomain: 'cluster.local' })).toEqual({ servers: [], searches: ['corp.example'], options: [] });
  });

  it('gives dnsPolicy None pods exactly their dnsConfig, with or without a cluster DNS', () => {
    const own: PodDNSConfig = { nameservers: ['10.0.0.53', '10.0.0.53'], searches: ['a.example', 'b.example.'], options: [{ name: 'ndots', value: '1' }, { name: 'rotate', value: '' }] };
    const expected = { servers: ['10.0.0.53'], searches: ['a.example', 'b.example.'], options: ['ndots:1', 'rotate'] };
    expect(podDnsConfig(pod('team', 'None', own), settings)).toEqual(expected);
    expect(podDnsConfig(pod('team', 'None', own), noClusterDns)).toEqual(expected);
    expect(podDnsConfig(pod('team', 'None', { nameservers: ['10.0.0.53'] }), settings)).toEqual({ servers: ['10.0.0.53'], searches: [], options: [] });
  });

  it('cuts the merged settings to what resolvers accept: 3 nameservers, 32 searches, 2048 characters', () => {
    const many: PodDNSConfig = { nameservers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], searches: [], options: [] };
    expect(podDnsConfig(pod('team', 'ClusterFirst', many), settings)?.servers).toEqual(['10.96.0.10', '10.0.0.1', '10.0.0.2']);
    const domains = Array.from({ length: 32 }, (_, i) => `d${i}.example`);
    expect(podDnsConfig(pod('team', 'ClusterFirst', { ...many, searches: domains }), settings)?.searches).toEqual([...cluster.searches, ...domains.slice(0, 29)]);
  });
});

describe('mergeDnsConfig', () => {
  it('leaves the base alone and accepts no dnsConfig', () => {
    const base = structuredClone(cluster);
    expect(mergeDnsConfig(base, undefined)).toEqual(cluster);
    mergeDnsConfig(base, extra);
    expect(base).toEqual(cluster);
  });
});

describe('mergeDnsOptions', () => {
  it('overrides by name in place, appends new names, and drops a value set to empty', () => {
    expect(mergeDnsOptions(['ndots:5', 'edns0', 'timeout:2'], [{ name: 'timeout', value: '1' }, { name: 'ndots' }, { name: 'rotate' }])).toEqual(['ndots', 'edns0', 'timeout:1', 'rotate']);
    expect(mergeDnsOptions(['ndots:5', 'ndots:3'], [])).toEqual(['ndots:3']);
  });
});

describe('fitResolvConfLimits', () => {
  it('keeps the first 3 nameservers and first 32 search domains, skipping domains over 253 characters', () => {
    const long = 'x'.repeat(254);
    const searches = [long, ...Array.from({ length: 40 }, (_, i) => `s${i}.example`)];
    const fitted = fitResolvConfLimits({ servers: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'], searches, options: ['ndots:5'] });
    expect(fitted).toEqual({ servers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], searches: searches.slice(1, 32), options: ['ndots:5'] });
  });

  it('drops search domains from the end until the line has at most 2048 characters', () => {
    const domain = (c: string) => `${c.repeat(63)}.${c.repeat(63)}.${c.repeat(63)}.${c.repeat(61)}`; // 253 characters
    const searches = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map(domain); // 9 * 253 + 8 = 2285
    const fitted = fitResolvConfLimits({ servers: [], searches, options: [] }).searches;
    expect(fitted).toEqual(searches.slice(0, 8));
    expect(fitted.join(' ').length).toBe(2031);
  });
});

describe('podHostDomain', () => {
  it('is <subdomain>.<ns>.svc.<cluster domain> for a pod with spec.subdomain, none otherwise', () => {
    const named = (subdomain: string) => ({ metadata: { name: 'web-0', namespace: 'team' }, spec: { hostname: 'web-0', subdomain } }) as unknown as Pod;
    expect(podHostDomain(named('nginx'), 'cluster.local')).toBe('nginx.team.svc.cluster.local');
    expect(podHostDomain(named('nginx'), 'skiff.test.')).toBe('nginx.team.svc.skiff.test');
    expect(podHostDomain(named(''), 'cluster.local')).toBeUndefined();
  });
});
