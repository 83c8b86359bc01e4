/**
 * The I/O side of the pod workers: executes planPodSync's decisions against the ContainerRuntime,
 * admits pods (admission.ts), reports status through UpdateStatus only when it changed
 * (computePodStatus), and terminates pods (stop with the grace period, remove, confirm the
 * deletion with a grace-0 Delete).
 *
 * Errors: runtime failures of one container (image pull, create, start) become its waiting
 * reason and a timed retry with backoff; anything else (API or runtime unreachable) is thrown
 * and the pod worker retries the step. A failed start leaves its own record (the instance
 * exited with StartError), so the plan backs it off as a crash, or, under restartPolicy Never,
 * ends the pod Failed.
 *
 * Events (kubelet-events.ts) are recorded as the steps happen: never by a sync that changes
 * nothing, and a backoff (crash loop, image pull) once per failure that starts it.
 *
 * Probes (prober-manager.ts): each report tells the prober what runs, and takes each container's
 * started/ready from it; each plan gets the instances whose liveness or startup probe failed, to
 * kill them. A terminating or terminal pod's probes stop.
 */
import { ConflictError, defaultPullPolicy, NotFoundError, type Container, type Pod, type PodStatus, type Service } from '@skiff/api';
import { realClock, type Clock, type TypedClient } from '@skiff/client';
import { ContainerNotFoundError, ContainerStartError, ImageNeverPullError, RuntimeError, type ContainerRuntime, type ContainerStatusInfo, type PodSandbox } from '@skiff/runtime';
import pino, { type Logger } from 'pino';
import { admitPod, type NodeAllocatable } from './admission';
import { DEFAULT_BACKOFF, KeyedBackoff, type BackoffSettings } from './backoff';
import {
  alreadyPresentMessage,
  crashBackOffMessage,
  createdMessage,
  errorMessage,
  killingMessage,
  KubeletReason,
  neverPullMessage,
  NO_EVENTS,
  pullBackOffMessage,
  pulledMessage,
  pullFailedMessage,
  pullingMessage,
  sandboxChangedMessage,
  sandboxFailedMessage,
  startedMessage,
  type KubeletEventRecorder,
} from './kubelet-events';
import type { KubeletMetrics } from './kubelet-metrics';
import { podDnsConfig, type ClusterDnsSettings } from './pod-dns';
import { instancesByName, planPodSync, readySandbox, type PodRuntimeView } from './pod-sync-plan';
import { computePodStatus, isTerminalPhase, podStatusEqual, publishedPorts, type ContainerObservation } from './pod-status';
import type { PodSyncHandler, SyncResult } from './pod-workers';
import type { ProberManager } from './prober-manager';
import { containerServiceEnv, MASTER_SERVICE_NAMESPACE } from './service-env';

export interface PodSyncerOptions {
  runtime: ContainerRuntime;
  pods: TypedClient<'pod'>;
  /** The node address (status.hostIP). */
  nodeIP: string;
  /** The node's allocatable, for admission. */
  allocatable: () => NodeAllocatable;
  backoff?: BackoffSettings;
  clock?: Clock;
  log?: Logger;
  /** Where Events about pods go (the kubelet's EventRecorder); none when unset. */
  recorder?: KubeletEventRecorder;
  /** Observes kubelet_pod_start_duration_seconds; nothing measured when unset. */
  metrics?: Pick<KubeletMetrics, 'podStartSeconds'>;
  /**
   * The Services of a namespace in the kubelet's cache, read when a container is created (service
   * env vars from its pod's namespace and the master services of "default"). None when unset.
   */
  services?: (namespace: string) => readonly Readonly<Service>[];
  /** Cluster DNS for pods' resolv.conf (pod-dns.ts); pods use the node's resolvers when unset. */
  dns?: ClusterDnsSettings;
  /** Runs the pods' probes; without one, probes are not run (containers are ready while they run). */
  prober?: Pick<ProberManager, 'update' | 'removePod' | 'containerStatus' | 'unhealthy'>;
}

