/**
 * The gRPC server bootstrap every Skiff component uses: binds the address, serves the given
 * services through the handler adapter, the standard health service (grpc.health.v1.Health,
 * status per service and for "") and, when descriptors are given, server reflection (so that
 * `grpcurl -plaintext ADDRESS list` works).
 */
import { setMaxListeners } from 'node:events';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import type { Logger } from 'pino';
import { adaptService, type ServiceBinding } from './grpc-handlers';

export interface GrpcServerOptions {
  /** "127.0.0.1:6443"; port 0 picks a free port (read it back from `address`). */
  address: string;
  services: readonly ServiceBinding[];
  /** Descriptors of the served protos, for server reflection (see loadProtoPackage); the health service is added. */
  reflection?: PackageDefinition;
  logger: Logger;
}

export interface GrpcServer {
  /** The bound address with the actual port: "127.0.0.1:40123". */
  readonly address: string;
  readonly port: number;
  /** Reports SERVING / NOT_SERVING for every service and "" on the health service. */
  setServing(serving: boolean): void;
  /**
   * Stops: reports NOT_SERVING, aborts in-flight calls' signals (streams end with UNAVAILABLE),
   * waits up to graceMs for calls to finish, then closes every connection.
   */
  close(graceMs?: number): Promise<void>;
}

/** Starts a gRPC server (insecure credentials, loopback or private networks) that reports NOT_SERVING until setServing(true). */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const { logger } = options;
  const server = new Server({ 'grpc.keepalive_permit_without_calls': 1, 'grpc.max_receive_message_length': 8 * 1024 * 1024 });
  const shutdown = new AbortController();
  setMaxListeners(0, shutdown.signal); // one listener per call in flight, removed when it ends
  const names = ['', ...options.services.map((s) => s.name)];
  const health = new HealthImplementation(Object.fromEntries(names.map((n) => [n, 'NOT_SERVING'])));
  health.addToServer(server);
  if (options.reflection) new ReflectionService({ ...loadSync(healthProtoPath), ...options.reflection }).addToServer(server);
  for (const binding of options.services) server.addService(binding.definition, adaptService(binding, shutdown.signal, logger));

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.address, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const host = options.address.slice(0, options.address.lastIndexOf(':'));
  const address = `${host}:${port}`;
  logger.info({ address }, 'gRPC server listening');
  let closed: Promise<void> | undefined;

  return {
    address,
    port,
    setServing(serving) {
      for (const name of names) health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
    },
    close(graceMs = 5_000) {
      closed ??= (async () => {
        for (const name of names) health.setStatus(name, 'NOT_SERVING');
        shutdown.abort(new DOMException('server is shutting down', 'AbortError'));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, graceMs);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        logger.info({ address }, 'gRPC server stopped');
      })();
      return closed;
    },
  };
}
