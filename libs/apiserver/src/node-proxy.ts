/**
 * Proxies the pod subresources that live on nodes (logs, exec) to the kubelet of the pod's
 * node, as Kubernetes' apiserver does, so that a client needs to reach only the apiserver.
 * The kubelet's address is the node's InternalIP (else its first address) and
 * status.daemonEndpoints.kubeletEndpoint.port.
 */
import { credentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import {
  errorFromStatus,
  FailedPreconditionError,
  KubeletClient,
  unwrap,
  UnavailableError,
  type ExecOutput,
  type ExecRequest,
  type LogChunk,
  type LogsRequest,
  type Node,
  type Pod,
} from '@skiff/api';
import type { GenericStore } from './generic-store';

/** The kubelet address ("host:port") of a node, or UnavailableError when it has none. */
export function kubeletAddress(node: Readonly<Node>): string {
  const addresses = node.status?.addresses ?? [];
  const host = (addresses.find((a) => a.type === 'InternalIP') ?? addresses[0])?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.port;
  if (!host || !port) throw new UnavailableError(`node "${node.metadata?.name}" publishes no kubelet endpoint`);
  return `${host}:${port}`;
}

/** Relays a kubelet stream; cancels it when `signal` aborts; kubelet errors keep their gRPC code. */
async function* relay<T>(call: ClientReadableStream<T>, signal: AbortSignal): AsyncIterable<T> {
  const cancel = () => call.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for await (const message of call) yield message as T;
  } catch (err) {
    const status = err as Partial<ServiceError>;
    if (typeof status.code === 'number' && !signal.aborted) throw errorFromStatus(status.code, status.details ?? String(err));
    throw err;
  } finally {
    signal.removeEventListener('abort', cancel);
    call.cancel();
  }
}

export class NodeProxy {
  private readonly clients = new Map<string, KubeletClient>();

  constructor(private readonly store: GenericStore) {}

  /** A container's logs from its kubelet (see LogsRequest). */
  logs(request: LogsRequest, signal: AbortSignal): AsyncIterable<LogChunk> {
    return this.forward(request, signal, (client) => client.logs(request));
  }

  /** Runs a command in a container through its kubelet: output as it comes, exit code last. */
  exec(request: ExecRequest, signal: AbortSignal): AsyncIterable<ExecOutput> {
    return this.forward(request, signal, (client) => client.exec(request));
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private async *forward<T>(target: { namespace: string; name: string }, signal: AbortSignal, open: (client: KubeletClient) => ClientReadableStream<T>): AsyncIterable<T> {
    const client = await this.kubeletFor(target.namespace || 'default', target.name, signal);
    yield* relay(open(client), signal);
  }

  private async kubeletFor(namespace: string, name: string, signal: AbortSignal): Promise<KubeletClient> {
    const pod = unwrap(await this.store.get('pods', namespace, name, signal)).object as Pod;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw new FailedPreconditionError(`pod "${name}" is not scheduled to a node yet`);
    return this.kubeletClient(unwrap(await this.store.get('nodes', '', nodeName, signal)).object as Node);
  }

  /**
   * The client of a node's kubelet (one per address, kept until close()); UnavailableError when
   * the node publishes no kubelet endpoint. Also used by the metrics API.
   */
  kubeletClient(node: Readonly<Node>): KubeletClient {
    const address = kubeletAddress(node);
    let client = this.clients.get(address);
    if (!client) {
      client = new KubeletClient(address, credentials.createInsecure());
      this.clients.set(address, client);
    }
    return client;
  }
}
