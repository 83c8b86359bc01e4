/**
 * A runtime container status as the Kubernetes ContainerState the pod status shows:
 *   running            -> running { startedAt }
 *   exited             -> terminated { exitCode, reason (OOMKilled | Completed | Error | StartError), message, times, containerID }
 *   created / unknown  -> waiting { reason ContainerCreating }
 * Waiting reasons that depend on the kubelet's history (CrashLoopBackOff, ImagePullBackOff)
 * are the kubelet's to set, not this mapping's.
 */
import type { ContainerState } from '@skiff/api';
import type { ContainerStatusInfo } from './runtime';

/** The container id as Kubernetes prints it: "<runtime>://<id>". */
export function containerIdUri(runtime: string, id: string): string {
  return `${runtime}://${id}`;
}

/** Maps a status to a ContainerState (see the module comment); `runtime` prefixes the container id. */
export function toContainerState(status: Readonly<ContainerStatusInfo>, runtime = 'docker'): ContainerState {
  switch (status.state) {
    case 'running':
      return { running: { startedAt: status.startedAt } };
    case 'exited':
      return {
        terminated: {
          exitCode: status.exitCode ?? 0,
          signal: 0,
          reason: status.reason ?? (status.exitCode === 0 ? 'Completed' : 'Error'),
          message: status.message ?? '',
          startedAt: status.startedAt,
          finishedAt: status.finishedAt,
          containerID: containerIdUri(runtime, status.id),
        },
      };
    default:
      return { waiting: { reason: 'ContainerCreating', message: '' } };
  }
}
