/**
 * The environment an integration spec of one component (a controller, the scheduler, the CLI,
 * the client) runs against: a real etcd and NATS on free loopback ports with temp dirs, and the
 * built apiserver on them. Nothing here imports the API libraries (their specs use this), so
 * callers connect their own client to `apiserver.address`.
 */
import { startApiserver, type ApiserverProcess } from './apiserver';
import { startEtcd, type EtcdServer } from './etcd';
import { startNats, type NatsServer } from './nats';

/** A running etcd, NATS and apiserver; stop() it in afterAll. */
export interface ApiserverEnv {
  etcd: EtcdServer;
  nats: NatsServer;
  apiserver: ApiserverProcess;
  /** Stops the apiserver, then NATS and etcd (removing their data dirs). */
  stop(): Promise<void>;
}

export interface StartApiserverEnvOptions {
  /** Extra apiserver flags, e.g. ['--default-toleration-seconds', '2']. */
  apiserverArgs?: string[];
  /** The apiserver's log level; default "warn" (recent output is in apiserver.process). */
  logLevel?: string;
  /**
   * Run the ServiceAccount admission plugin; default off, as nothing here creates the `default`
   * ServiceAccounts (see StartApiserverOptions.serviceAccountAdmission).
   */
  serviceAccountAdmission?: boolean;
}

/**
 * Starts etcd and NATS side by side, then the apiserver against them; resolves once the apiserver
 * reports SERVING. When any of them fails to start, stops the others and rejects with its error.
 */
export async function startApiserverEnv(options: StartApiserverEnvOptions = {}): Promise<ApiserverEnv> {
  const [etcdStart, natsStart] = await Promise.allSettled([startEtcd(), startNats()]);
  const stores = [etcdStart, natsStart].flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stopStores = async () => {
    await Promise.all(stores.map((s) => s.stop().catch(() => undefined)));
  };
  if (etcdStart.status === 'rejected' || natsStart.status === 'rejected') {
    await stopStores();
    throw etcdStart.status === 'rejected' ? etcdStart.reason : (natsStart as PromiseRejectedResult).reason;
  }
  const [etcd, nats] = [etcdStart.value, natsStart.value];
  let apiserver: ApiserverProcess;
  try {
    apiserver = await startApiserver({ etcd, nats, logLevel: options.logLevel ?? 'warn', extraArgs: options.apiserverArgs, serviceAccountAdmission: options.serviceAccountAdmission });
  } catch (err) {
    await stopStores();
    throw err;
  }
  return {
    etcd,
    nats,
    apiserver,
    async stop() {
      await apiserver.stop();
      await Promise.all([nats.stop(), etcd.stop()]);
    },
  };
}
