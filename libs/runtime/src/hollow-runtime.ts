/**
 * HollowRuntime: a ContainerRuntime that only pretends, for scale tests with hundreds of nodes in
 * one process (as kubemark's hollow kubelet). Everything lives in memory: sandboxes get pod IPs
 * from the pod CIDR given to configurePodNetwork (before that, made-up ones in 10.200.0.0/13),
 * only ports with a hostPort count as published, containers "run" from start until stopContainer, removal, or exit()
 * called by the test (a regular init container, and a container whose command is just `true` or
 * `false`, exits 0 or 1 right after it started); images are "present" once ensured (unless `pullable` refuses them, given
 * the logins) and run as `imageUser` says (default root); createOptions() shows what a container
 * was created with (environment, command, mounts, security); a start
 * fails as Docker's does for a missing command when `startError` says so. Events
 * and errors follow the same contract as DockerRuntime (runtime.ts), so the kubelet cannot tell.
 * Exec succeeds with no output; logs return what write() recorded; running containers report a
 * steady usage (hollow-usage.ts: a fraction of their requests, or what setUsage() says).
 */
import { randomBytes } from 'node:crypto';
import { isRestartableInitContainer, type Container, type Pod } from '@skiff/api';
import { AsyncQueue } from './async-queue';
import { containerEnv, podRef } from './docker-specs';
import { ContainerNotFoundError, ContainerStartError, ImageInspectError, ImageNeverPullError, ImagePullError, PodNetworkError, SandboxError } from './errors';
import { cpuNanosAt, defaultHollowUsage, type CpuCounter, type HollowUsage } from './hollow-usage';
import { containerSpecHash } from './labels';
import { pullDecision } from './pull-policy';
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerStats,
  ContainerStatsSample,
  ContainerStatusInfo,
  CreateContainerOptions,
  ExecEvent,
  ExecOptions,
  ExecResult,
  EnsureImageHooks,
  ImageRef,
  LogChunk,
  LogOptions,
  PodSandbox,
  PortMapping,
  RegistryCredential,
  RuntimeEvent,
  RuntimeInfo,
  PodDnsConfig,
  RunPodSandboxOptions,
} from './runtime';

export interface HollowRuntimeOptions {
  nodeName: string;
  /** Default 127.0.0.1. */
  hostIP?: string;
  /** Images present from the start. */
  images?: readonly string[];
  /**
   * Whether a pull of this image, with these logins (ensureImage's credentials, unfiltered),
   * succeeds; default: every image pulls.
   */
  pullable?: (image: string, credentials: readonly RegistryCredential[]) => boolean;
  /** The user an image runs as (imageUser); default '' (root) for every image. */
  imageUser?: (image: string) => string;
  /**
   * Why starting this container fails (e.g. 'exec: "nope": executable file not found'), or
   * undefined when it starts; default: every start succeeds. A failed start leaves the container
   * exited with exit code 128 and reason StartError, and emits no event, as with Docker.
   */
  startError?: (container: Readonly<Container>) => string | undefined;
  /** Reported capacity; default 4 CPUs and 8 GiB. */
  cpus?: number;
  memoryBytes?: number;
  /** The clock; default Date.now. */
  now?: () => number;
}

interface HollowContainer {
  status: ContainerStatusInfo;
  sandboxId: string;
  /** Set when its start is to fail (options.startError). */
  startError?: string;
  env: string[];
  /** The options it was created with (copied). */
  options: CreateContainerOptions;
  /** The command it runs (the options' expanded one, else the spec's). */
  command: readonly string[];
  output: LogChunk[];
  followers: Set<AsyncQueue<LogChunk>>;
  usage: HollowUsage;
  /** CPU time used up to `cpu.at` (advancing only while it runs). */
  cpu: CpuCounter;
}

let nextIp = 0;

function hollowId(): string {
  return randomBytes(32).toString('hex');
}

function imageId(image: string): string {
  return `sha256:${Buffer.from(image).toString('hex').padEnd(64, '0').slice(0, 64)}`;
}

