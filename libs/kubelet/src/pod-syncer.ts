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
 */
import { defaultPullPolicy, NotFoundError, type Pod, type PodStatus } from '@skiff/api';
import { realClock, type Clock, type TypedClient } from '@skiff/client';
import { ContainerNotFoundError, ContainerStartError, RuntimeError, type ContainerRuntime, type ContainerStatusInfo, type PodSandbox } from '@skiff/runtime';
import pino, { type Logger } from 'pino';
import { admitPod, type NodeAllocatable } from './admission';
import { DEFAULT_BACKOFF, KeyedBackoff, type BackoffSettings } from './backoff';
import { instancesByName, planPodSync, readySandbox, type PodRuntimeView } from './pod-sync-plan';
import { computePodStatus, isTerminalPhase, podStatusEqual, type ContainerObservation } from './pod-status';
import type { PodSyncHandler, SyncResult } from './pod-workers';

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

  constructor(private readonly options: PodSyncerOptions) {
    this.runtime = options.runtime;
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
      await this.stopSandboxes(uid, signal);
      return {};
    }
    let view = await this.observe(uid, signal);
    if (!this.admitted.has(uid)) {
      const ran = view.containers.length > 0 || view.sandboxes.length > 0 || reported?.phase === 'Running';
      const decision = ran ? { admit: true as const } : admitPod(pod, this.admittedPods(), this.options.allocatable());
      if (!decision.admit) {
        this.log.info({ pod: key(pod), reason: decision.reason }, 'pod rejected by admission');
        this.rejected.set(uid, { reason: decision.reason, message: decision.message });
        await this.report(pod, view, new Map(), signal);
        return {};
      }
    }
    this.admitted.set(uid, pod);
    // First sight of a new pod: report it (Pending, ContainerCreating, hostIP, startTime) before the slow part (pulls).
    if (!this.lastWritten.has(uid) && view.containers.length === 0 && !reported?.containerStatuses?.length) await this.report(pod, view, new Map(), signal);

    const plan = planPodSync(pod, view, this.clock.now(), this.backoff);
    const waiting = new Map(plan.waiting);
    let requeueAfterMs = plan.requeueAfterMs;
    const requeue = (ms: number) => (requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, ms));
    const grace = podGracePeriodSeconds(pod);

    // Stopped containers stay (restartCount, lastState, logs --previous); garbage goes.
    await Promise.all(plan.stopContainers.map((id) => this.runtime.stopContainer(id, grace, signal)));
    await Promise.all(plan.removeContainers.map((id) => this.runtime.removeContainer(id, signal)));
    for (const id of plan.removeSandboxes) await this.runtime.removePodSandbox(id, signal);
    let sandbox = plan.sandbox;
    if (plan.createSandbox) {
      const { attempt } = plan.createSandbox;
      // A sandbox that cannot be made (host port taken, sandbox image missing) is retried with
      // backoff, its reason shown on every container that waits for it.
      const made = await this.underStartBackoff(`${uid}/:sandbox`, requeue, () => this.runtime.runPodSandbox(pod, { attempt, signal }));
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
        waiting.set(start.name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${container.image}"` });
        requeue(pullWait);
        continue;
      }
      try {
        await this.runtime.ensureImage(container.image, container.imagePullPolicy || defaultPullPolicy(container.image), signal);
        this.pullBackoff.reset(k);
      } catch (err) {
        if (!(err instanceof RuntimeError)) throw err;
        requeue(this.pullBackoff.failure(k));
        waiting.set(start.name, { reason: err.reason, message: err.message });
        continue;
      }
      // A create that fails leaves nothing behind: its backoff is kept here.
      const created = await this.underStartBackoff(k, requeue, () => this.runtime.createContainer(target, container, { attempt: start.attempt }, signal));
      if ('failure' in created) {
        waiting.set(start.name, created.failure);
        continue;
      }
      try {
        await this.runtime.startContainer(created.value, signal);
        this.log.info({ pod: key(pod), container: start.name, attempt: start.attempt }, 'container started');
      } catch (err) {
        if (!(err instanceof ContainerStartError)) throw err;
        // The instance is now exited with StartError (no runtime event says so): sync again at
        // once, and the plan backs it off as a crash, or leaves it terminated under Never.
        this.log.warn({ pod: key(pod), container: start.name, attempt: start.attempt, reason: err.reason, message: err.message }, 'container start failed');
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
   * Runs `action` (making a sandbox, starting a container) unless `k` is still backing off after
   * a failure. A RuntimeError is not thrown but recorded: its reason and message (returned, to
   * show as the waiting reason until it succeeds) and a longer backoff (requeued).
   */
  private async underStartBackoff<T>(
    k: string,
    requeue: (ms: number) => void,
    action: () => Promise<T>,
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
    const grace = podGracePeriodSeconds(pod);
    const containers = await this.runtime.listContainers({ podUid: uid }, signal);
    await Promise.all(containers.filter((c) => c.state === 'running').map((c) => this.runtime.stopContainer(c.id, grace, signal)));
    await Promise.all(containers.map((c) => this.runtime.removeContainer(c.id, signal)));
    for (const sandbox of await this.runtime.listPodSandboxes({ podUid: uid }, signal)) await this.runtime.removePodSandbox(sandbox.id, signal);
    this.admitted.delete(uid);
    this.pullBackoff.resetPrefix(`${uid}/`);
    this.startBackoff.resetPrefix(`${uid}/`);
    for (const k of this.failures.keys()) if (k.startsWith(`${uid}/`)) this.failures.delete(k);
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
    this.lastWritten.delete(uid);
    this.rejected.delete(uid);
    for (const k of this.failures.keys()) if (k.startsWith(`${uid}/`)) this.failures.delete(k);
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
    const status = computePodStatus(
      { ...pod, status: base },
      { hostIP: this.options.nodeIP, podIP: readySandbox(view.sandboxes)?.ip ?? '', containers, runtime: info, rejected: this.rejected.get(uid) },
      new Date(this.clock.now()),
    );
    if (podStatusEqual(base, status)) return status;
    try {
      await this.options.pods.updateStatus({ ...pod, metadata: { ...(pod.metadata as NonNullable<Pod['metadata']>), resourceVersion: '' }, status }, { signal });
      this.lastWritten.set(uid, status);
      this.log.debug({ pod: key(pod), phase: status.phase }, 'pod status written');
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
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
