import type { Endpoints, Service } from '@skiff/api';
import { listerRecordSource, resolveClusterQuestion, type DnsRecordSource } from './cluster-dns-resolver';

function service(namespace: string, name: string, clusterIP: string, ports: { name: string; protocol?: string; port: number }[] = []): Service {
  return {
    metadata: { name, namespace } as Service['metadata'],
    spec: {
      ports: ports.map((p) => ({ name: p.name, protocol: p.protocol ?? 'TCP', port: p.port, nodePort: 0 })),
      selector: {},
      clusterIP,
      clusterIPs: [clusterIP],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      externalIPs: [],
      publishNotReadyAddresses: false,
    },
  };
}

function endpoints(namespace: string, name: string, ready: string[], notReady: string[] = []): Endpoints {
  const address = (ip: string) => ({ ip, hostname: '', hostIP: '', hostPorts: [] });
  return {
    metadata: { name, namespace } as Endpoints['metadata'],
    subsets: [{ addresses: ready.map(address), notReadyAddresses: notReady.map(address), ports: [] }],
  };
}

function sourceOf(services: Service[], eps: Endpoints[] = []): DnsRecordSource {
  const byKey = <T extends { metadata?: { namespace: string; name: string } }>(items: T[]) =>
    new Map(items.map((i) => [`${i.metadata?.namespace}/${i.metadata?.name}`, i]));
  return listerRecordSource(byKey(services), byKey(eps));
}

const web = service('default', 'web', '10.96.0.20', [
  { name: 'http', port: 80 },
  { name: 'dns', protocol: 'UDP', port: 53 },
]);
const headless = service('prod', 'db', 'None', [{ name: 'pg', port: 5432 }]);
const source = sourceOf([web, headless], [endpoints('prod', 'db', ['10.0.0.3', '10.0.0.2'], ['10.0.0.9'])]);

