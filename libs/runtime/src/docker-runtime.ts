/**
 * DockerRuntime: the ContainerRuntime on a real dockerd, through dockerode (the only file that
 * imports it). See runtime.ts for the contract and docker-specs.ts / docker-status.ts for the
 * pure mapping to and from Docker's API.
 */
import { Readable, Writable } from 'node:stream';
import Docker from 'dockerode';
import type { Container, Pod } from '@skiff/api';
import { AsyncQueue } from './async-queue';
import { ContainerCgroups, readCgroupMounts } from './cgroup-reader';
import { workingSetBytes } from './cgroup-stats';
import { containerCreateBody, resolvConfText, sandboxCreateBody, type NodeRuntimeSettings } from './docker-specs';
import {
  containerInfoFromSummary,
  containerStatusFromInspect,
  sandboxFromInspect,
  sandboxFromSummary,
  type DockerInspect,
  type DockerSummary,
} from './docker-status';
import {
  ContainerCreateError,
  ContainerNotFoundError,
  ContainerStartError,
  ImageInspectError,
  ImageNeverPullError,
  ImagePullError,
  PodNetworkError,
  SandboxError,
} from './errors';
import { labelFilters, parseLabels } from './labels';
import { networkCreateBody, networkMatches, podNetworkSpec, type DockerNetworkInspect, type PodNetworkSpec } from './pod-network';
import { pullDecision } from './pull-policy';
import { credentialsForImage, dockerServerAddress } from './registry-auth';
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
  RegistryCredential,
  RuntimeEvent,
  RuntimeInfo,
  RunPodSandboxOptions,
} from './runtime';

/** Containers sampled between two yields to the event loop in listContainerStats. */
const STATS_BATCH = 32;

/** The image sandboxes run unless configured otherwise (built by tools/images/build.sh). */
export const DEFAULT_SANDBOX_IMAGE = '127.0.0.1:5000/skiff/busybox:latest';

export interface DockerRuntimeOptions {
  /** The node this runtime serves (label io.skiff.node on everything it creates). */
  nodeName: string;
  /** The node address hostPorts are published on; default 127.0.0.1. */
  hostIP?: string;
  /** The Docker network pods attach to until configurePodNetwork names the node's; default "bridge". */
  network?: string;
  /** The sandbox image; default DEFAULT_SANDBOX_IMAGE (pulled IfNotPresent). */
  sandboxImage?: string;
  /** Labels added to every container created (e.g. `io.skiff.test=<run>` so a test can clean up). */
  extraLabels?: Readonly<Record<string, string>>;
  /** dockerd's socket; default /var/run/docker.sock. */
  socketPath?: string;
}

interface DockerError {
  statusCode?: number;
  message?: string;
  json?: { message?: string };
}

function statusOf(err: unknown): number | undefined {
  return (err as DockerError)?.statusCode;
}

/**
 * Docker's message of a failed call. For a streamed call (a pull) docker-modem has no parsed body
 * and wraps dockerd's message as "(HTTP code 500) server error - <message> ": unwrapped here.
 */
function messageOf(err: unknown): string {
  const e = err as DockerError;
  const message = e?.json?.message ?? e?.message ?? String(err);
  return /^\(HTTP code \d+\) [^-]*- ([\s\S]*)$/.exec(message)?.[1].trim() || message;
}

/** Rethrows the abort reason when the signal fired; otherwise returns. */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/** A Writable that hands each chunk to `push`, so demuxStream's two outputs keep their order. */
function sink(push: (data: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      push(Buffer.from(chunk));
      done();
    },
  });
}

export class DockerRuntime implements ContainerRuntime {
  readonly nodeName: string;
  private readonly docker: Docker;
  private readonly settings: NodeRuntimeSettings;
  /** Container usage from cgroup files (found on first use). */
  private cgroups?: Promise<ContainerCgroups>;

