/**
 * Forwarding of names outside the cluster domain to upstream resolvers (the node's, from
 * /etc/resolv.conf, in production). Off unless upstreams are configured; tests use only
 * upstreams on 127.0.0.1.
 */
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';

export interface DnsUpstream {
  host: string;
  port: number;
}

/** Default time to wait for one upstream before trying the next, in ms. */
export const DEFAULT_FORWARD_TIMEOUT_MS = 2000;

/**
 * Sends the raw query to each upstream in turn over UDP and resolves with the first reply whose
 * id matches, or undefined when none answers within `timeoutMs` each (the caller answers SERVFAIL).
 * Never rejects.
 */
export async function forwardQuery(message: Buffer, upstreams: readonly DnsUpstream[], timeoutMs = DEFAULT_FORWARD_TIMEOUT_MS): Promise<Buffer | undefined> {
  if (message.length < 2) return undefined;
  const id = message.readUInt16BE(0);
  for (const upstream of upstreams) {
    const reply = await askOne(message, id, upstream, timeoutMs);
    if (reply) return reply;
  }
  return undefined;
}

function askOne(message: Buffer, id: number, upstream: DnsUpstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(upstream.host) ? 'udp6' : 'udp4');
    const finish = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('error', () => finish(undefined));
    socket.on('message', (reply, rinfo) => {
      if (rinfo.port === upstream.port && reply.length >= 2 && reply.readUInt16BE(0) === id) finish(reply);
    });
    socket.send(message, upstream.port, upstream.host, (err) => {
      if (err) finish(undefined);
    });
  });
}

/** The `nameserver` lines of a resolv.conf text, as upstreams on port 53, in order. */
export function parseResolvConf(text: string): DnsUpstream[] {
  const upstreams: DnsUpstream[] = [];
  for (const line of text.split('\n')) {
    const [keyword, host] = line.trim().split(/\s+/);
    if (keyword !== 'nameserver' || !host) continue;
    upstreams.push({ host, port: 53 });
  }
  return upstreams;
}

/** The node's resolvers from /etc/resolv.conf (or `path`); [] when the file cannot be read. */
export async function nodeResolvers(path = '/etc/resolv.conf'): Promise<DnsUpstream[]> {
  try {
    return parseResolvConf(await readFile(path, 'utf8'));
  } catch {
    return [];
  }
}
