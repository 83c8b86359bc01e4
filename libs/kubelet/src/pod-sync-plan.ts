/**
 * What one pod sync must do, decided from the pod and what the runtime shows, without I/O (the
 * kubelet's computePodActions and computeInitContainerActions). The pod syncer executes the plan,
 * then reports status.
 *
 *   no ready sandbox (lost, or not made yet) ──> whatever still runs is stopped (cut off from the
 *                                                pod's network); a new sandbox (attempt + 1) if
 *                                                anything is to start. restartPolicy Never, once
 *                                                containers ran: nothing starts again, no sandbox
 *       with init containers ─────────────────> the first init container starts (initialization
 *                                                starts over in a new sandbox), unless the app
 *                                                containers ran and none is to run again
 *   init containers (ready sandbox; only instances in it count) ─ see planInit:
 *       one at a time, in order, each to exit 0; a failed one restarts with the crash-loop
 *       backoff, or under restartPolicy Never fails the pod (killPod); a native sidecar
 *       (restartPolicy Always) counts as done once it runs and its startup probe passed, keeps
 *       running, and restarts whenever it exits (also its definition changed, or a failed
 *       liveness or startup probe); app containers are looked at only once initialization is done
 *   container never created ──────────────────> start attempt 0
 *   created, never started (kubelet stopped) ─> removed and made again with the same attempt
 *   running in the ready sandbox, same spec ──> nothing (adopted containers stay untouched)
 *   running, spec hash changed ───────────────> stop it, start attempt + 1
 *   running, its liveness or startup probe failed (`unhealthy`) ─> stop it (grace: the probe's
 *       terminationGracePeriodSeconds, else the pod's); unless restartPolicy is Never, start
 *       attempt + 1 now, or, when a crash-loop backoff applies, wait as for a crash
 *   running, its sandbox lost ────────────────> (stopped, above) start attempt + 1 in the new sandbox
 *   exited (it ran, or its start failed), and restartPolicy wants it again:
 *       backoff not over ─────────────────────> waiting CrashLoopBackOff, sync again when over
 *       backoff over ─────────────────────────> start attempt + 1
 *   exited, restartPolicy says done ──────────> nothing (a Completed container is not re-run,
 *                                                even in a new sandbox)
 *   no app container runs or is to run again ─> killPod: the sidecars still running are stopped
 *                                                (after the app containers, in reverse order:
 *                                                terminationPrerequisites) and none restarts
 *   garbage ──────────────────────────────────> per container, the current instance and the one
 *       before it are kept (lastState, logs --previous; a restart makes the current one the
 *       previous), older ones removed; then sandboxes not ready, not the newest and joined by
 *       no kept container are removed.
 *
 * Stopped instances are never removed by the sync that stops them, so restartCount (the attempt)
 * keeps counting and lastState shows how the previous instance ended across sandbox changes.
 */
import { isRestartableInitContainer, type Container, type Pod } from '@skiff/api';
import { containerSpecHash, type ContainerStatusInfo, type PodSandbox } from '@skiff/runtime';
import { crashLoopDelayMs, type BackoffSettings } from './backoff';
import { definitionChangedMessage, formatPod, killingMessage, probeKillMessage } from './kubelet-events';

/** The pod's objects in the runtime. */
export interface PodRuntimeView {
  sandboxes: readonly PodSandbox[];
  /** Every container instance of the pod (init and app), any state. */
  containers: readonly ContainerStatusInfo[];
}

export interface ContainerStart {
  name: string;
  attempt: number;
}

export interface SyncPlan {
  /** Create a sandbox with this attempt (the pod has no ready one). */
  createSandbox?: { attempt: number };
  /** The ready sandbox to start containers in (when not creating one). */
  sandbox?: PodSandbox;
  /** Running containers to stop (their spec changed, or their sandbox is lost) before the starts; they are kept. */
  stopContainers: string[];
  /** Why each of stopContainers is stopped (the Killing event's message), by container id. */
  stopMessages: Map<string, string>;
  /** A grace period other than the pod's for some of stopContainers (a failed probe's), by container id. */
  stopGraceSeconds: Map<string, number>;
  /** Container instances to remove (garbage, or never started and made again). */
  removeContainers: string[];
  /** Sandboxes to remove (after removeContainers): not ready and no kept container joined them. */
  removeSandboxes: string[];
  /**
   * Init containers to create and start, in spec order, before `start`. Only the last one may be
   * a regular (run to completion) one: nothing after it starts before it exits 0.
   */
  startInit: ContainerStart[];
  /** App containers to create and start, in spec order. */
  start: ContainerStart[];
  /** Waiting reasons decided here (CrashLoopBackOff), by container name (init or app). */
  waiting: Map<string, { reason: string; message: string }>;
  /** Sync again after this long (a backoff ends); undefined: no timed wait. */
  requeueAfterMs?: number;
  /**
   * Kubernetes' KillPod: nothing is to run any more (every app container is done, or an init
   * container failed under restartPolicy Never). What still runs (sidecars) is in stopContainers.
   */
  killPod: boolean;
}