  constructor(options: DockerRuntimeOptions) {
    this.nodeName = options.nodeName;
    this.docker = new Docker({ socketPath: options.socketPath ?? '/var/run/docker.sock' });
    this.settings = {
      nodeName: options.nodeName,
      hostIP: options.hostIP ?? '127.0.0.1',
      network: options.network ?? 'bridge',
      sandboxImage: options.sandboxImage ?? DEFAULT_SANDBOX_IMAGE,
      extraLabels: options.extraLabels ?? {},
    };
  }

  async info(signal?: AbortSignal): Promise<RuntimeInfo> {
    // dockerode accepts options with abortSignal here; its typings only know the callback form.
    const docker = this.docker as unknown as {
      info(o: object): Promise<{ NCPU: number; MemTotal: number; OSType: string; KernelVersion: string; OperatingSystem: string }>;
      version(o: object): Promise<{ Version: string; Arch: string }>;
    };
    const [info, version] = await Promise.all([docker.info({ abortSignal: signal }), docker.version({ abortSignal: signal })]);
    return {
      runtime: 'docker',
      version: `docker://${version.Version}`,
      cpus: info.NCPU,
      memoryBytes: info.MemTotal,
      os: info.OSType,
      arch: version.Arch,
      kernelVersion: info.KernelVersion,
      osImage: info.OperatingSystem,
    };
  }

