/**
 * The TCP half of the proxy: one net.Server per TCP listener of the proxy table, balancing each
 * new connection over the listener's backends (BackendPicker: round robin or ClientIP affinity)
 * and piping bytes both ways (half-close passes through).
 *
 * Per connection: the client socket is paused; backends are tried in the picker's order, each
 * with a connect deadline, at most `maxAttempts`; the first that accepts gets the connection. When
 * all fail (or there are none) the client is reset.
 *
 * apply(listeners) is the level-triggered reconcile: it binds the listeners not yet bound, updates
 * the backends of bound ones and closes the listeners no longer wanted. Established connections
 * are never cut by it: a removed backend or listener only stops new connections. A listener that
 * cannot be bound (address in use, not local) is logged and tried again on the next apply().
 */
import net from 'node:net';
import type { Logger } from '@skiff/service';
import { BackendPicker, DEFAULT_AFFINITY_TIMEOUT_MS } from './backend-picker';
import type { ProxyMetrics } from './proxy-metrics';
import type { Backend, ListenerSpec } from './proxy-table';

export interface TcpBalancerOptions {
  logger: Logger;
  metrics: ProxyMetrics;
  /** Deadline of one backend connect attempt; 1,000 ms. */
  connectTimeoutMs?: number;
  /** Backends tried per connection at most; 3. */
  maxAttempts?: number;
  /** ClientIP affinity timeout; Kubernetes' 10,800 s. */
  affinityTimeoutMs?: number;
  /** The clock for affinity; Date.now. */
  now?: () => number;
}

interface BoundListener {
  spec: ListenerSpec;
  server: net.Server;
  picker: BackendPicker;
}

export class TcpBalancer {
  private readonly bound = new Map<string, BoundListener>();
  private readonly sockets = new Set<net.Socket>();
  private readonly connectTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly now: () => number;

  constructor(private readonly opts: TcpBalancerOptions) {
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 1_000;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.now = opts.now ?? Date.now;
  }

  /** Ids of the listeners bound now ("TCP/10.96.0.5:80"). */
  listenerIds(): string[] {
    return [...this.bound.keys()].sort();
  }

  /** The backends the bound listener `id` balances over now (copies), or undefined. */
  backendsOf(id: string): Backend[] | undefined {
    return this.bound.get(id)?.spec.backends.map((b) => ({ ...b }));
  }

  /**
   * Makes the bound TCP listeners equal `listeners` (UDP ones are ignored). Resolves when binds
   * and closes have been attempted; never rejects (failures are logged and retried next time).
   */
  async apply(listeners: readonly ListenerSpec[]): Promise<void> {
    const wanted = new Map(listeners.filter((l) => l.protocol === 'TCP').map((l) => [l.id, l]));
    const closing: Promise<void>[] = [];
    for (const [id, listener] of this.bound) {
      if (wanted.has(id)) continue;
      this.bound.delete(id);
      closing.push(closeServer(listener.server));
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
    await Promise.all([...closing, ...binding]);
    this.opts.metrics.listeners.set({ protocol: 'TCP' }, this.bound.size);
  }

  /** Closes every listener and destroys the connections in flight. */
  async close(): Promise<void> {
    const servers = [...this.bound.values()].map((l) => l.server);
    this.bound.clear();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(servers.map(closeServer));
    this.opts.metrics.listeners.set({ protocol: 'TCP' }, 0);
  }

  private async bind(spec: ListenerSpec): Promise<void> {
    const picker = new BackendPicker(spec.sessionAffinity, this.opts.affinityTimeoutMs ?? DEFAULT_AFFINITY_TIMEOUT_MS);
    picker.update(spec.backends, spec.sessionAffinity);
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    const listener: BoundListener = { spec, server, picker };
    server.on('connection', (socket) => this.handle(listener, socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: spec.host, port: spec.port, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.opts.logger.error({ listener: spec.id, service: spec.service, err: errorInfo(err) }, 'cannot bind service listener');
      return;
    }
    server.on('error', (err) => this.opts.logger.error({ listener: spec.id, err: errorInfo(err) }, 'service listener error'));
    this.bound.set(spec.id, listener);
    this.opts.logger.info({ listener: spec.id, service: spec.service, backends: spec.backends.length }, 'bound service listener');
  }

  private handle(listener: BoundListener, client: net.Socket): void {
    const labels = { service: listener.spec.service, port: listener.spec.portName };
    const { metrics } = this.opts;
    metrics.connections.inc(labels);
    this.sockets.add(client);
    client.on('error', () => undefined);
    client.once('close', () => this.sockets.delete(client));
    const clientIP = client.remoteAddress ?? '';
    const order = listener.picker.attemptOrder(clientIP, this.now(), this.maxAttempts);
    void this.connectFirst(order, listener, labels).then((connected) => {
      if (!connected) {
        metrics.errors.inc({ ...labels, reason: 'no_backend' });
        client.resetAndDestroy();
        return;
      }
      if (client.destroyed) {
        connected.socket.destroy();
        return;
      }
      listener.picker.connected(clientIP, connected.backend, this.now());
      this.pipe(client, connected.socket, labels);
    });
  }

  /** Tries `order` one after the other; resolves with the first connected socket, or undefined. */
  private async connectFirst(
    order: Backend[],
    listener: BoundListener,
    labels: { service: string; port: string },
  ): Promise<{ socket: net.Socket; backend: Backend } | undefined> {
    for (const backend of order) {
      try {
        return { socket: await connectTo(backend, this.connectTimeoutMs), backend };
      } catch (err) {
        this.opts.metrics.errors.inc({ ...labels, reason: 'connect' });
        this.opts.logger.debug({ listener: listener.spec.id, backend: `${backend.host}:${backend.port}`, err: errorInfo(err) }, 'backend connect failed');
      }
    }
    return undefined;
  }

  private pipe(client: net.Socket, upstream: net.Socket, labels: { service: string; port: string }): void {
    this.sockets.add(upstream);
    this.opts.metrics.active.inc(labels);
    upstream.on('error', () => undefined);
    let open = 2;
    const onClose = (other: net.Socket, self: net.Socket) => () => {
      this.sockets.delete(self);
      // A reset or a fully closed side ends the other side too.
      other.destroy();
      if (--open === 0) this.opts.metrics.active.dec(labels);
    };
    client.once('close', onClose(upstream, client));
    upstream.once('close', onClose(client, upstream));
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}

/** Connects to `backend` within `timeoutMs`; rejects on refusal, error or timeout. */
function connectTo(backend: Backend, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: backend.host, port: backend.port, allowHalfOpen: true, timeout: timeoutMs });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('timeout', () => fail(new Error(`connect to ${backend.host}:${backend.port} timed out after ${timeoutMs} ms`)));
    socket.once('connect', () => {
      socket.off('error', fail);
      socket.setTimeout(0);
      socket.removeAllListeners('timeout');
      resolve(socket);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function errorInfo(err: unknown): { name?: string; message: string; code?: string } {
  if (err instanceof Error) return { name: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code };
  return { message: String(err) };
}
