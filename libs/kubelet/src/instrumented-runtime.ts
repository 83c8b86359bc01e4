/**
 * A ContainerRuntime that counts and times every call of the one it wraps (Kubernetes'
 * kuberuntime instrumentedRuntimeService), under CRI's operation names: run_podsandbox,
 * create_container, pull_image, ... A call that rejects counts as an error, unless its signal
 * had aborted (the kubelet cancelled it: shutdown, a pod starting to terminate). Streams (logs,
 * exec streams, events) are passed through unmeasured. Results and errors are passed on unchanged.
 */
import type { Container, Pod } from '@skiff/api';
import type {
  ContainerRuntime,
  CreateContainerOptions,
  EnsureImageHooks,
  ExecOptions,
  LogOptions,
  PodSandbox,
  RunPodSandboxOptions,
} from '@skiff/runtime';
import type { KubeletMetrics } from './kubelet-metrics';

type RuntimeMetrics = Pick<KubeletMetrics, 'runtimeOperations' | 'runtimeOperationErrors' | 'runtimeOperationSeconds'>;

/** Wraps `runtime`; see the module comment. */
export class InstrumentedRuntime implements ContainerRuntime {
  readonly nodeName: string;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly metrics: RuntimeMetrics,
  ) {
    this.nodeName = runtime.nodeName;
  }

  /** Runs one call, recording it under `operation`. */
  private async measure<T>(operation: string, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
    const labels = { operation_type: operation };
    this.metrics.runtimeOperations.inc(labels);
    const end = this.metrics.runtimeOperationSeconds.startTimer(labels);
    try {
      return await call();
    } catch (err) {
      if (!signal?.aborted) this.metrics.runtimeOperationErrors.inc(labels);
      throw err;
    } finally {
      end();
    }
  }

  info(signal?: AbortSignal) {
    return this.measure('version', signal, () => this.runtime.info(signal));
  }

  imageUser(image: string, signal?: AbortSignal) {
    return this.measure('image_status', signal, () => this.runtime.imageUser(image, signal));
  }

  ensureImage(image: string, pullPolicy: string, signal?: AbortSignal, hooks?: EnsureImageHooks) {
    return this.measure('pull_image', signal, () => this.runtime.ensureImage(image, pullPolicy, signal, hooks));
  }

  configurePodNetwork(podCIDR: string, signal?: AbortSignal) {
    return this.measure('update_runtime_config', signal, () => this.runtime.configurePodNetwork(podCIDR, signal));
  }

  runPodSandbox(pod: Readonly<Pod>, options: RunPodSandboxOptions = {}) {
    return this.measure('run_podsandbox', options.signal, () => this.runtime.runPodSandbox(pod, options));
  }

  stopPodSandbox(id: string, signal?: AbortSignal) {
    return this.measure('stop_podsandbox', signal, () => this.runtime.stopPodSandbox(id, signal));
  }

  removePodSandbox(id: string, signal?: AbortSignal) {
    return this.measure('remove_podsandbox', signal, () => this.runtime.removePodSandbox(id, signal));
  }

  listPodSandboxes(filter?: { podUid?: string }, signal?: AbortSignal) {
    return this.measure('list_podsandbox', signal, () => this.runtime.listPodSandboxes(filter, signal));
  }

  podSandboxStatus(id: string, signal?: AbortSignal) {
    return this.measure('podsandbox_status', signal, () => this.runtime.podSandboxStatus(id, signal));
  }

  createContainer(sandbox: Readonly<PodSandbox>, container: Readonly<Container>, options: CreateContainerOptions, signal?: AbortSignal) {
    return this.measure('create_container', signal, () => this.runtime.createContainer(sandbox, container, options, signal));
  }

  startContainer(id: string, signal?: AbortSignal) {
    return this.measure('start_container', signal, () => this.runtime.startContainer(id, signal));
  }

  stopContainer(id: string, gracePeriodSeconds: number, signal?: AbortSignal) {
    return this.measure('stop_container', signal, () => this.runtime.stopContainer(id, gracePeriodSeconds, signal));
  }

  removeContainer(id: string, signal?: AbortSignal) {
    return this.measure('remove_container', signal, () => this.runtime.removeContainer(id, signal));
  }

  listContainers(filter?: { podUid?: string }, signal?: AbortSignal) {
    return this.measure('list_containers', signal, () => this.runtime.listContainers(filter, signal));
  }

  containerStatus(id: string, signal?: AbortSignal) {
    return this.measure('container_status', signal, () => this.runtime.containerStatus(id, signal));
  }

  exec(id: string, cmd: readonly string[], options?: ExecOptions) {
    return this.measure('exec_sync', options?.signal, () => this.runtime.exec(id, cmd, options));
  }

  stats(id: string, signal?: AbortSignal) {
    return this.measure('container_stats', signal, () => this.runtime.stats(id, signal));
  }

  listContainerStats(signal?: AbortSignal) {
    return this.measure('list_container_stats', signal, () => this.runtime.listContainerStats(signal));
  }

  logs(id: string, options?: LogOptions) {
    return this.runtime.logs(id, options);
  }

  execStream(id: string, cmd: readonly string[], options?: ExecOptions) {
    return this.runtime.execStream(id, cmd, options);
  }

  events(signal: AbortSignal) {
    return this.runtime.events(signal);
  }
}
