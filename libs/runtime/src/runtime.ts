/**
 * The ContainerRuntime contract the kubelet drives (Kubernetes' CRI, trimmed to what Skiff uses).
 * Implementations: DockerRuntime (real containers through dockerd) and HollowRuntime (in memory,
 * for scale tests with hundreds of simulated nodes, as kubemark's hollow kubelet).
 *
 * Model (Kubernetes'): one sandbox per pod holds the pod's network namespace; app containers
 * join it, so they share its IP and localhost. The pod's IP comes from the node's pod CIDR
 * (Node spec.podCIDR, handed to configurePodNetwork): DockerRuntime attaches sandboxes to a
 * bridge network with exactly that subnet (pod-network.ts), so pod IPs are unique and routable
 * cluster-wide (the proxy's pod-network keeper routes other nodes' pod CIDRs and masquerades
 * traffic leaving the cluster CIDR). A port is published on the node address only when the spec
 * gives it a hostPort; a containerPort alone publishes nothing (it is reached at podIP:port).
 * Everything is labelled (labels.ts) with the node name: a runtime only ever lists, watches and
 * touches its own node's objects, so several nodes may share one dockerd, and a restarted kubelet
 * adopts what runs.
 *
 * Every call takes an AbortSignal; an aborted call rejects with the signal's reason (the Docker
 * request is cancelled; an operation dockerd already performs may still complete). Failures are
 * typed (errors.ts); nothing is retried here: retries and backoff are the kubelet's.
 */
import type { Container, Pod } from '@skiff/api';
import type { PodRef } from './labels';
import type { PullPolicy } from './pull-policy';

/** A container port with a hostPort, and where the node publishes it. */
export interface PortMapping {
  containerPort: number;
  protocol: 'TCP' | 'UDP';
  /** The node address the port is published on. */
  hostIP: string;
  /** The port on hostIP: the spec's hostPort. */
  hostPort: number;
}

/** A pod's sandbox: the holder of its network namespace. */
export interface PodSandbox {
  id: string;
  pod: PodRef;
  node: string;
  /** 0 for the pod's first sandbox, +1 for each replacement. */
  attempt: number;
  /** 'ready' while the sandbox container runs; app containers can only join a ready sandbox. */
  state: 'ready' | 'notready';
  /** The pod IP (from the node's pod CIDR); '' when the sandbox is not running. */
  ip: string;
  /** The node address its hostPorts are published on ('' when it publishes none). */
  hostIP: string;
  /** The ports published on the node: those with a hostPort. */
  ports: PortMapping[];
  createdAt: Date;
}

/**
 * created: not started yet; running; exited: ran and stopped, or its start failed (see exitCode
 * and reason); unknown: anything else.
 */
export type ContainerStateName = 'created' | 'running' | 'exited' | 'unknown';

/** An app container as listed (from labels and the runtime's summary). */
export interface ContainerInfo {
  id: string;
  pod: PodRef;
  /** The container's name in the pod spec. */
  name: string;
  /** 0 for the first run, +1 for each restart: the container status's restartCount. */
  attempt: number;
  /** containerSpecHash() of the spec it was created from. */
  hash: string;
  image: string;
  /**
   * From the runtime's listing. A container whose start failed may show 'created' here and
   * 'exited' (reason StartError) in containerStatus, which is authoritative.
   */
  state: ContainerStateName;
  createdAt: Date;
  /** The sandbox whose network namespace it joined ('' when unknown). */
  sandboxId: string;
}

/** An app container's detailed status (containerStatus). */
export interface ContainerStatusInfo extends ContainerInfo {
  /** The image id (sha256:...) the container runs. */
  imageId: string;
  /** Set once the container has exited. */
  exitCode?: number;
  /** True when the kernel's OOM killer ended it (reason OOMKilled). */
  oomKilled: boolean;
  /**
   * For an exited container: OOMKilled, Completed (exit 0) or Error; StartError (exitCode 128,
   * no startedAt) when its start failed, as containerd's CRI reports it to Kubernetes.
   */
  reason?: string;
  /** The runtime's error message, if any (for StartError: why the start failed). */
  message?: string;
  startedAt?: Date;
  /** When it exited (for StartError: when the start failed, as near as the runtime knows). */
  finishedAt?: Date;
  /** Equal to attempt (kept for readability at call sites). */
  restartCount: number;
}

