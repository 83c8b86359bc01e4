/**
 * The Prometheus endpoint every component serves on its own address: `/metrics` (the component's
 * registry, including Node's default process metrics) and `/healthz` (200 "ok" while healthy).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from 'pino';

/** A fresh registry with the default process metrics, labelled with the component's name. */
export function createMetricsRegistry(component: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export interface MetricsServerOptions {
  /** "127.0.0.1:6480"; port 0 picks a free port. */
  address: string;
  registry: Registry;
  logger: Logger;
  /** Extra liveness check for /healthz (default: always healthy while the process serves). */
  healthy?: () => boolean;
}

export interface MetricsServer {
  /** "127.0.0.1:PORT" with the actual port. */
  readonly address: string;
  close(): Promise<void>;
}

/** Serves /metrics and /healthz over plain HTTP. Rejects when the address cannot be bound. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
    } else if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (err: unknown) => {
          options.logger.warn({ err }, 'collecting metrics failed');
          res.writeHead(500).end();
        },
      );
    } else if (path === '/healthz') {
      const ok = options.healthy?.() ?? true;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'unhealthy');
    } else {
      res.writeHead(404).end();
    }
  });
  const colon = options.address.lastIndexOf(':');
  const host = options.address.slice(0, colon);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(options.address.slice(colon + 1)), host, () => resolve());
  });
  const address = `${host}:${(server.address() as AddressInfo).port}`;
  options.logger.info({ address }, 'metrics server listening');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