describe('resolveClusterQuestion', () => {
  it('answers A for <svc>.<ns>.svc.<domain> with the ClusterIP and a 5 s TTL, case-insensitively', () => {
    const r = resolveClusterQuestion({ name: 'WEB.Default.svc.cluster.local.', type: 'A' }, source);
    expect(r.rcode).toBe('NOERROR');
    expect(r.authoritative).toBe(true);
    expect(r.answers).toEqual([{ name: 'web.default.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.20' }]);
  });

  it('answers SRV for a named port with the service name as target and its A record as additional', () => {
    const r = resolveClusterQuestion({ name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV' }, source);
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([
      { name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV', ttl: 5, data: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } },
    ]);
    expect(r.additionals).toEqual([{ name: 'web.default.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.20' }]);
  });

  it('matches the SRV protocol label against the port protocol', () => {
    expect(resolveClusterQuestion({ name: '_dns._udp.web.default.svc.cluster.local', type: 'SRV' }, source).answers).toHaveLength(1);
    expect(resolveClusterQuestion({ name: '_dns._tcp.web.default.svc.cluster.local', type: 'SRV' }, source).rcode).toBe('NXDOMAIN');
    expect(resolveClusterQuestion({ name: '_nope._tcp.web.default.svc.cluster.local', type: 'SRV' }, source).rcode).toBe('NXDOMAIN');
  });

  it('answers SRV on the service name with one record per port', () => {
    const r = resolveClusterQuestion({ name: 'web.default.svc.cluster.local', type: 'SRV' }, source);
    expect(r.answers.map((a) => (a.type === 'SRV' ? a.data.port : 0))).toEqual([80, 53]);
  });

  it('is NODATA (NOERROR, no answers, SOA authority) for AAAA of an IPv4 service', () => {
    const r = resolveClusterQuestion({ name: 'web.default.svc.cluster.local', type: 'AAAA' }, source);
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([]);
    expect(r.authorities[0]).toMatchObject({ type: 'SOA', name: 'cluster.local', data: { minimum: 5 } });
  });

  it('is NXDOMAIN for unknown services, namespaces and shapes inside the domain', () => {
    for (const name of ['api.default.svc.cluster.local', 'web.other.svc.cluster.local', 'x.web.default.svc.cluster.local', 'foo.cluster.local', 'a.b.c.d.e.f.svc.cluster.local']) {
      const r = resolveClusterQuestion({ name, type: 'A' }, source);
      expect({ name, rcode: r.rcode }).toEqual({ name, rcode: 'NXDOMAIN' });
      expect(r.authorities[0]?.type).toBe('SOA');
    }
  });

  it('is NODATA for structural names that exist without records', () => {
    for (const name of ['cluster.local', 'svc.cluster.local', 'default.svc.cluster.local', '_tcp.web.default.svc.cluster.local', 'pod.cluster.local']) {
      const r = resolveClusterQuestion({ name, type: 'A' }, source);
      expect({ name, rcode: r.rcode, answers: r.answers }).toEqual({ name, rcode: 'NOERROR', answers: [] });
    }
  });

  it('answers SOA at the apex', () => {
    expect(resolveClusterQuestion({ name: 'cluster.local', type: 'SOA' }, source).answers[0]?.type).toBe('SOA');
  });

  it('refuses names outside the cluster domain, including look-alike suffixes', () => {
    for (const name of ['example.com', 'web.default.svc.notcluster.local', 'local']) {
      const r = resolveClusterQuestion({ name, type: 'A' }, source);
      expect({ name, rcode: r.rcode, authoritative: r.authoritative }).toEqual({ name, rcode: 'REFUSED', authoritative: false });
    }
  });

  it('answers a headless service with its ready endpoint IPs, NXDOMAIN when it has none', () => {
    const r = resolveClusterQuestion({ name: 'db.prod.svc.cluster.local', type: 'A' }, source);
    expect(r.answers.map((a) => a.data)).toEqual(['10.0.0.2', '10.0.0.3']);
    const empty = sourceOf([headless]);
    expect(resolveClusterQuestion({ name: 'db.prod.svc.cluster.local', type: 'A' }, empty).rcode).toBe('NXDOMAIN');
  });

  it('includes not-ready endpoints of a headless service that publishes them', () => {
    const publishing = { ...headless, spec: { ...headless.spec!, publishNotReadyAddresses: true } };
    const s = sourceOf([publishing], [endpoints('prod', 'db', ['10.0.0.2'], ['10.0.0.9'])]);
    expect(resolveClusterQuestion({ name: 'db.prod.svc.cluster.local', type: 'A' }, s).answers.map((a) => a.data)).toEqual(['10.0.0.2', '10.0.0.9']);
  });

  it("answers <hostname>.<svc>.<ns>.svc of a headless service with that endpoint's IP (StatefulSet pods), dashed IPs for addresses without a hostname", () => {
    const nginx = service('default', 'nginx', 'None', [{ name: 'web', port: 80 }]);
    const eps = endpoints('default', 'nginx', ['10.244.1.5', '10.244.2.7', '10.244.2.9'], ['10.244.1.8']);
    eps.subsets[0].addresses[0].hostname = 'web-0';
    eps.subsets[0].addresses[1].hostname = 'web-1';
    eps.subsets[0].notReadyAddresses[0].hostname = 'web-2';
    const s = sourceOf([nginx, web], [eps, endpoints('default', 'web', ['10.244.1.5'])]);
    const a = (name: string, type = 'A') => resolveClusterQuestion({ name, type }, s);
    expect(a('web-0.nginx.default.svc.cluster.local').answers).toEqual([{ name: 'web-0.nginx.default.svc.cluster.local', type: 'A', ttl: 5, data: '10.244.1.5' }]);
    expect(a('WEB-1.nginx.default.svc.cluster.local.').answers.map((r) => r.data)).toEqual(['10.244.2.7']);
    // the service name answers every ready pod.
    expect(a('nginx.default.svc.cluster.local').answers.map((r) => r.data)).toEqual(['10.244.1.5', '10.244.2.7', '10.244.2.9']);
    // not ready: no name (unless the service publishes not-ready addresses).
    expect(a('web-2.nginx.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
    const publishing = { ...nginx, spec: { ...nginx.spec!, publishNotReadyAddresses: true } };
    expect(resolveClusterQuestion({ name: 'web-2.nginx.default.svc.cluster.local', type: 'A' }, sourceOf([publishing], [eps])).answers.map((r) => r.data)).toEqual(['10.244.1.8']);
    // an address without a hostname by its dashed IP; one with a hostname only by it.
    expect(a('10-244-2-9.nginx.default.svc.cluster.local').answers.map((r) => r.data)).toEqual(['10.244.2.9']);
    expect(a('10-244-1-5.nginx.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
    expect(a('web-9.nginx.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
    // AAAA of an existing name: no data.
    expect(a('web-0.nginx.default.svc.cluster.local', 'AAAA')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    // a service with a ClusterIP has no per-pod names.
    expect(a('web-0.web.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('answers dashed pod names (CoreDNS pods insecure)', () => {
    const r = resolveClusterQuestion({ name: '172-17-0-5.default.pod.cluster.local', type: 'A' }, source);
    expect(r.answers).toEqual([{ name: '172-17-0-5.default.pod.cluster.local', type: 'A', ttl: 5, data: '172.17.0.5' }]);
    expect(resolveClusterQuestion({ name: '999-1-1-1.default.pod.cluster.local', type: 'A' }, source).rcode).toBe('NXDOMAIN');
  });

  it('honours a custom domain and TTL', () => {
    const r = resolveClusterQuestion({ name: 'web.default.svc.skiff.test', type: 'A' }, source, { domain: 'skiff.test.', ttl: 30 });
    expect(r.answers).toEqual([{ name: 'web.default.svc.skiff.test', type: 'A', ttl: 30, data: '10.96.0.20' }]);
    expect(resolveClusterQuestion({ name: 'web.default.svc.cluster.local', type: 'A' }, source, { domain: 'skiff.test' }).rcode).toBe('REFUSED');
  });
});
