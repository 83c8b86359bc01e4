/**
 * The typed gRPC client for the Skiff API. CONTRACT (used by the CLI, controllers, kubelets):
 * every method rejects with the API's error classes (NotFoundError, ConflictError, InvalidError,
 * CompactedError, ... rebuilt from the gRPC status by errorFromStatus); `signal` cancels the call.
 */
import type { ApiObject, BindRequest, EvictRequest, ExecOutput, ExecRequest, ListResponse, LogChunk, LogsRequest, NodeMetricsList, PodMetricsList, Preconditions, VersionResponse, WatchEvent } from '@skiff/api';

export interface CallOptions {
  signal?: AbortSignal;
  /** Per-call deadline; default 30 s. */
  timeoutMs?: number;
}

export interface WriteOptions extends CallOptions {
  dryRun?: boolean;
}

export interface ListOptions extends CallOptions {
  /** Empty or undefined: all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: Preconditions;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Watch changes after this revision; empty: from now. */
  resourceVersion?: string;
}

export interface MetricsOptions extends CallOptions {
  /** That object only: the list then has one item, or the call fails with NotFoundError. */
  name?: string;
}

export interface SkiffClient {
  create(object: ApiObject, options?: WriteOptions): Promise<ApiObject>;
  get(resource: string, namespace: string, name: string, options?: CallOptions): Promise<ApiObject>;
  list(resource: string, options?: ListOptions): Promise<ListResponse>;
  update(object: ApiObject, options?: WriteOptions): Promise<ApiObject>;
  updateStatus(object: ApiObject, options?: WriteOptions): Promise<ApiObject>;
  delete(resource: string, namespace: string, name: string, options?: DeleteOptions): Promise<ApiObject>;
  /** The gRPC Watch stream as an async iterable; ends when signal aborts. */
  watch(resource: string, options: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent>;
  /** A container's logs (proxied from its node's kubelet) as chunks; ends with the log or on abort. */
  podLogs(request: LogsRequest, signal: AbortSignal): AsyncIterable<LogChunk>;
  /** Runs a command in a container: stdout/stderr chunks as they come, the exit code last. */
  podExec(request: ExecRequest, signal: AbortSignal): AsyncIterable<ExecOutput>;
  /**
   * Current usage of the pods in `namespace` (empty: all namespaces) matching `labelSelector`
   * (metrics.k8s.io PodMetrics, from their nodes' kubelets): CPU averaged over the item's window,
   * memory as working set. Pods without metrics yet (just started, node not answering) are left
   * out. See resource-usage.ts for the per-pod sums an autoscaler uses.
   */
  podMetrics(namespace: string, labelSelector?: string, options?: MetricsOptions): Promise<PodMetricsList>;
  /** Current usage of the nodes matching `labelSelector` (metrics.k8s.io NodeMetrics); nodes without metrics are left out. */
  nodeMetrics(labelSelector?: string, options?: MetricsOptions): Promise<NodeMetricsList>;
  bind(request: BindRequest, options?: CallOptions): Promise<ApiObject>;
  /**
   * Evicts a pod (Kubernetes' pods/eviction): TooManyRequestsError while a PodDisruptionBudget of
   * the pod allows no disruption (try again later), else the pod is deleted gracefully.
   */
  evict(request: EvictRequest, options?: CallOptions): Promise<ApiObject>;
  version(options?: CallOptions): Promise<VersionResponse>;
  close(): void;
}
