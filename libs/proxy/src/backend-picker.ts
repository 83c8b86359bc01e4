/**
 * Chooses backends for new connections of one listener: round robin, or sticky per client IP
 * (sessionAffinity ClientIP) for `affinityTimeoutMs` after the client's last connection, as
 * Kubernetes' proxies do (default timeout 10,800 s). Pure state, time passed in by the caller.
 *
 * Contract of attemptOrder(): the backends to try for one connection, in order, at most
 * `maxAttempts`, each once. The first is the client's sticky backend when it is still a backend,
 * else the next in round robin; the others follow in round-robin order. The caller reports the
 * one that connected with connected(), which (re)starts the client's affinity.
 */
import type { Backend, SessionAffinity } from './proxy-table';

/** Kubernetes' default sessionAffinityConfig.clientIP.timeoutSeconds, in ms. */
export const DEFAULT_AFFINITY_TIMEOUT_MS = 10_800_000;

const keyOf = (b: Backend) => `${b.host}:${b.port}`;

export class BackendPicker {
  private backends: Backend[] = [];
  private next = 0;
  private readonly sticky = new Map<string, { backend: string; expiresAt: number }>();

  constructor(
    private affinity: SessionAffinity = 'None',
    private readonly affinityTimeoutMs = DEFAULT_AFFINITY_TIMEOUT_MS,
  ) {}

  /** Replaces the backend set (and affinity mode); sticky entries to removed backends are dropped. */
  update(backends: readonly Backend[], affinity: SessionAffinity = this.affinity): void {
    this.backends = backends.map((b) => ({ ...b }));
    this.affinity = affinity;
    if (affinity === 'None') this.sticky.clear();
    const live = new Set(this.backends.map(keyOf));
    for (const [client, entry] of this.sticky) if (!live.has(entry.backend)) this.sticky.delete(client);
    if (this.next >= this.backends.length) this.next = 0;
  }

  /** True with ClientIP affinity: attemptOrder() and connected() need the client's address. */
  get needsClientIP(): boolean {
    return this.affinity === 'ClientIP';
  }

  /** How many backends there are. */
  get size(): number {
    return this.backends.length;
  }

  /** The backends to try for a new connection from `clientIP` at time `now` (see the file comment). */
  attemptOrder(clientIP: string, now: number, maxAttempts: number): Backend[] {
    const n = this.backends.length;
    if (n === 0 || maxAttempts <= 0) return [];
    const start = this.next;
    this.next = (this.next + 1) % n;
    const order: Backend[] = [];
    const stickyKey = this.stickyBackend(clientIP, now);
    const stickyBackend = stickyKey === undefined ? undefined : this.backends.find((b) => keyOf(b) === stickyKey);
    if (stickyBackend) order.push(stickyBackend);
    for (let i = 0; i < n && order.length < maxAttempts; i++) {
      const b = this.backends[(start + i) % n] as Backend;
      if (b !== stickyBackend) order.push(b);
    }
    return order.slice(0, maxAttempts);
  }

  /** Records that `clientIP` got `backend` at `now` (starts or renews its affinity). */
  connected(clientIP: string, backend: Backend, now: number): void {
    if (this.affinity !== 'ClientIP') return;
    this.sticky.set(clientIP, { backend: keyOf(backend), expiresAt: now + this.affinityTimeoutMs });
  }

  private stickyBackend(clientIP: string, now: number): string | undefined {
    if (this.affinity !== 'ClientIP') return undefined;
    const entry = this.sticky.get(clientIP);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.sticky.delete(clientIP);
      return undefined;
    }
    return entry.backend;
  }
}
