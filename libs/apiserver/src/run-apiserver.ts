/**
 * The apiserver as one function: `await runApiserver(config, signal)` serves until signal
 * aborts, then stops everything it started and resolves.
 */
import { join } from 'node:path';
import { connectBus, type BusConnection } from '@skiff/bus';
import {
  createMetricsRegistry,
  findUpwards,
  loadProtoPackage,
  startGrpcServer,
  startMetricsServer,
  type Logger,
} from '@skiff/service';
import { EtcdStorage } from '@skiff/storage';
import type { PackageDefinition } from '@grpc/proto-loader';
import { apiServiceBinding, type VersionInfo } from './api-service';
import { NodeProxy } from './node-proxy';
import { KubeletSummaries } from './kubelet-summaries';
import { MetricsApi } from './metrics-api';
import { createApiserverMetrics } from './apiserver-metrics';
import { runCompactor } from './compaction';
import { enabledAdmissionPlugins } from './admission-plugins';
import { ensureDefaultStorageClass } from './default-storage-class';
import { DEFAULT_SERVICE_CIDR, GenericStore } from './generic-store';
import { DEFAULT_NODE_PORT_RANGE, parseNodePortRange } from './node-port-range';
import { parseServiceIpRange } from './service-ip-range';
import { InstrumentedStorage } from './instrumented-storage';
import { runWatchPublisher } from './watch-publisher';

export interface ApiserverConfig {
  /** gRPC address, "127.0.0.1:6443" (port 0: any free port, see onListening). */
  listen: string;
  /** etcd client URLs. */
  etcd: string[];
  /** NATS server URLs. */
  nats: string[];
  /**
   * Replicas of the NATS watch stream (--watch-stream-replicas): 1 (default) for one NATS server,
   * 3 with a NATS cluster of 3 or more (HA). An existing stream with fewer replicas is raised to
   * this; one with more keeps them (see ensureWatchStream).
   */
  watchStreamReplicas?: number;
  /** Prometheus /metrics and /healthz address, "127.0.0.1:6480". */
  metricsListen: string;
  /** Compaction period; 0 disables compaction. Default 5 min. */
  compactionIntervalMs?: number;
  /** History kept by compaction: at least this long ... (default 5 min) */
  compactionRetentionMs?: number;
  /** ... and at least this many revisions (default 10,000). */
  compactionMinRevisions?: number;
  version: VersionInfo;
  logger: Logger;
  /** tolerationSeconds of the not-ready/unreachable NoExecute tolerations every new pod gets; 300. */
  defaultTolerationSeconds?: number;
  /** How long an Event lives after its last write (--event-ttl), in seconds; 3600. */
  eventTtlSeconds?: number;
  /**
   * Admission plugins not to run (--disable-admission-plugins): "ServiceAccount",
   * "DefaultTolerationSeconds". Default none. An unknown name fails the start.
   */
  disableAdmissionPlugins?: string[];
  /** The service CIDR ClusterIPs are allocated from ("10.96.0.0/16", the default). */
  serviceClusterIpRange?: string;
  /** The node port range ("30000-32767", the default). */
  serviceNodePortRange?: string;
  /** The folder holding proto/ (for server reflection); found by walking up from the code when unset. */
  protoRoot?: string;
  /** Called once serving, with the bound addresses. */
  onListening?: (addresses: { grpc: string; metrics: string }) => void;
}

function reflectionPackage(config: ApiserverConfig): PackageDefinition | undefined {
  const root = config.protoRoot ?? findUpwards('proto/skiff/api/v1/api.proto', [__dirname, process.cwd()]);
  if (!root) {
    config.logger.warn('proto/ folder not found: gRPC server reflection is disabled');
    return undefined;
  }
  return loadProtoPackage(join(root, 'proto'), ['skiff/api/v1/api.proto']);
}

