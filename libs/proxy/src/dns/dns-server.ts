/**
 * The cluster DNS server: UDP and TCP on one address:port (in a cluster the DNS service's
 * ClusterIP, 10.96.0.10:53), answering from a live record source through `answerQuery`.
 * Malformed datagrams are dropped; a TCP connection that sends a malformed message is closed.
 */
import { createSocket } from 'node:dgram';
import { createServer, isIPv6, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { isInClusterDomain, type DnsRecordSource, type ResolverOptions } from './cluster-dns-resolver';
import { forwardQuery, type DnsUpstream } from './dns-forwarder';
import { answerQuery, decodeQuery, rcodeResponse, type DnsTransport } from './dns-message';

export interface DnsServerOptions extends ResolverOptions {
  /** Address to bind, e.g. `10.96.0.10`; both UDP and TCP. */
  host: string;
  /** Port for both UDP and TCP; 0 picks a free UDP port and binds TCP to the same one. */
  port: number;
  source: DnsRecordSource;
  logger: Logger;
  /** A TCP connection idle this long is closed (ms); default 10 s. */
  tcpIdleTimeoutMs?: number;
  /**
   * Upstreams for names outside the cluster domain (the node's resolvers, see `nodeResolvers`).
   * Empty or absent (the default, and always in tests that could reach the internet): REFUSED.
   */
  forwarders?: readonly DnsUpstream[];
  /** Per-upstream forwarding timeout in ms; default 2 s. */
  forwardTimeoutMs?: number;
}

export interface DnsServer {
  /** `host:port` actually bound (UDP and TCP). */
  readonly address: string;
  readonly port: number;
  /** Stops both listeners and closes open TCP connections. */
  close(): Promise<void>;
}

/** A DNS/TCP message is prefixed by its 2-byte length (RFC 1035 4.2.2). */
const TCP_LENGTH_PREFIX = 2;

/** Binds UDP then TCP on the same port and serves until `close()`. Rejects when either cannot bind. */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const log = options.logger.child({ component: 'dns' });
  const udp = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(options.port, options.host, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  const port = udp.address().port;
  udp.on('error', (err) => log.warn({ err }, 'dns udp socket error'));
  let closed = false;
  udp.on('message', (msg, rinfo) => {
    void respond(msg, 'udp', options).then((response) => {
      if (!response) {
        log.debug({ from: rinfo.address, bytes: msg.length }, 'ignored malformed dns datagram');
        return;
      }
      if (closed) return;
      udp.send(response, rinfo.port, rinfo.address, (err) => {
        if (err) log.debug({ err, to: rinfo.address }, 'dns udp send failed');
      });
    });
  });

  const connections = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveTcpConnection(socket, options, log);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, options.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    udp.close();
    throw err;
  }
  tcp.on('error', (err) => log.warn({ err }, 'dns tcp server error'));
  const tcpPort = (tcp.address() as AddressInfo).port;
  const address = `${isIPv6(options.host) ? `[${options.host}]` : options.host}:${tcpPort}`;
  log.info({ address }, 'dns server listening');
  return {
    address,
    port: tcpPort,
    close: async () => {
      closed = true;
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        new Promise<void>((resolve) => udp.close(() => resolve())),
      ]);
    },
  };
}

/**
 * The response bytes for one message: forwarded upstream when it asks for a name outside the
 * cluster domain and forwarders are configured (SERVFAIL when none answers), else answered from
 * the cluster zone. Undefined for messages to ignore. Never rejects.
 */
async function respond(message: Buffer, transport: DnsTransport, options: DnsServerOptions): Promise<Buffer | undefined> {
  if (options.forwarders?.length) {
    const query = decodeQuery(message);
    const question = query?.questions?.length === 1 ? query.questions[0] : undefined;
    if (query && question && !isInClusterDomain(question.name, options.domain)) {
      return (await forwardQuery(message, options.forwarders, options.forwardTimeoutMs)) ?? rcodeResponse(query, 'SERVFAIL');
    }
  }
  return answerQuery(message, options.source, transport, options);
}

/**
 * Reads length-prefixed queries from one connection and writes each length-prefixed answer when
 * it is ready (RFC 7766 allows out-of-order answers; clients match them by id).
 */
function serveTcpConnection(socket: Socket, options: DnsServerOptions, log: Logger): void {
  let buffered = Buffer.alloc(0);
  socket.setTimeout(options.tcpIdleTimeoutMs ?? 10_000, () => socket.destroy());
  socket.on('error', (err) => log.debug({ err }, 'dns tcp connection error'));
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= TCP_LENGTH_PREFIX) {
      const length = buffered.readUInt16BE(0);
      if (buffered.length < TCP_LENGTH_PREFIX + length) return;
      const message = buffered.subarray(TCP_LENGTH_PREFIX, TCP_LENGTH_PREFIX + length);
      buffered = buffered.subarray(TCP_LENGTH_PREFIX + length);
      if (!decodeQuery(message)) {
        log.debug({ from: socket.remoteAddress, bytes: length }, 'closing dns tcp connection after a malformed message');
        socket.destroy();
        return;
      }
      void respond(message, 'tcp', options).then((response) => {
        if (!response || socket.destroyed) return;
        const prefix = Buffer.alloc(TCP_LENGTH_PREFIX);
        prefix.writeUInt16BE(response.length, 0);
        socket.write(Buffer.concat([prefix, response]));
      });
    }
  });
}
