/**
 * Pure mapping of what dockerd reports (container list summaries, inspect results) to the
 * runtime's types. Only containers with complete Skiff labels map; others give undefined.
 */
import { parseLabels, type ParsedLabels } from './labels';
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
  HostConfig?: { NetworkMode?: string };
}

/** The fields of an inspect result Skiff reads. */
export interface DockerInspect {
  Id: string;
  Created: string;
  Image: string;
  Config: { Image: string; Labels?: Record<string, string> };
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: {
    Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null>;
    Networks?: Record<string, { IPAddress?: string }>;
  };
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

/** The exit code and reason of a container whose start failed, as containerd's CRI reports them. */
export const START_ERROR = { exitCode: 128, reason: 'StartError' } as const;

/** The sandbox an app container joined: its network mode is `container:<sandbox id>`; '' otherwise. */
export function sandboxIdOf(networkMode: string | undefined): string {
  return networkMode?.startsWith('container:') ? networkMode.slice('container:'.length) : '';
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

/** A sandbox from what Docker says of it (list summary or inspect, see below). */
function sandboxOf(
  id: string,
  labels: Extract<ParsedLabels, { kind: 'sandbox' }>,
  running: boolean,
  networks: readonly { IPAddress?: string }[],
  published: readonly PortMapping[],
  createdAt: Date,
): PodSandbox {
  // Unpublished ports and the IPv6 twins of published ones are left out.
  const ports = published.filter((p) => p.hostPort > 0 && !p.hostIP.includes(':'));
  ports.sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
  return {
    id,
    pod: labels.pod,
    node: labels.node,
    attempt: labels.attempt,
    state: running ? 'ready' : 'notready',
    ip: running ? (networks.find((n) => n.IPAddress)?.IPAddress ?? '') : '',
    hostIP: ports[0]?.hostIP ?? '',
    ports,
    createdAt,
  };
}

/** A sandbox from its list summary; the IP is the first network's address ('' when not running). */
export function sandboxFromSummary(s: DockerSummary): PodSandbox | undefined {
  const labels = parseLabels(s.Labels);
  if (labels?.kind !== 'sandbox') return undefined;
  const ports = (s.Ports ?? []).map((p) => ({ containerPort: p.PrivatePort, protocol: protocolOf(p.Type), hostIP: p.IP ?? '', hostPort: p.PublicPort ?? 0 }));
  return sandboxOf(s.Id, labels, stateName(s.State) === 'running', Object.values(s.NetworkSettings?.Networks ?? {}), ports, new Date(s.Created * 1000));
}

/**
 * A sandbox from inspect, as sandboxFromSummary. Inspect is what to trust for its state: right
 * after a sandbox dies, dockerd's listing can still show it running.
 */
export function sandboxFromInspect(i: DockerInspect): PodSandbox | undefined {
  const labels = parseLabels(i.Config.Labels);
  if (labels?.kind !== 'sandbox') return undefined;
  const ports: PortMapping[] = [];
  for (const [key, bindings] of Object.entries(i.NetworkSettings?.Ports ?? {})) {
    const [port, type = 'tcp'] = key.split('/');
    for (const b of bindings ?? []) ports.push({ containerPort: Number(port), protocol: protocolOf(type), hostIP: b.HostIp ?? '', hostPort: Number(b.HostPort ?? 0) });
  }
  const running = stateName(i.State.Status) === 'running';
  return sandboxOf(i.Id, labels, running, Object.values(i.NetworkSettings?.Networks ?? {}), ports, dockerTime(i.Created) ?? new Date(0));
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
    sandboxId: sandboxIdOf(s.HostConfig?.NetworkMode),
  };
}

/**
 * An app container's status from inspect. Reason for an exited container: OOMKilled when the
 * OOM killer ended it, else Completed for exit 0 and Error otherwise. A container whose start
 * failed (Docker leaves it "created" with the error, exit code 127 for a missing command) is
 * exited with exit code 128 and reason StartError, the error as its message, as Kubernetes shows
 * it; Docker records no time for the failure, so its finish time is its creation time (the
 * kubelet starts a container right after creating it).
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
    sandboxId: sandboxIdOf(i.HostConfig?.NetworkMode),
    oomKilled: i.State.OOMKilled,
    startedAt,
  };
  if (i.State.Error) status.message = i.State.Error;
  if (state === 'exited') {
    status.exitCode = i.State.ExitCode;
    status.finishedAt = dockerTime(i.State.FinishedAt);
    status.reason = i.State.OOMKilled ? 'OOMKilled' : i.State.ExitCode === 0 ? 'Completed' : 'Error';
  } else if (state === 'created' && i.State.Error) {
    status.state = 'exited';
    status.exitCode = START_ERROR.exitCode;
    status.reason = START_ERROR.reason;
    status.finishedAt = status.createdAt;
  }
  return status;
}