/**
 * The resolver settings of a pod (CRI's DNSConfig): its containers' /etc/resolv.conf. Absent:
 * the runtime's default, i.e. the node's own resolvers.
 */
export interface PodDnsConfig {
  /** Nameserver addresses. */
  servers: string[];
  /** Search domains, in order. */
  searches: string[];
  /** resolv.conf options, e.g. "ndots:5". */
  options: string[];
}

/** What runPodSandbox takes besides the pod. */
export interface RunPodSandboxOptions {
  /** 0 for the pod's first sandbox (the default), +1 for each replacement. */
  attempt?: number;
  /** The pod's resolv.conf (the app containers share the sandbox's); none: the node's. */
  dns?: PodDnsConfig;
  /**
   * The pod's DNS domain, `<subdomain>.<namespace>.svc.<cluster domain>` for a pod with
   * spec.subdomain: its /etc/hosts names the pod IP `<hostname>.<domain>` (Kubernetes' hostDomain).
   */
  domain?: string;
  signal?: AbortSignal;
}

/** A variable of a container's environment. */
export interface EnvEntry {
  name: string;
  value: string;
}

/** A host path the kubelet prepared (volume directory, tmpfs, termination-log file), bound into a container. */
export interface Mount {
  /** Must exist (the runtime does not create it). */
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}

/**
 * How a container runs, as the kubelet derives it from the pod's and the container's security
 * contexts (kubelet security-context.ts). Unset fields: the runtime's default (the image's user,
 * Docker's default capabilities, a writable root filesystem, privilege escalation allowed).
 */
export interface ContainerSecurity {
  /** The uid to run as; unset: the image's user. */
  user?: number;
  /** The primary gid; unset: the user's (from the image's /etc/passwd, else 0). */
  group?: number;
  /** Extra groups of the process (Kubernetes: fsGroup, then supplementalGroups). */
  supplementalGroups?: number[];
  /** Capabilities as "NET_ADMIN" or "CAP_NET_ADMIN"; "ALL" for all. */
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  /** The no_new_privs bit (Kubernetes: allowPrivilegeEscalation false). */
  noNewPrivileges?: boolean;
}

/** What createContainer needs besides the spec. */
export interface CreateContainerOptions {
  /** The restart count this container represents (0 for the first run). */
  attempt: number;
  /**
   * The container's whole environment, in order, as the kubelet resolved it (valueFrom, envFrom,
   * service links, $(VAR) expansion). Absent: the spec's plain `env` values (entries with
   * valueFrom skipped).
   */
  env?: readonly EnvEntry[];
  /** The command after $(VAR) expansion; absent: the spec's. Replaces the image's ENTRYPOINT. */
  command?: readonly string[];
  /** The args after $(VAR) expansion; absent: the spec's. Replace the image's CMD. */
  args?: readonly string[];
  /** Bind mounts of host paths, in order (private propagation). */
  mounts?: readonly Mount[];
  security?: Readonly<ContainerSecurity>;
}

export interface LogOptions {
  /** Keep streaming new output until the container stops or the signal aborts. */
  follow?: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** Only output newer than this many seconds. */
  sinceSeconds?: number;
  /** Prefix each line with an RFC 3339 timestamp, as `kubectl logs --timestamps`. */
  timestamps?: boolean;
  signal?: AbortSignal;
}

/** A piece of a container's output. Chunks are not split at line boundaries. */
export interface LogChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** Output while an exec runs, then exactly one `exit` as the last item. */
export type ExecEvent = LogChunk | { stream: 'exit'; exitCode: number };

