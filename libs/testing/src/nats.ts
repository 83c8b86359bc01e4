import { createConnection } from 'node:net';
import { freePort } from './free-port';
import { startProcess, tempDir, type TestProcess } from './process';
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

/** Starts a real nats-server with JetStream on a free loopback port and a temp store dir. */
export async function startNats(): Promise<NatsServer> {
  const port = await freePort();
  const dir = tempDir('nats');
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    process: undefined as unknown as TestProcess,
    async restart() {
      server.process = startProcess('nats', 'nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir.path]);
      await waitFor('nats-server to accept connections', () => portAnswers(port), { timeoutMs: 20_000 });
    },
    async stop() {
      await server.process.stop();
      dir.remove();
    },
  };
  await server.restart();
  return server;
}