/** The exit code of a command that finishes at once in a hollow container (`true`: 0, `false`: 1), or undefined. */
export function immediateExitCode(command: readonly string[]): number | undefined {
  if (command.length !== 1) return undefined;
  const program = command[0].slice(command[0].lastIndexOf('/') + 1);
  return program === 'true' ? 0 : program === 'false' ? 1 : undefined;
}

export class HollowRuntime implements ContainerRuntime {
  readonly nodeName: string;
  private readonly hostIP: string;
  private readonly images = new Set<string>();
  private readonly sandboxes = new Map<string, PodSandbox>();
  private readonly dns = new Map<string, PodDnsConfig>();
  /** By sandbox id: its pod's regular init containers, which exit 0 right after they start. */
  private readonly initNames = new Map<string, Set<string>>();
  private readonly containers = new Map<string, HollowContainer>();
  private readonly watchers = new Set<AsyncQueue<RuntimeEvent>>();
  /** The pod CIDR as [first pod address, last pod address] numbers, once configured; and the next offset to try. */
  private podRange?: { first: number; last: number };
  private nextPodOffset = 0;

  constructor(private readonly options: HollowRuntimeOptions) {
    this.nodeName = options.nodeName;
    this.hostIP = options.hostIP ?? '127.0.0.1';
    for (const image of options.images ?? []) this.images.add(image);
  }

  private now(): Date {
    return new Date((this.options.now ?? Date.now)());
  }

  private emit(event: Omit<RuntimeEvent, 'time'>): void {
    const full = { ...event, time: this.now() };
    for (const w of this.watchers) w.push(full);
  }

  private get(id: string): HollowContainer {
    const c = this.containers.get(id);
    if (!c) throw new ContainerNotFoundError(`no container ${id}`);
    return c;
  }

  async info(): Promise<RuntimeInfo> {
    return {
      runtime: 'hollow',
      version: 'hollow://0.1.0',
      cpus: this.options.cpus ?? 4,
      memoryBytes: this.options.memoryBytes ?? 8 * 2 ** 30,
      os: 'linux',
      arch: 'amd64',
      kernelVersion: 'hollow',
      osImage: 'Hollow Linux',
    };
  }

  async ensureImage(image: string, pullPolicy: string, signal?: AbortSignal, hooks?: EnsureImageHooks): Promise<ImageRef> {
    signal?.throwIfAborted();
    const decision = pullDecision(pullPolicy, this.images.has(image));
    if (decision === 'never-pull-missing') throw new ImageNeverPullError(`container image "${image}" is not present with pull policy of Never`);
    if (decision === 'pull') {
      hooks?.onPull?.();
      if (!(this.options.pullable?.(image, hooks?.credentials ?? []) ?? true)) throw new ImagePullError(`failed to pull image "${image}": not found`);
      this.images.add(image);
    }
    return { image, imageId: imageId(image) };
  }

  async imageUser(image: string, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    if (!this.images.has(image)) throw new ImageInspectError(`failed to inspect image "${image}": no such image`);
    return this.options.imageUser?.(image) ?? '';
  }

