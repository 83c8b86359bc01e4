import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The apiserver's own Prometheus metrics (the process defaults live in the same registry). */
export interface ApiserverMetrics {
  requests: Counter<'verb' | 'resource' | 'code'>;
  requestSeconds: Histogram<'verb' | 'resource'>;
  etcdSeconds: Histogram<'operation'>;
  /** Seconds from receiving a change from etcd's watch to its acknowledged publish on NATS. */
  publishLagSeconds: Histogram<string>;
  /** The last revision the publisher saw acknowledged on the stream. */
  publishedRevision: Gauge<string>;
  publishFailures: Counter<'reason'>;
  compactedRevision: Gauge<string>;
}

/** Registers the apiserver metrics in `registry`. */
export function createApiserverMetrics(registry: Registry): ApiserverMetrics {
  const registers = [registry];
  return {
    requests: new Counter({ name: 'skiff_apiserver_requests_total', help: 'API requests by verb, resource and gRPC code.', labelNames: ['verb', 'resource', 'code'], registers }),
    requestSeconds: new Histogram({
      name: 'skiff_apiserver_request_duration_seconds',
      help: 'API request latency by verb and resource (watch: until the stream ends).',
      labelNames: ['verb', 'resource'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    etcdSeconds: new Histogram({
      name: 'skiff_apiserver_etcd_request_duration_seconds',
      help: 'etcd request latency by operation.',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    publishLagSeconds: new Histogram({
      name: 'skiff_apiserver_watch_publish_lag_seconds',
      help: 'Time from an etcd watch event to its acknowledged publish on NATS.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
    publishedRevision: new Gauge({ name: 'skiff_apiserver_watch_published_revision', help: 'Last etcd revision published on the watch stream.', registers }),
    publishFailures: new Counter({ name: 'skiff_apiserver_watch_publish_failures_total', help: 'Failed publishes by reason.', labelNames: ['reason'], registers }),
    compactedRevision: new Gauge({ name: 'skiff_apiserver_compacted_revision', help: 'The revision etcd was last compacted to.', registers }),
  };
}
