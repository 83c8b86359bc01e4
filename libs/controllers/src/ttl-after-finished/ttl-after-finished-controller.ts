/**
 * The TTL-after-finished controller (Kubernetes' ttlafterfinished): deletes a finished Job
 * (Complete or Failed) spec.ttlSecondsAfterFinished after it finished, with propagationPolicy
 * Foreground, so that the garbage collector removes its pods first.
 *
 * One reconcile of "ns/name": decideTtl on the cached Job; "wait" requeues for the rest of the
 * time; "delete" reads the Job again from the apiserver, decides again on the fresh copy (its
 * ttl may have changed, it may have been re-created), and deletes it with a uid precondition. A
 * Job that is gone or replaced meanwhile is no error.
 */
import { ConflictError, NotFoundError } from '@skiff/api';
import { typed } from '@skiff/client';
import { Controller, type ReconcileResult } from '@skiff/reconcile';
import type { ControllerContext } from '../controller-context';
import { decideTtl } from './ttl-expiry';

/** The component name on its logs (Kubernetes' ttl-after-finished-controller). */
export const TTL_AFTER_FINISHED_COMPONENT = 'ttl-after-finished-controller';

/** Builds the controller from the shared context (registered as "ttl-after-finished"). */
export function ttlAfterFinishedController(ctx: ControllerContext): Controller {
  const jobInformer = ctx.informers.get('job');
  const jobs = typed(ctx.client, 'job');
  const baseLog = ctx.log.child({ controller: 'ttl-after-finished' });

  async function reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const cached = jobInformer.get(key);
    if (!cached) return;
    const decision = decideTtl(cached, ctx.now());
    if (decision.action === 'none') return;
    if (decision.action === 'wait') return { requeueAfterMs: decision.ms };

    const namespace = cached.metadata?.namespace ?? '';
    const name = cached.metadata?.name ?? '';
    let fresh;
    try {
      fresh = await jobs.get(namespace, name, { signal });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    const again = decideTtl(fresh, ctx.now());
    if (again.action === 'none') return;
    if (again.action === 'wait') return { requeueAfterMs: again.ms };
    try {
      await jobs.delete(namespace, name, { signal, propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata?.uid } });
      baseLog.info({ job: key }, 'deleted finished job after its ttl');
    } catch (err) {
      // Gone, or replaced by a Job with another uid (whose own events bring it back here).
      if (err instanceof NotFoundError || err instanceof ConflictError) return;
      throw err;
    }
  }

  const controller = new Controller({ name: 'ttl-after-finished', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  controller.watch(jobInformer);
  return controller;
}