/** The grace period a pod's containers get when it terminates. */
export function podGracePeriodSeconds(pod: Readonly<Pod>): number {
  return Number(pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
}

/** Implements PodSyncHandler for one node (see the module comment). */
export class PodSyncer implements PodSyncHandler {
  private readonly admitted = new Map<string, Readonly<Pod>>();
  private readonly rejected = new Map<string, { reason: string; message: string }>();
  private readonly lastWritten = new Map<string, PodStatus>();
  private readonly failures = new Map<string, { reason: string; message: string }>();
  private readonly pullBackoff: KeyedBackoff;
  private readonly startBackoff: KeyedBackoff;
  private readonly backoff: BackoffSettings;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly runtime: ContainerRuntime;
  private readonly recorder: KubeletEventRecorder;
  /** When the kubelet first synced each pod not yet reported Running (pod start duration). */
  private readonly firstSeen = new Map<string, number>();
  /** `uid/container` -> the crashed instance (attempt) whose crash-loop BackOff was recorded. */
  private readonly crashBackOffNoted = new Map<string, number>();
  /** `uid/container` -> the pull failure count whose image BackOff was recorded. */
  private readonly pullBackOffNoted = new Map<string, number>();

  constructor(private readonly options: PodSyncerOptions) {
    this.runtime = options.runtime;
    this.recorder = options.recorder ?? NO_EVENTS;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? pino({ level: 'silent' });
    this.pullBackoff = new KeyedBackoff(this.backoff, this.clock);
    this.startBackoff = new KeyedBackoff(this.backoff, this.clock);
  }

  /**
   * After a kubelet restart: counts the pods that already run here (`present`: uids with
   * runtime objects) as admitted before any worker starts, so that a new pod is admitted
   * against them and not against an empty node.
   */
  seedAdmitted(pods: readonly Readonly<Pod>[], present: ReadonlySet<string>): void {
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? '';
      if (present.has(uid) && !isTerminalPhase(pod.status?.phase)) this.admitted.set(uid, pod);
    }
  }

  /** Pods admitted and not terminal (their requests count against the node). */
  admittedPods(): Readonly<Pod>[] {
    return [...this.admitted.values()];
  }

  /** The status last written for a pod (what the API has, even before the informer sees it). */
  reportedStatus(uid: string): PodStatus | undefined {
    return this.lastWritten.get(uid);
  }

  async syncPod(pod: Readonly<Pod>, signal: AbortSignal): Promise<SyncResult> {
    const uid = pod.metadata?.uid ?? '';
    const reported = this.lastWritten.get(uid) ?? pod.status;
    if (isTerminalPhase(reported?.phase)) {
      this.admitted.delete(uid);
      this.firstSeen.delete(uid);
      this.options.prober?.removePod(uid);
      await this.stopSandboxes(uid, signal);
      return {};
    }
    if (!this.firstSeen.has(uid) && reported?.phase !== 'Running') this.firstSeen.set(uid, this.clock.now());
    let view = await this.observe(uid, signal);
    if (!this.admitted.has(uid)) {
      const ran = view.containers.length > 0 || view.sandboxes.length > 0 || reported?.phase === 'Running';
      const decision = ran ? { admit: true as const } : admitPod(pod, this.admittedPods(), this.options.allocatable());
      if (!decision.admit) {
        this.log.info({ pod: key(pod), reason: decision.reason }, 'pod rejected by admission');
        if (!this.rejected.has(uid)) this.warning(pod, decision.reason, decision.message);
        this.rejected.set(uid, { reason: decision.reason, message: decision.message });
        await this.report(pod, view, new Map(), signal);
        return {};
      }
    }
    this.admitted.set(uid, pod);
    // First sight of a new pod: report it (Pending, ContainerCreating, hostIP, startTime) before the slow part (pulls).
    if (!this.lastWritten.has(uid) && view.containers.length === 0 && !reported?.containerStatuses?.length) await this.report(pod, view, new Map(), signal);

    const plan = planPodSync(pod, view, this.clock.now(), this.backoff, this.options.prober?.unhealthy(uid));
    const waiting = new Map(plan.waiting);
    let requeueAfterMs = plan.requeueAfterMs;
    const requeue = (ms: number) => (requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, ms));
    const grace = podGracePeriodSeconds(pod);
    this.noteCrashBackOffs(pod, view, plan.waiting);

    // Stopped containers stay (restartCount, lastState, logs --previous); garbage goes.
    for (const id of plan.stopContainers) this.normal(pod, KubeletReason.Killing, plan.stopMessages.get(id) ?? '');
    await Promise.all(plan.stopContainers.map((id) => this.runtime.stopContainer(id, plan.stopGraceSeconds.get(id) ?? grace, signal)));
    await Promise.all(plan.removeContainers.map((id) => this.runtime.removeContainer(id, signal)));
    for (const id of plan.removeSandboxes) await this.runtime.removePodSandbox(id, signal);
    let sandbox = plan.sandbox;
    if (plan.createSandbox) {
      const { attempt } = plan.createSandbox;
      // A sandbox that cannot be made (host port taken, sandbox image missing) is retried with
      // backoff, its reason shown on every container that waits for it.
      const made = await this.underStartBackoff(
        `${uid}/:sandbox`,
        requeue,
        () => {
          if (view.sandboxes.length > 0) this.normal(pod, KubeletReason.SandboxChanged, sandboxChangedMessage());
          return this.runtime.runPodSandbox(pod, { attempt, signal, dns: this.options.dns && podDnsConfig(pod, this.options.dns) });
        },
        (failure) => this.warning(pod, KubeletReason.FailedCreatePodSandBox, sandboxFailedMessage(failure.message)),
      );
      if ('failure' in made) {
        for (const start of plan.start) waiting.set(start.name, made.failure);
      } else {
        sandbox = made.value;
        this.log.info({ pod: key(pod), ip: sandbox.ip, attempt: sandbox.attempt }, 'pod sandbox running');
      }
    }
    for (const start of plan.start) {
      signal.throwIfAborted();
      const container = pod.spec?.containers.find((c) => c.name === start.name);
      const target = sandbox;
      if (!container || !target) continue;
      const k = `${uid}/${start.name}`;
      const pullWait = this.pullBackoff.remainingMs(k);
      if (pullWait > 0) {
        waiting.set(start.name, { reason: 'ImagePullBackOff', message: pullBackOffMessage(container.image) });
        if (this.pullBackOffNoted.get(k) !== this.pullBackoff.failures(k)) {
          this.pullBackOffNoted.set(k, this.pullBackoff.failures(k));
          this.normal(pod, KubeletReason.BackOff, pullBackOffMessage(container.image));
          this.warning(pod, KubeletReason.Failed, errorMessage('ImagePullBackOff'));
        }
        requeue(pullWait);
        continue;
      }
      const pullFailure = await this.pullImage(pod, container, k, signal);
      if (pullFailure) {
        requeue(pullFailure.retryAfterMs);
        waiting.set(start.name, pullFailure.waiting);
        continue;
      }
      // A create that fails leaves nothing behind: its backoff is kept here.
      const created = await this.underStartBackoff(
        k,
        requeue,
        () => this.runtime.createContainer(target, container, { attempt: start.attempt, env: this.serviceEnv(pod, container) }, signal),
        (failure) => this.warning(pod, KubeletReason.Failed, errorMessage(failure.message)),
      );
      if ('failure' in created) {
        waiting.set(start.name, created.failure);
        continue;
      }
      this.normal(pod, KubeletReason.Created, createdMessage(start.name));
      try {
        await this.runtime.startContainer(created.value, signal);
        this.normal(pod, KubeletReason.Started, startedMessage(start.name));
        this.log.info({ pod: key(pod), container: start.name, attempt: start.attempt }, 'container started');
      } catch (err) {
        if (!(err instanceof ContainerStartError)) throw err;
        // The instance is now exited with StartError (no runtime event says so): sync again at
        // once, and the plan backs it off as a crash, or leaves it terminated under Never.
        this.log.warn({ pod: key(pod), container: start.name, attempt: start.attempt, reason: err.reason, message: err.message }, 'container start failed');
        this.warning(pod, KubeletReason.Failed, errorMessage(err.message));
        waiting.set(start.name, { reason: err.reason, message: err.message });
        requeue(0);
      }
    }
    signal.throwIfAborted();
    view = await this.observe(uid, signal);
    const status = await this.report(pod, view, waiting, signal);
    if (isTerminalPhase(status.phase)) {
      this.admitted.delete(uid);
      await this.stopSandboxes(uid, signal);
    }
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
  }

  /**
   * Makes the container's image present as its policy asks, recording Pulling and Pulled (or
   * "already present"); resolves undefined then. A RuntimeError is not thrown: it is recorded as
   * Warning events and a failure of the pull backoff `k`, and the container's waiting reason and
   * the backoff's delay are returned.
   */
  private async pullImage(
    pod: Readonly<Pod>,
    container: Readonly<Container>,
    k: string,
    signal: AbortSignal,
  ): Promise<{ waiting: { reason: string; message: string }; retryAfterMs: number } | undefined> {
    const image = container.image;
    let pullStarted: number | undefined;
    const onPull = () => {
      pullStarted = this.clock.now();
      this.normal(pod, KubeletReason.Pulling, pullingMessage(image));
    };
    try {
      await this.runtime.ensureImage(image, container.imagePullPolicy || defaultPullPolicy(image), signal, { onPull });
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      if (err instanceof ImageNeverPullError) this.warning(pod, KubeletReason.ErrImageNeverPull, neverPullMessage(image));
      else this.warning(pod, KubeletReason.Failed, pullFailedMessage(image, err.message));
      this.warning(pod, KubeletReason.Failed, errorMessage(err.reason));
      return { waiting: { reason: err.reason, message: err.message }, retryAfterMs: this.pullBackoff.failure(k) };
    }
    this.pullBackoff.reset(k);
    this.pullBackOffNoted.delete(k);
    this.normal(pod, KubeletReason.Pulled, pullStarted === undefined ? alreadyPresentMessage(image) : pulledMessage(image, this.clock.now() - pullStarted));
    return undefined;
  }

  /** The service env vars of a container about to be created (service-env.ts). */
  private serviceEnv(pod: Readonly<Pod>, container: Readonly<Container>): Record<string, string> {
    const lookup = this.options.services;
    if (!lookup) return {};
    const namespace = pod.metadata?.namespace || 'default';
    const services = namespace === MASTER_SERVICE_NAMESPACE ? lookup(namespace) : [...lookup(namespace), ...lookup(MASTER_SERVICE_NAMESPACE)];
    return containerServiceEnv(pod, container, services);
  }

  /** Records a crash-loop BackOff for each container the plan holds back, once per crashed instance. */
  private noteCrashBackOffs(pod: Readonly<Pod>, view: PodRuntimeView, waiting: ReadonlyMap<string, { reason: string }>): void {
    const uid = pod.metadata?.uid ?? '';
    const byName = instancesByName(view.containers);
    for (const [name, wait] of waiting) {
      const attempt = byName.get(name)?.[0]?.attempt;
      if (wait.reason !== 'CrashLoopBackOff' || attempt === undefined || this.crashBackOffNoted.get(`${uid}/${name}`) === attempt) continue;
      this.crashBackOffNoted.set(`${uid}/${name}`, attempt);
      this.warning(pod, KubeletReason.BackOff, crashBackOffMessage(name, pod.metadata ?? {}));
    }
  }

  private normal(pod: Readonly<Pod>, reason: string, message: string): void {
    this.recorder.normal(pod, reason, message, 'Pod');
  }

  private warning(pod: Readonly<Pod>, reason: string, message: string): void {
    this.recorder.warning(pod, reason, message, 'Pod');
  }

  /**
   * Runs `action` (making a sandbox, starting a container) unless `k` is still backing off after
   * a failure. A RuntimeError is not thrown but recorded: its reason and message (returned, to
   * show as the waiting reason until it succeeds), `onFailure` called, and a longer backoff
   * (requeued). While backing off, the last failure is returned without calling anything.
   */
  private async underStartBackoff<T>(
    k: string,
    requeue: (ms: number) => void,
    action: () => Promise<T>,
    onFailure: (failure: { reason: string; message: string }) => void,
  ): Promise<{ value: T } | { failure: { reason: string; message: string } }> {
    const failure = this.failures.get(k);
    const wait = this.startBackoff.remainingMs(k);
    if (failure && wait > 0) {
      requeue(wait);
      return { failure };
    }
    try {
      const value = await action();
      this.startBackoff.reset(k);
      this.failures.delete(k);
      return { value };
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      const failed = { reason: err.reason, message: err.message };
      this.log.warn({ key: k, reason: failed.reason, err }, 'runtime operation failed; backing off');
      onFailure(failed);
      this.failures.set(k, failed);
      requeue(this.startBackoff.failure(k));
      return { failure: failed };
    }
  }

  /**
   * A finished pod keeps its exited containers (for logs) until it is deleted, but not its
   * sandbox: stopping it frees the pod's network namespace and host ports, as the kubelet does.
   */
  private async stopSandboxes(uid: string, signal: AbortSignal): Promise<void> {
    for (const sandbox of await this.runtime.listPodSandboxes({ podUid: uid }, signal)) {
      if (sandbox.state === 'ready') await this.runtime.stopPodSandbox(sandbox.id, signal);
    }
  }

  async terminatePod(pod: Readonly<Pod>, vanished: boolean, signal: AbortSignal): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    // No probe kills or readiness changes while it shuts down (Kubernetes' probes stop there too).
    this.options.prober?.removePod(uid);
    const grace = podGracePeriodSeconds(pod);
    const containers = await this.runtime.listContainers({ podUid: uid }, signal);
    const running = containers.filter((c) => c.state === 'running');
    for (const c of running) this.normal(pod, KubeletReason.Killing, killingMessage(c.name));
    await Promise.all(running.map((c) => this.runtime.stopContainer(c.id, grace, signal)));
    await Promise.all(containers.map((c) => this.runtime.removeContainer(c.id, signal)));
    for (const sandbox of await this.runtime.listPodSandboxes({ podUid: uid }, signal)) await this.runtime.removePodSandbox(sandbox.id, signal);
    this.admitted.delete(uid);
    this.pullBackoff.resetPrefix(`${uid}/`);
    this.startBackoff.resetPrefix(`${uid}/`);
    this.forgetKeys(uid);
    this.log.info({ pod: key(pod), vanished, grace }, 'pod containers stopped and removed');
  }

  async podTerminated(pod: Readonly<Pod>, vanished: boolean, signal: AbortSignal): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    if (!vanished) {
      try {
        await this.options.pods.delete(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid }, signal });
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      return;
    }
    this.options.prober?.removePod(uid);
    this.lastWritten.delete(uid);
    this.rejected.delete(uid);
    this.firstSeen.delete(uid);
    this.forgetKeys(uid);
  }

  /** Drops a pod's per-container records (`uid/...` keys). */
  private forgetKeys(uid: string): void {
    for (const map of [this.failures, this.crashBackOffNoted, this.pullBackOffNoted]) {
      for (const k of map.keys()) if (k.startsWith(`${uid}/`)) map.delete(k);
    }
  }

  /**
   * The pod's sandboxes and container instances, each with its current status (not the
   * listing's, which can lag behind the event that caused this sync); ones gone meanwhile are left out.
   */
  async observe(uid: string, signal: AbortSignal): Promise<PodRuntimeView> {
    const [listed, infos] = await Promise.all([this.runtime.listPodSandboxes({ podUid: uid }, signal), this.runtime.listContainers({ podUid: uid }, signal)]);
    const [sandboxes, statuses] = await Promise.all([
      Promise.all(listed.map((s) => unlessGone(this.runtime.podSandboxStatus(s.id, signal)))),
      Promise.all(infos.map((c) => unlessGone(this.runtime.containerStatus(c.id, signal)))),
    ]);
    return { sandboxes: sandboxes.filter((s): s is PodSandbox => !!s), containers: statuses.filter((s): s is ContainerStatusInfo => !!s) };
  }

  private async report(pod: Readonly<Pod>, view: PodRuntimeView, waiting: ReadonlyMap<string, { reason: string; message: string }>, signal: AbortSignal): Promise<PodStatus> {
    const uid = pod.metadata?.uid ?? '';
    const base = this.lastWritten.get(uid) ?? pod.status;
    const containers = new Map<string, ContainerObservation>();
    for (const [name, instances] of instancesByName(view.containers)) containers.set(name, { current: instances[0], previous: instances[1] });
    for (const [name, wait] of waiting) containers.set(name, { ...containers.get(name), waiting: wait });
    const info = await this.runtimeName(signal);
    const sandbox = readySandbox(view.sandboxes);
    const prober = this.options.prober;
    if (prober && !this.rejected.has(uid)) {
      prober.update(pod, sandbox?.ip ?? '', new Map([...containers].map(([name, c]) => [name, c.current])));
      for (const c of pod.spec?.containers ?? []) {
        const obs = containers.get(c.name);
        if (obs?.current) containers.set(c.name, { ...obs, probe: prober.containerStatus(uid, c, obs.current) });
      }
    }
    const status = computePodStatus(
      { ...pod, status: base },
      { hostIP: this.options.nodeIP, podIP: sandbox?.ip ?? '', containers, runtime: info, rejected: this.rejected.get(uid), publishedPorts: publishedPorts(pod, sandbox) },
      new Date(this.clock.now()),
    );
    if (isTerminalPhase(status.phase)) prober?.removePod(uid);
    if (podStatusEqual(base, status)) return status;
    try {
      await this.options.pods.updateStatus({ ...pod, metadata: { ...(pod.metadata as NonNullable<Pod['metadata']>), resourceVersion: '' }, status }, { signal });
      this.lastWritten.set(uid, status);
      this.log.debug({ pod: key(pod), phase: status.phase }, 'pod status written');
      const seen = this.firstSeen.get(uid);
      if (status.phase === 'Running' && base?.phase !== 'Running' && seen !== undefined) {
        this.options.metrics?.podStartSeconds.observe((this.clock.now() - seen) / 1000);
        this.firstSeen.delete(uid);
      }
    } catch (err) {
      // Gone, or made again under the same name (another uid: the write is refused as a
      // conflict, being unconditional otherwise): this pod's status is nobody's to write now.
      if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
    }
    return status;
  }

  private runtimeKind?: string;

  private async runtimeName(signal: AbortSignal): Promise<string> {
    this.runtimeKind ??= (await this.runtime.info(signal)).runtime;
    return this.runtimeKind;
  }
}

/** The value, or undefined when the runtime object is gone (ContainerNotFoundError). */
async function unlessGone<T>(status: Promise<T>): Promise<T | undefined> {
  try {
    return await status;
  } catch (err) {
    if (err instanceof ContainerNotFoundError) return undefined;
    throw err;
  }
}

function key(pod: Readonly<Pod>): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}