/** The container of the pod spec with this name (app or init), and which kind it is. */
export function podContainer(pod: Readonly<Pod>, name: string): { container: Readonly<Container>; kind: 'app' | 'init' | 'sidecar' } | undefined {
  const app = pod.spec?.containers.find((c) => c.name === name);
  if (app) return { container: app, kind: 'app' };
  const init = pod.spec?.initContainers?.find((c) => c.name === name);
  return init && { container: init, kind: isRestartableInitContainer(init) ? 'sidecar' : 'init' };
}

/** Instances of each container name, newest (highest attempt) first. */
export function instancesByName(containers: readonly ContainerStatusInfo[]): Map<string, ContainerStatusInfo[]> {
  const byName = new Map<string, ContainerStatusInfo[]>();
  for (const c of containers) {
    const list = byName.get(c.name) ?? [];
    list.push(c);
    byName.set(c.name, list);
  }
  for (const list of byName.values()) list.sort((a, b) => b.attempt - a.attempt);
  return byName;
}

/**
 * Whether the container runs again under the pod's restart policy, given its newest instance
 * (Kubernetes' ShouldContainerBeRestarted): never while it runs; always when it never started
 * (created, unknown); for an exited one, Never says no, OnFailure only after a failure (a start
 * that failed is one: exit code 128), Always yes.
 */
export function shouldRestart(restartPolicy: string, instance: Readonly<ContainerStatusInfo>): boolean {
  if (instance.state === 'running') return false;
  if (instance.state !== 'exited') return true;
  if (restartPolicy === 'Never') return false;
  if (restartPolicy === 'OnFailure') return (instance.exitCode ?? 1) !== 0;
  return true;
}

/**
 * The restart policy that applies to one container: a sidecar's is Always; a regular init
 * container's is the pod's, Always acting as OnFailure (one that exited 0 is done).
 */
export function effectiveRestartPolicy(podPolicy: string, kind: 'app' | 'init' | 'sidecar'): string {
  if (kind === 'sidecar') return 'Always';
  if (kind === 'init') return podPolicy === 'Never' ? 'Never' : 'OnFailure';
  return podPolicy || 'Always';
}

/** The newest ready sandbox, if any. */
export function readySandbox(sandboxes: readonly PodSandbox[]): PodSandbox | undefined {
  return sandboxes.filter((s) => s.state === 'ready').sort((a, b) => b.attempt - a.attempt)[0];
}

/**
 * The grace period of a container killed because its liveness or startup probe failed (the
 * kubelet's setTerminationGracePeriod): the pod's deletion grace period when it is being deleted,
 * else the probe's terminationGracePeriodSeconds, else the pod's (default 30).
 */
