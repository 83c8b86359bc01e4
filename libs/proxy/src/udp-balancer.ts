/**
 * The UDP half of the proxy: one dgram socket per UDP listener of the proxy table. Datagrams have
 * no connections, so the proxy keeps flows: the first datagram from a client address:port picks a
 * backend (BackendPicker: round robin or ClientIP affinity) and opens an upstream socket connected
 * to it; later datagrams of that client reuse it, and the backend's replies go back to the client
 * from the listener's address. A flow ends after `idleTimeoutMs` without traffic either way, or
 * when its backend refuses (ICMP port unreachable): the next datagram picks a backend again.
 *
 * apply(listeners) binds missing UDP listeners, updates the backends of bound ones (existing flows
 * keep their backend until they idle out) and closes removed listeners with their flows. A bind
 * failure is logged and retried on the next apply().
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '@skiff/service';
import { BackendPicker, DEFAULT_AFFINITY_TIMEOUT_MS } from './backend-picker';
import type { ProxyMetrics } from './proxy-metrics';
import type { Backend, ListenerSpec } from './proxy-table';

export interface UdpBalancerOptions {
  logger: Logger;
  metrics: ProxyMetrics;
  /** A flow without traffic this long is closed; 10,000 ms. */
  idleTimeoutMs?: number;
  /** ClientIP affinity timeout; Kubernetes' 10,800 s. */
  affinityTimeoutMs?: number;
  /** The clock for affinity; Date.now. */
  now?: () => number;
}

interface Flow {
  upstream: dgram.Socket;
  backend: Backend;
  timer: NodeJS.Timeout;
  /** Datagrams received before the upstream socket finished connecting; undefined once connected. */
  pending: Buffer[] | undefined;
}

interface BoundUdpListener {
  spec: ListenerSpec;
  socket: dgram.Socket;
  picker: BackendPicker;
  flows: Map<string, Flow>;
}

export class UdpBalancer {
  private readonly bound = new Map<string, BoundUdpListener>();
  private readonly idleTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: UdpBalancerOptions) {
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Ids of the UDP listeners bound now ("UDP/10.96.0.10:53"). */
  listenerIds(): string[] {
    return [...this.bound.keys()].sort();
  }

  /** The backends the bound listener `id` balances over now (copies), or undefined. */
  backendsOf(id: string): Backend[] | undefined {
    return this.bound.get(id)?.spec.backends.map((b) => ({ ...b }));
  }

  /** Makes the bound UDP listeners equal the UDP entries of `listeners`. Never rejects. */
  async apply(listeners: readonly ListenerSpec[]): Promise<void> {
    const wanted = new Map(listeners.filter((l) => l.protocol === 'UDP').map((l) => [l.id, l]));
    for (const [id, listener] of this.bound) {
      if (wanted.has(id)) continue;
      this.bound.delete(id);
      this.closeListener(listener);
      this.opts.logger.info({ listener: id, service: listener.spec.service }, 'closed service listener');
    }
    const binding: Promise<void>[] = [];
    for (const [id, spec] of wanted) {
      const current = this.bound.get(id);
      if (current) {
        current.spec = spec;
        current.picker.update(spec.backends, spec.sessionAffinity);
      } else {
        binding.push(this.bind(spec));
      }
    }
    await Promise.all(binding);
    this.opts.metrics.listeners.set({ protocol: 'UDP' }, this.bound.size);
  }

  /** Closes every listener and flow. */
  async close(): Promise<void> {
    for (const listener of this.bound.values()) this.closeListener(listener);
    this.bound.clear();
    this.opts.metrics.listeners.set({ protocol: 'UDP' }, 0);
  }

  private async bind(spec: ListenerSpec): Promise<void> {
    const picker = new BackendPicker(spec.sessionAffinity, this.opts.affinityTimeoutMs ?? DEFAULT_AFFINITY_TIMEOUT_MS);
    picker.update(spec.backends, spec.sessionAffinity);
    const socket = dgram.createSocket({ type: net.isIPv6(spec.host) ? 'udp6' : 'udp4', reuseAddr: false });
    const listener: BoundUdpListener = { spec, socket, picker, flows: new Map() };
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: spec.host, port: spec.port, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      socket.close();
      this.opts.logger.error({ listener: spec.id, service: spec.service, err: (err as Error).message }, 'cannot bind service listener');
      return;
    }
    socket.on('error', (err) => this.opts.logger.error({ listener: spec.id, err: err.message }, 'service listener error'));
    socket.on('message', (msg, rinfo) => this.forward(listener, msg, rinfo));
    this.bound.set(spec.id, listener);
    this.opts.logger.info({ listener: spec.id, service: spec.service, backends: spec.backends.length }, 'bound service listener');
  }

  private forward(listener: BoundUdpListener, msg: Buffer, client: dgram.RemoteInfo): void {
    const labels = { service: listener.spec.service, port: listener.spec.portName };
    const key = `${client.address}:${client.port}`;
    let flow = listener.flows.get(key);
    if (!flow) {
      const [backend] = listener.picker.attemptOrder(client.address, this.now(), 1);
      if (!backend) {
        this.opts.metrics.errors.inc({ ...labels, reason: 'no_backend' });
        return;
      }
      this.opts.metrics.connections.inc(labels);
      this.opts.metrics.active.inc(labels);
      flow = this.openFlow(listener, key, client, backend, labels);
      listener.picker.connected(client.address, backend, this.now());
    }
    flow.timer.refresh();
    if (flow.pending) flow.pending.push(msg);
    else flow.upstream.send(msg);
  }

  private openFlow(listener: BoundUdpListener, key: string, client: dgram.RemoteInfo, backend: Backend, labels: { service: string; port: string }): Flow {
    const upstream = dgram.createSocket(net.isIPv6(backend.host) ? 'udp6' : 'udp4');
    const end = () => {
      if (listener.flows.get(key) !== flow) return;
      listener.flows.delete(key);
      clearTimeout(flow.timer);
      upstream.close();
      this.opts.metrics.active.dec(labels);
    };
    const flow: Flow = { upstream, backend, timer: setTimeout(end, this.idleTimeoutMs), pending: [] };
    flow.timer.unref();
    listener.flows.set(key, flow);
    // Connected, so that the kernel reports a closed port (ECONNREFUSED) and filters replies.
    upstream.connect(backend.port, backend.host, () => {
      const pending = flow.pending ?? [];
      flow.pending = undefined;
      if (listener.flows.get(key) === flow) for (const msg of pending) upstream.send(msg);
    });
    upstream.on('message', (reply) => {
      flow.timer.refresh();
      listener.socket.send(reply, client.port, client.address);
    });
    upstream.on('error', (err) => {
      // ECONNREFUSED: the backend's port is closed; the next datagram picks again.
      this.opts.metrics.errors.inc({ ...labels, reason: 'connect' });
      this.opts.logger.debug({ listener: listener.spec.id, backend: `${backend.host}:${backend.port}`, err: err.message }, 'udp backend error');
      end();
    });
    return flow;
  }

  private closeListener(listener: BoundUdpListener): void {
    for (const flow of listener.flows.values()) {
      clearTimeout(flow.timer);
      flow.upstream.close();
      this.opts.metrics.active.dec({ service: listener.spec.service, port: listener.spec.portName });
    }
    listener.flows.clear();
    listener.socket.close();
  }
}
