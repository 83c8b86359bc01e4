import { createConnection } from 'node:net';
import { freePort } from './free-port';
import { assertStarting, startProcess, startRetrying, tempDir, type TestProcess } from './process';
import { waitFor } from './wait-for';

export interface NatsServer {
  /** "nats://127.0.0.1:PORT" */
  url: string;
  port: number;
  process: TestProcess;
  /** Starts it again on the same port and store dir (JetStream data survives) after kill(). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts a real nats-server with JetStream on a free loopback port and a temp store dir (on new
 * ports should it exit while starting).
 */
export function startNats(): Promise<NatsServer> {
  return startRetrying(startNatsOnce);
}

async function startNatsOnce(): Promise<NatsServer> {
  const port = await freePort();
  const dir = tempDir('nats');
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    process: undefined as unknown as TestProcess,
    async restart() {
      const child = startProcess('nats', 'nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir.path]);
      server.process = child;
      await waitFor('nats-server to accept connections', () => {
        assertStarting(child);
        return portAnswers(port);
      }, { timeoutMs: 20_000 });
    },
    async stop() {
      await server.process.stop();
      dir.remove();
    },
  };
  try {
    await server.restart();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
