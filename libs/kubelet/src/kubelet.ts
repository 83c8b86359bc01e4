/**
 * runKubelet: one node agent. Wiring only; the parts are in their own files:
 *
 *   runtime.info ─> NodeHeartbeat.register (retried) ─> heartbeat loop (Lease, Node status)
 *   Informer(pods, spec.nodeName=<node>) ─synced─> cleanup of runtime objects whose pod is gone
 *        └─ add/update/resync ─> PodWorkers.update    delete ─> PodWorkers.remove
 *   runtime.events (container died/started/oom) ─> PodWorkers.resync(uid)   (no polling)
 *   Kubelet gRPC service (logs, exec) on `listen`; its port is the Node's kubeletEndpoint.
 *
 * Resolves once everything has stopped after `signal` aborts.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod, Taint } from '@skiff/api';
import { connectBus } from '@skiff/bus';
import { connect, Informer, typed, type Clock } from '@skiff/client';
import type { ContainerRuntime } from '@skiff/runtime';
import { startGrpcServer, startMetricsServer, createMetricsRegistry, type Logger } from '@skiff/service';
import { parseAllocatable } from './admission';
import { DEFAULT_BACKOFF, type BackoffSettings } from './backoff';
import { kubeletService } from './kubelet-service';
import { NodeHeartbeat } from './node-heartbeat';
import { nodeAllocatable, nodeCapacity, type CapacityOverrides, type SystemReserved } from './node-status';
import { PodSyncer } from './pod-syncer';
import { PodWorkers } from './pod-workers';

export interface KubeletConfig {
  nodeName: string;
  /** The apiserver's gRPC address. */
  server: string;
  /** NATS URLs for the informer's watch. */
  nats: string[];
  /** The node address: status.addresses InternalIP, pods' hostIP. */
  nodeIP: string;
  /** The Kubelet gRPC service address; port 0 picks a free port. */
  listen: string;
  runtime: ContainerRuntime;
  capacity?: CapacityOverrides;
  systemReserved?: SystemReserved;
  /** Labels the Node gets when this kubelet creates it (--node-labels). */
  nodeLabels?: Readonly<Record<string, string>>;
  /** Taints the Node gets when this kubelet creates it (--register-with-taints). */
  registerWithTaints?: readonly Taint[];
  /** Lease renewal period; default 10 s. */
  leaseIntervalMs?: number;
  /** Node status refresh period; default 60 s. */
  statusIntervalMs?: number;
  /** Every pod is synced at least this often; default 60 s. */
  resyncIntervalMs?: number;
  /** Crash-loop and image-pull backoff; default 10 s doubling to 5 min. */
  backoff?: BackoffSettings;
  /** Prometheus /metrics and /healthz; none when unset. */
  metricsListen?: string;
  logger: Logger;
  clock?: Clock;
}

