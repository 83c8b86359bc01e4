import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import pino from 'pino';
import type { Endpoints, Service } from '@skiff/api';
import { listerRecordSource } from './cluster-dns-resolver';
import { startDnsServer, type DnsServer } from './dns-server';

function service(namespace: string, name: string, clusterIP: string, ports: { name: string; port: number; protocol?: string }[]): Service {
  return {
    metadata: { name, namespace },
    spec: {
      ports: ports.map((p) => ({ name: p.name, protocol: p.protocol ?? 'TCP', port: p.port, nodePort: 0 })),
      selector: {},
      clusterIP,
      clusterIPs: clusterIP === 'None' ? [] : [clusterIP],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      externalIPs: [],
      publishNotReadyAddresses: false,
    },
  } as unknown as Service;
}

const bigIps = Array.from({ length: 100 }, (_, i) => `10.1.${Math.floor(i / 50)}.${(i % 50) + 1}`);
const services = new Map<string, Service>([
  ['default/web', service('default', 'web', '10.96.0.20', [{ name: 'http', port: 80 }])],
  ['default/big', service('default', 'big', 'None', [])],
]);
const endpoints = new Map<string, Endpoints>([
  [
    'default/big',
    {
      metadata: { name: 'big', namespace: 'default' },
      subsets: [{ addresses: bigIps.map((ip) => ({ ip, hostname: '', hostIP: '', hostPorts: [] })), notReadyAddresses: [], ports: [] }],
    } as unknown as Endpoints,
  ],
]);

let server: DnsServer;
let resolver: Resolver;

beforeAll(async () => {
  server = await startDnsServer({ host: '127.0.0.1', port: 0, source: listerRecordSource(services, endpoints), logger: pino({ level: 'silent' }) });
  resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([server.address]);
});

afterAll(async () => {
  await server?.close();
});

/** One query over a fresh TCP connection (2-byte length prefix), decoded. */
function queryTcp(port: number, name: string, type: dnsPacket.Question['type']): Promise<dnsPacket.DecodedPacket & { rcode: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    socket.setTimeout(2000, () => socket.destroy(new Error('tcp dns timeout')));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(dnsPacket.streamEncode({ type: 'query', id: 99, questions: [{ name, type }] })));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        socket.end();
        resolve(dnsPacket.streamDecode(buffered) as dnsPacket.DecodedPacket & { rcode: string });
      }
    });
  });
}

/** One query in one UDP datagram, decoded. */
async function queryUdp(port: number, name: string, type: dnsPacket.Question['type']): Promise<dnsPacket.DecodedPacket> {
  const udp = createSocket('udp4');
  try {
    const reply = new Promise<Buffer>((resolve, reject) => {
      udp.once('message', resolve);
      udp.once('error', reject);
    });
    udp.send(dnsPacket.encode({ type: 'query', id: 7, questions: [{ name, type }] }), port, '127.0.0.1');
    return dnsPacket.decode(await reply);
  } finally {
    udp.close();
  }
}

describe('DNS server on 127.0.0.1 (UDP and TCP)', () => {
  it('answers A for a service over UDP', async () => {
    expect(await resolver.resolve4('web.default.svc.cluster.local', { ttl: true })).toEqual([{ address: '10.96.0.20', ttl: 5 }]);
  });

  it('answers SRV for a named port', async () => {
    expect(await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local')).toMatchObject([
      { name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 },
    ]);
  });

  it('answers NXDOMAIN for an unknown service and REFUSED outside the cluster domain', async () => {
    await expect(resolver.resolve4('nope.default.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });

  it('answers over TCP', async () => {
    const res = await queryTcp(server.port, 'web.default.svc.cluster.local', 'A');
    expect(res).toMatchObject({ id: 99, rcode: 'NOERROR', flag_aa: true });
    expect(res.answers).toEqual([{ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN', ttl: 5, flush: false, data: '10.96.0.20' }]);
  });

  it('truncates a large UDP answer and the client gets it all over TCP', async () => {
    const udp = await queryUdp(server.port, 'big.default.svc.cluster.local', 'A');
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers).toEqual([]);
    // c-ares retries over TCP when the UDP answer carries TC, so all 100 addresses arrive.
    const ips = await resolver.resolve4('big.default.svc.cluster.local');
    expect(ips.sort()).toEqual([...bigIps].sort());
  });

  it('follows the live source: a service added after start is answered', async () => {
    await expect(resolver.resolve4('late.default.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    services.set('default/late', service('default', 'late', '10.96.0.77', []));
    expect(await resolver.resolve4('late.default.svc.cluster.local')).toEqual(['10.96.0.77']);
  });

  it('ignores malformed datagrams and keeps serving', async () => {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => udp.send(Buffer.from('not dns at all'), server.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    udp.close();
    expect(await resolver.resolve4('web.default.svc.cluster.local')).toEqual(['10.96.0.20']);
  });
});

describe('DNS server forwarding (upstreams on 127.0.0.1 only)', () => {
  let upstream: DnsServer;
  let forwarding: DnsServer;
  let deadEnd: DnsServer;
  const log = pino({ level: 'silent' });

  beforeAll(async () => {
    // The "upstream" is another instance serving a different zone; nothing leaves the machine.
    upstream = await startDnsServer({ host: '127.0.0.1', port: 0, domain: 'upstream.test', source: listerRecordSource(services, endpoints), logger: log });
    forwarding = await startDnsServer({ host: '127.0.0.1', port: 0, source: listerRecordSource(services, endpoints), logger: log, forwarders: [{ host: '127.0.0.1', port: upstream.port }] });
    // An upstream port where nothing answers: the closed upstream server's port.
    const gone = await startDnsServer({ host: '127.0.0.1', port: 0, source: listerRecordSource(services), logger: log });
    await gone.close();
    deadEnd = await startDnsServer({ host: '127.0.0.1', port: 0, source: listerRecordSource(services), logger: log, forwarders: [{ host: '127.0.0.1', port: gone.port }], forwardTimeoutMs: 200 });
  });

  afterAll(async () => {
    await Promise.all([upstream?.close(), forwarding?.close(), deadEnd?.close()]);
  });

  it('forwards names outside the cluster domain and still answers its own zone', async () => {
    const r = new Resolver({ timeout: 2000, tries: 1 });
    r.setServers([forwarding.address]);
    expect(await r.resolve4('web.default.svc.upstream.test')).toEqual(['10.96.0.20']);
    expect(await r.resolve4('web.default.svc.cluster.local')).toEqual(['10.96.0.20']);
    const tcp = await queryTcp(forwarding.port, 'web.default.svc.upstream.test', 'A');
    expect(tcp.answers?.map((a) => (a.type === 'A' ? a.data : a.type))).toEqual(['10.96.0.20']);
  });

  it('answers SERVFAIL when no upstream replies', async () => {
    const res = (await queryUdp(deadEnd.port, 'example.test', 'A')) as dnsPacket.DecodedPacket & { rcode: string };
    expect(res).toMatchObject({ id: 7, rcode: 'SERVFAIL' });
  });
});
