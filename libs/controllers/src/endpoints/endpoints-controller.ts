/**
 * The endpoints controller (Kubernetes' pkg/controller/endpoint), the thin I/O half: each Service
 * with a selector gets an Endpoints object of the same name listing the pods it selects (the
 * decisions are in endpoint-subsets.ts). Keys are the Service's "ns/name".
 *
 * One reconcile of "ns/name":
 *   1. Service gone -> delete the Endpoints of that name (they carry no owner reference, as in
 *      Kubernetes; NotFound is fine). This also removes Endpoints left behind without a Service.
 *   2. Service without a selector (its Endpoints are the user's) or being deleted -> nothing.
 *   3. compute the subsets and labels from the cached pods of the namespace; when the cached
 *      Endpoints already hold them, nothing is written; otherwise create or update (compare-and-swap
 *      on the cached resourceVersion). A conflict or an AlreadyExists (the cache was behind)
 *      throws: retried with backoff, against the fresher cache.
 *
 * A pod change enqueues every Service of its namespace whose selector matches it (old and new
 * labels both, through Controller.watch); an Endpoints change enqueues its own name, so a deleted
 * or hand-edited Endpoints is put back.
 */
import { keyOf, mapSelectorMatcher, NotFoundError, ObjectMeta, type Endpoints, type Pod, type Service } from '@skiff/api';
import { typed, type Informer } from '@skiff/client';
import { Controller } from '@skiff/reconcile';
import type { ControllerContext } from '../controller-context';
import { endpointsLabels, endpointSubsets, sameLabels, sameSubsets } from './endpoint-subsets';

/** True when the service has a (non-empty) selector: only those get managed Endpoints. */
function hasSelector(service: Readonly<Service>): boolean {
  return Object.keys(service.spec?.selector ?? {}).length > 0;
}

/** Keys of the services of `pod`'s namespace whose selector matches it. */
export function serviceKeysForPod(pod: Readonly<Pod>, services: Informer<'service'>): string[] {
  return services
    .byNamespace(pod.metadata?.namespace ?? '')
    .filter((svc) => hasSelector(svc) && mapSelectorMatcher(svc.spec?.selector).matches(pod.metadata?.labels))
    .map((svc) => keyOf(svc.metadata));
}

/** Builds the endpoints controller (registered as "endpoint", Kubernetes' name). */
export function endpointsController(ctx: ControllerContext): Controller {
  const serviceInformer = ctx.informers.get('service');
  const podInformer = ctx.informers.get('pod');
  const endpointsInformer = ctx.informers.get('endpoints');
  const endpoints = typed(ctx.client, 'endpoints');
  const baseLog = ctx.log.child({ controller: 'endpoint' });

  async function reconcile(key: string, signal: AbortSignal): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const service = serviceInformer.get(key);
    const log = baseLog.child({ service: key });
    if (!service) {
      try {
        await endpoints.delete(namespace, name, { signal });
        log.info('deleted endpoints of a removed service');
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      return;
    }
    if (!hasSelector(service) || service.metadata?.deletionTimestamp) return;

    const selector = mapSelectorMatcher(service.spec?.selector);
    const pods = podInformer.byNamespace(namespace).filter((pod) => selector.matches(pod.metadata?.labels));
    const subsets = endpointSubsets(service, pods);
    const labels = endpointsLabels(service);
    const current = endpointsInformer.get(key);
    if (current && sameSubsets(current.subsets ?? [], subsets) && sameLabels(current.metadata?.labels, labels)) return;

    const counts = { addresses: subsets.reduce((n, s) => n + s.addresses.length, 0), notReady: subsets.reduce((n, s) => n + s.notReadyAddresses.length, 0) };
    if (!current) {
      await endpoints.create({ metadata: ObjectMeta.fromPartial({ name, namespace, labels }), subsets }, { signal });
      log.info(counts, 'created endpoints');
      return;
    }
    const next = structuredClone(current) as Endpoints;
    next.metadata = { ...ObjectMeta.fromPartial({}), ...next.metadata, labels };
    next.subsets = subsets;
    await endpoints.update(next, { signal });
    log.info(counts, 'updated endpoints');
  }

  const controller = new Controller({ name: 'endpoint', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  controller
    .watch(serviceInformer)
    .watch(podInformer, (pod) => serviceKeysForPod(pod, serviceInformer))
    .watch(endpointsInformer);
  return controller;
}
