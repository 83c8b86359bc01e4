/**
 * Starts the real apiserver (the built app, dist/apps/apiserver/main.js) as a child process on
 * free loopback ports, against a test's etcd and NATS, and waits until its gRPC health check
 * reports SERVING.
 */
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { EtcdServer } from './etcd';
import { freePort } from './free-port';
import type { NatsServer } from './nats';
import { componentNodeFlags, startProcess, type TestProcess } from './process';
import { waitFor } from './wait-for';
import { ensureAppBuilt } from './built-app';

export interface ApiserverProcess {
  /** gRPC address: "127.0.0.1:PORT". */
  address: string;
  /** Metrics address: "127.0.0.1:PORT" (/metrics, /healthz). */
  metricsAddress: string;
  process: TestProcess;
  /** Starts it again on the same ports (after kill() or stop()) and waits until SERVING. */
  restart(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

export interface StartApiserverOptions {
  /** etcd: a server, or a cluster (its `endpoint` lists every member, comma separated). */
  etcd: Pick<EtcdServer, 'endpoint'>;
  /** NATS: a server, or a cluster (its `url` lists every server, comma separated). */
  nats: Pick<NatsServer, 'url'>;
  extraArgs?: string[];
  /**
   * Run the ServiceAccount admission plugin (a pod needs its ServiceAccount, `default` by
   * default). Only a cluster with a controller-manager (its serviceaccount controller) creates
   * the `default` accounts, so it is off unless asked for: the apiserver gets
   * `--disable-admission-plugins=ServiceAccount`, unless extraArgs name their own list.
   */
  serviceAccountAdmission?: boolean;
  /** Default "info"; the last lines are in process.recentOutput. */
  logLevel?: string;
  timeoutMs?: number;
}

/** Builds dist/apps/apiserver/main.js when it is missing or stale (see ensureAppBuilt). */
export function ensureApiserverBuilt(): string {
  return ensureAppBuilt('apiserver');
}

type HealthClient = { check(req: { service: string }, opts: { deadline: number }, cb: (err: Error | null, res?: { status: string }) => void): void; close(): void };

async function serving(address: string): Promise<boolean> {
  const pkg = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => HealthClient } } };
  };
  const client = new pkg.grpc.health.v1.Health(address, credentials.createInsecure());
  try {
    const res = await new Promise<{ status: string } | undefined>((resolve, reject) =>
      client.check({ service: '' }, { deadline: Date.now() + 1_000 }, (err, r) => (err ? reject(err) : resolve(r))),
    );
    return res?.status === 'SERVING';
  } finally {
    client.close();
  }
}

/** The admission flags for the options (see StartApiserverOptions.serviceAccountAdmission). */
export function admissionArgs(options: Pick<StartApiserverOptions, 'serviceAccountAdmission' | 'extraArgs'>): string[] {
  const ownList = (options.extraArgs ?? []).some((a) => a === '--disable-admission-plugins' || a.startsWith('--disable-admission-plugins='));
  return options.serviceAccountAdmission || ownList ? [] : ['--disable-admission-plugins=ServiceAccount'];
}

/** Starts the built apiserver on free ports; resolves once it reports SERVING. */
export async function startApiserver(options: StartApiserverOptions): Promise<ApiserverProcess> {
  const main = ensureApiserverBuilt();
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${grpcPort}`;
  const metricsAddress = `127.0.0.1:${metricsPort}`;
  const args = [
    ...componentNodeFlags(), main,
    '--listen', address,
    '--etcd', options.etcd.endpoint,
    '--nats', options.nats.url,
    '--metrics-listen', metricsAddress,
    '--log-level', options.logLevel ?? 'info',
    ...admissionArgs(options),
    ...(options.extraArgs ?? []),
  ];
  const server: ApiserverProcess = {
    address,
    metricsAddress,
    process: undefined as unknown as TestProcess,
    async restart() {
      const child = startProcess('apiserver', process.execPath, args);
      server.process = child;
      await waitFor(
        'the apiserver to report SERVING',
        async () => {
          if (!child.running) throw new Error(`apiserver exited with code ${child.child.exitCode}:\n${child.recentOutput}`);
          return serving(address);
        },
        { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 50 },
      ).catch((err: Error) => {
        void child.stop();
        throw new Error(`${err.message}\n${child.recentOutput}`, { cause: err });
      });
    },
    kill: () => server.process.kill(),
    stop: () => server.process.stop(),
  };
  await server.restart();
  return server;
}
