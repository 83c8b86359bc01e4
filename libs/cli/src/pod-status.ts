/**
 * The READY, STATUS and RESTARTS columns of a pod, computed as kubectl's printPod does from the
 * phase, the init and app container states, the Initialized/Ready conditions and the deletion
 * timestamp:
 *
 *   init containers first, in order: the first one that has not exited 0 (and is not a started
 *   native sidecar) decides STATUS: Init:<terminated reason> | Init:Signal:N | Init:ExitCode:N |
 *   Init:<waiting reason> | Init:i/n (running, or waiting with no reason / PodInitializing);
 *   then, unless initialising (and the pod is not already Initialized), the app containers from
 *   the last to the first: waiting reason | terminated reason | Signal:N | ExitCode:N;
 *   "Completed" with a container still running becomes Running (pod Ready) or NotReady;
 *   a deletion timestamp on a pod not yet Succeeded/Failed makes it Terminating (NodeLost: Unknown).
 *
 * Native sidecars (init containers with restartPolicy Always) count in READY's total, count as
 * ready once started and ready, and their restarts are in RESTARTS once the pod is initialised.
 */
import { isRestartableInitContainer, type ContainerStatus, type Pod } from '@skiff/api';
import { humanDuration } from './age';

/** What `skiff get pods` shows for one pod. */
export interface PodSummary {
  /** "1/2": ready containers / containers in the spec (app containers plus native sidecars). */
  ready: string;
  /** Pending, Init:0/2, Init:CrashLoopBackOff, PodInitializing, Running, Completed, Error, Terminating, ... */
  status: string;
  /** "3" or "3 (2m ago)" when the last restart's finish time is known. */
  restarts: string;
}

function hasCondition(pod: Readonly<Pod>, type: string): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

function lastFinished(status: ContainerStatus): Date | undefined {
  return status.lastState?.terminated?.finishedAt;
}

function later(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return b > a ? b : a;
}

/** Summarises a pod like kubectl (pure; `now` is for the "(2m ago)" of the last restart). */
export function summarizePod(pod: Readonly<Pod>, now: Date): PodSummary {
  const phase = pod.status?.phase || 'Pending';
  let reason = pod.status?.reason || phase;
  if ((pod.status?.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  const initSpecs = pod.spec?.initContainers ?? [];
  const initByName = new Map(initSpecs.map((c) => [c.name, c]));
  const total = pod.spec ? pod.spec.containers.length + initSpecs.filter(isRestartableInitContainer).length : (pod.status?.containerStatuses.length ?? 0);

  let restarts = 0;
  let lastRestart: Date | undefined;
  let sidecarRestarts = 0;
  let lastSidecarRestart: Date | undefined;
  let readyContainers = 0;
  let initializing = false;
  const initStatuses = pod.status?.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const container = initStatuses[i];
    const spec = initByName.get(container.name);
    const sidecar = spec !== undefined && isRestartableInitContainer(spec);
    restarts += container.restartCount;
    lastRestart = later(lastRestart, lastFinished(container));
    if (sidecar) {
      sidecarRestarts += container.restartCount;
      lastSidecarRestart = later(lastSidecarRestart, lastFinished(container));
    }
    const state = container.state;
    if (state?.terminated && state.terminated.exitCode === 0) continue;
    if (sidecar && container.started) {
      if (container.ready) readyContainers++;
      continue;
    }
    if (state?.terminated) {
      const t = state.terminated;
      reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    } else if (state?.waiting?.reason && state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(pod, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = pod.status?.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i];
      restarts += container.restartCount;
      lastRestart = later(lastRestart, lastFinished(container));
      const state = container.state;
      if (state?.waiting && state.waiting.reason) {
        reason = state.waiting.reason;
      } else if (state?.terminated && state.terminated.reason) {
        reason = state.terminated.reason;
      } else if (state?.terminated) {
        reason = state.terminated.signal ? `Signal:${state.terminated.signal}` : `ExitCode:${state.terminated.exitCode}`;
      } else if (container.ready && state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = hasCondition(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata?.deletionTimestamp && pod.status?.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartText = restarts > 0 && lastRestart ? `${restarts} (${humanDuration(now.getTime() - lastRestart.getTime())} ago)` : String(restarts);
  return { ready: `${readyContainers}/${total}`, status: reason, restarts: restartText };
}