export interface ExecOptions {
  signal?: AbortSignal;
  /** Written to the command's stdin, which is then closed. */
  stdin?: Buffer | string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A point-in-time usage sample. */
export interface ContainerStats {
  /** Cumulative CPU time used, in nanoseconds (a rate needs two samples). */
  cpuUsageNanos: number;
  /** Memory in use minus inactive file cache: what the OOM killer and `kubectl top` look at. */
  memoryWorkingSetBytes: number;
  timestamp: Date;
}

/** A usage sample of one running app container, from listContainerStats. */
export interface ContainerStatsSample extends ContainerStats {
  id: string;
  pod: PodRef;
  /** The container's name in the pod spec. */
  name: string;
}

/** Something that happened to one of this node's containers, so the kubelet reacts without polling. */
export interface RuntimeEvent {
  type: 'started' | 'died' | 'oom' | 'removed';
  id: string;
  kind: 'sandbox' | 'container';
  pod: PodRef;
  /** App containers only. */
  containerName?: string;
  attempt?: number;
  /** For 'died'. */
  exitCode?: number;
  time: Date;
}

/** The node's resources and identity as the runtime sees them (for the Node object). */
export interface RuntimeInfo {
  runtime: 'docker' | 'hollow';
  /** e.g. "docker://20.10.24" (NodeSystemInfo.containerRuntimeVersion). */
  version: string;
  cpus: number;
  memoryBytes: number;
  os: string;
  arch: string;
  kernelVersion: string;
  osImage: string;
}

/** A login for a registry (from the pod's imagePullSecrets). */
export interface RegistryCredential {
  /** host[:port], e.g. "registry.example.com:5000"; "docker.io" for Docker Hub (registry-auth.ts normalizes). */
  registry: string;
  username: string;
  password: string;
}

/** Callbacks and credentials of ensureImage. */
export interface EnsureImageHooks {
  /** A pull is about to start (the image is missing, or the policy is Always). */
  onPull?: () => void;
  /**
   * Logins to try, as the kubelet does: each whose registry is the image's (registry-auth.ts), in
   * order, until one pull succeeds; an anonymous pull only when none matches. Never logged.
   */
  credentials?: readonly RegistryCredential[];
}

/** Image present after ensureImage. */
export interface ImageRef {
  image: string;
  /** sha256:... */
  imageId: string;
}

/** The runtime contract; see the module comment for the model and error rules. */
export interface ContainerRuntime {
  /** The node this runtime serves; every object it creates carries it. */
  readonly nodeName: string;

  info(signal?: AbortSignal): Promise<RuntimeInfo>;

  /**
   * Makes the image present as the policy asks (pull-policy.ts). Throws ImagePullError when a
   * needed pull fails, ImageNeverPullError for Never with the image absent. `hooks.onPull` is
   * called once, just before a pull starts, and not at all when the present image is used (the
   * kubelet's "Pulling" versus "already present" events). With `hooks.credentials`, a pull tries
   * the matching ones in turn; when all fail, the ImagePullError carries the registry's message
   * of each (e.g. "unauthorized: authentication required"), as Kubernetes aggregates them.
   */
  ensureImage(image: string, pullPolicy: PullPolicy | string, signal?: AbortSignal, hooks?: EnsureImageHooks): Promise<ImageRef>;

  /**
   * The user a present image runs as (its config's User: "1000", "1000:1000", "nobody", ...);
   * '' when it sets none, i.e. root. For the kubelet's runAsNonRoot check. Throws
   * ImageInspectError when the image is not present.
   */
  imageUser(image: string, signal?: AbortSignal): Promise<string>;

  /**
   * Makes the node's pod network have exactly `podCIDR` (the Node's spec.podCIDR): sandboxes
   * created from then on get their IP from it. Idempotent: a network that matches is reused (a
   * restarted kubelet); one with another subnet is replaced when no container uses it. Throws
   * PodNetworkError when `podCIDR` is not usable or the network cannot be made (the kubelet
   * retries). Before it is called, a runtime uses its configured default network.
   */
  configurePodNetwork(podCIDR: string, signal?: AbortSignal): Promise<void>;

  /**
   * Creates and starts the pod's sandbox (attempt 0 unless replacing one) on the pod network,
   * publishing on the node only the container ports with a hostPort (at hostIP, the port's own
   * hostIP overriding the node's). Resolves once it runs and has its IP. Throws
   * SandboxError (a name conflict when a sandbox with this pod uid and attempt exists).
   * With `dns` naming nameservers, the sandbox's /etc/resolv.conf (which its app containers share) is
   * exactly those settings (DockerRuntime rewrites the file Docker made).
   */
  runPodSandbox(pod: Readonly<Pod>, options?: RunPodSandboxOptions): Promise<PodSandbox>;

