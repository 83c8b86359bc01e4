/**
 * The kubelet's ConfigMaps and Secrets, watched one object at a time for the pods that use them
 * (Kubernetes' pkg/kubelet/util/manager/watch_based_manager.go): a kubelet never lists or watches
 * every Secret of the cluster, only the objects its own pods reference.
 *
 *   registerPod(pod) ──> podConfigRefs(pod) ──> per object: references += 1
 *                                                 first reference: start a watch (an Informer with
 *                                                 namespace + name: a List by name and a NATS
 *                                                 consumer on that one object's subject)
 *   unregisterPod(uid) ─> per object: references -= 1; the last one stops its watch
 *   configMap()/secret() ─> waits for that object's watch to have listed once, then reads its cache
 *   watch event (created, changed, deleted; not the initial List) ─> onChange(uids of its pods)
 *
 * Re-registering a pod (an update) adds its new references before dropping the old ones, so an
 * object both versions use keeps its watch. A read of an object no registered pod references
 * rejects with ObjectNotRegisteredError (also when its last pod goes while the read waits).
 * A watch that fails (apiserver or NATS down) relists with backoff and never gives up (Informer).
 * Logs name objects, never their data.
 */
import type { ConfigMap, Pod, Secret } from '@skiff/api';
import type { BusConnection } from '@skiff/bus';
import { Informer, type SkiffClient } from '@skiff/client';
import type { Logger } from '@skiff/service';
import { podConfigRefs } from './pod-config-refs';

/** An object's watch did not sync in time (apiserver or NATS unreachable): Kubernetes' message. */
export class CacheSyncTimeoutError extends Error {
  override readonly name = 'CacheSyncTimeoutError';
}

/** The object is not referenced by any registered pod, so it is not watched. */
export class ObjectNotRegisteredError extends Error {
  override readonly name = 'ObjectNotRegisteredError';
}

export interface ConfigObjectManagerOptions {
  client: SkiffClient;
  bus: BusConnection;
  log: Logger;
  /** Heartbeat of each watch's NATS consumer (Informer heartbeatMs); default 2 s. */
  heartbeatMs?: number;
  /** How long a read waits for its object's watch to sync before CacheSyncTimeoutError; default 30 s. */
  syncTimeoutMs?: number;
  /** Relist backoff of each watch (Informer backoffMs). */
  backoffMs?: { initial?: number; max?: number };
}

/** Synchronous lookups of a pod's objects, read after they synced (ContainerEnvContext's shape). */
export interface PodConfigObjects {
  configMap(namespace: string, name: string): Readonly<ConfigMap> | undefined;
  secret(namespace: string, name: string): Readonly<Secret> | undefined;
}

type ObjectKind = 'configmap' | 'secret';

interface ObjectWatch {
  kind: ObjectKind;
  namespace: string;
  name: string;
  informer: Informer<'configMap'> | Informer<'secret'>;
  stop: AbortController;
  done: Promise<void>;
  /** Uids of the registered pods that reference the object. */
  pods: Set<string>;
}

