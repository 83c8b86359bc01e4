/**
 * The gRPC Api service: thin handlers over the GenericStore, with one log line per mutating
 * request (debug), warnings for failed ones, and request metrics by verb, resource and code.
 */
import { ApiService, unwrap, type ApiObject } from '@skiff/api';
import { bindService, grpcCodeName, grpcStatusOf, type Logger, type ServiceBinding } from '@skiff/service';
import type { ApiserverMetrics } from './apiserver-metrics';
import type { MetricsApi } from './metrics-api';
import type { NodeProxy } from './node-proxy';
import { evictPod } from './eviction';
import type { GenericStore } from './generic-store';

export interface VersionInfo {
  version: string;
  gitCommit: string;
}

function resourceOf(object: ApiObject | undefined): string {
  try {
    return unwrap(object).info.resource;
  } catch {
    return '';
  }
}

function nameOf(object: ApiObject | undefined): { namespace?: string; name?: string } {
  const meta = (object?.kind?.value as { metadata?: { namespace?: string; name?: string } } | undefined)?.metadata;
  return { namespace: meta?.namespace, name: meta?.name };
}

/** Binds the Api service's handlers to a store. */
export function apiServiceBinding(store: GenericStore, nodes: NodeProxy, usage: MetricsApi, version: VersionInfo, logger: Logger, metrics: ApiserverMetrics): ServiceBinding {
  async function observe<T>(verb: string, resource: string, target: object, mutating: boolean, run: () => Promise<T>): Promise<T> {
    const end = metrics.requestSeconds.startTimer({ verb, resource });
    try {
      const result = await run();
      metrics.requests.inc({ verb, resource, code: 'OK' });
      if (mutating) logger.debug({ verb, resource, ...target }, 'request done');
      return result;
    } catch (err) {
      const status = grpcStatusOf(err);
      metrics.requests.inc({ verb, resource, code: grpcCodeName(status.code) });
      if (!status.unexpected && mutating) logger.debug({ verb, resource, ...target, code: grpcCodeName(status.code), reason: status.details }, 'request refused');
      throw err;
    } finally {
      end();
    }
  }

  return bindService('skiff.api.v1.Api', ApiService, {
    create: (req) => observe('create', resourceOf(req.object), nameOf(req.object), true, () => store.create(req.object, { dryRun: req.dryRun })),
    get: (req, signal) => observe('get', req.resource, {}, false, () => store.get(req.resource, req.namespace, req.name, signal)),
    list: (req, signal) => observe('list', req.resource, {}, false, () => store.list(req, signal)),
    update: (req) => observe('update', resourceOf(req.object), nameOf(req.object), true, () => store.update(req.object, { dryRun: req.dryRun })),
    updateStatus: (req) => observe('update_status', resourceOf(req.object), nameOf(req.object), true, () => store.updateStatus(req.object, { dryRun: req.dryRun })),
    delete: (req) => observe('delete', req.resource, { namespace: req.namespace, name: req.name }, true, () => store.delete(req)),
    bind: (req) => observe('bind', 'pods', { namespace: req.namespace, name: req.name, node: req.nodeName }, true, () => store.bind(req)),
    evict: (req) => observe('create', 'pods/eviction', { namespace: req.namespace, name: req.name }, true, () => evictPod(store, req, () => new Date())),
    version: async () => ({ version: version.version, gitCommit: version.gitCommit, platform: `${process.platform}/${process.arch}` }),
    podLogs: (req, signal) => nodes.logs(req, signal),
    podExec: (req, signal) => nodes.exec(req, signal),
    podMetrics: (req, signal) => observe(req.name ? 'get' : 'list', 'pods.metrics.k8s.io', {}, false, () => usage.podMetrics(req, signal)),
    nodeMetrics: (req, signal) => observe(req.name ? 'get' : 'list', 'nodes.metrics.k8s.io', {}, false, () => usage.nodeMetrics(req, signal)),
    watch: async function* (req, signal) {
      const labels = { verb: 'watch', resource: req.resource };
      const end = metrics.requestSeconds.startTimer(labels);
      let code = 'OK';
      try {
        yield* store.watch(req, signal);
      } catch (err) {
        code = grpcCodeName(grpcStatusOf(err).code);
        throw err;
      } finally {
        metrics.requests.inc({ ...labels, code });
        end();
      }
    },
  });
}
