/**
 * runKubelet: one node agent. Wiring only; the parts are in their own files:
 *
 *   runtime.info ─> NodeHeartbeat.register (retried) ─> heartbeat loop (Lease, Node status)
 *   Node spec.podCIDR (node IPAM, or the static podCIDR) ─> runtime.configurePodNetwork, before pods run
 *   Informer(pods, spec.nodeName=<node>) ─synced─> cleanup of runtime objects whose pod is gone
 *   Informer(services, all namespaces) ─synced─> read when a container is created (service-env.ts)
 *        └─ add/update/resync ─> PodWorkers.update    delete ─> PodWorkers.remove
 *   runtime.events (container died/started/oom) ─> PodWorkers.resync(uid)   (no polling)
 *   ConfigObjectManager: a watch per ConfigMap/Secret the node's pods use ─ change ─> resync(uids)
 *   VolumeManager: the pods' volumes under `rootDir`/pods/<uid> (set up by the syncer, orphans cleaned);
 *     persistentVolumeClaim volumes are their bound volume's directory (local-path: made under
 *     --local-storage-path, published on the Node as skiff.io/local-storage-path);
 *   Informer(persistentvolumes) ─> local-path cleaner: directories of Released Delete volumes pinned
 *     to this node are removed, then the volume objects;
 *     every housekeeping interval, a pod whose disk emptyDir is over its sizeLimit is evicted
 *   Kubelet gRPC service (logs, exec, Summary) on `listen`; its port is the Node's kubeletEndpoint.
 *   ResourceMetricsCollector: samples every container's usage each metricsResolutionMs (Summary).
 *   Events through one EventRecorder (component 'kubelet', host = node name): Starting on the
 *   Node at start, NodeReady from the heartbeat, pod events from the syncer (kubelet-events.ts).
 *   Metrics (kubelet-metrics.ts): the runtime is wrapped to count and time its calls.
 *   Probes (prober-manager.ts): workers fed by the syncer; a result change resyncs the pod.
 *
 * Resolves once everything has stopped after `signal` aborts.
 */
import { mkdir, realpath } from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_STORAGE_PATH_ANNOTATION, NotFoundError, ObjectMeta, type Pod, type Taint } from '@skiff/api';
import { connectBus } from '@skiff/bus';
import { connect, EventRecorder, Informer, typed, type Clock, type SkiffClient } from '@skiff/client';
import type { ContainerRuntime } from '@skiff/runtime';
import { startGrpcServer, startMetricsServer, createMetricsRegistry, packageVersion, type Logger } from '@skiff/service';
import { Registry } from 'prom-client';
import { parseAllocatable } from './admission';
import { DEFAULT_BACKOFF, type BackoffSettings } from './backoff';
import { InstrumentedRuntime } from './instrumented-runtime';
import { KubeletReason, startingMessage } from './kubelet-events';
import { createKubeletMetrics } from './kubelet-metrics';
import { kubeletService } from './kubelet-service';
import { NodeHeartbeat } from './node-heartbeat';
import { nodeAllocatable, nodeCapacity, type CapacityOverrides, type SystemReserved } from './node-status';
import { removeOrphans, removeOrphansPeriodically } from './orphan-cleanup';
import { DEFAULT_CLUSTER_DNS, DEFAULT_CLUSTER_DOMAIN } from './pod-dns';
import { ConfigObjectManager } from './config-object-manager';
import { runLocalStorageEviction } from './local-storage-eviction';
import { awaitPodCidr } from './pod-cidr';
import { PodSyncer } from './pod-syncer';
import { runLocalPathCleaner } from './volumes/local-path-cleaner';
import { VolumeManager, type ClaimSources } from './volumes/volume-manager';
import { PodWorkers } from './pod-workers';
import { createProbeRunner, hollowProbeRunner } from './probe-runner';
import { ProberManager } from './prober-manager';
import { ResourceMetricsCollector, type NodeUsageSource } from './resource-metrics-collector';
import { DEFAULT_RESOLV_CONF, readResolvConf } from './resolv-conf';

/**
 * Idle heartbeat of the kubelet's watch consumers (NATS's own default for ordered consumers; the
 * informers' is 2 s). A node's watches are the ones that grow with the cluster, three or more per
 * node: at 500 nodes, 2 s heartbeats are 750 messages a second through NATS at rest. A consumer
 * gone silent is still noticed within 12.5 s; a NATS disconnect or restart at once.
 */