  /**
   * Stops the sandbox (its network namespace and published host ports go away) and leaves the
   * pod's app containers as they are, e.g. exited ones kept for logs. Absent or stopped is fine.
   */
  stopPodSandbox(id: string, signal?: AbortSignal): Promise<void>;

  /**
   * Force-removes the sandbox and the app containers that joined it (CRI's RemovePodSandbox);
   * the pod's containers in other sandboxes stay. Absent ones are fine.
   */
  removePodSandbox(id: string, signal?: AbortSignal): Promise<void>;

  /**
   * This node's sandboxes (all, or one pod's), running or not. The state may lag a moment
   * behind the runtime's events (a sandbox that just died can still show ready): use
   * podSandboxStatus where that matters.
   */
  listPodSandboxes(filter?: { podUid?: string }, signal?: AbortSignal): Promise<PodSandbox[]>;

  /** One sandbox as it is now (consistent with the events seen so far). Throws ContainerNotFoundError. */
  podSandboxStatus(id: string, signal?: AbortSignal): Promise<PodSandbox>;

  /**
   * Creates (does not start) an app container joined to the sandbox's network namespace, with
   * command, args, env, workingDir, stdin/tty, limits (limits.ts), and the options' mounts and
   * security. The image must be present (ensureImage first). Throws ContainerCreateError (e.g. a
   * mount's host path is missing).
   */
  createContainer(
    sandbox: Readonly<PodSandbox>,
    container: Readonly<Container>,
    options: CreateContainerOptions,
    signal?: AbortSignal,
  ): Promise<string>;

  /**
   * Starts a created container. Throws ContainerStartError (e.g. command not found), after which
   * the container is done: containerStatus shows it exited with reason StartError, and it is
   * never started again (a retry is a new container). Throws ContainerNotFoundError.
   */
  startContainer(id: string, signal?: AbortSignal): Promise<void>;

  /**
   * SIGTERM (or the image's stop signal), waits up to gracePeriodSeconds for it to exit, then
   * SIGKILL; resolves once it has exited. Stopping a stopped or absent container is fine.
   */
  stopContainer(id: string, gracePeriodSeconds: number, signal?: AbortSignal): Promise<void>;

  /** Removes a container (killing it if it runs). Absent is fine. */
  removeContainer(id: string, signal?: AbortSignal): Promise<void>;

  /** This node's app containers (all, or one pod's), in any state. */
  listContainers(filter?: { podUid?: string }, signal?: AbortSignal): Promise<ContainerInfo[]>;

  /** Detailed status. Throws ContainerNotFoundError. */
  containerStatus(id: string, signal?: AbortSignal): Promise<ContainerStatusInfo>;

  /**
   * The container's output as chunks; ends when the output does (with follow: when the container
   * stops) or the signal aborts (the iterable then just ends). For `--previous`, pass the id of
   * the previous attempt's container, which the kubelet keeps until the next restart.
   */
  logs(id: string, options?: LogOptions): AsyncIterable<LogChunk>;

  /** Runs a command in a running container; output as it comes, then its exit code. */
  execStream(id: string, cmd: readonly string[], options?: ExecOptions): AsyncIterable<ExecEvent>;

  /** Runs a command in a running container and collects its output (probes, `skiff exec`). */
  exec(id: string, cmd: readonly string[], options?: ExecOptions): Promise<ExecResult>;

  /** A usage sample of a running container. Throws ContainerNotFoundError (also when it does not run). */
  stats(id: string, signal?: AbortSignal): Promise<ContainerStats>;

  /**
   * A usage sample of every running app container of this node (CRI's ListContainerStats), in
   * one pass cheap enough to repeat every few seconds: one listing, then each container's own
   * counters (DockerRuntime: its cgroup files, no per-container API call once its cgroup is
   * known). A container that stops during the pass is left out.
   */
  listContainerStats(signal?: AbortSignal): Promise<ContainerStatsSample[]>;

  /** This node's container events from now on, until the signal aborts. */
  events(signal: AbortSignal): AsyncIterable<RuntimeEvent>;
}
