/**
 * The READY, STATUS and RESTARTS columns of a pod, computed as kubectl's printPod does from the
 * phase, the container states and the deletion timestamp.
 */
import type { Pod } from '@skiff/api';
import { humanDuration } from './age';

/** What `skiff get pods` shows for one pod. */
export interface PodSummary {
  /** "1/2": ready containers / containers in the spec. */
  ready: string;
  /** Pending, ContainerCreating, Running, Completed, Error, CrashLoopBackOff, Terminating, ... */
  status: string;
  /** "3" or "3 (2m ago)" when the last restart's finish time is known. */
  restarts: string;
}

/** Summarises a pod like kubectl (pure; `now` is for the "(2m ago)" of the last restart). */
export function summarizePod(pod: Readonly<Pod>, now: Date): PodSummary {
  const statuses = pod.status?.containerStatuses ?? [];
  let reason = pod.status?.reason || pod.status?.phase || 'Pending';
  let restarts = 0;
  let readyContainers = 0;
  let hasRunning = false;
  let lastRestart: Date | undefined;
  for (let i = statuses.length - 1; i >= 0; i--) {
    const container = statuses[i];
    restarts += container.restartCount;
    const finished = container.lastState?.terminated?.finishedAt;
    if (finished && (!lastRestart || finished > lastRestart)) lastRestart = finished;
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
  if (reason === 'Completed' && hasRunning) {
    const ready = pod.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
    reason = ready ? 'Running' : 'NotReady';
  }
  if (pod.metadata?.deletionTimestamp) {
    reason = pod.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  }
  const total = pod.spec?.containers.length ?? statuses.length;
  const restartText = restarts > 0 && lastRestart ? `${restarts} (${humanDuration(now.getTime() - lastRestart.getTime())} ago)` : String(restarts);
  return { ready: `${readyContainers}/${total}`, status: reason, restarts: restartText };
}