const WATCH_HEARTBEAT_MS = 5_000;

export interface KubeletConfig {
  nodeName: string;
  /** The apiserver's gRPC address. */
  server: string;
  /** NATS URLs for the informer's watch. */
  nats: string[];
  /** The node address: status.addresses InternalIP, pods' hostIP. */
  nodeIP: string;
  /**
   * A static pod CIDR (Kubernetes' --pod-cidr), written to the Node when it has none; unset: the
   * kubelet waits for node IPAM to set the Node's spec.podCIDR before it runs pods.
   */
  podCIDR?: string;
  /** The Kubelet gRPC service address; port 0 picks a free port. */
  listen: string;
  runtime: ContainerRuntime;
  /** Where pods' volumes live (--root-dir): `<rootDir>/pods/<uid>`; default /var/lib/skiff/kubelet/<nodeName>. */
  rootDir?: string;
  /**
   * Where skiff.io/local-path volumes live on this node (--local-storage-path):
   * `<path>/pvc-<uid>_<ns>_<name>`; default `<rootDir>/storage`. Published on the Node
   * (annotation skiff.io/local-storage-path) for the provisioner.
   */
  localStoragePath?: string;
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
  /** Time between resource usage samples (--housekeeping-interval); default 10 s. */
  metricsResolutionMs?: number;
  /** What the Node's usage figures stand for (--node-usage); default 'pods'. */
  nodeUsage?: NodeUsageSource;
  /** Crash-loop and image-pull backoff; default 10 s doubling to 5 min. */
  backoff?: BackoffSettings;
  /** Prometheus /metrics and /healthz; none when unset. */
  metricsListen?: string;
  /** Nameservers of ClusterFirst pods (--cluster-dns, e.g. 10.96.0.10); default none: the node's resolvers. */
  clusterDNS?: readonly string[];
  /** The cluster domain in pods' search list (--cluster-domain); default cluster.local. */
  clusterDomain?: string;
  /** The node's resolv.conf, the base of dnsPolicy Default pods with a dnsConfig (--resolv-conf); default /etc/resolv.conf. */
  resolvConf?: string;
  logger: Logger;
  clock?: Clock;
}

