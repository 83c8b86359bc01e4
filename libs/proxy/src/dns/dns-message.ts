/**
 * Wire format for the cluster DNS: decodes a query with `dns-packet`, answers it through the
 * resolver and encodes the response, truncating UDP answers that do not fit (TC bit). Pure: bytes
 * and a record source in, bytes out.
 */
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import { resolveClusterQuestion, type DnsRcode, type DnsRecord, type DnsRecordSource, type DnsResolution, type ResolverOptions } from './cluster-dns-resolver';

/** Classic DNS UDP payload limit, used when the client sends no EDNS0 OPT record. */
export const CLASSIC_UDP_PAYLOAD = 512;
/** The largest UDP payload this server advertises and sends (CoreDNS' default buffer). */
export const MAX_UDP_PAYLOAD = 4096;

const RCODE_VALUES: Record<DnsRcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

export type DnsTransport = 'udp' | 'tcp';

/** The decoded query, or undefined when the bytes are not a DNS query (malformed or a response). */
export function decodeQuery(message: Buffer): DecodedPacket | undefined {
  try {
    const packet = dnsPacket.decode(message);
    if (packet.type !== 'query' || !Array.isArray(packet.questions)) return undefined;
    return packet;
  } catch {
    return undefined;
  }
}

/**
 * The response to one query message, or undefined when the message must be ignored (malformed,
 * or not a query). UDP responses larger than the client's payload size (512 bytes, or its EDNS0
 * size up to 4096) are cut to the header and question with the TC bit, so the client retries
 * over TCP. Never throws.
 */
export function answerQuery(message: Buffer, source: DnsRecordSource, transport: DnsTransport, options: ResolverOptions = {}): Buffer | undefined {
  const query = decodeQuery(message);
  if (!query) return undefined;
  const opt = (query.additionals ?? []).find((a) => a.type === 'OPT');
  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  let resolution: DnsResolution;
  if (opcode !== 0) resolution = emptyResolution('NOTIMP');
  else if (query.questions?.length !== 1) resolution = emptyResolution('FORMERR');
  else {
    try {
      resolution = resolveClusterQuestion(query.questions[0], source, options);
    } catch {
      resolution = emptyResolution('SERVFAIL');
    }
  }
  const response = responsePacket(query, resolution, opt !== undefined);
  const full = dnsPacket.encode(response);
  if (transport === 'tcp') return full;
  const limit = udpPayloadLimit(opt);
  if (full.length <= limit) return full;
  return dnsPacket.encode({
    ...response,
    flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
    additionals: (response.additionals ?? []).filter((a) => a.type === 'OPT'),
  });
}

/** A response to `query` with no records and the given rcode (e.g. SERVFAIL when forwarding failed). */
export function rcodeResponse(query: DecodedPacket, rcode: DnsRcode): Buffer {
  const edns = (query.additionals ?? []).some((a) => a.type === 'OPT');
  return dnsPacket.encode(responsePacket(query, emptyResolution(rcode), edns));
}

/** The UDP payload the client accepts: its EDNS0 size within [512, 4096], else 512. */
export function udpPayloadLimit(opt: Answer | undefined): number {
  if (!opt || opt.type !== 'OPT') return CLASSIC_UDP_PAYLOAD;
  return Math.max(CLASSIC_UDP_PAYLOAD, Math.min(opt.udpPayloadSize, MAX_UDP_PAYLOAD));
}

function emptyResolution(rcode: DnsRcode): DnsResolution {
  return { rcode, authoritative: false, answers: [], authorities: [], additionals: [] };
}

function responsePacket(query: DecodedPacket, resolution: DnsResolution, edns: boolean): Packet {
  let flags = RCODE_VALUES[resolution.rcode] | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED);
  if (resolution.authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  const additionals = resolution.additionals.map(toAnswer);
  if (edns) additionals.push({ type: 'OPT', name: '.', udpPayloadSize: MAX_UDP_PAYLOAD, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] });
  return {
    type: 'response',
    id: query.id,
    flags,
    questions: (query.questions ?? []).slice(0, 1),
    answers: resolution.answers.map(toAnswer),
    authorities: resolution.authorities.map(toAnswer),
    additionals,
  };
}

function toAnswer(record: DnsRecord): Answer {
  return { ...record, class: 'IN' } as Answer;
}
