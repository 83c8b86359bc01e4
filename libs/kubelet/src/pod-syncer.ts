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
 * kill them, and the sidecars whose startup probe has not passed yet. A terminating or terminal
 * pod's probes stop.
 *
 * Init containers (pod-sync-plan.ts) start before the app containers, the same way (pull,
 * create, start, events); a regular one that cannot start holds back everything after it.
 * Lifecycle hooks (lifecycle-hooks.ts): a container's postStart runs right after its start,
 * before anything else of the sync; every stop (the plan's, a failed postStart's, the pod's
 * termination) runs the preStop hooks and stops in the pod's termination order.
 * Termination messages (termination-message.ts) are read once per exited instance, when the
 * status is reported, from the host file the volume manager binds at terminationMessagePath.
 *
 * Volumes, config and secrets: every sync registers the pod's ConfigMaps and Secrets with the
 * watch-based ConfigObjectManager (a change resyncs the pod) and sets up (or refreshes, atomically)
 * the pod's volumes before anything starts; a volume that cannot be set up (FailedMount Warning)
 * holds back the sandbox and every start, the containers waiting ContainerCreating. Each
 * container is created from containerConfig (container-config.ts): env with valueFrom, envFrom and
 * $(VAR) expansion, mounts, security settings; a missing ConfigMap, Secret or key leaves it
 * waiting CreateContainerConfigError (a Failed Warning) until a sync finds it. imagePullSecrets
 * give the pull its registry credentials. The pod's volumes go with the pod (terminatePod).
 */
import { ConflictError, defaultPullPolicy, isRestartableInitContainer, NotFoundError, podClaimNames, type Container, type Pod, type PodStatus, type Service } from '@skiff/api';
import { realClock, type Clock, type TypedClient } from '@skiff/client';
import { ContainerNotFoundError, ContainerStartError, ImageNeverPullError, ImagePullError, RuntimeError, type ContainerRuntime, type ContainerStatusInfo, type PodSandbox, type RegistryCredential } from '@skiff/runtime';
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
  postStartFailedMessage,
  postStartKillMessage,
  preStopFailedMessage,
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
import { podDnsConfig, podHostDomain, type ClusterDnsSettings } from './pod-dns';
import { runLifecycleHook, stopPodContainers, type HookDeps, type StopRequest } from './lifecycle-hooks';
import { instancesByName, planPodSync, podContainer, readySandbox, type ContainerStart, type PodRuntimeView } from './pod-sync-plan';
import { computePodStatus, isTerminalPhase, podStatusEqual, publishedPorts, type ContainerObservation } from './pod-status';
import type { PodSyncHandler, SyncResult } from './pod-workers';
import type { ProberManager } from './prober-manager';
import { createProbeRunner, hollowProbeRunner, type ProbeRunner } from './probe-runner';
import { MASTER_SERVICE_NAMESPACE, podServiceEnv } from './service-env';
import type { ConfigObjectManager, PodConfigObjects } from './config-object-manager';
import { containerConfig, type ContainerConfig, type ContainerConfigDeps } from './container-config';
import { ContainerConfigError, CREATE_CONTAINER_CONFIG_ERROR, INVALID_ENVIRONMENT_VARIABLE_NAMES } from './container-env';
import { credentialsFromPullSecrets, PullSecretError } from './pull-secrets';
import type { NodeAllocatable as DownwardAllocatable } from './volumes/downward-api';
import { VolumeManager, VolumeSetUpError } from './volumes/volume-manager';
import { FALLBACK_LOG_LINES, lastLogText, readTerminationMessage, withTerminationMessage } from './termination-message';

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
  /**
   * The HTTP GET of httpGet lifecycle hooks (createProbeRunner with a lifecycle User-Agent).
   * Unset: one made here ("skiff-lifecycle"), or on a hollow runtime hollowProbeRunner.
   */
  hookRunner?: ProbeRunner;
  /**
   * The pods' volumes (and the host files bound at terminationMessagePath). Unset: a hollow one
   * with no ConfigMap or Secret, so a pod using them fails visibly rather than running without.
   */
  volumes?: VolumeManager;
  /** The ConfigMaps and Secrets pods use, watched per object. Unset: none exists. */
  configObjects?: PodConfigSource;
  /** The node's allocatable as quantities (resourceFieldRef without a limit); default none. */
  nodeAllocatable?: () => Readonly<DownwardAllocatable>;
}

/** What the syncer needs of the ConfigObjectManager. */
export type PodConfigSource = Pick<ConfigObjectManager, 'registerPod' | 'unregisterPod' | 'podObjects'>;

