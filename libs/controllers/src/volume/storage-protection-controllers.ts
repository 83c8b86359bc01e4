/**
 * The pvc-protection and pv-protection controllers (Kubernetes' names), the I/O half of
 * storage-protection.ts. pvc-protection: keys are claims; a pod change enqueues the claims it
 * names. Before a claim's finalizer goes, the pods of its namespace are listed from the
 * apiserver (not the cache, which may not show a pod made a moment ago), as Kubernetes does.
 * pv-protection: keys are volume names. A write lost to a newer version (ConflictError) is
 * retried with backoff on the fresh cache; NotFound means done.
 */
import { keyOf, NotFoundError, podClaimNames, splitKey } from '@skiff/api';
import { typed } from '@skiff/client';
import { Controller } from '@skiff/reconcile';
import type { ControllerContext } from '../controller-context';
import { releasedClaim, releasedVolume } from './storage-protection';

/** Builds the pvc-protection controller. */
export function pvcProtectionController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'pvc-protection' });
  const claims = ctx.informers.get('persistentVolumeClaim');
  const pods = ctx.informers.get('pod');
  const claimClient = typed(ctx.client, 'persistentVolumeClaim');
  const podClient = typed(ctx.client, 'pod');
  const controller = new Controller({
    name: 'pvc-protection',
    workers: ctx.tuning.workers,
    log: ctx.log,
    registry: ctx.registry,
    reconcile: async (key, signal) => {
      const claim = claims.get(key);
      if (!claim || !releasedClaim(claim, pods.byNamespace(splitKey(key).namespace))) return;
      const live = await podClient.list({ namespace: splitKey(key).namespace, signal });
      const next = releasedClaim(claim, live.items);
      if (!next) return;
      try {
        await claimClient.update(next, { signal });
        log.info({ claim: key }, 'removed the pvc-protection finalizer: no pod uses the claim');
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    },
  });
  controller.watch(claims);
  controller.watch(pods, (p) => podClaimNames(p).map((name) => keyOf({ namespace: p.metadata?.namespace, name })));
  return controller;
}

/** Builds the pv-protection controller. */
export function pvProtectionController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'pv-protection' });
  const volumes = ctx.informers.get('persistentVolume');
  const client = typed(ctx.client, 'persistentVolume');
  const controller = new Controller({
    name: 'pv-protection',
    workers: ctx.tuning.workers,
    log: ctx.log,
    registry: ctx.registry,
    reconcile: async (key, signal) => {
      const pv = volumes.get(key);
      const next = pv && releasedVolume(pv);
      if (!next) return;
      try {
        await client.update(next, { signal });
        log.info({ volume: key }, 'removed the pv-protection finalizer: the volume is not bound');
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    },
  });
  controller.watch(volumes);
  return controller;
}