  private async imageId(image: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const inspect = await this.docker.getImage(image).inspect({ abortSignal: signal } as object);
      return inspect.Id;
    } catch (err) {
      throwIfAborted(signal);
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async ensureImage(image: string, pullPolicy: string, signal?: AbortSignal, hooks?: EnsureImageHooks): Promise<ImageRef> {
    const present = await this.imageId(image, signal);
    const decision = pullDecision(pullPolicy, present !== undefined);
    if (decision === 'use-local' && present) return { image, imageId: present };
    if (decision === 'never-pull-missing') {
      throw new ImageNeverPullError(`container image "${image}" is not present with pull policy of Never`);
    }
    hooks?.onPull?.();
    const logins = credentialsForImage(image, hooks?.credentials ?? []);
    if (logins.length === 0) await this.pull(image, undefined, signal);
    else await this.pullWithLogins(image, logins, signal);
    const pulled = await this.imageId(image, signal);
    if (!pulled) throw new ImagePullError(`image "${image}" is missing after a successful pull`);
    return { image, imageId: pulled };
  }

  /**
   * As the kubelet: each login in turn, the first success wins. When all fail: the one error, or
   * one naming each registry message in brackets (Kubernetes' aggregate error).
   */
  private async pullWithLogins(image: string, logins: readonly RegistryCredential[], signal?: AbortSignal): Promise<void> {
    const failures: ImagePullError[] = [];
    for (const login of logins) {
      try {
        await this.pull(image, login, signal);
        return;
      } catch (err) {
        if (!(err instanceof ImagePullError)) throw err;
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    const messages = failures.map((f) => messageOf(f.cause));
    throw new ImagePullError(`failed to pull image "${image}": [${messages.join(', ')}]`, { cause: new AggregateError(failures) });
  }

  /** One pull (with a login, or anonymously); throws ImagePullError with dockerd's message. */
  private async pull(image: string, login: RegistryCredential | undefined, signal?: AbortSignal): Promise<void> {
    const authconfig = login && { username: login.username, password: login.password, serveraddress: dockerServerAddress(login.registry) };
    try {
      const stream = await this.docker.pull(image, { abortSignal: signal, ...(authconfig ? { authconfig } : {}) });
      await new Promise<void>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
      );
    } catch (err) {
      throwIfAborted(signal);
      // The message is dockerd's (never the login: dockerode sends it in a header only).
      throw new ImagePullError(`failed to pull image "${image}": ${messageOf(err)}`, { cause: err });
    }
  }

  async imageUser(image: string, signal?: AbortSignal): Promise<string> {
    try {
      const inspect = await this.docker.getImage(image).inspect({ abortSignal: signal } as object);
      return inspect.Config?.User ?? '';
    } catch (err) {
      throwIfAborted(signal);
      throw new ImageInspectError(`failed to inspect image "${image}": ${messageOf(err)}`, { cause: err });
    }
  }

  /**
   * Inspects the node's pod network (pod-network.ts): reused when it matches `podCIDR`, replaced
   * when it differs and no container is attached, created when missing. From then on sandboxes
   * attach to it.
   */
  async configurePodNetwork(podCIDR: string, signal?: AbortSignal): Promise<void> {
    let spec: PodNetworkSpec;
    try {
      spec = podNetworkSpec(this.nodeName, podCIDR, this.settings.extraLabels);
    } catch (err) {
      throw new PodNetworkError((err as Error).message, { cause: err });
    }
    try {
      const existing = await this.inspectNetwork(spec.name, signal);
      if (existing && !networkMatches(existing, spec)) {
        const attached = Object.keys(existing.Containers ?? {}).length;
        if (attached > 0) {
          const subnets = (existing.IPAM?.Config ?? []).map((c) => c.Subnet).join(', ');
          throw new PodNetworkError(`network ${spec.name} has subnet ${subnets || 'none'}, not ${spec.subnet}, and ${attached} containers attached: remove them first`);
        }
        await this.docker.getNetwork(existing.Id).remove({ abortSignal: signal });
      }
      if (!existing || !networkMatches(existing, spec)) {
        await this.docker.createNetwork({ ...networkCreateBody(spec), abortSignal: signal } as unknown as Docker.NetworkCreateOptions);
      }
    } catch (err) {
      throwIfAborted(signal);
      if (err instanceof PodNetworkError) throw err;
      throw new PodNetworkError(`pod network ${spec.name} (${spec.subnet}): ${messageOf(err)}`, { cause: err });
    }
    this.settings.network = spec.name;
  }

  private async inspectNetwork(name: string, signal?: AbortSignal): Promise<DockerNetworkInspect | undefined> {
    try {
      // dockerode accepts options with abortSignal here; its typings only know the callback form.
      const network = this.docker.getNetwork(name) as unknown as { inspect(o: object): Promise<DockerNetworkInspect> };
      return await network.inspect({ abortSignal: signal });
    } catch (err) {
      throwIfAborted(signal);
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async runPodSandbox(pod: Readonly<Pod>, options: RunPodSandboxOptions = {}): Promise<PodSandbox> {
    const { signal } = options;
    const body = sandboxCreateBody(pod, this.settings, options.attempt ?? 0, options.dns, options.domain);
    try {
      await this.ensureImage(body.Image, 'IfNotPresent', signal);
    } catch (err) {
      throwIfAborted(signal);
      throw new SandboxError(`sandbox image: ${messageOf(err)}`, { cause: err });
    }
    let id: string | undefined;
    try {
      const created = await this.docker.createContainer({ ...body, abortSignal: signal });
      id = created.id;
      await created.start({ abortSignal: signal });
      const resolvConf = resolvConfText(options.dns);
      if (resolvConf) {
        // Through the sandbox (whose image already must have busybox's sleep): works whether or
        // not this process sees dockerd's files. App containers share the sandbox's file.
        const written = await this.exec(id, ['sh', '-c', 'cat > /etc/resolv.conf'], { stdin: resolvConf, signal });
        if (written.exitCode !== 0) throw new Error(`writing /etc/resolv.conf failed (exit ${written.exitCode}): ${written.stderr.trim()}`);
      }
      const [summary] = await this.summaries([`id=${id}`], signal);
      const sandbox = summary && sandboxFromSummary(summary);
      if (!sandbox || sandbox.state !== 'ready' || !sandbox.ip) throw new Error('sandbox is not running after start');
      return sandbox;
    } catch (err) {
      if (id) await this.removeContainer(id).catch(() => undefined);
      throwIfAborted(signal);
      throw new SandboxError(`failed to run the sandbox of pod ${body.name}: ${messageOf(err)}`, { cause: err });
    }
  }

  async stopPodSandbox(id: string, signal?: AbortSignal): Promise<void> {
    await this.stopContainer(id, 0, signal); // the sandbox only holds the namespace: no grace needed
  }

  async removePodSandbox(id: string, signal?: AbortSignal): Promise<void> {
    let labels;
    try {
      labels = parseLabels((await this.docker.getContainer(id).inspect({ abortSignal: signal })).Config.Labels);
    } catch (err) {
      throwIfAborted(signal);
      if (statusOf(err) === 404) return;
      throw err;
    }
    if (labels) {
      const containers = await this.listContainers({ podUid: labels.pod.uid }, signal);
      await Promise.all(containers.filter((c) => c.sandboxId === id).map((c) => this.removeContainer(c.id, signal)));
    }
    await this.removeContainer(id, signal);
  }

  private async summaries(filters: string[], signal?: AbortSignal): Promise<DockerSummary[]> {
    const label = filters.filter((f) => !f.startsWith('id='));
    const id = filters.filter((f) => f.startsWith('id=')).map((f) => f.slice(3));
    const query: Record<string, string[]> = {};
    if (label.length) query.label = label;
    if (id.length) query.id = id;
    return (await this.docker.listContainers({ all: true, filters: query, abortSignal: signal })) as DockerSummary[];
  }

  async listPodSandboxes(filter: { podUid?: string } = {}, signal?: AbortSignal): Promise<PodSandbox[]> {
    const list = await this.summaries(labelFilters(this.nodeName, { kind: 'sandbox', podUid: filter.podUid }), signal);
    return list.map(sandboxFromSummary).filter((s): s is PodSandbox => s !== undefined);
  }

  async podSandboxStatus(id: string, signal?: AbortSignal): Promise<PodSandbox> {
    let inspect;
    try {
      inspect = await this.docker.getContainer(id).inspect({ abortSignal: signal });
    } catch (err) {
      throwIfAborted(signal);
      if (statusOf(err) === 404) throw new ContainerNotFoundError(`no sandbox ${id}`, { cause: err });
      throw err;
    }
    const sandbox = sandboxFromInspect(inspect as unknown as DockerInspect);
    if (!sandbox) throw new ContainerNotFoundError(`container ${id} is not a Skiff sandbox`);
    return sandbox;
  }

  async createContainer(
    sandbox: Readonly<PodSandbox>,
    container: Readonly<Container>,
    options: CreateContainerOptions,
    signal?: AbortSignal,
  ): Promise<string> {
    let imageUser: string | undefined;
    if (options.security?.group !== undefined && options.security.user === undefined) {
      try {
        imageUser = await this.imageUser(container.image, signal);
      } catch (err) {
        throwIfAborted(signal);
        throw new ContainerCreateError(`failed to create container ${container.name}: ${messageOf(err)}`, { cause: err });
      }
    }
    const body = containerCreateBody(sandbox.pod, sandbox.id, container, { ...options, imageUser }, this.settings);
    try {
      const created = await this.docker.createContainer({ ...body, abortSignal: signal });
      return created.id;
    } catch (err) {
      throwIfAborted(signal);
      throw new ContainerCreateError(`failed to create container ${body.name}: ${messageOf(err)}`, { cause: err });
    }
  }

  async startContainer(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.docker.getContainer(id).start({ abortSignal: signal });
    } catch (err) {
      throwIfAborted(signal);
      if (statusOf(err) === 304) return; // already running
      if (statusOf(err) === 404) throw new ContainerNotFoundError(`no container ${id}`, { cause: err });
      throw new ContainerStartError(`failed to start container ${id}: ${messageOf(err)}`, { cause: err });
    }
  }

  async stopContainer(id: string, gracePeriodSeconds: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(gracePeriodSeconds)), abortSignal: signal });
    } catch (err) {
      throwIfAborted(signal);
      const code = statusOf(err);
      if (code === 304 || code === 404) return; // already stopped, or gone
      throw err;
    }
  }

  async removeContainer(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, abortSignal: signal });
    } catch (err) {
      throwIfAborted(signal);
      const code = statusOf(err);
      if (code === 404 || code === 409) return; // gone, or removal already in progress
      throw err;
    }
  }

  async listContainers(filter: { podUid?: string } = {}, signal?: AbortSignal): Promise<ContainerInfo[]> {
    const list = await this.summaries(labelFilters(this.nodeName, { kind: 'container', podUid: filter.podUid }), signal);
    return list.map(containerInfoFromSummary).filter((c): c is ContainerInfo => c !== undefined);
  }

  async containerStatus(id: string, signal?: AbortSignal): Promise<ContainerStatusInfo> {
    let inspect;
    try {
      inspect = await this.docker.getContainer(id).inspect({ abortSignal: signal });
    } catch (err) {
      throwIfAborted(signal);
      if (statusOf(err) === 404) throw new ContainerNotFoundError(`no container ${id}`, { cause: err });
      throw err;
    }
    const status = containerStatusFromInspect(inspect as unknown as DockerInspect);
    if (!status) throw new ContainerNotFoundError(`container ${id} is not a Skiff app container`);
    return status;
  }

  logs(id: string, options: LogOptions = {}): AsyncIterable<LogChunk> {
    const { signal } = options;
    let source: NodeJS.ReadableStream | undefined;
    const queue = new AsyncQueue<LogChunk>(() => {
      signal?.removeEventListener('abort', onAbort);
      (source as Readable | undefined)?.destroy?.();
    });
    const onAbort = () => queue.end();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) queue.end();
    const container = this.docker.getContainer(id);
    const base = {
      stdout: true,
      stderr: true,
      timestamps: options.timestamps ?? false,
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
      ...(options.sinceSeconds !== undefined ? { since: Math.floor(Date.now() / 1000) - options.sinceSeconds } : {}),
    };
    // Docker multiplexes the output of a container without a tty only (8-byte frame headers); a
    // tty container's output is one raw stream, which is shown as stdout.
    let tty = false;
    const request = container.inspect({ abortSignal: signal }).then((inspect) => {
      tty = inspect.Config?.Tty === true;
      return options.follow
        ? container.logs({ ...base, follow: true, abortSignal: signal })
        : container.logs({ ...base, follow: false, abortSignal: signal }).then((buf) => Readable.from([buf]));
    });
    request.then(
      (stream) => {
        source = stream;
        if (signal?.aborted) (stream as Readable).destroy?.();
        if (tty) stream.on('data', (data: Buffer) => queue.push({ stream: 'stdout', data: Buffer.from(data) }));
        else {
          this.docker.modem.demuxStream(
            stream,
            sink((data) => queue.push({ stream: 'stdout', data })),
            sink((data) => queue.push({ stream: 'stderr', data })),
          );
        }
        stream.on('end', () => queue.end());
        stream.on('close', () => queue.end());
        stream.on('error', (err: Error) => (signal?.aborted ? queue.end() : queue.fail(err)));
      },
      (err: unknown) => {
        if (signal?.aborted) queue.end();
        else if (statusOf(err) === 404) queue.fail(new ContainerNotFoundError(`no container ${id}`, { cause: err }));
        else queue.fail(err);
      },
    );
    return queue;
  }

  execStream(id: string, cmd: readonly string[], options: ExecOptions = {}): AsyncIterable<ExecEvent> {
    const { signal } = options;
    let source: Readable | undefined;
    const queue = new AsyncQueue<ExecEvent>(() => {
      signal?.removeEventListener('abort', onAbort);
      source?.destroy();
    });
    const onAbort = () => queue.fail(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const run = async () => {
      throwIfAborted(signal);
      const exec = await this.docker.getContainer(id).exec({
        Cmd: [...cmd],
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: options.stdin !== undefined,
        abortSignal: signal,
      });
      const stream = (await exec.start({ hijack: true, stdin: options.stdin !== undefined, abortSignal: signal })) as unknown as Readable;
      source = stream;
      const ended = new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
      });
      this.docker.modem.demuxStream(
        stream,
        sink((data) => queue.push({ stream: 'stdout', data })),
        sink((data) => queue.push({ stream: 'stderr', data })),
      );
      if (options.stdin !== undefined) (stream as unknown as Writable).end(options.stdin);
      await ended;
      const inspect = await exec.inspect({ abortSignal: signal });
      queue.push({ stream: 'exit', exitCode: inspect.ExitCode ?? -1 });
      queue.end();
    };
    run().catch((err: unknown) => {
      if (signal?.aborted) queue.fail(signal.reason);
      else if (statusOf(err) === 404) queue.fail(new ContainerNotFoundError(`no container ${id}`, { cause: err }));
      else if (statusOf(err) === 409) queue.fail(new ContainerStartError(`container ${id} is not running: ${messageOf(err)}`, { cause: err }));
      else queue.fail(err);
    });
    return queue;
  }

  async exec(id: string, cmd: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return collectExec(this.execStream(id, cmd, options));
  }

  /** The cgroup reader, made on first use from this host's mounts and dockerd's cgroup driver. */
  private containerCgroups(signal?: AbortSignal): Promise<ContainerCgroups> {
    if (!this.cgroups) {
      const docker = this.docker as unknown as { info(o: object): Promise<{ CgroupDriver?: string }> };
      const made = Promise.all([readCgroupMounts(), docker.info({ abortSignal: signal })]).then(
        ([mounts, info]) => new ContainerCgroups({ mounts, driver: info.CgroupDriver ?? 'cgroupfs', pidOf: (id, s) => this.pidOf(id, s) }),
      );
      made.catch(() => (this.cgroups = undefined)); // e.g. dockerd was down, or the call aborted: try again next time
      this.cgroups = made;
    }
    return this.cgroups;
  }

  /** The pid of a running container's main process; undefined when it does not run or is gone. */
  private async pidOf(id: string, signal?: AbortSignal): Promise<number | undefined> {
    try {
      const inspect = await this.docker.getContainer(id).inspect({ abortSignal: signal });
      return inspect.State.Running ? inspect.State.Pid : undefined;
    } catch (err) {
      throwIfAborted(signal);
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Docker's stats API (slow: up to seconds): for containers whose cgroup this process cannot read. */
  private async apiStats(id: string, signal?: AbortSignal): Promise<ContainerStats> {
    let raw: Docker.ContainerStats;
    try {
      raw = await this.docker.getContainer(id).stats({ stream: false, 'one-shot': true, abortSignal: signal } as { stream: false });
    } catch (err) {
      throwIfAborted(signal);
      if (statusOf(err) === 404) throw new ContainerNotFoundError(`no container ${id}`, { cause: err });
      throw err;
    }
    const memory = raw.memory_stats ?? {};
    const stats = (memory.stats ?? {}) as Record<string, number>;
    const inactive = stats.total_inactive_file ?? stats.inactive_file ?? 0;
    return {
      cpuUsageNanos: raw.cpu_stats?.cpu_usage?.total_usage ?? 0,
      memoryWorkingSetBytes: workingSetBytes({ cpuUsageNanos: 0, memoryUsageBytes: memory.usage ?? 0, inactiveFileBytes: inactive }),
      timestamp: new Date(raw.read),
    };
  }

  async stats(id: string, signal?: AbortSignal): Promise<ContainerStats> {
    const usage = await (await this.containerCgroups(signal)).usage(id, signal);
    if (usage === 'not-running') throw new ContainerNotFoundError(`no running container ${id}`);
    if (!usage) return this.apiStats(id, signal);
    return { cpuUsageNanos: usage.cpuUsageNanos, memoryWorkingSetBytes: workingSetBytes(usage), timestamp: new Date() };
  }

  async listContainerStats(signal?: AbortSignal): Promise<ContainerStatsSample[]> {
    const cgroups = await this.containerCgroups(signal);
    const filters = { label: labelFilters(this.nodeName, { kind: 'container' }), status: ['running'] };
    const list = (await this.docker.listContainers({ filters, abortSignal: signal })) as DockerSummary[];
    cgroups.retain(new Set(list.map((c) => c.Id)));
    const samples: ContainerStatsSample[] = [];
    for (const [i, summary] of list.entries()) {
      // Cgroup reads are synchronous (cgroup-reader.ts): let other work in between now and then.
      if (i > 0 && i % STATS_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
      const info = containerInfoFromSummary(summary);
      if (!info) continue;
      try {
        const stats = await this.stats(info.id, signal);
        samples.push({ ...stats, id: info.id, pod: info.pod, name: info.name });
      } catch (err) {
        throwIfAborted(signal);
        if (!(err instanceof ContainerNotFoundError)) throw err; // else it stopped meanwhile
      }
    }
    return samples;
  }

  events(signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    let source: Readable | undefined;
    const queue = new AsyncQueue<RuntimeEvent>(() => {
      signal.removeEventListener('abort', onAbort);
      source?.destroy();
    });
    const onAbort = () => queue.end();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) queue.end();
    const filters = { type: ['container' as const], event: ['start', 'die', 'oom', 'destroy'], label: labelFilters(this.nodeName) };
    this.docker.getEvents({ filters, abortSignal: signal }).then(
      (stream) => {
        source = stream as Readable;
        if (signal.aborted) source.destroy();
        let pending = '';
        stream.on('data', (chunk: Buffer) => {
          pending += chunk.toString('utf8');
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            const event = line ? runtimeEventFromDocker(JSON.parse(line)) : undefined;
            if (event) queue.push(event);
          }
        });
        stream.on('end', () => queue.end());
        stream.on('close', () => queue.end());
        stream.on('error', (err: Error) => (signal.aborted ? queue.end() : queue.fail(err)));
      },
      (err: unknown) => (signal.aborted ? queue.end() : queue.fail(err)),
    );
    return queue;
  }
}