async function untilReady(what: string, logger: Logger, signal: AbortSignal, attempt: () => Promise<void>): Promise<void> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 5_000)) {
    signal.throwIfAborted();
    try {
      return await attempt();
    } catch (err) {
      logger.warn({ err, retryInMs: delay }, `${what} failed: retrying`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Serves the Skiff API until signal aborts: creates the system namespaces and records the
 * allocations of services stored without them (retrying until etcd answers), serves gRPC (Api,
 * health, reflection) and metrics, publishes the watch stream on NATS (waiting for NATS as long
 * as it takes, without blocking the API), compacts etcd periodically.
 * On abort: reports NOT_SERVING, ends open calls and streams, stops background loops, closes
 * the etcd and NATS connections, and resolves. Rejects only when it cannot start (address in use,
 * a malformed service CIDR or node port range, an unknown admission plugin).
 */
export async function runApiserver(config: ApiserverConfig, signal: AbortSignal): Promise<void> {
  const { logger } = config;
  const serviceIpRange = parseServiceIpRange(config.serviceClusterIpRange ?? DEFAULT_SERVICE_CIDR);
  const nodePortRange = config.serviceNodePortRange ? parseNodePortRange(config.serviceNodePortRange) : DEFAULT_NODE_PORT_RANGE;
  const admissionPlugins = enabledAdmissionPlugins(config.disableAdmissionPlugins);
  const registry = createMetricsRegistry('apiserver');
  const metrics = createApiserverMetrics(registry);
  const storage = new InstrumentedStorage(new EtcdStorage({ endpoints: config.etcd }), metrics.etcdSeconds);
  const store = new GenericStore(storage, undefined, undefined, {
    defaultTolerationSeconds: config.defaultTolerationSeconds,
    ttls: { eventSeconds: config.eventTtlSeconds },
    serviceIpRange,
    nodePortRange,
    admissionPlugins,
  });
  const nodes = new NodeProxy(store);
  const usage = new MetricsApi(store, new KubeletSummaries({ clientFor: (node) => nodes.kubeletClient(node), log: logger.child({ api: 'metrics' }) }));
  const background = new AbortController();
  const tasks: Promise<void>[] = [];
  let bus: BusConnection | undefined;
  try {
    await untilReady('creating system namespaces', logger, signal, () => store.ensureSystemNamespaces());
    await untilReady('creating the default storage class', logger, signal, async () => {
      if (await ensureDefaultStorageClass(store)) logger.info({ storageClass: 'local-path' }, 'created the default storage class');
    });
    await untilReady('recording service allocations', logger, signal, async () => {
      const { recorded, duplicates } = await store.recordServiceAllocations();
      if (recorded.length) logger.info({ recorded: recorded.length }, 'recorded the allocations of services stored without them');
      if (duplicates.length) logger.error({ duplicates }, 'services share ClusterIPs or node ports: delete or change one of each');
    });
    const grpc = await startGrpcServer({
      address: config.listen,
      services: [apiServiceBinding(store, nodes, usage, config.version, logger, metrics)],
      reflection: reflectionPackage(config),
      logger,
    });
    let metricsServer;
    try {
      metricsServer = await startMetricsServer({ address: config.metricsListen, registry, logger });
    } catch (err) {
      await grpc.close(0);
      throw err;
    }

    let published: number | undefined;
    tasks.push(
      (async () => {
        try {
          bus = await connectBus(config.nats, { name: 'apiserver', signal: background.signal });
        } catch (err) {
          if (!background.signal.aborted) logger.error({ err }, 'connecting to NATS failed');
          return;
        }
        await runWatchPublisher(
          { storage, bus, logger, metrics, stream: { replicas: config.watchStreamReplicas ?? 1 }, onPublished: (rev) => (published = rev) },
          background.signal,
        );
      })(),
    );
    const intervalMs = config.compactionIntervalMs ?? 5 * 60_000;
    if (intervalMs > 0) {
      const policy = { retentionMs: config.compactionRetentionMs ?? 5 * 60_000, minRevisions: config.compactionMinRevisions ?? 10_000 };
      tasks.push(runCompactor({ storage, intervalMs, policy, publishedRevision: () => published, logger, metrics }, background.signal));
    }

    grpc.setServing(true);
    logger.info({ grpc: grpc.address, metrics: metricsServer.address }, 'apiserver serving');
    config.onListening?.({ grpc: grpc.address, metrics: metricsServer.address });
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));

    logger.info('apiserver stopping');
    await grpc.close(5_000);
    await metricsServer.close();
  } finally {
    background.abort();
    await Promise.allSettled(tasks);
    await (bus as BusConnection | undefined)?.close().catch(() => undefined);
    nodes.close();
    await storage.close();
  }
}