  /** Pod IPs come from `podCIDR` from now on: its addresses after the gateway (.1), never the broadcast. */
  async configurePodNetwork(podCIDR: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(podCIDR);
    const prefix = Number(m?.[5]);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || prefix > 30) throw new PodNetworkError(`invalid pod CIDR ${JSON.stringify(podCIDR)}: must be an IPv4 CIDR of at most /30`);
    const size = 2 ** (32 - prefix);
    const base = m.slice(1, 5).reduce((n, o) => n * 256 + Number(o), 0);
    const network = base - (base % size);
    this.podRange = { first: network + 2, last: network + size - 2 };
    this.nextPodOffset = 0;
  }

  /** The next pod IP of the pod CIDR not held by a ready sandbox, or a made-up one before a pod CIDR is configured. */
  private nextPodIp(): string {
    const range = this.podRange;
    if (!range) {
      const n = nextIp++;
      return `10.${200 + (Math.floor(n / 65_024) % 8)}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
    }
    const count = range.last - range.first + 1;
    const used = new Set([...this.sandboxes.values()].filter((s) => s.state === 'ready').map((s) => s.ip));
    for (let i = 0; i < count; i++) {
      const n = range.first + ((this.nextPodOffset + i) % count);
      const ip = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
      if (used.has(ip)) continue;
      this.nextPodOffset = (this.nextPodOffset + i + 1) % count;
      return ip;
    }
    throw new SandboxError(`no free pod IP left in the pod CIDR (${count} in use)`);
  }

  async runPodSandbox(pod: Readonly<Pod>, options: RunPodSandboxOptions = {}): Promise<PodSandbox> {
    options.signal?.throwIfAborted();
    const ref = podRef(pod);
    const attempt = options.attempt ?? 0;
    for (const s of this.sandboxes.values()) {
      if (s.pod.uid === ref.uid && s.attempt === attempt) throw new SandboxError(`sandbox of pod ${ref.namespace}/${ref.name} attempt ${attempt} exists`);
    }
    const ports: PortMapping[] = [];
    for (const c of pod.spec?.containers ?? []) {
      for (const p of c.ports ?? []) {
        const protocol = p.protocol === 'UDP' ? 'UDP' : 'TCP';
        if (!(p.hostPort > 0) || ports.some((q) => q.containerPort === p.containerPort && q.protocol === protocol)) continue;
        ports.push({ containerPort: p.containerPort, protocol, hostIP: p.hostIP || this.hostIP, hostPort: p.hostPort });
      }
    }
    ports.sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
    const sandbox: PodSandbox = {
      id: hollowId(),
      pod: ref,
      node: this.nodeName,
      attempt,
      state: 'ready',
      ip: this.nextPodIp(),
      hostIP: ports.length > 0 ? this.hostIP : '',
      ports,
      createdAt: this.now(),
    };
    this.sandboxes.set(sandbox.id, sandbox);
    if (options.dns) this.dns.set(sandbox.id, structuredClone(options.dns));
    this.initNames.set(sandbox.id, new Set((pod.spec?.initContainers ?? []).filter((c) => !isRestartableInitContainer(c)).map((c) => c.name)));
    this.emit({ type: 'started', id: sandbox.id, kind: 'sandbox', pod: ref });
    return { ...sandbox, ports: [...ports] };
  }

  async stopPodSandbox(id: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const sandbox = this.sandboxes.get(id);
    if (!sandbox || sandbox.state === 'notready') return;
    sandbox.state = 'notready';
    this.emit({ type: 'died', id, kind: 'sandbox', pod: sandbox.pod, exitCode: 137 });
  }

  async removePodSandbox(id: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return;
    for (const [cid, c] of this.containers) if (c.sandboxId === id) await this.removeContainer(cid);
    this.sandboxes.delete(id);
    this.dns.delete(id);
    this.initNames.delete(id);
    this.emit({ type: 'died', id, kind: 'sandbox', pod: sandbox.pod, exitCode: 137 });
    this.emit({ type: 'removed', id, kind: 'sandbox', pod: sandbox.pod });
  }

  async listPodSandboxes(filter: { podUid?: string } = {}): Promise<PodSandbox[]> {
    return [...this.sandboxes.values()].filter((s) => !filter.podUid || s.pod.uid === filter.podUid).map((s) => ({ ...s, ports: [...s.ports] }));
  }

  async podSandboxStatus(id: string, signal?: AbortSignal): Promise<PodSandbox> {
    signal?.throwIfAborted();
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) throw new ContainerNotFoundError(`no sandbox ${id}`);
    return { ...sandbox, ports: [...sandbox.ports] };
  }

  async createContainer(
    sandbox: Readonly<PodSandbox>,
    container: Readonly<Container>,
    options: CreateContainerOptions,
    signal?: AbortSignal,
  ): Promise<string> {
    signal?.throwIfAborted();
    if (!this.sandboxes.has(sandbox.id)) throw new SandboxError(`no sandbox ${sandbox.id}`);
    const id = hollowId();
    this.containers.set(id, {
      sandboxId: sandbox.id,
      startError: this.options.startError?.(container),
      env: containerEnv(container, options.env),
      options: structuredClone(options),
      command: [...(options.command ?? container.command ?? [])],
      output: [],
      followers: new Set(),
      usage: defaultHollowUsage(container.resources, id),
      cpu: { nanos: 0, at: this.now().getTime() },
      status: {
        id,
        pod: sandbox.pod,
        name: container.name,
        attempt: options.attempt,
        restartCount: options.attempt,
        hash: containerSpecHash(container),
        image: container.image,
        imageId: imageId(container.image),
        state: 'created',
        createdAt: this.now(),
        sandboxId: sandbox.id,
        oomKilled: false,
      },
    });
    return id;
  }

  async startContainer(id: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const c = this.get(id);
    if (c.status.state === 'running') return;
    if (c.status.state !== 'created') throw new ContainerStartError(`container ${id} has already run`);
    if (c.startError !== undefined) {
      Object.assign(c.status, { state: 'exited', exitCode: 128, reason: 'StartError', message: c.startError, finishedAt: this.now() });
      throw new ContainerStartError(`failed to start container ${id}: ${c.startError}`);
    }
    c.status.state = 'running';
    c.status.startedAt = this.now();
    c.cpu = { nanos: c.cpu.nanos, at: c.status.startedAt.getTime() };
    this.emit({ type: 'started', id, kind: 'container', pod: c.status.pod, containerName: c.status.name, attempt: c.status.attempt });
    // A regular init container completes at once (after the caller's next steps, e.g. a postStart
    // hook), and so does a container whose command is `true` or `false` alone (a Job's pod that
    // finishes at once, with exit code 0 or 1).
    const finishes = this.initNames.get(c.sandboxId)?.has(c.status.name) ? 0 : immediateExitCode(c.command);
    if (finishes !== undefined) setImmediate(() => this.exit(id, finishes));
  }

  /**
   * Test control: the running container exits now with this code (oomKilled: as the OOM killer
   * would, code 137). Emits 'oom' (if so) and 'died'. No-op unless it runs.
   */
  exit(id: string, exitCode: number, options: { oomKilled?: boolean } = {}): void {
    const c = this.containers.get(id);
    if (!c || c.status.state !== 'running') return;
    const at = this.now().getTime();
    c.cpu = { nanos: cpuNanosAt(c.cpu, c.usage.cpuMillis, at), at };
    c.status.state = 'exited';
    c.status.exitCode = exitCode;
    c.status.finishedAt = this.now();
    c.status.oomKilled = options.oomKilled ?? false;
    c.status.reason = c.status.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
    const base = { id, kind: 'container' as const, pod: c.status.pod, containerName: c.status.name, attempt: c.status.attempt };
    if (c.status.oomKilled) this.emit({ ...base, type: 'oom' });
    this.emit({ ...base, type: 'died', exitCode });
    for (const f of c.followers) f.end();
  }

  /**
   * Test control: the container uses this from now on (CPU millicores, working set bytes); the
   * rest of its usage stays. Throws ContainerNotFoundError.
   */
  setUsage(id: string, usage: Partial<HollowUsage>): void {
    const c = this.get(id);
    const at = this.now().getTime();
    if (c.status.state === 'running') c.cpu = { nanos: cpuNanosAt(c.cpu, c.usage.cpuMillis, at), at };
    c.usage = { ...c.usage, ...usage };
  }

  /** Test control: records output as if the container printed it (shown by logs()). */
  write(id: string, stream: 'stdout' | 'stderr', text: string): void {
    const c = this.get(id);
    const chunk = { stream, data: Buffer.from(text) };
    c.output.push(chunk);
    for (const f of c.followers) f.push(chunk);
  }

  /** The DNS settings the sandbox was created with (undefined: the node's), for tests. */
  sandboxDns(id: string): PodDnsConfig | undefined {
    return this.dns.get(id);
  }

  /** The options the container was created with (mounts, security, command, ...), for tests. */
  createOptions(id: string): CreateContainerOptions {
    return structuredClone(this.get(id).options);
  }

  /** The environment the container was created with (NAME=value), for tests. */
  environment(id: string): string[] {
    return [...this.get(id).env];
  }

  async stopContainer(id: string, _gracePeriodSeconds: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const c = this.containers.get(id);
    if (!c) return;
    if (c.status.state === 'running') this.exit(id, 0);
    else if (c.status.state === 'created') {
      c.status.state = 'exited';
      c.status.exitCode = 0;
      c.status.reason = 'Completed';
    }
  }

  async removeContainer(id: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const c = this.containers.get(id);
    if (!c) return;
    if (c.status.state === 'running') this.exit(id, 137);
    this.containers.delete(id);
    this.emit({ type: 'removed', id, kind: 'container', pod: c.status.pod, containerName: c.status.name, attempt: c.status.attempt });
  }

  async listContainers(filter: { podUid?: string } = {}): Promise<ContainerInfo[]> {
    const out: ContainerInfo[] = [];
    for (const { status: s } of this.containers.values()) {
      if (filter.podUid && s.pod.uid !== filter.podUid) continue;
      out.push({ id: s.id, pod: s.pod, name: s.name, attempt: s.attempt, hash: s.hash, image: s.image, state: s.state, createdAt: s.createdAt, sandboxId: s.sandboxId });
    }
    return out;
  }

  async containerStatus(id: string, signal?: AbortSignal): Promise<ContainerStatusInfo> {
    signal?.throwIfAborted();
    return { ...this.get(id).status };
  }

  logs(id: string, options: LogOptions = {}): AsyncIterable<LogChunk> {
    const c = this.containers.get(id);
    const queue: AsyncQueue<LogChunk> = new AsyncQueue<LogChunk>(() => {
      c?.followers.delete(queue);
      options.signal?.removeEventListener('abort', onAbort);
    });
    const onAbort = () => queue.end();
    if (!c) {
      queue.fail(new ContainerNotFoundError(`no container ${id}`));
      return queue;
    }
    const output = options.tail !== undefined ? c.output.slice(Math.max(0, c.output.length - options.tail)) : c.output;
    for (const chunk of output) queue.push(chunk);
    if (options.follow && c.status.state !== 'exited' && !options.signal?.aborted) {
      c.followers.add(queue);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    } else {
      queue.end();
    }
    return queue;
  }

  execStream(id: string, _cmd: readonly string[], options: ExecOptions = {}): AsyncIterable<ExecEvent> {
    const queue = new AsyncQueue<ExecEvent>();
    const c = this.containers.get(id);
    if (options.signal?.aborted) queue.fail(options.signal.reason);
    else if (!c) queue.fail(new ContainerNotFoundError(`no container ${id}`));
    else if (c.status.state !== 'running') queue.fail(new ContainerStartError(`container ${id} is not running`));
    else {
      queue.push({ stream: 'exit', exitCode: 0 });
      queue.end();
    }
    return queue;
  }

  async exec(id: string, cmd: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    let exitCode = -1;
    for await (const e of this.execStream(id, cmd, options)) if (e.stream === 'exit') exitCode = e.exitCode;
    return { exitCode, stdout: '', stderr: '' };
  }

  async stats(id: string, signal?: AbortSignal): Promise<ContainerStats> {
    signal?.throwIfAborted();
    const c = this.get(id);
    if (c.status.state !== 'running') throw new ContainerNotFoundError(`no running container ${id}`);
    const now = this.now();
    return { cpuUsageNanos: cpuNanosAt(c.cpu, c.usage.cpuMillis, now.getTime()), memoryWorkingSetBytes: c.usage.memoryBytes, timestamp: now };
  }

  async listContainerStats(signal?: AbortSignal): Promise<ContainerStatsSample[]> {
    signal?.throwIfAborted();
    const out: ContainerStatsSample[] = [];
    for (const [id, c] of this.containers) {
      if (c.status.state !== 'running') continue;
      out.push({ ...(await this.stats(id)), id, pod: c.status.pod, name: c.status.name });
    }
    return out;
  }

  events(signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    const queue: AsyncQueue<RuntimeEvent> = new AsyncQueue<RuntimeEvent>(() => {
      this.watchers.delete(queue);
      signal.removeEventListener('abort', onAbort);
    });
    const onAbort = () => queue.end();
    if (signal.aborted) queue.end();
    else {
      this.watchers.add(queue);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    return queue;
  }
}
