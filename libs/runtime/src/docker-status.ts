/**
 * Pure mapping of what dockerd reports (container list summaries, inspect results) to the
 * runtime's types. Only containers with complete Skiff labels map; others give undefined.
 */
import { parseLabels } from './labels';
import type { ContainerInfo, ContainerStateName, ContainerStatusInfo, PodSandbox, PortMapping } from './runtime';

/** The fields of a list-containers summary Skiff reads. */
export interface DockerSummary {
  Id: string;
  Image: string;
  Labels?: Record<string, string>;
  State: string;
  Created: number;
  Ports?: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
}

/** The fields of an inspect result Skiff reads. */
export interface DockerInspect {
  Id: string;
  Created: string;
  Image: string;
  Config: { Image: string; Labels?: Record<string, string> };
  State: {
    Status: string;
    Running: boolean;
    OOMKilled: boolean;
    ExitCode: number;
    Error?: string;
    StartedAt?: string;
    FinishedAt?: string;
  };
}

/** Docker's state names -> the runtime's. */
export function stateName(status: string): ContainerStateName {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
    case 'removing':
      return 'exited';
    default:
      return 'unknown';
  }
}

/** Docker's zero time ("0001-01-01T00:00:00Z") and empty strings mean "never". */
export function dockerTime(value: string | undefined): Date | undefined {
  if (!value || value.startsWith('0001-')) return undefined;
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

function protocolOf(type: string): 'TCP' | 'UDP' {
  return type.toLowerCase() === 'udp' ? 'UDP' : 'TCP';
}

/** A sandbox from its list summary; the IP is the first network's address ('' when not running). */
export function sandboxFromSummary(s: DockerSummary): PodSandbox | undefined {
  const labels = parseLabels(s.Labels);
  if (labels?.kind !== 'sandbox') return undefined;
  const running = stateName(s.State) === 'running';
  const networks = Object.values(s.NetworkSettings?.Networks ?? {});
  const ip = running ? (networks.find((n) => n.IPAddress)?.IPAddress ?? '') : '';
  const ports: PortMapping[] = [];
  for (const p of s.Ports ?? []) {
    if (!p.PublicPort || (p.IP && p.IP.includes(':'))) continue; // unpublished, or the IPv6 twin
    ports.push({ containerPort: p.PrivatePort, protocol: protocolOf(p.Type), hostIP: p.IP ?? '', hostPort: p.PublicPort });
  }
  ports.sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
  return {
    id: s.Id,
    pod: labels.pod,
    node: labels.node,
    attempt: labels.attempt,
    state: running ? 'ready' : 'notready',
    ip,
    hostIP: ports[0]?.hostIP ?? '',
    ports,
    createdAt: new Date(s.Created * 1000),
  };
}

/** An app container from its list summary. */
export function containerInfoFromSummary(s: DockerSummary): ContainerInfo | undefined {
  const labels = parseLabels(s.Labels);
  if (labels?.kind !== 'container') return undefined;
  return {
    id: s.Id,
    pod: labels.pod,
    name: labels.containerName,
    attempt: labels.attempt,
    hash: labels.hash,
    image: s.Image,
    state: stateName(s.State),
    createdAt: new Date(s.Created * 1000),
  };
}

/**
 * An app container's status from inspect. Reason for an exited container: OOMKilled when the
 * OOM killer ended it, else Completed for exit 0 and Error otherwise; a container that never
 * started but has an error is ContainerCannotRun.
 */
export function containerStatusFromInspect(i: DockerInspect): ContainerStatusInfo | undefined {
  const labels = parseLabels(i.Config.Labels);
  if (labels?.kind !== 'container') return undefined;
  const state = stateName(i.State.Status);
  const startedAt = dockerTime(i.State.StartedAt);
  const status: ContainerStatusInfo = {
    id: i.Id,
    pod: labels.pod,
    name: labels.containerName,
    attempt: labels.attempt,
    restartCount: labels.attempt,
    hash: labels.hash,
    image: i.Config.Image,
    imageId: i.Image,
    state,
    createdAt: dockerTime(i.Created) ?? new Date(0),
    oomKilled: i.State.OOMKilled,
    startedAt,
  };
  if (i.State.Error) status.message = i.State.Error;
  if (state === 'exited') {
    status.exitCode = i.State.ExitCode;
    status.finishedAt = dockerTime(i.State.FinishedAt);
    status.reason = i.State.OOMKilled ? 'OOMKilled' : i.State.ExitCode === 0 ? 'Completed' : 'Error';
  } else if (state === 'created' && i.State.Error) {
    status.reason = 'ContainerCannotRun';
  }
  return status;
}
