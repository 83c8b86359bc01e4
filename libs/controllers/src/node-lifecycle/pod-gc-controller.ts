/**
 * The pod garbage collector (Kubernetes' podgc, pod-garbage-collector): per pod key,
 * force-deletes (grace 0, uid precondition) pods no kubelet will ever finish: those bound to a
 * Node that no longer exists (after a quarantine and a live read confirming it; first marked
 * Failed with DisruptionTarget=True, DeletionByPodGC, as Kubernetes), and those being
 * deleted on an unreachable node once their grace period is over (pod-gc.ts).
 *
 * Node changes re-queue the pods of a node that was deleted or is unreachable. The only memory is
 * since when a node has been missing from the cache (lost on restart: the quarantine starts again).
 */
import { ConflictError, DELETION_BY_POD_GC, keyOf, NotFoundError, splitKey, withDisruptionTarget } from '@skiff/api';
import { typed } from '@skiff/client';
import { Controller } from '@skiff/reconcile';
import type { ControllerContext } from '../controller-context';
import { podsOnNode } from './node-lifecycle-controller';
import { decidePodGc, isUnreachable } from './pod-gc';

export function podGcController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'podgc' });
  const podClient = typed(ctx.client, 'pod');
  const nodeClient = typed(ctx.client, 'node');
  const nodes = ctx.informers.get('node');
  const pods = ctx.informers.get('pod');
  const quarantineMs = ctx.tuning.orphanPodQuarantineMs;
  /** Node name -> when it was first seen missing from the cache while a pod named it. */
  const missingSince = new Map<string, number>();

  /** Whether the node is really gone (the cache may lag behind a registration). */
  const nodeGone = async (name: string, signal: AbortSignal) => {
    try {
      await nodeClient.get('', name, { signal });
      return false;
    } catch (err) {
      if (err instanceof NotFoundError) return true;
      throw err;
    }
  };

  const reconcile = async (key: string, signal: AbortSignal) => {
    const pod = pods.get(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName) return;
    const node = nodes.get(nodeName);
    const now = ctx.now();
    if (node) missingSince.delete(nodeName);
    else if (!missingSince.has(nodeName)) missingSince.set(nodeName, now);
    const decision = decidePodGc({ pod, node, nodeMissingSince: missingSince.get(nodeName), now, quarantineMs });
    if (decision.action === 'keep') return;
    if (decision.action === 'wait') return { requeueAfterMs: Math.max(1, decision.afterMs) };
    if (decision.reason === 'orphaned' && !(await nodeGone(nodeName, signal))) {
      missingSince.delete(nodeName);
      return;
    }
    const { namespace, name } = splitKey(key);
    try {
      if (decision.reason === 'orphaned') {
        // Kubernetes' markFailedAndDeletePodWithCondition: Failed (unless finished) with
        // DisruptionTarget=True (DeletionByPodGC), written on the version cached, then the delete.
        const { status, changed } = withDisruptionTarget(pod.status, DELETION_BY_POD_GC, new Date(now));
        const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
        if (!finished) status.phase = 'Failed';
        if (changed || !finished) await podClient.updateStatus({ ...structuredClone(pod), status }, { signal });
      }
      await podClient.delete(namespace, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid }, signal });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      if (err instanceof ConflictError) {
        if (pods.get(key)?.metadata?.uid === pod.metadata?.uid) throw err; // changed meanwhile: again from the cache
        return;
      }
      throw err;
    }
    log.info({ pod: key, node: nodeName, reason: decision.reason }, 'force-deleted pod');
  };

  const controller = new Controller({ name: 'podgc', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  controller.watch(pods).watch(nodes, (node) => {
    const name = node.metadata?.name;
    // The cache is updated before handlers run: a node missing from it was just deleted.
    if (!name || (nodes.get(name) && !isUnreachable(node))) return undefined;
    return podsOnNode(pods.list(), name).map((p) => keyOf(p.metadata));
  });
  return controller;
}