/** A Docker event message (the fields Skiff reads). */
interface DockerEventMessage {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

const EVENT_TYPES: Readonly<Record<string, RuntimeEvent['type']>> = { start: 'started', die: 'died', oom: 'oom', destroy: 'removed' };

/** Maps a Docker container event to a RuntimeEvent; undefined for events Skiff does not track. */
export function runtimeEventFromDocker(message: DockerEventMessage): RuntimeEvent | undefined {
  const type = EVENT_TYPES[message.Action ?? message.status ?? ''];
  const attributes = message.Actor?.Attributes ?? {};
  const labels = parseLabels(attributes);
  const id = message.Actor?.ID ?? message.id;
  if (!type || !labels || !id) return undefined;
  const time = message.timeNano ? new Date(Math.floor(message.timeNano / 1e6)) : new Date((message.time ?? 0) * 1000);
  const event: RuntimeEvent = { type, id, kind: labels.kind, pod: labels.pod, time };
  if (labels.kind === 'container') {
    event.containerName = labels.containerName;
    event.attempt = labels.attempt;
  }
  if (type === 'died' && attributes.exitCode !== undefined) event.exitCode = Number(attributes.exitCode);
  return event;
}

/** Collects an exec stream into its output and exit code (output decoded as UTF-8). */
export async function collectExec(events: AsyncIterable<ExecEvent>): Promise<ExecResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let exitCode = -1;
  for await (const e of events) {
    if (e.stream === 'exit') exitCode = e.exitCode;
    else (e.stream === 'stdout' ? out : err).push(e.data);
  }
  return { exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
