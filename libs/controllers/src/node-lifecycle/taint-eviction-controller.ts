/**
 * The taint eviction controller (Kubernetes' taint-eviction-controller): per pod key, deletes a
 * bound pod whose node has NoExecute taints it does not tolerate, at once or when its
 * tolerationSeconds run out (taint-eviction.ts), with the event TaintManagerEviction
 * "Marking for deletion Pod ns/name". The pod's status gets DisruptionTarget=True
 * (DeletionByTaintManager) first; the delete is a normal graceful one with the pod's uid as
 * precondition; a pod whose node is dead is then force-deleted by pod GC after its grace period.
 *
 * Node changes re-queue the pods of nodes that have (or had) NoExecute taints; a pending
 * tolerationSeconds is a timed re-queue, so removing the taint before it runs out cancels the
 * eviction (the next decision finds nothing to do).
 */
import { ConflictError, DELETION_BY_TAINT_MANAGER, keyOf, NotFoundError, splitKey, withDisruptionTarget, type Taint } from '@skiff/api';
import { typed } from '@skiff/client';
import { Controller } from '@skiff/reconcile';
import type { ControllerContext } from '../controller-context';
import { podsOnNode } from './node-lifecycle-controller';
import { decideEviction, isEvictable, noExecuteTaints } from './taint-eviction';

export const TAINT_EVICTION_COMPONENT = 'taint-eviction-controller';

export function taintEvictionController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'taint-eviction-controller' });
  const recorder = ctx.recorder(TAINT_EVICTION_COMPONENT);
  const podClient = typed(ctx.client, 'pod');
  const nodes = ctx.informers.get('node');
  const pods = ctx.informers.get('pod');
  /** NoExecute taints without timeAdded: when this controller first saw them (node/key:effect -> ms). */
  const firstSeen = new Map<string, number>();

  const addedAt = (nodeName: string, now: number) => (taint: Readonly<Taint>) => {
    if (taint.timeAdded) return taint.timeAdded.getTime();
    const id = `${nodeName}/${taint.key}:${taint.effect}`;
    if (!firstSeen.has(id)) firstSeen.set(id, now);
    return firstSeen.get(id) as number;
  };

  const reconcile = async (key: string, signal: AbortSignal) => {
    const pod = pods.get(key);
    if (!pod || !isEvictable(pod)) return;
    const nodeName = pod.spec?.nodeName as string;
    const taints = noExecuteTaints(nodes.get(nodeName)?.spec?.taints);
    if (taints.length === 0) return;
    const now = ctx.now();
    const decision = decideEviction(pod.spec?.tolerations ?? [], taints, now, addedAt(nodeName, now));
    if (decision.action === 'keep') return;
    if (decision.action === 'wait') return { requeueAfterMs: Math.max(1, decision.evictAt - now) };

    const { namespace, name } = splitKey(key);
    try {
      // As Kubernetes' addConditionAndDeletePod: DisruptionTarget first (on the version cached;
      // a conflict is retried with the newer pod), then the delete.
      const { status, changed } = withDisruptionTarget(pod.status, DELETION_BY_TAINT_MANAGER, new Date(now));
      if (changed) await podClient.updateStatus({ ...structuredClone(pod), status }, { signal });
      await podClient.delete(namespace, name, { preconditions: { uid: pod.metadata?.uid }, signal });
    } catch (err) {
      // Gone already, or replaced by another pod of the same name (reconciled under its own events).
      if (err instanceof NotFoundError) return;
      if (err instanceof ConflictError) {
        if (pods.get(key)?.metadata?.uid === pod.metadata?.uid) throw err; // changed meanwhile: again from the cache
        return;
      }
      throw err;
    }
    log.info({ pod: key, node: nodeName, taint: `${decision.taint.key}:${decision.taint.effect}` }, 'evicted pod from tainted node');
    recorder.normal(pod, 'TaintManagerEviction', `Marking for deletion Pod ${key}`, 'Pod');
  };

  const controller = new Controller({ name: 'taint-eviction-controller', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  controller.watch(pods).watch(nodes, (node) => {
    const name = node.metadata?.name;
    if (!name || noExecuteTaints(node.spec?.taints).length === 0) return undefined;
    return podsOnNode(pods.list(), name).map((p) => keyOf(p.metadata));
  });
  return controller;
}
