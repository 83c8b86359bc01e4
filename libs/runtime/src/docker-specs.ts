/**
 * Pure builders of Docker create-container bodies for a pod's sandbox and its app containers
 * (the Engine API's ContainerCreate JSON, structurally what dockerode's createContainer takes).
 * Kubernetes semantics: `command` replaces the image's ENTRYPOINT and `args` its CMD; with a
 * command and no args the image's CMD is not used. Volumes are bind mounts of host paths the
 * kubelet prepared (private propagation); the security settings map to Docker's User, GroupAdd,
 * CapAdd/CapDrop, Privileged, ReadonlyRootfs and SecurityOpt no-new-privileges (procMount Default
 * is Docker's default masked paths); stdin/tty as dockershim set them.
 */
import type { Container, Pod } from '@skiff/api';
import { containerDockerName, containerLabels, containerSpecHash, sandboxDockerName, sandboxLabels, type PodRef } from './labels';
import { dockerLimits } from './limits';
import type { ContainerSecurity, CreateContainerOptions, PodDnsConfig } from './runtime';

/** The subset of the Engine API's create body Skiff sets. */
export interface DockerCreateBody {
  name: string;
  Image: string;
  Hostname?: string;
  Domainname?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  /** "uid", "uid:gid" or "name:gid". */
  User?: string;
  AttachStdin?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Tty?: boolean;
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
    Mounts?: DockerMount[];
    GroupAdd?: string[];
    CapAdd?: string[];
    CapDrop?: string[];
    Privileged?: boolean;
    ReadonlyRootfs?: boolean;
    SecurityOpt?: string[];
  };
}

/** A HostConfig mount (the Engine API's Mount, bind type only). */
export interface DockerMount {
  Type: 'bind';
  Source: string;
  Target: string;
  ReadOnly: boolean;
  BindOptions: { Propagation: 'rprivate' };
}

/** Settings of one runtime (one node) that shape what it creates. */
export interface NodeRuntimeSettings {
  nodeName: string;
  /** The node address ports are published on. */
  hostIP: string;
  /** The Docker network sandboxes attach to: the pod network once configured, else the default ("bridge"). */
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
 * The sandbox's create body: sleeps forever in the sandbox image, attached to the pod network,
 * publishing on the node only the container ports with a hostPort (Kubernetes' meaning: a
 * containerPort alone publishes nothing; the pod is reached at its IP), each distinct
 * containerPort/protocol once, at hostIP (a port's own hostIP in the spec overrides the node's).
 * The hostname is spec.hostname, else the pod's name; with `domain` (a pod with spec.subdomain:
 * `<subdomain>.<ns>.svc.<cluster domain>`) Docker's /etc/hosts, which app containers share, maps
 * the pod IP to `<hostname>.<domain> <hostname>`, as the kubelet's managed hosts file does (so
 * `hostname -f` is the FQDN). With `dns`,
 * its resolv.conf has those nameservers, search domains and options (HostConfig Dns, DnsSearch,
 * DnsOptions); app containers in `container:<sandbox>` mode share that file (Docker refuses DNS
 * settings on them), so the sandbox is the one place to set it.
 */
