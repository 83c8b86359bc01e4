import { freePort } from './free-port';
import { assertStarting, startProcess, startRetrying, tempDir, type TestProcess } from './process';
import { waitFor } from './wait-for';

export interface EtcdServer {
  /** "http://127.0.0.1:PORT" */
  endpoint: string;
  process: TestProcess;
  /** Starts it again on the same port and data dir after kill(). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a real single-member etcd on free loopback ports with a temp data dir. Should it exit
 * while starting (a port taken between choosing and binding), it starts again on new ports.
 */
export function startEtcd(): Promise<EtcdServer> {
  return startRetrying(startEtcdOnce);
}

async function startEtcdOnce(): Promise<EtcdServer> {
  const [client, peer] = [await freePort(), await freePort()];
  const dir = tempDir('etcd');
  const endpoint = `http://127.0.0.1:${client}`;
  const args = [
    '--name', 's1', '--data-dir', dir.path,
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `s1=http://127.0.0.1:${peer}`, '--logger', 'zap', '--log-level', 'error',
  ];
  const server: EtcdServer = {
    endpoint,
    process: undefined as unknown as TestProcess,
    async restart() {
      const child = startProcess('etcd', 'etcd', args);
      server.process = child;
      await waitFor('etcd to be healthy', async () => {
        assertStarting(child);
        return (await fetch(`${endpoint}/health`)).ok;
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