export function probeKillGraceSeconds(pod: Readonly<Pod>, container: Readonly<Container>, kind: 'liveness' | 'startup'): number {
  const deletion = pod.metadata?.deletionGracePeriodSeconds;
  if (deletion !== undefined && deletion !== null) return Number(deletion);
  const probe = kind === 'liveness' ? container.livenessProbe : container.startupProbe;
  return Number(probe?.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
}

/**
 * When containers of the pod stop together (the pod terminates, or killPod), which ones each must
 * wait for before it gets SIGTERM (Kubernetes' terminationOrdering): app containers and regular
 * init containers none; a sidecar every app container and every sidecar after it in the spec,
 * among `stopping` (the names being stopped; others have exited already). PreStop hooks are not
 * ordered: they all run at once.
 */
export function terminationPrerequisites(pod: Readonly<Pod>, stopping: readonly string[]): Map<string, string[]> {
  const names = new Set(stopping);
  const apps = (pod.spec?.containers ?? []).map((c) => c.name).filter((n) => names.has(n));
  const sidecars = (pod.spec?.initContainers ?? []).filter(isRestartableInitContainer).map((c) => c.name);
  const out = new Map<string, string[]>();
  for (const name of stopping) {
    const i = sidecars.indexOf(name);
    out.set(name, i < 0 ? [] : [...apps, ...sidecars.slice(i + 1).filter((n) => names.has(n))]);
  }
  return out;
}

interface PlanContext {
  pod: Readonly<Pod>;
  plan: SyncPlan;
  byName: Map<string, ContainerStatusInfo[]>;
  now: number;
  backoff: BackoffSettings;
  unhealthy: ReadonlyMap<string, 'liveness' | 'startup'>;
  notStarted: ReadonlySet<string>;
  inReadySandbox: (c: ContainerStatusInfo) => boolean;
  stop: (c: ContainerStatusInfo, message: string) => void;
  requeue: (ms: number) => void;
}

/**
 * Decides a sync (see the module comment). Pure: `now` is milliseconds since the epoch;
 * `unhealthy` names the running instances whose liveness or startup probe failed (by id);
 * `notStarted` the running instances whose startup probe has not succeeded yet (a sidecar counts
 * as started, letting the next init container start, only once it has).
 */
export function planPodSync(
  pod: Readonly<Pod>,
  view: PodRuntimeView,
  now: number,
  backoff: BackoffSettings,
  unhealthy: ReadonlyMap<string, 'liveness' | 'startup'> = new Map(),
  notStarted: ReadonlySet<string> = new Set(),
): SyncPlan {
  const restartPolicy = pod.spec?.restartPolicy || 'Always';
  const byName = instancesByName(view.containers);
  const sandbox = readySandbox(view.sandboxes);
  const plan: SyncPlan = {
    stopContainers: [],
    stopMessages: new Map(),
    stopGraceSeconds: new Map(),
    removeContainers: [],
    removeSandboxes: [],
    startInit: [],
    start: [],
    waiting: new Map(),
    killPod: false,
  };
  const requeue = (ms: number) => (plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, ms));
  // A container joined the sandbox it was created in ('' when the runtime cannot tell: assume the ready one).
  const inReadySandbox = (c: ContainerStatusInfo) => !!sandbox && (!c.sandboxId || c.sandboxId === sandbox.id);

  const stop = (c: ContainerStatusInfo, message: string) => {
    if (plan.stopMessages.has(c.id)) return;
    plan.stopContainers.push(c.id);
    plan.stopMessages.set(c.id, message);
  };
  for (const c of view.containers) if (c.state === 'running' && !inReadySandbox(c)) stop(c, killingMessage(c.name));
  const ctx: PlanContext = { pod, plan, byName, now, backoff, unhealthy, notStarted, inReadySandbox, stop, requeue };
  const inits = pod.spec?.initContainers ?? [];
  const apps = pod.spec?.containers ?? [];
  // Never: containers exist, so a sandbox was lost (killed, or removed with the others left):
  // what ran in it is done; nothing starts again.
  const done = !sandbox && restartPolicy === 'Never' && view.containers.length > 0;

  // Every app container ran and is done under the restart policy: stop the sidecars, start nothing.
  const appsDone = apps.length > 0 && apps.every((c) => {
    const i = byName.get(c.name)?.[0];
    return !!i && i.state === 'exited' && !shouldRestart(restartPolicy, i);
  });
  if (done) {
    // nothing starts
  } else if (sandbox && inits.length > 0 && appsDone) {
    plan.killPod = true;
    stopEverything(ctx);
  } else if (!sandbox && inits.length > 0) {
    // A new sandbox starts initialization over, unless the app containers ran (initialized
    // before) and none of them is to run again.
    const newest = apps.map((c) => byName.get(c.name)?.[0]);
    const initialized = newest.some((i) => !!i && i.state !== 'unknown');
    const again = newest.filter((i) => !(restartPolicy === 'OnFailure' && i?.state === 'exited' && i.exitCode === 0));
    if (!initialized || again.length > 0) startInitContainer(ctx, inits[0]);
  } else if (!sandbox || planInit(ctx)) {
    planApps(ctx, restartPolicy, apps);
    if (sandbox) planKillPod(ctx, apps);
  }

  const removed = new Set(plan.removeContainers);
  for (const [name, instances] of byName) {
    const keep = plan.start.some((s) => s.name === name) || plan.startInit.some((s) => s.name === name) ? 1 : 2;
    for (const old of instances.filter((i) => !removed.has(i.id)).slice(keep)) plan.removeContainers.push(old.id);
  }

  if (!sandbox && (plan.start.length > 0 || plan.startInit.length > 0)) {
    const attempt = view.sandboxes.reduce((max, s) => Math.max(max, s.attempt + 1), 0);
    plan.createSandbox = { attempt };
  } else if (sandbox) plan.sandbox = sandbox;

  const gone = new Set(plan.removeContainers);
  const joined = new Set(view.containers.filter((c) => !gone.has(c.id)).map((c) => c.sandboxId));
  const newest = Math.max(...view.sandboxes.map((s) => s.attempt));
  for (const s of view.sandboxes) {
    if (s.state !== 'ready' && s.attempt !== newest && !joined.has(s.id)) plan.removeSandboxes.push(s.id);
  }
  return plan;
}

