/**
 * The SkiffClient over gRPC (the generated grpc-js ApiClient). The only place that turns gRPC
 * statuses back into the API's error classes.
 */
import { isIP } from 'node:net';
import { credentials as grpcCredentials, Metadata, status as grpcStatus, type ChannelCredentials, type ClientReadableStream, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { ApiClient, errorFromStatus, type ApiObject, type BindRequest, type EvictRequest, type ExecOutput, type ExecRequest, type ListResponse, type LogChunk, type LogsRequest, type NodeMetricsList, type PodMetricsList, type VersionResponse, type WatchEvent } from '@skiff/api';
import type { CallOptions, DeleteOptions, ListOptions, MetricsOptions, SkiffClient, WatchOptions, WriteOptions } from './skiff-client';

export interface ConnectOptions {
  /** Default deadline of unary calls (CallOptions.timeoutMs overrides it); 30 s. */
  timeoutMs?: number;
  /** Channel credentials; default insecure (loopback development clusters). */
  credentials?: ChannelCredentials;
  /** Keep-alive ping interval, so that a dead server under a long watch is noticed; 20 s. */
  keepaliveMs?: number;
  /** Largest response accepted (a List of many objects); 256 MiB. */
  maxReceiveBytes?: number;
}

/**
 * The grpc-js channel target for an apiserver address or a comma-separated list of them
 * ("10.0.0.1:6443,10.0.0.2:6443"). Pure. One address is used as it is (grpc-js's DNS resolver:
 * a name with several A records gives several apiservers). Several must be IP literals
 * (`localhost` counts as 127.0.0.1; IPv6 as "[::1]:6443"), all of one family: they become an
 * `ipv4:`/`ipv6:` target, which grpc-js balances over with round_robin (see connect). Throws
 * for an empty list, a missing port or hostnames in a list (grpc-js resolves only one name per
 * channel: list IPs, or give one DNS name with several records).
 */
export function apiserverTarget(server: string): string {
  const addresses = server.split(',').map((a) => a.trim()).filter(Boolean);
  if (addresses.length === 0) throw new Error('no apiserver address given');
  if (addresses.length === 1) return addresses[0];
  const parsed = addresses.map((address) => {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address);
    if (!m) throw new Error(`apiserver address "${address}" is not host:port`);
    const host = m[1] ?? (m[2] === 'localhost' ? '127.0.0.1' : m[2]);
    const family = isIP(host);
    if (family === 0) {
      throw new Error(`apiserver address "${address}": a list of apiservers must be IP addresses (or one DNS name with several records)`);
    }
    return { family, hostPort: family === 6 ? `[${host}]:${m[3]}` : `${host}:${m[3]}` };
  });
  const families = new Set(parsed.map((p) => p.family));
  if (families.size > 1) throw new Error(`apiserver addresses "${server}" mix IPv4 and IPv6`);
  return `ipv${parsed[0].family}:${parsed.map((p) => p.hostPort).join(',')}`;
}