const watchKey = (kind: ObjectKind, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

export class ConfigObjectManager {
  private readonly watches = new Map<string, ObjectWatch>();
  /** uid -> keys of the watches the pod holds a reference on. */
  private readonly podRefs = new Map<string, Set<string>>();
  private readonly listeners = new Set<(podUids: string[]) => void>();
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly opts: ConfigObjectManagerOptions) {
    this.log = opts.log.child({ component: 'config-object-manager' });
  }

  /**
   * Takes references on every ConfigMap and Secret `pod` uses (pod-config-refs.ts), starting the
   * watches that do not run yet, and drops those of the pod's previous registration that it no
   * longer uses. Call it for every pod the kubelet runs, again when the pod changes.
   */
  registerPod(pod: Readonly<Pod>): void {
    if (this.stopped) return;
    const uid = pod.metadata?.uid ?? '';
    const namespace = pod.metadata?.namespace || 'default';
    const refs = podConfigRefs(pod);
    const keys = new Set<string>();
    for (const name of refs.configMaps) keys.add(this.reference('configmap', namespace, name, uid));
    for (const name of refs.secrets) keys.add(this.reference('secret', namespace, name, uid));
    for (const key of this.podRefs.get(uid) ?? []) if (!keys.has(key)) this.release(key, uid);
    if (keys.size > 0) this.podRefs.set(uid, keys);
    else this.podRefs.delete(uid);
  }

  /** Drops the pod's references; a watch no pod references any more stops. */
  unregisterPod(uid: string): void {
    for (const key of this.podRefs.get(uid) ?? []) this.release(key, uid);
    this.podRefs.delete(uid);
  }

  /**
   * The ConfigMap `namespace/name` once its watch has listed (undefined: it does not exist).
   * Rejects with ObjectNotRegisteredError when no registered pod references it, or with the
   * signal's reason when `signal` aborts first (e.g. the apiserver is unreachable).
   */
  configMap(namespace: string, name: string, signal: AbortSignal): Promise<Readonly<ConfigMap> | undefined> {
    return this.read('configmap', namespace, name, signal) as Promise<Readonly<ConfigMap> | undefined>;
  }

  /** The Secret `namespace/name`; as configMap(). */
  secret(namespace: string, name: string, signal: AbortSignal): Promise<Readonly<Secret> | undefined> {
    return this.read('secret', namespace, name, signal) as Promise<Readonly<Secret> | undefined>;
  }

  /**
   * Waits until every object `pod` references has synced, then returns synchronous lookups of
   * them (for containerEnvironment's context and the volume writers). The pod must be
   * registered. A lookup of an object the pod does not reference returns undefined.
   */
  async podObjects(pod: Readonly<Pod>, signal: AbortSignal): Promise<PodConfigObjects> {
    const namespace = pod.metadata?.namespace || 'default';
    const refs = podConfigRefs(pod);
    const configMaps = new Map<string, Readonly<ConfigMap> | undefined>();
    const secrets = new Map<string, Readonly<Secret> | undefined>();
    await Promise.all([
      ...[...refs.configMaps].map(async (name) => configMaps.set(name, await this.configMap(namespace, name, signal))),
      ...[...refs.secrets].map(async (name) => secrets.set(name, await this.secret(namespace, name, signal))),
    ]);
    return {
      configMap: (ns, name) => (ns === namespace ? configMaps.get(name) : undefined),
      secret: (ns, name) => (ns === namespace ? secrets.get(name) : undefined),
    };
  }

  /**
   * Calls `listener` with the uids of the pods referencing a watched object each time it is
   * created, changed or deleted (not for its initial List). Synchronous, on the watch's event;
   * exceptions are logged and ignored. Returns a function that removes the listener.
   */
  onChange(listener: (podUids: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** "configmap/ns/name" and "secret/ns/name" of every running watch (for tests and debugging). */
  watchedObjects(): string[] {
    return [...this.watches.keys()].sort();
  }

  /** Stops every watch and resolves once they have ended; later registrations are ignored. */
  async stop(): Promise<void> {
    this.stopped = true;
    const watches = [...this.watches.values()];
    this.watches.clear();
    this.podRefs.clear();
    for (const watch of watches) watch.stop.abort();
    await Promise.all(watches.map((w) => w.done));
  }

  private reference(kind: ObjectKind, namespace: string, name: string, uid: string): string {
    const key = watchKey(kind, namespace, name);
    let watch = this.watches.get(key);
    if (!watch) {
      watch = this.startWatch(kind, namespace, name);
      this.watches.set(key, watch);
    }
    watch.pods.add(uid);
    return key;
  }

  private release(key: string, uid: string): void {
    const watch = this.watches.get(key);
    if (!watch) return;
    watch.pods.delete(uid);
    if (watch.pods.size > 0) return;
    this.watches.delete(key);
    watch.stop.abort();
    this.log.debug({ kind: watch.kind, namespace: watch.namespace, name: watch.name }, 'stopped watching');
  }

  private startWatch(kind: ObjectKind, namespace: string, name: string): ObjectWatch {
    const common = {
      client: this.opts.client,
      bus: this.opts.bus,
      namespace,
      name,
      resyncMs: 0,
      heartbeatMs: this.opts.heartbeatMs,
      backoffMs: this.opts.backoffMs,
      log: this.log.child({ namespace, name }),
    };
    const informer: ObjectWatch['informer'] =
      kind === 'configmap' ? new Informer({ ...common, resource: 'configMap' }) : new Informer({ ...common, resource: 'secret' });
    const stop = new AbortController();
    const watch: ObjectWatch = { kind, namespace, name, informer, stop, done: Promise.resolve(), pods: new Set() };
    const changed = () => {
      // The initial List's add is not a change: nobody has read the object before it.
      if (informer.hasSynced) this.notify(watch);
    };
    const handler = {
      onAdd: changed,
      onUpdate: (old: Readonly<ConfigMap | Secret>, object: Readonly<ConfigMap | Secret>) => {
        if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) changed();
      },
      onDelete: changed,
    };
    if (kind === 'configmap') (informer as Informer<'configMap'>).addHandler(handler);
    else (informer as Informer<'secret'>).addHandler(handler);
    watch.done = informer.start(stop.signal).catch((err: unknown) => {
      this.log.error({ kind, namespace, name, err: (err as Error).message }, 'watch ended with an error');
    });
    this.log.debug({ kind, namespace, name }, 'watching');
    return watch;
  }

  private notify(watch: ObjectWatch): void {
    if (watch.stop.signal.aborted || watch.pods.size === 0) return;
    const uids = [...watch.pods];
    for (const listener of this.listeners) {
      try {
        listener(uids);
      } catch (err) {
        this.log.error({ kind: watch.kind, namespace: watch.namespace, name: watch.name, err: (err as Error).message }, 'change listener failed');
      }
    }
  }

  private async read(kind: ObjectKind, namespace: string, name: string, signal: AbortSignal): Promise<Readonly<ConfigMap | Secret> | undefined> {
    const watch = this.watches.get(watchKey(kind, namespace, name));
    const notRegistered = () => new ObjectNotRegisteredError(`${kind} "${namespace}/${name}" not registered`);
    if (!watch) throw notRegistered();
    if (!watch.informer.hasSynced) {
      signal.throwIfAborted();
      const timeout = AbortSignal.timeout(this.opts.syncTimeoutMs ?? 30_000);
      const waiting = AbortSignal.any([signal, watch.stop.signal, timeout]);
      try {
        await watch.informer.synced(waiting);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (watch.stop.signal.aborted) throw notRegistered();
        if (timeout.aborted) throw new CacheSyncTimeoutError(`failed to sync ${kind} cache: timed out waiting for the condition`);
        throw err;
      }
    }
    return watch.informer.get(`${namespace}/${name}`);
  }
}