/**
 * The app containers (the module comment's per-container rules). Every start is pushed to
 * plan.start; a crash-looping one waits.
 */
function planApps(ctx: PlanContext, restartPolicy: string, apps: readonly Container[]): void {
  const { pod, plan, byName, now, backoff, unhealthy, inReadySandbox, stop } = ctx;
  for (const container of apps) {
    const current = byName.get(container.name)?.[0];
    if (!current) {
      plan.start.push({ name: container.name, attempt: 0 });
      continue;
    }
    if (current.state === 'created') {
      plan.removeContainers.push(current.id);
      plan.start.push({ name: container.name, attempt: current.attempt });
      continue;
    }
    if (current.state === 'running') {
      if (!inReadySandbox(current)) plan.start.push({ name: container.name, attempt: current.attempt + 1 });
      else if (current.hash && current.hash !== containerSpecHash(container)) {
        stop(current, definitionChangedMessage(container.name));
        plan.start.push({ name: container.name, attempt: current.attempt + 1 });
      } else if (unhealthy.has(current.id)) {
        const kind = unhealthy.get(current.id)!;
        const restart = restartPolicy !== 'Never';
        stop(current, probeKillMessage(container.name, kind, restart));
        plan.stopGraceSeconds.set(current.id, probeKillGraceSeconds(pod, container, kind));
        // Restarted as if it had crashed now: at once the first time, later after the backoff
        // (the sync its exit causes shows CrashLoopBackOff then).
        const delay = crashLoopDelayMs({ restartCount: current.attempt, startedAt: current.startedAt, finishedAt: new Date(now) }, now, backoff);
        if (restart && delay === 0) plan.start.push({ name: container.name, attempt: current.attempt + 1 });
      }
      continue;
    }
    if (!shouldRestart(restartPolicy, current)) continue;
    restartAfterBackoff(ctx, container.name, current, plan.start);
  }
}

/** Starts the exited `current`'s next attempt now, or records CrashLoopBackOff and requeues when its backoff is not over. */
function restartAfterBackoff(ctx: PlanContext, name: string, current: ContainerStatusInfo, list: ContainerStart[]): void {
  const { pod, plan, now, backoff, requeue } = ctx;
  const finishedAt = current.finishedAt ?? current.createdAt;
  const delay = crashLoopDelayMs({ restartCount: current.attempt, startedAt: current.startedAt, finishedAt }, now, backoff);
  if (delay > 0) {
    plan.waiting.set(name, {
      reason: 'CrashLoopBackOff',
      message: `back-off ${formatDuration(delay)} restarting failed container=${name} pod=${formatPod(pod)}`,
    });
    requeue(delay);
    return;
  }
  list.push({ name, attempt: current.attempt + 1 });
}

/**
 * Pushes an init container's next start to plan.startInit: attempt 0 when it never ran; a
 * created-never-started instance is made again; one running elsewhere (being stopped) restarts
 * at once; an exited one after its crash-loop backoff.
 */
function startInitContainer(ctx: PlanContext, container: Readonly<Container>): void {
  const { plan } = ctx;
  if (plan.startInit.some((s) => s.name === container.name)) return;
  const current = ctx.byName.get(container.name)?.[0];
  if (!current) plan.startInit.push({ name: container.name, attempt: 0 });
  else if (current.state === 'created') {
    plan.removeContainers.push(current.id);
    plan.startInit.push({ name: container.name, attempt: current.attempt });
  } else if (current.state === 'running') plan.startInit.push({ name: container.name, attempt: current.attempt + 1 });
  else restartAfterBackoff(ctx, container.name, current, plan.startInit);
}

/**
 * The init containers in a ready sandbox (Kubernetes' computeInitContainerActions, walking the
 * list backwards from the last one that ran here); returns whether the pod is initialized (app
 * containers may run). Only instances in the ready sandbox count: a new sandbox starts over.
 * An app container created or running here means initialization was done (init containers
 * removed since are not re-run, except sidecars, which are restarted).
 */