/** Rebuilds the API error from a grpc-js error (keeping it as `cause`). */
export function fromServiceError(err: ServiceError | Error): Error {
  const code = (err as ServiceError).code;
  if (typeof code !== 'number') return err;
  const mapped = errorFromStatus(code, (err as ServiceError).details || err.message);
  if (mapped !== err) Object.defineProperty(mapped, 'cause', { value: err, enumerable: false, configurable: true });
  return mapped;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

class GrpcSkiffClient implements SkiffClient {
  private readonly api: ApiClient;
  private readonly timeoutMs: number;

  constructor(address: string, opts: ConnectOptions) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    const keepalive = opts.keepaliveMs ?? 20_000;
    this.api = new ApiClient(apiserverTarget(address), opts.credentials ?? grpcCredentials.createInsecure(), {
      // Every apiserver of the target gets a connection and calls are spread over the ready ones:
      // a dead apiserver leaves the rotation as soon as its connection breaks.
      'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
      'grpc.keepalive_time_ms': keepalive,
      'grpc.keepalive_timeout_ms': Math.min(10_000, keepalive),
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
      'grpc.max_receive_message_length': opts.maxReceiveBytes ?? 256 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    });
  }

  /** One unary call with a deadline, cancelled by the signal, errors mapped. */
  private unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options: CallOptions = {}): Promise<Res> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<Res>((resolve, reject) => {
      const deadline = new Date(Date.now() + (options.timeoutMs ?? this.timeoutMs));
      const onAbort = () => call.cancel();
      const call = method.call(this.api, request, new Metadata(), { deadline }, (error, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (!error) resolve(response);
        else if (signal?.aborted && error.code === grpcStatus.CANCELLED) reject(abortError(signal));
        else reject(fromServiceError(error));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  create(object: ApiObject, options: WriteOptions = {}): Promise<ApiObject> {
    return this.unary(this.api.create, { object, dryRun: options.dryRun ?? false }, options);
  }

  get(resource: string, namespace: string, name: string, options?: CallOptions): Promise<ApiObject> {
    return this.unary(this.api.get, { resource, namespace, name }, options);
  }

  list(resource: string, options: ListOptions = {}): Promise<ListResponse> {
    return this.unary(
      this.api.list,
      { resource, namespace: options.namespace ?? '', labelSelector: options.labelSelector ?? '', fieldSelector: options.fieldSelector ?? '' },
      options,
    );
  }

  update(object: ApiObject, options: WriteOptions = {}): Promise<ApiObject> {
    return this.unary(this.api.update, { object, dryRun: options.dryRun ?? false }, options);
  }

  updateStatus(object: ApiObject, options: WriteOptions = {}): Promise<ApiObject> {
    return this.unary(this.api.updateStatus, { object, dryRun: options.dryRun ?? false }, options);
  }

  delete(resource: string, namespace: string, name: string, options: DeleteOptions = {}): Promise<ApiObject> {
    return this.unary(
      this.api.delete,
      {
        resource,
        namespace,
        name,
        preconditions: options.preconditions,
        gracePeriodSeconds: options.gracePeriodSeconds,
        propagationPolicy: options.propagationPolicy ?? '',
        dryRun: options.dryRun ?? false,
      },
      options,
    );
  }

  watch(resource: string, options: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const request = {
      resource,
      namespace: options.namespace ?? '',
      labelSelector: options.labelSelector ?? '',
      fieldSelector: options.fieldSelector ?? '',
      resourceVersion: options.resourceVersion ?? '',
    };
    return this.stream(() => this.api.watch(request), signal);
  }

  podLogs(request: LogsRequest, signal: AbortSignal): AsyncIterable<LogChunk> {
    return this.stream(() => this.api.podLogs(request), signal);
  }

  podExec(request: ExecRequest, signal: AbortSignal): AsyncIterable<ExecOutput> {
    return this.stream(() => this.api.podExec(request), signal);
  }

  /** A server stream as an async iterable: ends quietly on abort, errors mapped back to classes. */
  private async *stream<T>(open: () => ClientReadableStream<T>, signal: AbortSignal): AsyncIterable<T> {
    if (signal.aborted) return;
    const call = open();
    const onAbort = () => call.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const message of call) yield message as T;
    } catch (err) {
      if (signal.aborted) return;
      throw fromServiceError(err as ServiceError);
    } finally {
      signal.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  podMetrics(namespace: string, labelSelector = '', options: MetricsOptions = {}): Promise<PodMetricsList> {
    return this.unary(this.api.podMetrics, { namespace, labelSelector, name: options.name ?? '' }, options);
  }

  nodeMetrics(labelSelector = '', options: MetricsOptions = {}): Promise<NodeMetricsList> {
    return this.unary(this.api.nodeMetrics, { labelSelector, name: options.name ?? '' }, options);
  }

  bind(request: BindRequest, options?: CallOptions): Promise<ApiObject> {
    return this.unary(this.api.bind, request, options);
  }

  evict(request: EvictRequest, options?: CallOptions): Promise<ApiObject> {
    return this.unary(this.api.evict, request, options);
  }

  version(options?: CallOptions): Promise<VersionResponse> {
    return this.unary(this.api.version, {}, options);
  }

  close(): void {
    this.api.close();
  }
}

/**
 * Opens a client to the apiserver at `address` ("127.0.0.1:6443"), or to several apiservers
 * ("10.0.0.1:6443,10.0.0.2:6443", see apiserverTarget). The channel connects lazily and
 * reconnects by itself; calls go round-robin to the apiservers that are up. A call in flight on
 * an apiserver that dies, or made while none is up, fails fast with UnavailableError (callers
 * retry, and a retry goes to a live apiserver). Call close() when done.
 */
export function connect(address: string, opts: ConnectOptions = {}): SkiffClient {
  return new GrpcSkiffClient(address, opts);
}

