/**
 * What every control-plane component (scheduler, controller-manager, proxy) does around its own
 * work: a metrics registry and /metrics + /healthz server, an apiserver client and a NATS
 * connection; `run` gets them and works until `signal` aborts. Everything is closed after `run`
 * returns, in reverse order.
 */
import { connectBus, type BusConnection } from '@skiff/bus';
import { connect, type SkiffClient } from '@skiff/client';
import { createMetricsRegistry, startMetricsServer, type Logger } from '@skiff/service';
import type { Registry } from 'prom-client';

export interface ComponentConfig {
  /** 'scheduler', 'controller-manager', 'proxy': the metrics prefix and the NATS client name. */
  name: string;
  /** apiserver gRPC address. */
  server: string;
  /** NATS server URLs. */
  nats: string[];
  /** /metrics and /healthz address (port 0: any free port). */
  metricsListen: string;
  logger: Logger;
  /** What /healthz reports; default always healthy. */
  healthy?: () => boolean;
  /** Called once /metrics serves, with its bound address (before NATS is connected). */
  onListening?: (addresses: { metrics: string }) => void;
}

export interface ComponentContext {
  client: SkiffClient;
  bus: BusConnection;
  registry: Registry;
  metricsAddress: string;
}

/**
 * Runs `run` with a client, a bus and metrics until it returns. Waits for NATS as long as it
 * takes (abortable: resolves without running when `signal` aborts first). Rejects only when it
 * cannot start (the metrics address is taken) or when `run` rejects.
 */
export async function runComponent(config: ComponentConfig, signal: AbortSignal, run: (ctx: ComponentContext) => Promise<void>): Promise<void> {
  const { logger } = config;
  const registry = createMetricsRegistry(config.name);
  const client = connect(config.server);
  try {
    const metricsServer = await startMetricsServer({ address: config.metricsListen, registry, logger, healthy: () => config.healthy?.() ?? true });
    try {
      config.onListening?.({ metrics: metricsServer.address });
      let bus: BusConnection;
      try {
        bus = await connectBus(config.nats, { name: config.name, signal });
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      try {
        logger.info({ server: config.server, metrics: metricsServer.address }, `${config.name} starting`);
        await run({ client, bus, registry, metricsAddress: metricsServer.address });
      } finally {
        await bus.close().catch(() => undefined);
      }
    } finally {
      await metricsServer.close();
    }
  } finally {
    client.close();
  }
}