function planInit(ctx: PlanContext): boolean {
  const { pod, plan, byName, unhealthy, notStarted, inReadySandbox, stop } = ctx;
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return true;
  const restartOnFailure = (pod.spec?.restartPolicy || 'Always') !== 'Never';
  let initialized = (pod.spec?.containers ?? []).some((c) => {
    const i = byName.get(c.name)?.[0];
    return !!i && inReadySandbox(i) && (i.state === 'created' || i.state === 'running');
  });
  let previouslyInitialized = initialized;
  const toStart: number[] = [];
  const last = inits.length - 1;
  const kill = (i: ContainerStatusInfo, message: string, probe?: 'liveness' | 'startup') => {
    stop(i, message);
    if (probe) plan.stopGraceSeconds.set(i.id, probeKillGraceSeconds(pod, inits.find((c) => c.name === i.name)!, probe));
  };
  for (let i = last; i >= 0; i--) {
    const container = inits[i];
    const newest = byName.get(container.name)?.[0];
    const here = newest && inReadySandbox(newest) ? newest : undefined;
    const sidecar = isRestartableInitContainer(container);
    if (!here) {
      if (previouslyInitialized && sidecar) toStart.push(i);
      continue;
    }
    if (previouslyInitialized && !sidecar) continue;
    switch (here.state) {
      case 'created':
        toStart.push(i);
        break;
      case 'running':
        if (!sidecar) break; // wait for it to exit
        if (notStarted.has(here.id)) {
          if (unhealthy.get(here.id) === 'startup') {
            kill(here, `Init container ${container.name} failed startup probe`, 'startup');
            toStart.push(i);
          }
          break;
        }
        if (i === last) initialized = true;
        else if (!previouslyInitialized) toStart.push(i + 1);
        if (here.hash && here.hash !== containerSpecHash(container)) {
          kill(here, `Init container ${container.name} definition changed`);
          toStart.push(i);
        } else if (unhealthy.get(here.id) === 'liveness') {
          kill(here, `Init container ${container.name} failed liveness probe`, 'liveness');
          toStart.push(i);
        }
        break;
      case 'exited':
        if (sidecar) toStart.push(i);
        else if ((here.exitCode ?? 1) !== 0) {
          if (!restartOnFailure) {
            plan.killPod = true;
            stopEverything(ctx);
            return false;
          }
          toStart.push(i);
        } else if (i === last) initialized = true;
        else toStart.push(i + 1);
        break;
      default:
        // unknown: stop it and run it again (a regular one only if the policy restarts failures)
        if (!sidecar && !restartOnFailure) {
          plan.killPod = true;
          stopEverything(ctx);
          return false;
        }
        kill(here, `Init container is in "${here.state}" state, try killing it`);
        toStart.push(i);
    }
    previouslyInitialized = true;
  }
  if (!previouslyInitialized) toStart.push(0);
  for (const i of toStart.sort((a, b) => a - b)) startInitContainer(ctx, inits[i]);
  return initialized;
}

/**
 * killPod when no app container runs in the ready sandbox (and stays) and none is to run again
 * (to start, backing off, or killed by a probe to restart): the sidecars are stopped and none
 * is restarted.
 */
function planKillPod(ctx: PlanContext, apps: readonly Container[]): void {
  const { plan, byName, inReadySandbox, unhealthy } = ctx;
  if ((ctx.pod.spec?.initContainers ?? []).length === 0) return;
  const restartPolicy = ctx.pod.spec?.restartPolicy || 'Always';
  const live = apps.some((c) => {
    const i = byName.get(c.name)?.[0];
    if (plan.start.some((s) => s.name === c.name) || plan.waiting.has(c.name)) return true;
    if (!i || i.state !== 'running' || !inReadySandbox(i)) return false;
    return !plan.stopMessages.has(i.id) || (unhealthy.has(i.id) && restartPolicy !== 'Never');
  });
  if (live) return;
  plan.killPod = true;
  stopEverything(ctx);
}

/** killPod: nothing (re)starts; every running instance is stopped. */
function stopEverything(ctx: PlanContext): void {
  const { plan, byName } = ctx;
  for (const name of [...plan.waiting.keys()]) if (podContainer(ctx.pod, name)?.kind !== 'app') plan.waiting.delete(name);
  plan.startInit = [];
  plan.start = [];
  for (const instances of byName.values()) for (const i of instances) if (i.state === 'running') ctx.stop(i, killingMessage(i.name));
}

function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}
