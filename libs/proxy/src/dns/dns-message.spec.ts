import * as dnsPacket from 'dns-packet';
import type { Endpoints, Service } from '@skiff/api';
import { listerRecordSource } from './cluster-dns-resolver';
import { answerQuery } from './dns-message';

function headlessWith(ips: string[]): { services: Map<string, Service>; endpoints: Map<string, Endpoints> } {
  const svc = {
    metadata: { name: 'big', namespace: 'default' },
    spec: { ports: [], selector: {}, clusterIP: 'None', clusterIPs: [], type: 'ClusterIP', sessionAffinity: 'None', externalIPs: [], publishNotReadyAddresses: false },
  } as unknown as Service;
  const eps = {
    metadata: { name: 'big', namespace: 'default' },
    subsets: [{ addresses: ips.map((ip) => ({ ip, hostname: '', hostIP: '', hostPorts: [] })), notReadyAddresses: [], ports: [] }],
  } as unknown as Endpoints;
  return { services: new Map([['default/big', svc]]), endpoints: new Map([['default/big', eps]]) };
}

const manyIps = Array.from({ length: 100 }, (_, i) => `10.1.0.${i + 1}`);
const { services, endpoints } = headlessWith(manyIps);
const source = listerRecordSource(services, endpoints);

function query(name: string, type: dnsPacket.Question['type'], extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }], ...extra });
}

describe('answerQuery', () => {
  it('echoes id, question and RD, sets AA and the rcode', () => {
    const res = dnsPacket.decode(answerQuery(query('nope.default.svc.cluster.local', 'A'), source, 'udp')!) as dnsPacket.DecodedPacket & { rcode: string };
    expect(res).toMatchObject({ id: 4242, type: 'response', flag_aa: true, flag_rd: true, flag_tc: false, rcode: 'NXDOMAIN' });
    expect(res.questions).toEqual([{ name: 'nope.default.svc.cluster.local', type: 'A', class: 'IN' }]);
    expect(res.authorities?.[0]?.type).toBe('SOA');
  });

  it('truncates a UDP answer over 512 bytes to the question with TC set; TCP gets all of it', () => {
    const udp = dnsPacket.decode(answerQuery(query('big.default.svc.cluster.local', 'A'), source, 'udp')!);
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers).toEqual([]);
    expect(udp.questions).toHaveLength(1);
    const tcp = dnsPacket.decode(answerQuery(query('big.default.svc.cluster.local', 'A'), source, 'tcp')!);
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers).toHaveLength(100);
  });

  it('uses the EDNS0 payload size the client offers', () => {
    const opt = { type: 'OPT' as const, name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
    // dns-packet does not compress names: each A record here is ~45 bytes, so 40 fit in 4096 but not in 512.
    const forty = headlessWith(manyIps.slice(0, 40));
    const raw = answerQuery(query('big.default.svc.cluster.local', 'A', { additionals: [opt] }), listerRecordSource(forty.services, forty.endpoints), 'udp')!;
    expect(raw.length).toBeGreaterThan(512);
    const res = dnsPacket.decode(raw);
    expect(res.flag_tc).toBe(false);
    expect(res.answers).toHaveLength(40);
    expect(res.additionals?.some((a) => a.type === 'OPT')).toBe(true);
  });

  it('ignores malformed bytes and responses instead of throwing', () => {
    expect(answerQuery(Buffer.from([1, 2, 3]), source, 'udp')).toBeUndefined();
    expect(answerQuery(Buffer.alloc(0), source, 'udp')).toBeUndefined();
    const truncatedQuestion = query('big.default.svc.cluster.local', 'A').subarray(0, 20);
    expect(answerQuery(truncatedQuestion, source, 'udp')).toBeUndefined();
    const response = dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'x.cluster.local', type: 'A' }] });
    expect(answerQuery(response, source, 'udp')).toBeUndefined();
  });

  it('answers FORMERR to a query without exactly one question and NOTIMP to other opcodes', () => {
    const none = dnsPacket.decode(answerQuery(dnsPacket.encode({ type: 'query', id: 7, questions: [] }), source, 'udp')!) as dnsPacket.DecodedPacket & { rcode: string };
    expect(none.rcode).toBe('FORMERR');
    const notify = query('cluster.local', 'SOA');
    notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2);
    const res = dnsPacket.decode(answerQuery(notify, source, 'udp')!) as dnsPacket.DecodedPacket & { rcode: string };
    expect(res.rcode).toBe('NOTIMP');
  });
});