/** Runs the kubelet until `signal` aborts (see the module comment). Throws only when it cannot start serving. */
export async function runKubelet(config: KubeletConfig, signal: AbortSignal): Promise<void> {
  const log = config.logger.child({ node: config.nodeName });
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every long-lived part listens on it
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  // Without a metrics endpoint the metrics still count, in a registry nobody reads (and without
  // the default process metrics, which hundreds of hollow kubelets in one process would repeat).
  const registry = config.metricsListen ? createMetricsRegistry('kubelet') : new Registry();
  const metrics = createKubeletMetrics(registry, config.runtime, log);
  const runtime = new InstrumentedRuntime(config.runtime, metrics);
  const client = connect(config.server);
  const recorder = new EventRecorder({ client, component: 'kubelet', host: config.nodeName, log });
  // Cleanups run in reverse: pending Events are written (for a bounded time) before the client closes.
  const cleanups: (() => Promise<void> | void)[] = [() => client.close(), () => flushWithin(recorder, 2_000)];
  const background: Promise<unknown>[] = [];
  // Kubernetes' BirthCry: recorded before registration, so the reference carries no uid yet.
  recorder.normal({ metadata: ObjectMeta.fromPartial({ name: config.nodeName }) }, KubeletReason.Starting, startingMessage(), 'Node');
  try {
    const bus = await connectBus(config.nats, { name: `kubelet-${config.nodeName}`, signal: stop.signal });
    cleanups.push(() => bus.close());
    const pods = typed(client, 'pod');
    const informer = new Informer({ client, bus, resource: 'pod', fieldSelector: `spec.nodeName=${config.nodeName}`, resyncMs: config.resyncIntervalMs ?? 60_000, heartbeatMs: WATCH_HEARTBEAT_MS, log });
    const findPod = (namespace: string, name: string) => informer.get(`${namespace}/${name}`);
    const collector = new ResourceMetricsCollector({ runtime, resolutionMs: config.metricsResolutionMs, nodeUsage: config.nodeUsage, log });
    background.push(collector.start(stop.signal));
    const metricsOfNode = { nodeName: config.nodeName, collector };
    const grpc = await startGrpcServer({ address: config.listen, services: [kubeletService({ runtime, findPod, metrics: metricsOfNode })], logger: log });
    cleanups.push(() => grpc.close(1_000));
    if (config.metricsListen) {
      const server = await startMetricsServer({ address: config.metricsListen, registry, logger: log });
      cleanups.push(() => server.close());
    }

    const info = await retry(() => runtime.info(stop.signal), 'runtime info', log, stop.signal);
    const rootDir = config.rootDir ?? `/var/lib/skiff/kubelet/${config.nodeName}`;
    const localStoragePath = resolvePath(config.localStoragePath ?? join(rootDir, 'storage'));
    const params = {
      nodeName: config.nodeName, nodeIP: config.nodeIP, hostname: hostname(), kubeletPort: grpc.port, runtime: info,
      capacity: config.capacity, systemReserved: config.systemReserved, labels: config.nodeLabels, taints: config.registerWithTaints,
      annotations: { [LOCAL_STORAGE_PATH_ANNOTATION]: localStoragePath },
    };
    const allocatableList = nodeAllocatable(nodeCapacity(info, config.capacity), config.systemReserved);
    const allocatable = parseAllocatable(allocatableList);
    const heartbeat = new NodeHeartbeat({ client, params, leaseIntervalMs: config.leaseIntervalMs, statusIntervalMs: config.statusIntervalMs, log, recorder });
    await retry(() => heartbeat.register(stop.signal), 'node registration', log, stop.signal);
    background.push(heartbeat.run(stop.signal));
    // Pods run on the node's pod CIDR (pod-cidr.ts): a real runtime waits for it before any pod
    // starts; a hollow one hands out made-up IPs until it comes.
    const podNetwork = (async () => {
      const podCIDR = await retry(() => awaitPodCidr({ client, bus, nodeName: config.nodeName, staticPodCIDR: config.podCIDR, log }, stop.signal), 'pod CIDR', log, stop.signal);
      await retry(() => runtime.configurePodNetwork(podCIDR, stop.signal), 'pod network setup', log, stop.signal);
      log.info({ podCIDR }, 'pod network ready');
    })();
    if (info.runtime === 'hollow') background.push(podNetwork.catch(() => undefined));
    else await podNetwork;

    // Service env vars come from this cache (as Kubernetes' kubelet, which watches every Service).
    const services = new Informer({ client, bus, resource: 'service', resyncMs: 0, heartbeatMs: WATCH_HEARTBEAT_MS, log });
    background.push(services.start(stop.signal));
    const resolvConf = config.resolvConf ?? DEFAULT_RESOLV_CONF;
    const dns = { clusterDNS: config.clusterDNS ?? DEFAULT_CLUSTER_DNS, clusterDomain: config.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN, hostDns: () => readResolvConf(resolvConf, log) };
    const resync: { pod?: (uid: string) => void } = {}; // the pod workers', once they exist
    // Only the ConfigMaps and Secrets the node's pods use are watched (registered by the syncer).
    const configObjects = new ConfigObjectManager({ client, bus, heartbeatMs: WATCH_HEARTBEAT_MS, log });
    cleanups.push(() => configObjects.stop());
    configObjects.onChange((uids) => uids.forEach((uid) => resync.pod?.(uid)));
    const downwardAllocatable = () => ({ cpu: allocatableList.cpu ?? '0', memory: allocatableList.memory ?? '0', 'ephemeral-storage': allocatableList['ephemeral-storage'] });
    const volumes = new VolumeManager({
      rootDir: info.runtime === 'hollow' ? rootDir : await realRootDir(rootDir),
      sources: configObjects,
      claims: claimSources(client, config.nodeName),
      localStoragePath,
      nodeAllocatable: downwardAllocatable,
      hollow: info.runtime === 'hollow',
      log,
    });
    // The node half of local-path reclaim: directories of Released Delete volumes pinned here.
    const persistentVolumes = new Informer({ client, bus, resource: 'persistentVolume', resyncMs: 0, heartbeatMs: WATCH_HEARTBEAT_MS, log });
    background.push(persistentVolumes.start(stop.signal));
    background.push(runLocalPathCleaner({ volumes: persistentVolumes, client: typed(client, 'persistentVolume'), hostname: config.nodeName, root: localStoragePath, hollow: info.runtime === 'hollow', log }, stop.signal));
    const runner = info.runtime === 'hollow' ? hollowProbeRunner : createProbeRunner(runtime, { userAgent: probeUserAgent(packageVersion(__dirname)) });
    const prober = new ProberManager({ runner, recorder, metrics, clock: config.clock, log, onChange: (uid) => resync.pod?.(uid) }, stop.signal);
    const syncer = new PodSyncer({
      runtime, pods, nodeIP: config.nodeIP, allocatable: () => allocatable, backoff: config.backoff ?? DEFAULT_BACKOFF, clock: config.clock, log, recorder, metrics,
      services: (namespace) => services.byNamespace(namespace), dns, prober, volumes, configObjects,
      nodeAllocatable: downwardAllocatable,
      hookRunner: info.runtime === 'hollow' ? hollowProbeRunner : createProbeRunner(runtime, { userAgent: `skiff-lifecycle/${packageVersion(__dirname)}` }),
    });
    const workers = new PodWorkers(syncer, stop.signal, { clock: config.clock, log });
    resync.pod = (uid) => workers.resync(uid);
    // Read after each runtime listing (orphan-cleanup.ts): pods the API has, and pods with a worker.
    const known = () => new Set([...informer.list().map((p: Readonly<Pod>) => p.metadata?.uid ?? ''), ...workers.uids()]);
    background.push(informer.start(stop.signal));
    await informer.synced(stop.signal);
    await services.synced(stop.signal); // a container created before this would miss its service env vars
    await retry(() => removeOrphans(runtime, known, log, stop.signal, volumes), 'orphan cleanup', log, stop.signal);
    const present = await retry(() => runtime.listContainers({}, stop.signal), 'runtime listing', log, stop.signal);
    syncer.seedAdmitted(informer.list(), new Set(present.map((c) => c.pod.uid)));
    // And again now and then: a create that was in flight when its pod was deleted can still
    // leave a container behind after the pod's termination listed what to remove.
    background.push(removeOrphansPeriodically(runtime, known, config.resyncIntervalMs ?? 60_000, log, stop.signal, volumes));
    informer.addHandler({
      onAdd: (pod) => workers.update(pod),
      onUpdate: (_old, pod) => workers.update(pod),
      onDelete: (pod) => workers.remove(pod),
    });
    background.push(watchRuntime(runtime, workers, log, stop.signal));
    const evictionDeps = { pods: () => syncer.admittedPods(), volumes, evict: (uid: string, message: string) => syncer.markEvicted(uid, message), resync: (uid: string) => workers.resync(uid), log };
    background.push(runLocalStorageEviction(evictionDeps, config.metricsResolutionMs ?? 10_000, stop.signal));
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

/** Claims and volumes read from the apiserver for persistentVolumeClaim volumes (a kubelet watches none of them). */
function claimSources(client: SkiffClient, nodeName: string): ClaimSources {
  const claims = typed(client, 'persistentVolumeClaim');
  const volumes = typed(client, 'persistentVolume');
  const nodes = typed(client, 'node');
  const orUndefined = <T>(p: Promise<T>) =>
    p.catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
  return {
    claim: (namespace, name, signal) => orUndefined(claims.get(namespace, name, { signal })),
    volume: (name, signal) => orUndefined(volumes.get('', name, { signal })),
    node: (signal) => orUndefined(nodes.get('', nodeName, { signal })),
  };
}

/** Creates the root dir and resolves its symlinks (the mount table lists real paths). */
async function realRootDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  return realpath(dir);
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

/** The probes' User-Agent, as Kubernetes' "kube-probe/<major>.<minor>": skiff-probe/0.1 for version 0.1.0. */
export function probeUserAgent(version: string): string {
  return `skiff-probe/${version.split('.').slice(0, 2).join('.')}`;
}

/** Waits for the recorder's pending Events, at most `ms` (the apiserver may be gone). */
async function flushWithin(recorder: EventRecorder, ms: number): Promise<void> {
  const timeout = new AbortController();
  await Promise.race([recorder.flush(), sleep(ms, undefined, { signal: timeout.signal }).catch(() => undefined)]);
  timeout.abort();
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
