/**
 * What one pod sync must do, decided from the pod and what the runtime shows, without I/O (the
 * kubelet's computePodActions). The pod syncer executes the plan, then reports status.
 *
 *   no ready sandbox, something still to run ──> new sandbox (attempt + 1); every container
 *                                                 that should run starts (again)
 *   container never started ────────────────────> start attempt 0
 *   running, spec hash unchanged ───────────────> nothing (adopted containers stay untouched)
 *   running, spec hash changed ─────────────────> stop it, start attempt + 1
 *   stopped, restartPolicy wants it again:
 *       backoff not over ───────────────────────> waiting CrashLoopBackOff, sync again when over
 *       backoff over ───────────────────────────> start attempt + 1 (the old one stays for --previous)
 *   stopped, restartPolicy says done ───────────> nothing (kept for logs until the pod goes)
 *   instances older than the previous one ──────> removed
 */
import type { Pod } from '@skiff/api';
import { containerSpecHash, type ContainerStatusInfo, type PodSandbox } from '@skiff/runtime';
import { crashLoopDelayMs, type BackoffSettings } from './backoff';

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
  /** Running containers to stop (their spec changed) before the starts. */
  stopContainers: string[];
  /** Old instances to remove. */
  removeContainers: string[];
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

/** Whether a stopped container runs again under the pod's restart policy. */
export function shouldRestart(restartPolicy: string, instance: Readonly<ContainerStatusInfo>): boolean {
  if (restartPolicy === 'Never') return false;
  if (restartPolicy === 'OnFailure') return instance.state !== 'exited' || (instance.exitCode ?? 1) !== 0;
  return true;
}

/** The newest ready sandbox, if any. */
export function readySandbox(sandboxes: readonly PodSandbox[]): PodSandbox | undefined {
  return sandboxes.filter((s) => s.state === 'ready').sort((a, b) => b.attempt - a.attempt)[0];
}

/** Decides a sync (see the module comment). Pure: `now` is milliseconds since the epoch. */
export function planPodSync(pod: Readonly<Pod>, view: PodRuntimeView, now: number, backoff: BackoffSettings): SyncPlan {
  const restartPolicy = pod.spec?.restartPolicy || 'Always';
  const byName = instancesByName(view.containers);
  const sandbox = readySandbox(view.sandboxes);
  const plan: SyncPlan = { stopContainers: [], removeContainers: [], start: [], waiting: new Map() };
  const requeue = (ms: number) => (plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, ms));

  for (const container of pod.spec?.containers ?? []) {
    const instances = byName.get(container.name) ?? [];
    const current = instances[0];
    if (!current) {
      plan.start.push({ name: container.name, attempt: 0 });
      continue;
    }
    if (current.state === 'running') {
      if (!sandbox) plan.start.push({ name: container.name, attempt: current.attempt + 1 }); // its sandbox is gone
      else if (current.hash && current.hash !== containerSpecHash(container)) {
        plan.stopContainers.push(current.id);
        plan.start.push({ name: container.name, attempt: current.attempt + 1 });
      }
      continue;
    }
    if (!shouldRestart(restartPolicy, current)) continue;
    // A container that never started (its start failed) has no finish time: its backoff counts
    // from its creation, or it would wait a full delay again at every sync and never restart.
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

  for (const [name, instances] of byName) {
    // Keep the current instance and the one before it (for --previous); a restart makes the current one the previous.
    const keep = plan.start.some((s) => s.name === name) ? 1 : 2;
    for (const old of instances.slice(keep)) plan.removeContainers.push(old.id);
  }

  if (!sandbox && plan.start.length > 0) {
    const attempt = view.sandboxes.reduce((max, s) => Math.max(max, s.attempt + 1), 0);
    plan.createSandbox = { attempt };
  } else if (sandbox) plan.sandbox = sandbox;
  return plan;
}

function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}
