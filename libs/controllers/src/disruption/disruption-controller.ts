/**
 * The disruption controller (Kubernetes' pkg/controller/disruption), the thin I/O half: it keeps
 * each PodDisruptionBudget's status (expectedPods, desiredHealthy, currentHealthy,
 * disruptionsAllowed, disruptedPods, the DisruptionAllowed condition) current, so that the
 * Eviction API can charge it. The decisions are pure (disruption-status.ts).
 *
 * One reconcile of "ns/name":
 *   1. PDB gone from the cache -> done.
 *   2. syncBudget over the cached pods of its namespace and the cached ReplicaSets, Deployments
 *      and StatefulSets (their scales); write the status when it changed.
 *   3. the expected count cannot be computed (a selected pod's controller is missing or not
 *      supported) -> fail safe: disruptionsAllowed 0, DisruptionAllowed False/SyncFailed, then
 *      throw (retried with backoff). A conflict on the status write is retried without failing safe.
 *   4. requeue when an unconfirmed eviction in status.disruptedPods expires (2 min).
 *
 * Pods map to every budget of their namespace that selects them (old and new labels);
 * ReplicaSets, Deployments and StatefulSets to every budget of their namespace (a scale change
 * moves expectedPods before any pod changes).
 *
 * Beside it, per pod "ns/name" (Kubernetes' stale pod disruption queue): a pod marked
 * DisruptionTarget=True that is still not being deleted 2 minutes later gets the condition False
 * (staleDisruptionTarget), so that it does not count as disrupted for ever.
 */
import { ConflictError, disruptionMark, keyOf, NotFoundError, staleDisruptionTarget, type Pod, type PodDisruptionBudget, type PodDisruptionBudgetStatus } from '@skiff/api';
import { typed } from '@skiff/client';
import { Controller, type ReconcileResult } from '@skiff/reconcile';
import type { ControllerContext } from '../controller-context';
import { budgetSelects, ExpectedCountError, failSafeStatus, syncBudget, type ControllerLookup } from './disruption-status';

/** The component name on Events. */
export const DISRUPTION_COMPONENT = 'controllermanager';
const KIND = 'PodDisruptionBudget';

/** Builds the disruption controller from the shared context (registered as "disruption"): the budgets' status, and stale DisruptionTarget marks. */
export function disruptionController(ctx: ControllerContext): Pick<Controller, 'start'> {
  const budgetsController = budgetStatusController(ctx);
  const stalePods = staleDisruptionController(ctx);
  return { start: async (signal) => void (await Promise.all([budgetsController.start(signal), stalePods.start(signal)])) };
}

/** Resets DisruptionTarget on pods that were marked but not deleted within 2 minutes. */
function staleDisruptionController(ctx: ControllerContext): Controller {
  const podInformer = ctx.informers.get('pod');
  const pods = typed(ctx.client, 'pod');
  const log = ctx.log.child({ controller: 'disruption', queue: 'stale-pod-disruption' });

  async function reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const pod = podInformer.get(key);
    if (!pod) return;
    const now = ctx.now();
    const decision = staleDisruptionTarget(pod, now);
    if (!decision) return;
    if ('recheckAtMs' in decision) return { requeueAfterMs: Math.max(1, decision.recheckAtMs - now) };
    const next = structuredClone(pod) as Pod;
    next.status = decision.reset;
    try {
      await pods.updateStatus(next, { signal });
      log.info({ pod: key }, 'reset the stale DisruptionTarget condition of a pod that was not deleted');
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err; // a conflict: again from the fresh cache
    }
  }

  const marked = (pod: Readonly<Pod>) => (disruptionMark(pod) ? [keyOf(pod.metadata)] : []);
  return new Controller({ name: 'disruption-stale-pods', reconcile, workers: 1, log: ctx.log, registry: ctx.registry }).watch(podInformer, marked);
}

function budgetStatusController(ctx: ControllerContext): Controller {
  const pdbInformer = ctx.informers.get('podDisruptionBudget');
  const podInformer = ctx.informers.get('pod');
  const rsInformer = ctx.informers.get('replicaSet');
  const deploymentInformer = ctx.informers.get('deployment');
  const stsInformer = ctx.informers.get('statefulSet');
  const budgets = typed(ctx.client, 'podDisruptionBudget');
  const recorder = ctx.recorder(DISRUPTION_COMPONENT);
  const baseLog = ctx.log.child({ controller: 'disruption' });

  const lookup: ControllerLookup = {
    replicaSet: (namespace, name) => rsInformer.get(keyOf({ namespace, name })),
    deployment: (namespace, name) => deploymentInformer.get(keyOf({ namespace, name })),
    statefulSet: (namespace, name) => stsInformer.get(keyOf({ namespace, name })),
  };
  const budgetsOfNamespace = (o: { metadata?: { namespace?: string } }) => pdbInformer.byNamespace(o.metadata?.namespace ?? '').map((b) => keyOf(b.metadata));

  async function writeStatus(pdb: Readonly<PodDisruptionBudget>, status: PodDisruptionBudgetStatus, signal: AbortSignal): Promise<void> {
    const next = structuredClone(pdb) as PodDisruptionBudget;
    next.status = status;
    await budgets.updateStatus(next, { signal });
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const pdb = pdbInformer.get(key);
    if (!pdb) return;
    const log = baseLog.child({ podDisruptionBudget: key });
    const now = ctx.now();
    let sync: ReturnType<typeof syncBudget>;
    try {
      sync = syncBudget(pdb, podInformer.byNamespace(pdb.metadata?.namespace ?? ''), lookup, now);
    } catch (err) {
      if (!(err instanceof ExpectedCountError)) throw err;
      recorder.warning(pdb, 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${err.message}`, KIND);
      log.warn({ err: err.message }, 'failed to sync the budget; no disruption allowed');
      await writeStatus(pdb, failSafeStatus(pdb, err.message, now), signal);
      throw err;
    }
    if (sync.selected === 0 && sync.status) recorder.normal(pdb, 'NoPods', 'No matching pods found', KIND);
    if (sync.unmanaged.length > 0 && sync.status) {
      recorder.warning(
        pdb,
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector ?? {})}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
        KIND,
      );
    }
    for (const name of sync.overdue) {
      const pod = podInformer.get(keyOf({ namespace: pdb.metadata?.namespace, name }));
      if (pod) recorder.warning(pod, 'NotDeleted', `Pod was expected by PDB ${key} to be deleted but it wasn't`, 'Pod');
    }
    if (sync.status) {
      log.debug({ disruptionsAllowed: sync.status.disruptionsAllowed, currentHealthy: sync.status.currentHealthy, desiredHealthy: sync.status.desiredHealthy }, 'budget status');
      try {
        await writeStatus(pdb, sync.status, signal);
      } catch (err) {
        // A conflict (an eviction charged the budget meanwhile) is retried from the fresh cache.
        if (err instanceof ConflictError) log.debug('status conflict; retrying');
        throw err;
      }
    }
    return sync.recheckAtMs !== undefined ? { requeueAfterMs: Math.max(1, sync.recheckAtMs - now + 1) } : undefined;
  }

  const controller = new Controller({ name: 'disruption', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  controller
    .watch(pdbInformer)
    .watch(podInformer, (pod) =>
      pdbInformer
        .byNamespace(pod.metadata?.namespace ?? '')
        .filter((b) => budgetSelects(b, pod))
        .map((b) => keyOf(b.metadata)),
    )
    .watch(rsInformer, budgetsOfNamespace)
    .watch(deploymentInformer, budgetsOfNamespace)
    .watch(stsInformer, budgetsOfNamespace);
  return controller;
}
