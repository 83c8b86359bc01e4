/**
 * Starts the real apiserver (the built app, dist/apps/apiserver/main.js) as a child process on
 * free loopback ports, against a test's etcd and NATS, and waits until its gRPC health check
 * reports SERVING.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { EtcdServer } from './etcd';
import { freePort } from './free-port';
import type { NatsServer } from './nats';
import { startProcess, type TestProcess } from './process';
import { waitFor } from './wait-for';

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
  etcd: EtcdServer;
  nats: NatsServer;
  extraArgs?: string[];
  /** Default "info"; the last lines are in process.recentOutput. */
  logLevel?: string;
  timeoutMs?: number;
}

function repoRoot(): string {
  for (let dir = resolve(__dirname); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tools/build-app.mjs'))) return dir;
    if (dirname(dir) === dir) throw new Error('cannot find the repository root (tools/build-app.mjs)');
  }
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'gen') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let built: string | undefined;

/**
 * Builds dist/apps/apiserver/main.js when it is missing or older than any source it bundles
 * (apps/apiserver and libs). Once per jest worker; a lock directory keeps parallel workers
 * from building at the same time.
 */
export function ensureApiserverBuilt(): string {
  if (built) return built;
  const root = repoRoot();
  const main = join(root, 'dist/apps/apiserver/main.js');
  const stale = () => !existsSync(main) || statSync(main).mtimeMs < Math.max(newestSource(join(root, 'libs')), newestSource(join(root, 'apps/apiserver')), statSync(join(root, 'package.json')).mtimeMs);
  if (stale()) {
    mkdirSync(join(root, 'dist'), { recursive: true });
    const lock = join(root, 'dist/.apiserver-build.lock');
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        mkdirSync(lock);
        break;
      } catch {
        if (Date.now() > deadline) rmdirSync(lock); // a crashed builder left it behind
        execFileSync('sleep', ['0.1']);
      }
    }
    try {
      if (stale()) execFileSync(process.execPath, ['tools/build-app.mjs', 'apiserver'], { cwd: root, stdio: 'pipe' });
    } finally {
      rmdirSync(lock);
    }
  }
  built = main;
  return main;
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

/** Starts the built apiserver on free ports; resolves once it reports SERVING. */
export async function startApiserver(options: StartApiserverOptions): Promise<ApiserverProcess> {
  const main = ensureApiserverBuilt();
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${grpcPort}`;
  const metricsAddress = `127.0.0.1:${metricsPort}`;
  const args = [
    '--enable-source-maps', main,
    '--listen', address,
    '--etcd', options.etcd.endpoint,
    '--nats', options.nats.url,
    '--metrics-listen', metricsAddress,
    '--log-level', options.logLevel ?? 'info',
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
