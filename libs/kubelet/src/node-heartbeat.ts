/**
 * Registers the kubelet's Node and keeps it alive: the Lease in skiff-node-lease renewed every
 * leaseIntervalMs (the cheap heartbeat the node lifecycle controller watches), and the Node's
 * status (Ready condition's lastHeartbeatTime) rewritten every statusIntervalMs. Failures are
 * logged and retried at the next tick; nothing here gives up while the signal is live.
 * Writing Ready=True over a Node that was not Ready (new, or marked Unknown while the kubelet was
 * down) records the NodeReady event, as the kubelet's ReadyCondition setter does.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, NotFoundError, type Lease, type Node } from '@skiff/api';
import { typed, type SkiffClient } from '@skiff/client';
import pino, { type Logger } from 'pino';
import { KubeletReason, nodeReadyMessage, NO_EVENTS, type KubeletEventRecorder } from './kubelet-events';
import { buildNode, buildNodeLease, buildNodeStatus, nodeLabels, NODE_LEASE_NAMESPACE, type NodeParams } from './node-status';

export interface NodeHeartbeatOptions {
  client: SkiffClient;
  params: NodeParams;
  /** Lease renewal period; Kubernetes' default 10 s. */
  leaseIntervalMs?: number;
  /** Node status refresh period; Kubernetes' default 1 min (nodeStatusReportFrequency). */
  statusIntervalMs?: number;
  log?: Logger;
  /** Where the NodeReady event goes; none when unset. */
  recorder?: KubeletEventRecorder;
}

export class NodeHeartbeat {
  private readonly nodes;
  private readonly leases;
  private readonly log: Logger;
  private lease?: Lease;
  private node?: Node;

  constructor(private readonly options: NodeHeartbeatOptions) {
    this.nodes = typed(options.client, 'node');
    this.leases = typed(options.client, 'lease');
    this.log = options.log ?? pino({ level: 'silent' });
  }

  /** The Node as last written. */
  get current(): Node | undefined {
    return this.node;
  }

  /**
   * Creates the Node, or updates an existing one's labels, annotations and status (its spec, e.g. taints set by
   * an admin, is kept). Throws on API errors (the caller retries).
   */
  async register(signal?: AbortSignal): Promise<Node> {
    const { params } = this.options;
    const now = new Date();
    let existing: Node;
    try {
      existing = await this.nodes.get('', params.nodeName, { signal });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      this.node = await this.nodes.create(buildNode(params, now), { signal });
      this.log.info({ node: params.nodeName }, 'node registered');
      this.noteReady(undefined, this.node);
      return this.node;
    }
    const labels = { ...(existing.metadata?.labels ?? {}), ...nodeLabels(params) };
    const annotations = { ...(existing.metadata?.annotations ?? {}), ...params.annotations };
    if (JSON.stringify(labels) !== JSON.stringify(existing.metadata?.labels ?? {}) || JSON.stringify(annotations) !== JSON.stringify(existing.metadata?.annotations ?? {})) {
      existing = await this.nodes.update({ ...existing, metadata: { ...(existing.metadata as NonNullable<Node['metadata']>), labels, annotations } }, { signal });
    }
    this.node = await this.writeStatus(existing, signal);
    this.log.info({ node: params.nodeName }, 'node updated');
    return this.node;
  }

  /** Renews (or creates) the node's Lease. Throws on API errors. */
  async renewLease(signal?: AbortSignal): Promise<Lease> {
    const name = this.options.params.nodeName;
    if (!this.lease) {
      try {
        this.lease = await this.leases.get(NODE_LEASE_NAMESPACE, name, { signal });
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        this.lease = await this.leases.create(buildNodeLease(name, new Date()), { signal });
        return this.lease;
      }
    }
    try {
      this.lease = await this.leases.update(buildNodeLease(name, new Date(), this.lease), { signal });
    } catch (err) {
      this.lease = undefined; // stale or gone: read it again next time
      if (err instanceof ConflictError || err instanceof NotFoundError) return this.renewLease(signal);
      throw err;
    }
    return this.lease;
  }

  /** Rewrites the Node's status with a fresh heartbeat. */
  async updateStatus(signal?: AbortSignal): Promise<Node> {
    const node = this.node ?? (await this.nodes.get('', this.options.params.nodeName, { signal }));
    this.node = await this.writeStatus(node, signal);
    return this.node;
  }

  /** Renews the Lease and refreshes the status on their periods until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const leaseMs = this.options.leaseIntervalMs ?? 10_000;
    const statusMs = this.options.statusIntervalMs ?? 60_000;
    let nextStatus = Date.now() + statusMs;
    while (!signal.aborted) {
      try {
        await this.renewLease(signal);
        // After a failed heartbeat the node lifecycle controller may have marked the Node
        // Unknown: post the status now, not at the next period (Kubernetes' kubelet notices the
        // changed Ready condition on its next 10 s sync).
        if (Date.now() >= nextStatus) {
          await this.updateStatus(signal);
          nextStatus = Date.now() + statusMs;
        }
      } catch (err) {
        if (signal.aborted) break;
        this.log.warn({ err }, 'node heartbeat failed');
        nextStatus = Date.now(); // post the status with the next successful renewal
      }
      await sleep(Math.min(leaseMs, Math.max(0, nextStatus - Date.now())), undefined, { signal }).catch(() => undefined);
    }
  }

  /** Records NodeReady when `after` is Ready and `before` (undefined: none) was not. */
  private noteReady(before: Node | undefined, after: Node): void {
    const ready = (n?: Node) => n?.status?.conditions.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready(after) && !ready(before)) (this.options.recorder ?? NO_EVENTS).normal(after, KubeletReason.NodeReady, nodeReadyMessage(this.options.params.nodeName), 'Node');
  }

  private async writeStatus(node: Node, signal?: AbortSignal): Promise<Node> {
    const status = buildNodeStatus(this.options.params, new Date(), node.status);
    try {
      const written = await this.nodes.updateStatus({ ...node, metadata: { ...(node.metadata as NonNullable<Node['metadata']>), resourceVersion: '' }, status }, { signal });
      this.noteReady(node, written);
      return written;
    } catch (err) {
      if (err instanceof NotFoundError) {
        this.node = undefined;
        return this.register(signal); // deleted by someone: register again
      }
      if (err instanceof ConflictError) this.node = undefined; // made again meanwhile (another uid): read it next time
      throw err;
    }
  }
}
