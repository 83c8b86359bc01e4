/**
 * What one pod sync must do, decided from the pod and what the runtime shows, without I/O (the
 * kubelet's computePodActions). The pod syncer executes the plan, then reports status.
 *
 *   no ready sandbox (lost, or not made yet) ──> whatever still runs is stopped (cut off from the
 *                                                pod's network); a new sandbox (attempt + 1) if
 *                                                anything is to start. restartPolicy Never, once
 *                                                containers ran: nothing starts again, no sandbox
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
 *   garbage ──────────────────────────────────> per container, the current instance and the one
 *       before it are kept (lastState, logs --previous; a restart makes the current one the
 *       previous), older ones removed; then sandboxes not ready, not the newest and joined by
 *       no kept container are removed.
 *
 * Stopped instances are never removed by the sync that stops them, so restartCount (the attempt)
 * keeps counting and lastState shows how the previous instance ended across sandbox changes.
 */
import type { Container, Pod } from '@skiff/api';
import { containerSpecHash, type ContainerStatusInfo, type PodSandbox } from '@skiff/runtime';
import { crashLoopDelayMs, type BackoffSettings } from './backoff';
import { definitionChangedMessage, killingMessage, probeKillMessage } from './kubelet-events';

/** The pod's objects in the runtime. */
export interface PodRuntimeView {
  sandboxes: readonly PodSandbox[];
  /** Every app container instance of the pod, any state. */
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
  /** Containers to create and start, in spec order. */
  start: ContainerStart[];
  /** Waiting reasons decided here (CrashLoopBackOff), by container name. */
  waiting: Map<string, { reason: string; message: string }>;
  /** Sync again after this long (a backoff ends); undefined: no timed wait. */
  requeueAfterMs?: number;
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
 * Decides a sync (see the module comment). Pure: `now` is milliseconds since the epoch;
 * `unhealthy` names the running instances whose liveness or startup probe failed (by id).
 */
export function planPodSync(
  pod: Readonly<Pod>,
  view: PodRuntimeView,
  now: number,
  backoff: BackoffSettings,
  unhealthy: ReadonlyMap<string, 'liveness' | 'startup'> = new Map(),
): SyncPlan {
  const restartPolicy = pod.spec?.restartPolicy || 'Always';
  const byName = instancesByName(view.containers);
  const sandbox = readySandbox(view.sandboxes);
  const plan: SyncPlan = { stopContainers: [], stopMessages: new Map(), stopGraceSeconds: new Map(), removeContainers: [], removeSandboxes: [], start: [], waiting: new Map() };
  const requeue = (ms: number) => (plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, ms));
  // A container joined the sandbox it was created in ('' when the runtime cannot tell: assume the ready one).
  const inReadySandbox = (c: ContainerStatusInfo) => !!sandbox && (!c.sandboxId || c.sandboxId === sandbox.id);

  const stop = (c: ContainerStatusInfo, message: string) => {
    plan.stopContainers.push(c.id);
    plan.stopMessages.set(c.id, message);
  };
  for (const c of view.containers) if (c.state === 'running' && !inReadySandbox(c)) stop(c, killingMessage(c.name));
  // Never: containers exist, so a sandbox was lost (killed, or removed with the others left):
  // what ran in it is done; nothing starts again.
  const done = !sandbox && restartPolicy === 'Never' && view.containers.length > 0;

  for (const container of done ? [] : (pod.spec?.containers ?? [])) {
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
    const finishedAt = current.finishedAt ?? current.createdAt;
    const delay = crashLoopDelayMs({ restartCount: current.attempt, startedAt: current.startedAt, finishedAt }, now, backoff);
    if (delay > 0) {
      plan.waiting.set(container.name, {
        reason: 'CrashLoopBackOff',
        message: `back-off ${formatDuration(delay)} restarting failed container=${container.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`,
      });
      requeue(delay);
      continue;
    }
    plan.start.push({ name: container.name, attempt: current.attempt + 1 });
  }

  const removed = new Set(plan.removeContainers);
  for (const [name, instances] of byName) {
    const keep = plan.start.some((s) => s.name === name) ? 1 : 2;
    for (const old of instances.filter((i) => !removed.has(i.id)).slice(keep)) plan.removeContainers.push(old.id);
  }

  if (!sandbox && plan.start.length > 0) {
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

function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}