/** A source that knows no ConfigMap or Secret (PodSyncerOptions.configObjects unset). */
const NO_CONFIG_OBJECTS: PodConfigSource = {
  registerPod: () => undefined,
  unregisterPod: () => undefined,
  podObjects: async (): Promise<PodConfigObjects> => ({ configMap: () => undefined, secret: () => undefined }),
};

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
  /** `uid/container id` -> the termination message of an exited instance (read once). */
  private readonly terminationMessages = new Map<string, string>();
  /** `uid/container` -> the config error (CreateContainerConfigError) whose Warning was recorded. */
  private readonly configErrorNoted = new Map<string, string>();
  /** `uid/` -> the volume failures whose FailedMount Warnings were recorded. */
  private readonly mountFailureNoted = new Map<string, string>();
  /** uid -> why the kubelet evicts the pod (an emptyDir over its sizeLimit); done at its next sync. */
  private readonly evictions = new Map<string, { reason: string; message: string }>();
  private readonly volumes: VolumeManager;
  private readonly configObjects: PodConfigSource;
  private readonly configDeps: ContainerConfigDeps;

  constructor(private readonly options: PodSyncerOptions) {
    this.runtime = options.runtime;
    this.recorder = options.recorder ?? NO_EVENTS;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? pino({ level: 'silent' });
    this.pullBackoff = new KeyedBackoff(this.backoff, this.clock);
    this.startBackoff = new KeyedBackoff(this.backoff, this.clock);
    const nodeAllocatable = options.nodeAllocatable ?? (() => ({ cpu: '0', memory: '0' }));
    this.configObjects = options.configObjects ?? NO_CONFIG_OBJECTS;
    this.volumes =
      options.volumes ??
      new VolumeManager({ rootDir: '/nonexistent', sources: { configMap: async () => undefined, secret: async () => undefined }, nodeAllocatable, hollow: true, log: this.log });
    this.configDeps = {
      runtime: this.runtime,
      volumes: this.volumes,
      podObjects: (pod, signal) => this.configObjects.podObjects(pod, signal),
      serviceEnv: (pod) => this.serviceEnv(pod),
      nodeIP: options.nodeIP,
      nodeAllocatable,
    };
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

  async syncPod(pod: Readonly<Pod>, signal: AbortSignal, more: () => boolean = () => false): Promise<SyncResult> {
    const uid = pod.metadata?.uid ?? '';
    const reported = this.lastWritten.get(uid) ?? pod.status;
    if (isTerminalPhase(reported?.phase)) {
      this.admitted.delete(uid);
      this.firstSeen.delete(uid);
      this.options.prober?.removePod(uid);
      await this.releasePod(uid, signal);
      return {};
    }
    const eviction = this.evictions.get(uid);
    if (eviction) return this.evict(pod, eviction, signal);
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
    this.configObjects.registerPod(pod);
    // First sight of a new pod: report it (Pending, ContainerCreating, hostIP, startTime) while
    // the slow part (volumes, sandbox, pulls) goes on; the sync's own report waits for it.
    const firstReport =
      !this.lastWritten.has(uid) && view.containers.length === 0 && !reported?.containerStatuses?.length
        ? this.report(pod, view, new Map(), signal).then(
            () => undefined,
            (err: unknown) => err,
          )
        : undefined;

    const plan = planPodSync(pod, view, this.clock.now(), this.backoff, this.options.prober?.unhealthy(uid), this.sidecarsNotStarted(pod, view));
    const waiting = new Map(plan.waiting);
    let requeueAfterMs = plan.requeueAfterMs;
    const requeue = (ms: number) => (requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, ms));
    const grace = podGracePeriodSeconds(pod);
    this.noteCrashBackOffs(pod, view, plan.waiting);

    // Stopped containers stay (restartCount, lastState, logs --previous); garbage goes.
    for (const id of plan.stopContainers) this.normal(pod, KubeletReason.Killing, plan.stopMessages.get(id) ?? '');
    const byId = new Map(view.containers.map((c) => [c.id, c]));
    const stops = plan.stopContainers.map((id) => this.stopRequest(pod, byId.get(id)?.name ?? '', id, plan.stopGraceSeconds.get(id) ?? grace));
    await this.stopContainers(pod, readySandbox(view.sandboxes)?.ip ?? '', stops, signal);
    await Promise.all(
      plan.removeContainers.map(async (id) => {
        await this.runtime.removeContainer(id, signal);
        const removed = byId.get(id);
        if (removed) await this.volumes.removeTerminationLogFile(uid, removed.name, removed.attempt); // its message went with it
      }),
    );
    for (const id of plan.removeSandboxes) await this.runtime.removePodSandbox(id, signal);
    let sandbox = plan.sandbox;
    const volumesReady = await this.setUpVolumes(pod, signal);
    if (!volumesReady) {
      // Kubernetes: nothing is created until every volume is mounted (the containers show their
      // default waiting reasons: ContainerCreating, PodInitializing); the pod resyncs when a
      // watched ConfigMap or Secret changes, and now and then for the rest (hostPath); claims,
      // which the kubelet does not watch, every second (binding follows scheduling closely).
      requeue(podClaimNames(pod).length ? 1_000 : Math.max(this.backoff.baseMs, 1_000));
    } else if (plan.createSandbox) {
      const { attempt } = plan.createSandbox;
      // A sandbox that cannot be made (host port taken, sandbox image missing) is retried with
      // backoff, its reason shown on every container that waits for it.
      const made = await this.underStartBackoff(
        `${uid}/:sandbox`,
        requeue,
        () => {
          if (view.sandboxes.length > 0) this.normal(pod, KubeletReason.SandboxChanged, sandboxChangedMessage());
          return this.runtime.runPodSandbox(pod, { attempt, signal, dns: this.options.dns && podDnsConfig(pod, this.options.dns), domain: podHostDomain(pod, this.options.dns?.clusterDomain) });
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
    let startedAny = false;
    for (const start of volumesReady ? [...plan.startInit, ...plan.start] : []) {
      signal.throwIfAborted();
      const found = podContainer(pod, start.name);
      if (!found || !sandbox) continue;
      const started = await this.runContainer(pod, found.container, start, sandbox, waiting, requeue, signal);
      startedAny ||= started;
      // A regular init container that did not start holds back what comes after it.
      if (!started && found.kind === 'init') break;
    }
    const firstReportError = await firstReport;
    if (firstReportError) throw firstReportError;
    signal.throwIfAborted();
    // A sync is already queued (the runtime event of a container started here, e.g. an init
    // container that has exited already): it observes and reports anyway, so this one stops here.
    if (startedAny && more()) return requeueAfterMs === undefined ? {} : { requeueAfterMs };
    view = await this.observe(uid, signal);
    const status = await this.report(pod, view, waiting, signal);
    if (isTerminalPhase(status.phase)) {
      this.admitted.delete(uid);
      await this.releasePod(uid, signal);
    }
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
  }

  /**
   * Asks for the pod's eviction (Kubernetes' local storage eviction: an emptyDir past its
   * sizeLimit): its next sync kills every container at once (grace 0, as the kubelet's eviction
   * manager does for local storage), reports it Failed with reason Evicted and `message`, and
   * records a Warning Evicted event. The caller resyncs the pod's worker.
   */
  markEvicted(uid: string, message: string): void {
    if (!this.admitted.has(uid)) return;
    this.evictions.set(uid, { reason: 'Evicted', message });
  }

  private async evict(pod: Readonly<Pod>, eviction: { reason: string; message: string }, signal: AbortSignal): Promise<SyncResult> {
    const uid = pod.metadata?.uid ?? '';
    this.log.info({ pod: key(pod), reason: eviction.reason }, 'evicting pod');
    this.warning(pod, eviction.reason, eviction.message);
    this.options.prober?.removePod(uid);
    const containers = await this.runtime.listContainers({ podUid: uid }, signal);
    const sandboxes = await this.runtime.listPodSandboxes({ podUid: uid }, signal);
    const running = containers.filter((c) => c.state === 'running');
    for (const c of running) this.normal(pod, KubeletReason.Killing, killingMessage(c.name));
    await Promise.all(running.map((c) => this.runtime.stopContainer(c.id, 0, signal)));
    const view = await this.observe(uid, signal);
    await this.report(pod, { ...view, sandboxes }, new Map(), signal, eviction);
    this.evictions.delete(uid);
    this.admitted.delete(uid);
    await this.releasePod(uid, signal);
    return {};
  }

  /**
   * Pulls, creates and starts one container (app or init), then runs its postStart hook.
   * Resolves true once it runs (and its hook succeeded); false when it waits (image pull backoff,
   * a failed pull, create or start, a failed postStart hook), with its waiting reason set and a
   * requeue when to try again.
   */
  private async runContainer(
    pod: Readonly<Pod>,
    container: Readonly<Container>,
    start: ContainerStart,
    sandbox: PodSandbox,
    waiting: Map<string, { reason: string; message: string }>,
    requeue: (ms: number) => void,
    signal: AbortSignal,
  ): Promise<boolean> {
    const uid = pod.metadata?.uid ?? '';
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
      return false;
    }
    const pullFailure = await this.pullImage(pod, container, k, signal);
    if (pullFailure) {
      requeue(pullFailure.retryAfterMs);
      waiting.set(start.name, pullFailure.waiting);
      return false;
    }
    const config = await this.containerConfigFor(pod, container, start.attempt, sandbox, signal);
    if (config instanceof ContainerConfigError) {
      waiting.set(start.name, { reason: CREATE_CONTAINER_CONFIG_ERROR, message: config.message });
      // A watched object's change resyncs the pod at once; the timed retry is for the rest (an image's user).
      requeue(Math.max(this.backoff.baseMs, 1_000));
      return false;
    }
    // A create that fails leaves nothing behind: its backoff is kept here.
    const created = await this.underStartBackoff(
      k,
      requeue,
      () => this.runtime.createContainer(sandbox, container, config.options, signal),
      (failure) => this.warning(pod, KubeletReason.Failed, errorMessage(failure.message)),
    );
    if ('failure' in created) {
      waiting.set(start.name, created.failure);
      return false;
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
      return false;
    }
    const postStart = container.lifecycle?.postStart;
    if (!postStart) return true;
    const hook = await runLifecycleHook(postStart, { pod, container, containerId: created.value, podIP: sandbox.ip }, await this.hookDeps(signal), signal);
    if (hook.ok) return true;
    // Kubernetes: the event without the output; the container is killed and restarted per policy.
    // The hook's output may hold anything the container prints (secrets too): debug level only.
    this.log.warn({ pod: key(pod), container: start.name, attempt: start.attempt }, 'postStart hook failed');
    this.log.debug({ pod: key(pod), container: start.name, output: hook.message }, 'postStart hook output');
    this.warning(pod, KubeletReason.FailedPostStartHook, postStartFailedMessage());
    this.normal(pod, KubeletReason.Killing, postStartKillMessage());
    await this.stopContainers(pod, sandbox.ip, [this.stopRequest(pod, start.name, created.value, podGracePeriodSeconds(pod))], signal);
    waiting.set(start.name, { reason: 'PostStartHookError', message: hook.message });
    requeue(0);
    return false;
  }

  /**
   * The create options of one container (app or init) in `sandbox` (container-config.ts), or why
   * it cannot be created yet; records the Warnings (once per distinct error, and skipped envFrom keys).
   */
  private async containerConfigFor(pod: Readonly<Pod>, container: Readonly<Container>, attempt: number, sandbox: Readonly<PodSandbox>, signal: AbortSignal): Promise<ContainerConfig | ContainerConfigError> {
    const k = `${pod.metadata?.uid ?? ''}/${container.name}`;
    const config = await containerConfig(this.configDeps, pod, container, attempt, sandbox.ip, signal);
    if (config instanceof ContainerConfigError) {
      if (this.configErrorNoted.get(k) !== config.message) {
        this.configErrorNoted.set(k, config.message);
        this.log.info({ pod: key(pod), container: container.name, reason: config.reason, message: config.message }, 'container cannot be configured yet');
        this.warning(pod, KubeletReason.Failed, errorMessage(config.message));
      }
      return config;
    }
    this.configErrorNoted.delete(k);
    for (const invalid of config.invalidEnvNames) this.warning(pod, INVALID_ENVIRONMENT_VARIABLE_NAMES, invalid.message);
    return config;
  }

  /**
   * Sets up (or refreshes) the pod's volumes; false when one cannot be (FailedMount Warnings,
   * recorded again only when the failures change).
   */
  private async setUpVolumes(pod: Readonly<Pod>, signal: AbortSignal): Promise<boolean> {
    const k = `${pod.metadata?.uid ?? ''}/`;
    try {
      await this.volumes.setUpPod(pod, signal);
      this.mountFailureNoted.delete(k);
      return true;
    } catch (err) {
      if (!(err instanceof VolumeSetUpError)) throw err;
      const messages = err.failures.map((f) => f.message);
      if (this.mountFailureNoted.get(k) !== messages.join('\n')) {
        this.mountFailureNoted.set(k, messages.join('\n'));
        for (const message of messages) this.warning(pod, err.reason, message);
      }
      return false;
    }
  }

  /** A stop of one container instance (its spec found by name, for its preStop hook). */
  private stopRequest(pod: Readonly<Pod>, name: string, id: string, graceSeconds: number): StopRequest {
    return { id, name, container: podContainer(pod, name)?.container, graceSeconds };
  }

  /** Stops containers of the pod with their preStop hooks, in termination order (lifecycle-hooks.ts). */
  private async stopContainers(pod: Readonly<Pod>, podIP: string, requests: readonly StopRequest[], signal: AbortSignal): Promise<void> {
    if (requests.length === 0) return;
    const onPreStopFailed = (r: StopRequest, message: string) => {
      this.log.warn({ pod: key(pod), container: r.name }, 'preStop hook failed');
      this.log.debug({ pod: key(pod), container: r.name, output: message }, 'preStop hook output');
      this.warning(pod, KubeletReason.FailedPreStopHook, preStopFailedMessage());
    };
    await stopPodContainers(pod, requests, { ...(await this.hookDeps(signal)), runtime: this.runtime, podIP, onPreStopFailed }, signal);
  }

  private hookHttp?: ProbeRunner;

  private async hookDeps(signal: AbortSignal): Promise<HookDeps> {
    this.hookHttp ??= this.options.hookRunner ?? ((await this.runtimeName(signal)) === 'hollow' ? hollowProbeRunner : createProbeRunner(this.runtime, { userAgent: 'skiff-lifecycle' }));
    return { runtime: this.runtime, http: this.hookHttp, clock: this.clock };
  }

  /** Running sidecars (by instance id) whose startup probe has not succeeded yet: the next init container waits for them. */
  private sidecarsNotStarted(pod: Readonly<Pod>, view: PodRuntimeView): Set<string> {
    const out = new Set<string>();
    const prober = this.options.prober;
    if (!prober) return out;
    const byName = instancesByName(view.containers);
    for (const c of pod.spec?.initContainers ?? []) {
      const current = byName.get(c.name)?.[0];
      if (!isRestartableInitContainer(c) || !c.startupProbe || current?.state !== 'running') continue;
      if (!prober.containerStatus(pod.metadata?.uid ?? '', c, current).started) out.add(current.id);
    }
    return out;
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
      const credentials = await this.pullCredentials(pod, signal);
      await this.runtime.ensureImage(image, container.imagePullPolicy || defaultPullPolicy(image), signal, { onPull, credentials });
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

  /**
   * The registry credentials of the pod's imagePullSecrets (pull-secrets.ts). A Secret that does
   * not exist is skipped with a Warning, as Kubernetes (the pull may still work); one that cannot
   * be read fails the pull (ImagePullError naming it).
   */
  private async pullCredentials(pod: Readonly<Pod>, signal: AbortSignal): Promise<RegistryCredential[]> {
    const names = (pod.spec?.imagePullSecrets ?? []).map((r) => r.name).filter(Boolean);
    if (names.length === 0) return [];
    const namespace = pod.metadata?.namespace || 'default';
    const objects = await this.configObjects.podObjects(pod, signal);
    const found = names.map((name) => objects.secret(namespace, name));
    const missing = names.filter((_, i) => !found[i]);
    if (missing.length) {
      this.warning(pod, 'FailedToRetrieveImagePullSecret', `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`);
    }
    try {
      return credentialsFromPullSecrets(found.filter((s) => !!s));
    } catch (err) {
      if (err instanceof PullSecretError) throw new ImagePullError(err.message, { cause: err });
      throw err;
    }
  }

  /** The service env vars the pod's containers see (service-env.ts), before their own env. */
  private serviceEnv(pod: Readonly<Pod>): Record<string, string> {
    const lookup = this.options.services;
    if (!lookup) return {};
    const namespace = pod.metadata?.namespace || 'default';
    const services = namespace === MASTER_SERVICE_NAMESPACE ? lookup(namespace) : [...lookup(namespace), ...lookup(MASTER_SERVICE_NAMESPACE)];
    return podServiceEnv(pod, services);
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
   * What a finished pod gives back while its exited containers stay (for logs) until it is
   * deleted: its sandbox (network namespace, host ports), its volumes (tmpfs memory) and its
   * ConfigMap/Secret watches, as the kubelet's syncTerminatedPod does. Idempotent.
   */
  private async releasePod(uid: string, signal: AbortSignal): Promise<void> {
    await this.stopSandboxes(uid, signal);
    await this.volumes.tearDownPod(uid);
    this.configObjects.unregisterPod(uid);
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
    const sandboxes = await this.runtime.listPodSandboxes({ podUid: uid }, signal);
    const podIP = readySandbox(sandboxes)?.ip ?? '';
    await this.stopContainers(pod, podIP, running.map((c) => this.stopRequest(pod, c.name, c.id, grace)), signal);
    await Promise.all(containers.map((c) => this.runtime.removeContainer(c.id, signal)));
    for (const sandbox of await this.runtime.listPodSandboxes({ podUid: uid }, signal)) await this.runtime.removePodSandbox(sandbox.id, signal);
    await this.volumes.tearDownPod(uid);
    this.configObjects.unregisterPod(uid);
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
    this.evictions.delete(uid);
    for (const map of [this.failures, this.crashBackOffNoted, this.pullBackOffNoted, this.terminationMessages, this.configErrorNoted, this.mountFailureNoted]) {
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

  private async report(
    pod: Readonly<Pod>,
    view: PodRuntimeView,
    waiting: ReadonlyMap<string, { reason: string; message: string }>,
    signal: AbortSignal,
    evicted?: { reason: string; message: string },
  ): Promise<PodStatus> {
    const uid = pod.metadata?.uid ?? '';
    const base = this.lastWritten.get(uid) ?? pod.status;
    const containers = new Map<string, ContainerObservation>();
    for (const [name, instances] of instancesByName(view.containers)) containers.set(name, { current: instances[0], previous: instances[1] });
    for (const [name, wait] of waiting) containers.set(name, { ...containers.get(name), waiting: wait });
    await this.addTerminationMessages(pod, view, containers, signal);
    const info = await this.runtimeName(signal);
    const sandbox = readySandbox(view.sandboxes);
    const prober = this.options.prober;
    if (prober && !this.rejected.has(uid)) {
      prober.update(pod, sandbox?.ip ?? '', new Map([...containers].map(([name, c]) => [name, c.current])));
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter(isRestartableInitContainer)]) {
        const obs = containers.get(c.name);
        if (obs?.current) containers.set(c.name, { ...obs, probe: prober.containerStatus(uid, c, obs.current) });
      }
    }
    const status = computePodStatus(
      { ...pod, status: base },
      { hostIP: this.options.nodeIP, podIP: sandbox?.ip ?? '', containers, runtime: info, rejected: this.rejected.get(uid), evicted, publishedPorts: publishedPorts(pod, sandbox) },
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

  /** Puts each exited instance's termination message (termination-message.ts) after its runtime message. */
  private async addTerminationMessages(pod: Readonly<Pod>, view: PodRuntimeView, containers: Map<string, ContainerObservation>, signal: AbortSignal): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const present = new Set(view.containers.map((c) => `${uid}/${c.id}`));
    for (const k of this.terminationMessages.keys()) if (k.startsWith(`${uid}/`) && !present.has(k)) this.terminationMessages.delete(k);
    for (const [name, obs] of containers) {
      const spec = podContainer(pod, name)?.container;
      if (!spec) continue;
      const next = { ...obs };
      for (const which of ['current', 'previous'] as const) {
        const instance = obs[which];
        if (instance?.state !== 'exited') continue;
        next[which] = { ...instance, message: withTerminationMessage(instance.message, await this.terminationMessage(uid, spec, instance, signal)) };
      }
      containers.set(name, next);
    }
  }

  /** An exited instance's termination message, read once (an exited instance does not change). */
  private async terminationMessage(uid: string, spec: Readonly<Container>, instance: ContainerStatusInfo, signal: AbortSignal): Promise<string> {
    const k = `${uid}/${instance.id}`;
    const known = this.terminationMessages.get(k);
    if (known !== undefined) return known;
    const message = await readTerminationMessage({
      hostFile: this.volumes.terminationLogPath(uid, spec.name, instance.attempt),
      policy: spec.terminationMessagePolicy || 'File',
      exitCode: instance.exitCode ?? 0,
      reason: instance.reason,
      logsTail: () => this.logsTail(instance.id, signal),
    });
    this.terminationMessages.set(k, message);
    return message;
  }

  /** The container's last output for a termination message (FALLBACK_LOG_LINES lines, at most 2048 bytes); '' when it is gone. */
  private async logsTail(id: string, signal: AbortSignal): Promise<string> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of this.runtime.logs(id, { tail: FALLBACK_LOG_LINES, signal })) chunks.push(Buffer.from(chunk.data));
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
    }
    return lastLogText(Buffer.concat(chunks));
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
