/**
 * The Kubelet gRPC service (proto/skiff/node/v1/kubelet.proto): a container's logs and exec, from
 * the runtime, and the node's resource usage (Summary, from the metrics collector's latest pass).
 * The apiserver proxies Api.PodLogs / Api.PodExec here and asks Summary for Api.PodMetrics / NodeMetrics. Errors: an unknown pod or
 * container is NotFoundError; a missing container name on a pod with several containers, or
 * --previous without a previous instance, is InvalidError.
 */
import { ExecOutput, InvalidError, KubeletService, LogChunk, NotFoundError, StatsSummary, type Pod } from '@skiff/api';
import type { ContainerInfo, ContainerRuntime } from '@skiff/runtime';
import { bindService, type ServiceBinding } from '@skiff/service';
import type { ResourceMetricsCollector } from './resource-metrics-collector';
import { statsSummary } from './stats-summary';

export interface KubeletServiceOptions {
  runtime: ContainerRuntime;
  /** The pod bound to this node with this namespace and name (from the informer), if any. */
  findPod(namespace: string, name: string): Readonly<Pod> | undefined;
  /** The node's name and its usage collector, for Summary (without: an empty summary). */
  metrics?: { nodeName: string; collector: Pick<ResourceMetricsCollector, 'latest' | 'resolutionMs'> };
}

/** The container a request names; the pod's only container when it names none. */
export function resolveContainerName(pod: Readonly<Pod>, requested: string): string {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const podName = pod.metadata?.name ?? '';
  if (requested) {
    // Init containers (and sidecars) by name too; the default is chosen among app containers only.
    if (!names.includes(requested) && !(pod.spec?.initContainers ?? []).some((c) => c.name === requested)) throw new NotFoundError(`container "${requested}" not found in pod "${podName}"`);
    return requested;
  }
  if (names.length === 1) return names[0];
  throw new InvalidError([{ field: 'container', detail: `a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]` }]);
}

async function findInstance(options: KubeletServiceOptions, namespace: string, name: string, container: string, previous: boolean, signal: AbortSignal): Promise<ContainerInfo> {
  const pod = options.findPod(namespace, name);
  if (!pod) throw new NotFoundError(`pod "${name}" not found on this node`);
  const containerName = resolveContainerName(pod, container);
  const instances = (await options.runtime.listContainers({ podUid: pod.metadata?.uid }, signal)).filter((c) => c.name === containerName).sort((a, b) => b.attempt - a.attempt);
  const instance = previous ? instances[1] : instances[0];
  if (!instance) {
    if (previous) throw new InvalidError([{ field: 'previous', detail: `previous terminated container "${containerName}" in pod "${name}" not found` }]);
    throw new NotFoundError(`container "${containerName}" in pod "${name}" has not been created yet`);
  }
  return instance;
}

/** The service binding to pass to startGrpcServer. */
export function kubeletService(options: KubeletServiceOptions): ServiceBinding {
  return bindService('skiff.node.v1.Kubelet', KubeletService, {
    logs: async function* (req, signal) {
      const instance = await findInstance(options, req.namespace, req.name, req.container, req.previous, signal);
      const chunks = options.runtime.logs(instance.id, {
        follow: req.follow,
        tail: req.tailLines !== undefined ? Number(req.tailLines) : undefined,
        sinceSeconds: req.sinceSeconds !== undefined ? Number(req.sinceSeconds) : undefined,
        timestamps: req.timestamps,
        signal,
      });
      for await (const chunk of chunks) yield LogChunk.fromPartial({ data: chunk.data });
    },
    exec: async function* (req, signal) {
      const instance = await findInstance(options, req.namespace, req.name, req.container, false, signal);
      if (instance.state !== 'running') throw new InvalidError([{ field: 'container', detail: `container "${instance.name}" is not running` }]);
      for await (const event of options.runtime.execStream(instance.id, req.command, { signal })) {
        if (event.stream === 'exit') yield ExecOutput.fromPartial({ output: { $case: 'exitCode', value: event.exitCode } });
        else yield ExecOutput.fromPartial({ output: { $case: event.stream, value: event.data } });
      }
    },
    summary: async () => {
      const { metrics } = options;
      return metrics ? statsSummary(metrics.nodeName, metrics.collector.latest(), metrics.collector.resolutionMs) : StatsSummary.fromPartial({});
    },
  });
}