export function sandboxCreateBody(pod: Readonly<Pod>, settings: NodeRuntimeSettings, attempt = 0, dns?: Readonly<PodDnsConfig>, domain?: string): DockerCreateBody {
  const ref = podRef(pod);
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!(p.hostPort > 0)) continue;
      const key = portKey(p.containerPort, p.protocol);
      if (key in exposed) continue;
      exposed[key] = {};
      bindings[key] = [{ HostIp: p.hostIP || settings.hostIP, HostPort: String(p.hostPort) }];
    }
  }
  return {
    name: sandboxDockerName(ref, attempt),
    Image: settings.sandboxImage,
    Hostname: (pod.spec?.hostname || ref.name).slice(0, 63),
    ...(domain ? { Domainname: domain } : {}),
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

/**
 * The pod's /etc/resolv.conf for `dns` (nameserver lines, then search and options when any), as
 * the runtime writes it into a sandbox: on a user-defined Docker network (the pod network) Docker
 * would otherwise point every container at its embedded DNS (127.0.0.11), which also answers the
 * names of other containers; Kubernetes' dockershim rewrote the file the same way. Undefined when
 * `dns` names no nameserver (Docker's default then stands: the node's resolvers).
 */
export function resolvConfText(dns: Readonly<PodDnsConfig> | undefined): string | undefined {
  if (!dns?.servers.length) return undefined;
  const lines = dns.servers.map((s) => `nameserver ${s}`);
  if (dns.searches.length) lines.push(`search ${dns.searches.join(' ')}`);
  if (dns.options.length) lines.push(`options ${dns.options.join(' ')}`);
  return `# Generated by the Skiff kubelet from the pod's DNS settings.\n${lines.join('\n')}\n`;
}

/**
 * The environment as NAME=value: `env` as given (the kubelet's final list) or, without it, the
 * spec's plain values (entries with valueFrom and no value left out).
 */
export function containerEnv(container: Readonly<Container>, env?: CreateContainerOptions['env']): string[] {
  if (env) return env.map((e) => `${e.name}=${e.value}`);
  return (container.env ?? []).filter((e) => !e.valueFrom || e.value).map((e) => `${e.name}=${e.value ?? ''}`);
}

/**
 * Docker's User for the security settings: "uid" or "uid:gid". A group without a user keeps the
 * image's user (`imageUser`, its user part; root when it has none), as the kubelet fills the
 * runAsUser from the image then. Undefined: the image's.
 */
export function dockerUser(security: Readonly<ContainerSecurity> | undefined, imageUser = ''): string | undefined {
  if (security?.group === undefined) return security?.user === undefined ? undefined : String(security.user);
  const user = security.user !== undefined ? String(security.user) : imageUser.split(':')[0] || '0';
  return `${user}:${security.group}`;
}

/** The HostConfig fields of the security settings (none set when none is asked for). */
function dockerSecurity(security: Readonly<ContainerSecurity> | undefined): Partial<DockerCreateBody['HostConfig']> {
  const host: Partial<DockerCreateBody['HostConfig']> = {};
  if (!security) return host;
  if (security.supplementalGroups?.length) host.GroupAdd = security.supplementalGroups.map(String);
  if (security.capAdd?.length) host.CapAdd = [...security.capAdd];
  if (security.capDrop?.length) host.CapDrop = [...security.capDrop];
  if (security.privileged) host.Privileged = true;
  if (security.readOnlyRootFilesystem) host.ReadonlyRootfs = true;
  if (security.noNewPrivileges) host.SecurityOpt = ['no-new-privileges'];
  return host;
}

/** What containerCreateBody takes besides the container. */
export interface ContainerBodyOptions extends CreateContainerOptions {
  /** The image's configured user, needed only for a group without a user (dockerUser). */
  imageUser?: string;
}

/**
 * An app container's create body: joined to the sandbox's network namespace, with limits, labels,
 * the options' environment, command and args (else the spec's), mounts and security.
 */
export function containerCreateBody(
  pod: PodRef,
  sandboxId: string,
  container: Readonly<Container>,
  options: ContainerBodyOptions,
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
    HostConfig: {
      NetworkMode: `container:${sandboxId}`,
      RestartPolicy: { Name: 'no' },
      ...dockerLimits(container.resources),
      ...dockerSecurity(options.security),
    },
  };
  const command = options.command ?? container.command ?? [];
  const args = options.args ?? container.args ?? [];
  if (command.length) {
    body.Entrypoint = [...command];
    body.Cmd = [...args];
  } else if (args.length) {
    body.Cmd = [...args];
  }
  if (container.workingDir) body.WorkingDir = container.workingDir;
  const user = dockerUser(options.security, options.imageUser);
  if (user !== undefined) body.User = user;
  if (options.mounts?.length) {
    body.HostConfig.Mounts = options.mounts.map((m) => ({
      Type: 'bind',
      Source: m.hostPath,
      Target: m.containerPath,
      ReadOnly: m.readOnly ?? false,
      BindOptions: { Propagation: 'rprivate' },
    }));
  }
  if (container.stdin) {
    body.AttachStdin = true;
    body.OpenStdin = true;
    if (container.stdinOnce) body.StdinOnce = true;
  }
  if (container.tty) body.Tty = true;
  return body;
}
