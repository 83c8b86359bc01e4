import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Where test ports come from: below the kernel's ephemeral range (ip_local_port_range, usually
 * 32768-60999), so that no outgoing connection's local port can take a port between freePort()
 * choosing it and the server binding it, and below the NodePort range (30000-32767).
 */
const LOW = 10_000;
const HIGH = Math.min(29_999, ephemeralStart() - 1);

function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > LOW + 1000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

/** Ports this process handed out already: never handed out twice. */
const handedOut = new Set<number>();

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: a random one in [10000, 30000) that binds
 * on 127.0.0.1 and on every address, and that this process has not handed out before.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (handedOut.has(port)) continue;
    if ((await bindable(port, '127.0.0.1')) && (await bindable(port, '0.0.0.0'))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${LOW}-${HIGH} after 200 tries`);
}
