/**
 * Pure builders of Docker create-container bodies for a pod's sandbox and its app containers
 * (the Engine API's ContainerCreate JSON, structurally what dockerode's createContainer takes).
 * Kubernetes semantics: `command` replaces the image's ENTRYPOINT and `args` its CMD; with a
 * command and no args the image's CMD is not used.
 */
import type { Container, Pod } from '@skiff/api';
import { containerDockerName, containerLabels, containerSpecHash, sandboxDockerName, sandboxLabels, type PodRef } from './labels';
import { dockerLimits } from './limits';
import type { PodDnsConfig } from './runtime';

/** The subset of the Engine API's create body Skiff sets. */
export interface DockerCreateBody {
  name: string;
  Image: string;
  Hostname?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  StopSignal?: string;
  HostConfig: {
    NetworkMode: string;
    PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
    RestartPolicy: { Name: 'no' };
    NanoCpus?: number;
    CpuShares?: number;
    Memory?: number;
    MemorySwap?: number;
    Dns?: string[];
    DnsSearch?: string[];
    DnsOptions?: string[];
  };
}

/** Settings of one runtime (one node) that shape what it creates. */
export interface NodeRuntimeSettings {
  nodeName: string;
  /** The node address ports are published on. */
  hostIP: string;
  /** The Docker network sandboxes attach to (default bridge). */
  network: string;
  /** The image the sandbox runs (it only sleeps). */
  sandboxImage: string;
  /** Added to every object created (e.g. a test run's label, for cleanup). */
  extraLabels: Readonly<Record<string, string>>;
}

/** The pod's identity from its metadata (uid, namespace, name; namespace defaults to "default"). */
export function podRef(pod: Readonly<Pod>): PodRef {
  const m = pod.metadata;
  if (!m?.uid || !m.name) throw new Error('pod has no uid or name');
  return { uid: m.uid, namespace: m.namespace || 'default', name: m.name };
}

/** Docker's port key: "8080/tcp". */
export function portKey(containerPort: number, protocol: string | undefined): string {
  return `${containerPort}/${(protocol || 'TCP').toLowerCase()}`;
}

/**
 * The sandbox's create body: sleeps forever in the sandbox image, attached to the network,
 * publishing every distinct containerPort/protocol of the pod on hostIP (at the spec's hostPort,
 * else a port Docker picks). A port's own hostIP in the spec overrides the node's. With `dns`,
 * its resolv.conf has those nameservers, search domains and options (HostConfig Dns, DnsSearch,
 * DnsOptions); app containers in `container:<sandbox>` mode share that file (Docker refuses DNS
 * settings on them), so the sandbox is the one place to set it.
 */
export function sandboxCreateBody(pod: Readonly<Pod>, settings: NodeRuntimeSettings, attempt = 0, dns?: Readonly<PodDnsConfig>): DockerCreateBody {
  const ref = podRef(pod);
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      const key = portKey(p.containerPort, p.protocol);
      if (key in exposed) continue;
      exposed[key] = {};
      bindings[key] = [{ HostIp: p.hostIP || settings.hostIP, HostPort: p.hostPort ? String(p.hostPort) : '' }];
    }
  }
  return {
    name: sandboxDockerName(ref, attempt),
    Image: settings.sandboxImage,
    Hostname: (pod.spec?.hostname || ref.name).slice(0, 63),
    Entrypoint: ['sleep'],
    Cmd: ['infinity'],
    Labels: sandboxLabels(settings.nodeName, ref, attempt, settings.extraLabels),
    ExposedPorts: exposed,
    StopSignal: 'SIGKILL',
    HostConfig: { NetworkMode: settings.network, PortBindings: bindings, RestartPolicy: { Name: 'no' }, ...dockerDns(dns) },
  };
}

/**
 * HostConfig's DNS fields for `dns`; none (Docker's default: the host's resolvers) without it.
 * Docker fills each empty field from the host's resolv.conf, so no search domains is said with
 * Docker's "." (no search line). Empty nameservers or options still take the host's: Docker has
 * no way to say none (pod-dns.ts only leaves them empty where the host's are what it means, or,
 * for options of a dnsPolicy None pod, where the host's rarely hold any).
 */
function dockerDns(dns: Readonly<PodDnsConfig> | undefined): Pick<DockerCreateBody['HostConfig'], 'Dns' | 'DnsSearch' | 'DnsOptions'> {
  if (!dns) return {};
  return { Dns: [...dns.servers], DnsSearch: dns.searches.length ? [...dns.searches] : ['.'], DnsOptions: [...dns.options] };
}

/** The environment: plain spec values, then `extra` (overriding by name); valueFrom entries without a value are left out. */
export function containerEnv(container: Readonly<Container>, extra: Readonly<Record<string, string>> = {}): string[] {
  const env = new Map<string, string>();
  for (const e of container.env ?? []) if (!e.valueFrom || e.value) env.set(e.name, e.value ?? '');
  for (const [name, value] of Object.entries(extra)) env.set(name, value);
  return [...env].map(([name, value]) => `${name}=${value}`);
}

/** An app container's create body: joined to the sandbox's network namespace, with limits and labels. */
export function containerCreateBody(
  pod: PodRef,
  sandboxId: string,
  container: Readonly<Container>,
  options: { attempt: number; env?: Readonly<Record<string, string>> },
  settings: NodeRuntimeSettings,
): DockerCreateBody {
  const body: DockerCreateBody = {
    name: containerDockerName(pod, container.name, options.attempt),
    Image: container.image,
    Env: containerEnv(container, options.env),
    Labels: containerLabels(
      settings.nodeName,
      pod,
      { name: container.name, attempt: options.attempt, hash: containerSpecHash(container) },
      settings.extraLabels,
    ),
    HostConfig: { NetworkMode: `container:${sandboxId}`, RestartPolicy: { Name: 'no' }, ...dockerLimits(container.resources) },
  };
  if (container.command?.length) {
    body.Entrypoint = [...container.command];
    body.Cmd = [...(container.args ?? [])];
  } else if (container.args?.length) {
    body.Cmd = [...container.args];
  }
  if (container.workingDir) body.WorkingDir = container.workingDir;
  return body;
}