/** Runs the kubelet until `signal` aborts (see the module comment). Throws only when it cannot start serving. */
export async function runKubelet(config: KubeletConfig, signal: AbortSignal): Promise<void> {
  const log = config.logger.child({ node: config.nodeName });
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  const { runtime } = config;
  const client = connect(config.server);
  const cleanups: (() => Promise<void> | void)[] = [() => client.close()];
  const background: Promise<unknown>[] = [];
  try {
    const bus = await connectBus(config.nats, { name: `kubelet-${config.nodeName}`, signal: stop.signal });
    cleanups.push(() => bus.close());
    const pods = typed(client, 'pod');
    const informer = new Informer({ client, bus, resource: 'pod', fieldSelector: `spec.nodeName=${config.nodeName}`, resyncMs: config.resyncIntervalMs ?? 60_000, log });
    const findPod = (namespace: string, name: string) => informer.get(`${namespace}/${name}`);
    const grpc = await startGrpcServer({ address: config.listen, services: [kubeletService({ runtime, findPod })], logger: log });
    cleanups.push(() => grpc.close(1_000));
    if (config.metricsListen) {
      const metrics = await startMetricsServer({ address: config.metricsListen, registry: createMetricsRegistry('kubelet'), logger: log });
      cleanups.push(() => metrics.close());
    }

    const info = await retry(() => runtime.info(stop.signal), 'runtime info', log, stop.signal);
    const params = {
      nodeName: config.nodeName, nodeIP: config.nodeIP, hostname: hostname(), kubeletPort: grpc.port, runtime: info,
      capacity: config.capacity, systemReserved: config.systemReserved, labels: config.nodeLabels, taints: config.registerWithTaints,
    };
    const allocatable = parseAllocatable(nodeAllocatable(nodeCapacity(info, config.capacity), config.systemReserved));
    const heartbeat = new NodeHeartbeat({ client, params, leaseIntervalMs: config.leaseIntervalMs, statusIntervalMs: config.statusIntervalMs, log });
    await retry(() => heartbeat.register(stop.signal), 'node registration', log, stop.signal);
    background.push(heartbeat.run(stop.signal));

    const syncer = new PodSyncer({ runtime, pods, nodeIP: config.nodeIP, allocatable: () => allocatable, backoff: config.backoff ?? DEFAULT_BACKOFF, clock: config.clock, log });
    const workers = new PodWorkers(syncer, stop.signal, { clock: config.clock, log });
    background.push(informer.start(stop.signal));
    await informer.synced(stop.signal);
    await retry(() => removeOrphans(runtime, informer, log, stop.signal), 'orphan cleanup', log, stop.signal);
    const present = await retry(() => runtime.listContainers({}, stop.signal), 'runtime listing', log, stop.signal);
    syncer.seedAdmitted(informer.list(), new Set(present.map((c) => c.pod.uid)));
    // And again now and then: a create that was in flight when its pod was deleted can still
    // leave a container behind after the pod's termination listed what to remove.
    background.push(removeOrphansPeriodically(runtime, informer, config.resyncIntervalMs ?? 60_000, log, stop.signal));
    informer.addHandler({
      onAdd: (pod) => workers.update(pod),
      onUpdate: (_old, pod) => workers.update(pod),
      onDelete: (pod) => workers.remove(pod),
    });
    background.push(watchRuntime(runtime, workers, log, stop.signal));
    cleanups.push(() => workers.settled());
    grpc.setServing(true);
    log.info({ kubelet: grpc.address, allocatable }, 'kubelet running');
    await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve(), { once: true })));
  } finally {
    stop.abort();
    signal.removeEventListener('abort', onAbort);
    await Promise.allSettled(background);
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch((err: unknown) => log.warn({ err }, 'shutdown step failed'));
    log.info('kubelet stopped');
  }
}

async function removeOrphansPeriodically(runtime: ContainerRuntime, informer: Informer<'pod'>, periodMs: number, log: Logger, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await sleep(periodMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    await removeOrphans(runtime, informer, log, signal).catch((err: unknown) => {
      if (!signal.aborted) log.warn({ err }, 'orphan cleanup failed; trying again later');
    });
  }
}

/** Removes runtime objects of pods the API no longer has (deleted while the kubelet was down, or while a create was in flight). */
async function removeOrphans(runtime: ContainerRuntime, informer: Informer<'pod'>, log: Logger, signal: AbortSignal): Promise<void> {
  const known = new Set(informer.list().map((p: Readonly<Pod>) => p.metadata?.uid));
  const [sandboxes, containers] = await Promise.all([runtime.listPodSandboxes({}, signal), runtime.listContainers({}, signal)]);
  for (const c of containers) {
    if (known.has(c.pod.uid)) continue;
    log.info({ pod: `${c.pod.namespace}/${c.pod.name}`, container: c.name }, 'removing container of a pod that no longer exists');
    await runtime.removeContainer(c.id, signal);
  }
  for (const s of sandboxes) if (!known.has(s.pod.uid)) await runtime.removePodSandbox(s.id, signal);
}

/** Resyncs a pod's worker whenever one of its containers or its sandbox changes state. */
async function watchRuntime(runtime: ContainerRuntime, workers: PodWorkers, log: Logger, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const events = runtime.events(signal)[Symbol.asyncIterator]();
      // Whatever happened while the stream was down (or before it first opened) was not seen:
      // look at every pod again once it is open.
      const first = events.next();
      workers.resyncAll();
      for (let next = await first; !next.done; next = await events.next()) {
        if (next.value.type !== 'removed') workers.resync(next.value.pod.uid);
      }
      await sleep(1_000, undefined, { signal }).catch(() => undefined); // the stream ended: reopen it
    } catch (err) {
      if (signal.aborted) return;
      log.warn({ err }, 'runtime event stream failed; reconnecting');
      await sleep(1_000, undefined, { signal }).catch(() => undefined);
    }
  }
}

/** Calls `fn` until it succeeds, backing off 200 ms doubling to 5 s; rethrows the abort. */
async function retry<T>(fn: () => Promise<T>, what: string, log: Logger, signal: AbortSignal): Promise<T> {
  for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await fn();
    } catch (err) {
      signal.throwIfAborted();
      log.warn({ err }, `${what} failed; retrying`);
      await sleep(delay, undefined, { signal });
    }
  }
}
