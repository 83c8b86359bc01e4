/**
 * The scheduling loop: informers on pods and nodes feed the cache and the queue; one cycle per
 * pod (filter, score, assume) runs synchronously on a snapshot; the bind runs asynchronously
 * (compare-and-swap on the pod's uid and resourceVersion) and a failed bind forgets the
 * assumption and retries the pod after its backoff. A pod that fits nowhere waits for a cluster
 * event (node added or changed, pod removed) and gets a condition and an Event saying why.
 *
 *   pod informer ──> pending pod? ──> queue ──pop──> schedule(pod, cache.snapshot())
 *        │                                             │ node            │ none
 *        └─ bound pod ──> cache (confirms)     assume + bind async    unschedulable + report
 *   node informer ──> cache ──> queue.moveAll
 *   claim / volume / class informers ──> VolumeBinding's lister; any change ──> queue.moveAll
 *
 * A pod with unbound WaitForFirstConsumer claims has them annotated with its node
 * (volume.kubernetes.io/selected-node) right before its bind (VolumeBinding's PreBind).
 */
import { setMaxListeners } from 'node:events';
import { DEFAULT_SCHEDULER_NAME, keyOf, splitKey, ConflictError, NotFoundError, SELECTED_NODE_ANNOTATION, type Node, type PersistentVolumeClaim, type Pod } from '@skiff/api';
import type { BusConnection } from '@skiff/bus';
import { EventRecorder, InFlightLimit, Informer, realClock, typed, type Clock, type SkiffClient } from '@skiff/client';
import type { Logger } from '@skiff/service';
import { Registry, type Counter, type Histogram } from 'prom-client';
import { deepEqualIgnoring } from './object-diff';
import { podInfoOf } from './framework/pod-info';
import { isScheduled, schedule, type ScheduleOptions } from './schedule';
import { isTerminal, SchedulerCache } from './scheduler-cache';
import { createSchedulerMetrics, type SchedulerMetrics } from './scheduler-metrics';
import { SchedulingQueue, type SchedulingQueueOptions } from './scheduling-queue';
import { reportUnschedulable } from './unschedulable-report';
import { claimsToSelect, type VolumeLister } from './plugins/volume-binding';

export interface SchedulerOptions {
  client: SkiffClient;
  bus: BusConnection;
  logger: Logger;
  /** Pods whose spec.schedulerName is this (or empty) are ours; "default-scheduler". */
  schedulerName?: string;
  /** Binds in flight at most; further decisions wait for a slot. 128. */
  maxBindsInFlight?: number;
  /** Per-call deadline of binds and status writes; 30 s. */
  callTimeoutMs?: number;
  queue?: SchedulingQueueOptions;
  percentageOfNodesToScore?: ScheduleOptions['percentageOfNodesToScore'];
  /** Where the metrics go (a fresh registry by default). */
  registry?: Registry;
  clock?: Clock;
}

/** True when the scheduler named `schedulerName` must place this pod now. */
export function needsScheduling(pod: Readonly<Pod>, schedulerName: string): boolean {
  if (pod.spec?.nodeName) return false;
  if (pod.metadata?.deletionTimestamp) return false;
  if (isTerminal(pod)) return false;
  const name = pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME;
  return name === schedulerName;
}

/** True when a node change may let pending pods fit (Kubernetes' NodeUpdate cluster events). */
export function nodeChangeMatters(old: Readonly<Node>, node: Readonly<Node>): boolean {
  return (
    !deepEqualIgnoring(old.status?.allocatable, node.status?.allocatable) ||
    !deepEqualIgnoring(old.metadata?.labels, node.metadata?.labels) ||
    !deepEqualIgnoring(old.spec?.taints, node.spec?.taints) ||
    !!old.spec?.unschedulable !== !!node.spec?.unschedulable ||
    readyOf(old) !== readyOf(node)
  );
}

function readyOf(node: Readonly<Node>): string {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '';
}

/** True when a pending pod's update may change where it fits (not only status or resourceVersion). */
export function podSpecChanged(old: Readonly<Pod>, pod: Readonly<Pod>): boolean {
  return !deepEqualIgnoring(old.spec, pod.spec) || !deepEqualIgnoring(old.metadata?.labels, pod.metadata?.labels);
}

