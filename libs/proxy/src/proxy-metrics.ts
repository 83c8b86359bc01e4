import { Counter, Gauge, type Registry } from 'prom-client';

/** The proxy's Prometheus metrics, labelled by service ("namespace/name") and port name. */
export interface ProxyMetrics {
  /** Connections accepted on a service's listeners. */
  connections: Counter<'service' | 'port'>;
  /** Failures by reason: connect (one backend attempt failed), no_backend (connection dropped: none left to try). */
  errors: Counter<'service' | 'port' | 'reason'>;
  /** Connections being proxied now. */
  active: Gauge<'service' | 'port'>;
  /** Listeners bound, by protocol. */
  listeners: Gauge<'protocol'>;
}

const byRegistry = new WeakMap<Registry, ProxyMetrics>();

/** Registers the proxy metrics in `registry` (once per registry; later calls return the same). */
export function createProxyMetrics(registry: Registry): ProxyMetrics {
  const known = byRegistry.get(registry);
  if (known) return known;
  const registers = [registry];
  const metrics: ProxyMetrics = {
    connections: new Counter({ name: 'skiff_proxy_connections_total', help: 'Connections accepted per service port.', labelNames: ['service', 'port'], registers }),
    errors: new Counter({ name: 'skiff_proxy_errors_total', help: 'Backend connect failures and dropped connections per service port.', labelNames: ['service', 'port', 'reason'], registers }),
    active: new Gauge({ name: 'skiff_proxy_active_connections', help: 'Connections being proxied per service port.', labelNames: ['service', 'port'], registers }),
    listeners: new Gauge({ name: 'skiff_proxy_listeners', help: 'Sockets bound for services, by protocol.', labelNames: ['protocol'], registers }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
