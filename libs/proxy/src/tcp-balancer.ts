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
  /** The metric labels of its connections, made once. */
  labels: { service: string; port: string };
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
        current.labels = { service: spec.service, port: spec.portName };
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
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    const listener: BoundListener = { spec, server, picker, labels: { service: spec.service, port: spec.portName } };
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

  /**
   * One accepted connection (the hot path: no promises, no per-connection logging; the client
   * stays paused until a backend accepted, so nothing it sends is lost on a retry).
   */
  private handle(listener: BoundListener, client: net.Socket): void {
    const { metrics } = this.opts;
    metrics.connections.inc(listener.labels);
    this.sockets.add(client);
    client.on('error', ignore);
    client.on('close', () => this.sockets.delete(client));
    // getpeername costs a syscall: only ClientIP affinity needs the client's address.
    const clientIP = listener.picker.needsClientIP ? (client.remoteAddress ?? '') : '';
    const order = listener.picker.attemptOrder(clientIP, this.now(), this.maxAttempts);
    this.attempt(listener, client, clientIP, order, 0);
  }

  /** Connects `client` to order[index], on failure to the next; resets the client when none is left. */
  private attempt(listener: BoundListener, client: net.Socket, clientIP: string, order: readonly Backend[], index: number): void {
    const backend = order[index];
    if (!backend) {
      this.opts.metrics.errors.inc({ ...listener.labels, reason: 'no_backend' });
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: backend.host, port: backend.port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => upstream.destroy(new Error(`connect to ${backend.host}:${backend.port} timed out after ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
    const failed = (err: Error) => {
      clearTimeout(timer);
      upstream.destroy();
      this.opts.metrics.errors.inc({ ...listener.labels, reason: 'connect' });
      this.opts.logger.debug({ listener: listener.spec.id, backend: `${backend.host}:${backend.port}`, err: errorInfo(err) }, 'backend connect failed');
      if (client.destroyed) return;
      this.attempt(listener, client, clientIP, order, index + 1);
    };
    upstream.once('error', failed);
    upstream.once('connect', () => {
      clearTimeout(timer);
      upstream.off('error', failed);
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      if (clientIP) listener.picker.connected(clientIP, backend, this.now());
      this.pipe(listener, client, upstream);
    });
  }

  /**
   * Copies bytes both ways with backpressure (a full socket pauses the other); an end (FIN) is
   * passed on as an end, so half-closes pass through; a close of either side (after both ends,
   * or a reset) destroys the other.
   */
  private pipe(listener: BoundListener, client: net.Socket, upstream: net.Socket): void {
    const { active } = this.opts.metrics;
    const { labels } = listener; // as counted now, should the listener change service meanwhile
    this.sockets.add(upstream);
    active.inc(labels);
    upstream.on('error', ignore);
    let open = 2;
    const closed = (self: net.Socket, other: net.Socket) => {
      this.sockets.delete(self);
      other.destroy();
      if (--open === 0) active.dec(labels);
    };
    client.on('close', () => closed(client, upstream));
    upstream.on('close', () => closed(upstream, client));
    forward(client, upstream);
    forward(upstream, client);
    client.resume();
  }
}

const ignore = () => undefined;

/** Writes what `from` reads to `to` (pausing `from` while `to` is full) and ends `to` when `from` ends. */
function forward(from: net.Socket, to: net.Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function errorInfo(err: unknown): { name?: string; message: string; code?: string } {
  if (err instanceof Error) return { name: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code };
  return { message: String(err) };
}