/**
 * Starts a call without the caller stack trace grpc-js captures for every call (`new Error()`,
 * kept only to decorate the error of a failed call): about 20 us of a bind's CPU, measured. A
 * failed bind is logged by its message and retried; its stack is not needed.
 */
function withoutCallerStack<T>(start: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return start();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly metrics: SchedulerMetrics;
  /** The series every bound pod touches, resolved once (not a label lookup per pod). */
  private readonly boundSeries: { binds: Counter.Internal; attempts: Counter.Internal; seconds: Histogram.Internal<'result'> };
  readonly registry: Registry;
  readonly pods: Informer<'pod'>;
  readonly nodes: Informer<'node'>;
  /** Claims, volumes and classes, for VolumeBinding (changes retry the unschedulable pods). */
  readonly claims: Informer<'persistentVolumeClaim'>;
  readonly volumes: Informer<'persistentVolume'>;
  readonly storageClasses: Informer<'storageClass'>;
  private readonly volumeLister: VolumeLister;
  private readonly log: Logger;
  private readonly schedulerName: string;
  private readonly clock: Clock;
  private readonly binds = new Set<Promise<void>>();
  private readonly bindSlots: InFlightLimit;
  /**
   * One controller per bind in flight, all aborted with the scheduler: a listener per call on the
   * shared signal would make every call walk the list of the others (measured, 1-2% of CPU).
   */
  private readonly bindCalls = new Set<AbortController>();
  private readonly reports = new Set<Promise<void>>();
  /** FailedScheduling and Scheduled Events, written in the background (dropped, not queued, beyond its bound). */
  readonly recorder: EventRecorder;
  private startIndex = 0;
  private running = false;

  constructor(private readonly opts: SchedulerOptions) {
    this.log = opts.logger;
    this.schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.clock = opts.clock ?? realClock;
    this.queue = new SchedulingQueue({ clock: this.clock, ...opts.queue });
    this.bindSlots = new InFlightLimit(opts.maxBindsInFlight ?? 128);
    this.registry = opts.registry ?? new Registry();
    this.metrics = createSchedulerMetrics(this.registry, this.queue);
    this.boundSeries = {
      binds: this.metrics.binds.labels({ result: 'ok' }),
      attempts: this.metrics.attempts.labels({ result: 'scheduled' }),
      seconds: this.metrics.attemptSeconds.labels({ result: 'scheduled' }),
    };
    this.recorder = new EventRecorder({ client: opts.client, component: this.schedulerName, log: opts.logger });
    this.pods = new Informer({ client: opts.client, bus: opts.bus, resource: 'pod', log: opts.logger });
    this.nodes = new Informer({ client: opts.client, bus: opts.bus, resource: 'node', log: opts.logger });
    this.claims = new Informer({ client: opts.client, bus: opts.bus, resource: 'persistentVolumeClaim', log: opts.logger });
    this.volumes = new Informer({ client: opts.client, bus: opts.bus, resource: 'persistentVolume', log: opts.logger });
    this.storageClasses = new Informer({ client: opts.client, bus: opts.bus, resource: 'storageClass', log: opts.logger });
    this.volumeLister = {
      claim: (namespace, name) => this.claims.get(`${namespace}/${name}`),
      volume: (name) => this.volumes.get(name),
      volumes: () => this.volumes.list(),
      storageClass: (name) => this.storageClasses.get(name),
    };
  }

  /** True while the loop runs (for /healthz). */
  get healthy(): boolean {
    return this.running;
  }

  /**
   * Runs until `signal` aborts: starts the informers, waits for their first List, then
   * schedules pods one cycle at a time. Resolves after the informers stopped and every bind
   * and report in flight has settled. Never rejects for API errors (logged, pods retried).
   */
  async start(outer: AbortSignal): Promise<void> {
    // One signal shared by every call in flight (binds, reports): no listener limit on it.
    const local = new AbortController();
    setMaxListeners(0, local.signal);
    const forward = () => local.abort(outer.reason);
    if (outer.aborted) forward();
    else outer.addEventListener('abort', forward, { once: true });
    const signal = local.signal;
    const storage = [this.claims, this.volumes, this.storageClasses] as const;
    const informers = [this.nodes.start(signal), this.pods.start(signal), ...storage.map((i) => i.start(signal))];
    const removers = [this.watchNodes(), this.watchPods(), ...storage.map((i) => this.retryOnChange(i as Informer<'persistentVolume'>))];
    try {
      await Promise.all([this.nodes.synced(signal), this.pods.synced(signal), ...storage.map((i) => i.synced(signal))]);
      this.log.info({ nodes: this.nodes.size, pods: this.pods.size }, 'scheduler caches synced');
      this.running = true;
      const onAbort = () => {
        this.queue.close();
        for (const call of this.bindCalls) call.abort(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        for (;;) {
          const next = await this.queue.pop(signal);
          if (!next) break;
          await this.scheduleOne(next.key, next.cycle, signal);
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      this.running = false;
      this.queue.close();
      for (const remove of removers) remove();
      await Promise.allSettled([...informers, ...this.binds, ...this.reports]);
      await this.recorder.flush();
      outer.removeEventListener('abort', forward);
    }
  }

  private watchNodes(): () => void {
    return this.nodes.addHandler({
      onAdd: (node) => {
        this.cache.addOrUpdateNode(node);
        this.queue.moveAllToActiveOrBackoff();
      },
      onUpdate: (old, node) => {
        this.cache.addOrUpdateNode(node);
        if (nodeChangeMatters(old, node)) this.queue.moveAllToActiveOrBackoff();
      },
      onDelete: (node) => this.cache.removeNode(node.metadata?.name ?? ''),
    });
  }

  /** Any change of a claim, volume or class may let a pod waiting on its volumes fit (Kubernetes' PVC/PV/StorageClass cluster events). */
  private retryOnChange(informer: Informer<'persistentVolume'>): () => void {
    const retry = () => this.queue.moveAllToActiveOrBackoff();
    return informer.addHandler({ onAdd: retry, onUpdate: retry, onDelete: retry });
  }

  private watchPods(): () => void {
    const onPod = (old: Readonly<Pod> | undefined, pod: Readonly<Pod>) => {
      const key = keyOf(pod.metadata);
      if (this.cache.updatePod(pod)) this.queue.moveAllToActiveOrBackoff();
      if (needsScheduling(pod, this.schedulerName)) {
        if (!old || !this.queue.has(key) || podSpecChanged(old, pod)) this.queue.add(key, pod.spec?.priority ?? 0);
      } else {
        this.queue.delete(key);
      }
    };
    return this.pods.addHandler({
      onAdd: (pod) => onPod(undefined, pod),
      onUpdate: (old, pod) => onPod(old, pod),
      onDelete: (pod) => {
        this.queue.delete(keyOf(pod.metadata));
        if (this.cache.removePod(pod.metadata?.uid ?? '')) this.queue.moveAllToActiveOrBackoff();
      },
    });
  }

  /** One scheduling cycle for the pod under `key`. */
  private async scheduleOne(key: string, cycle: number, signal: AbortSignal): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod || !needsScheduling(pod, this.schedulerName)) {
      this.queue.delete(key);
      return;
    }
    const uid = pod.metadata?.uid ?? '';
    // Decided already, its bind in flight: the bind's outcome settles the queue entry.
    if (this.cache.isAssumed(uid)) return;
    const started = performance.now();
    let info;
    try {
      info = podInfoOf(pod);
    } catch (err) {
      this.log.warn({ pod: key, err: (err as Error).message }, 'pod cannot be scheduled: bad requests');
      this.metrics.attempts.inc({ result: 'error' });
      this.queue.addBackoff(key);
      return;
    }
    const snapshot = this.cache.snapshot();
    const result = schedule(info, snapshot, { startIndex: this.startIndex, percentageOfNodesToScore: this.opts.percentageOfNodesToScore, volumes: this.volumeLister });
    const n = snapshot.nodes.length;
    if (n) this.startIndex = (this.startIndex + result.evaluatedNodes) % n;
    this.metrics.algorithmSeconds.observe((performance.now() - started) / 1000);

    if (!isScheduled(result)) {
      this.metrics.attempts.inc({ result: 'unschedulable' });
      this.metrics.attemptSeconds.observe({ result: 'unschedulable' }, (performance.now() - started) / 1000);
      this.queue.addUnschedulable(key, cycle);
      this.log.info({ pod: key, reason: result.message }, 'pod unschedulable');
      this.track(this.reports, this.report(key, result.message, signal));
      return;
    }

    // The pod stays in flight in the queue until the bind answers: forget on success, backoff on failure.
    this.cache.assume(info, result.node);
    // The next cycle runs while this bind is in flight (kube-scheduler's binding cycle).
    await this.bindSlots.acquire();
    const select = result.volumes ? claimsToSelect(result.volumes, result.node) : [];
    this.track(this.binds, this.bind(pod, result.node, started, signal, select).finally(() => this.bindSlots.release()));
  }

  /**
   * VolumeBinding's PreBind: each unbound WaitForFirstConsumer claim gets the chosen node in
   * volume.kubernetes.io/selected-node (compare-and-swap on the cached claim: a claim changed
   * meanwhile fails the bind, which is retried after backoff). The binder provisions or binds
   * there; the kubelet waits for the claims to be bound before the pod starts.
   */
  private async selectNode(claims: readonly Readonly<PersistentVolumeClaim>[], node: string, signal: AbortSignal): Promise<void> {
    const client = typed(this.opts.client, 'persistentVolumeClaim');
    for (const claim of claims) {
      const next = structuredClone(claim) as PersistentVolumeClaim;
      next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), [SELECTED_NODE_ANNOTATION]: node };
      await client.update(next, { signal, timeoutMs: this.opts.callTimeoutMs ?? 30_000 });
      this.log.info({ claim: keyOf(claim.metadata), node }, 'selected the node of a WaitForFirstConsumer claim');
    }
  }

  private async bind(pod: Readonly<Pod>, node: string, started: number, signal: AbortSignal, select: readonly Readonly<PersistentVolumeClaim>[] = []): Promise<void> {
    const meta = pod.metadata;
    const key = keyOf(meta);
    const call = new AbortController();
    if (signal.aborted) call.abort(signal.reason);
    this.bindCalls.add(call);
    try {
      if (select.length) {
        // A claim gone meanwhile must not read as "the pod is gone": retried after backoff.
        await this.selectNode(select, node, call.signal).catch((err: unknown) => {
          throw err instanceof NotFoundError ? new Error(`claim not found: ${err.message}`, { cause: err }) : err;
        });
      }
      await withoutCallerStack(() =>
        this.opts.client.bind(
          { namespace: meta?.namespace ?? '', name: meta?.name ?? '', nodeName: node, uid: meta?.uid ?? '', resourceVersion: meta?.resourceVersion ?? '' },
          { signal: call.signal, timeoutMs: this.opts.callTimeoutMs ?? 30_000 },
        ),
      );
      this.queue.forget(key);
      this.boundSeries.binds.inc();
      this.boundSeries.attempts.inc();
      this.boundSeries.seconds.observe((performance.now() - started) / 1000);
      this.log.debug({ pod: key, node }, 'pod bound');
      this.recorder.normal(pod, 'Scheduled', `Successfully assigned ${key} to ${node}`, 'Pod');
    } catch (err) {
      this.cache.forget(meta?.uid ?? '');
      if (signal.aborted) return;
      const conflict = err instanceof ConflictError;
      this.metrics.binds.inc({ result: conflict ? 'conflict' : 'error' });
      this.metrics.attempts.inc({ result: 'error' });
      if (err instanceof NotFoundError) {
        this.queue.delete(key);
        return;
      }
      this.log.info({ pod: key, node, err: (err as Error).message }, 'bind failed; retrying after backoff');
      // Retried after its backoff with whatever the informer shows then.
      this.queue.addBackoff(key);
    } finally {
      this.bindCalls.delete(call);
    }
  }

  private async report(key: string, message: string, signal: AbortSignal): Promise<void> {
    try {
      await reportUnschedulable(this.opts.client, this.recorder, splitKey(key), message, { signal, now: () => new Date(this.clock.now()) });
    } catch (err) {
      if (!signal.aborted) this.log.warn({ pod: key, err: (err as Error).message }, 'recording the scheduling failure failed');
    }
  }

  private track(set: Set<Promise<void>>, p: Promise<void>): void {
    set.add(p);
    void p.finally(() => set.delete(p));
  }
}
