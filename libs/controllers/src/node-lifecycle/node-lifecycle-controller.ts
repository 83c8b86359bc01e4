/**
 * The node lifecycle controller (Kubernetes' nodelifecycle, node-controller): per Node key,
 *   1. notes when it saw the node's heartbeat change (Lease in skiff-node-lease, or the Ready
 *      condition's lastHeartbeatTime) and, after ctx.tuning.nodeMonitorGracePeriodMs without
 *      one, sets the node's conditions to Unknown (NodeStatusUnknown) and, while it stays
 *      Unknown, its pods' Ready condition to False (event NodeNotReady on each);
 *   2. keeps the condition taints (node-taints.ts): unreachable / not-ready NoExecute and the
 *      NoSchedule ones, removed again once the kubelet posts Ready=True;
 *   3. when no node at all is Ready (full disruption), keeps no NoExecute taint anywhere.
 * Evicting the pods of a NoExecute-tainted node is the taint eviction controller's job.
 *
 * Level-triggered: the only memory is the heartbeat observation times (lost on restart: every
 * node then gets a fresh grace period) and whether the cluster was in full disruption (a change
 * re-queues every node). A healthy node is re-queued for the moment it would go stale.
 */
import { ConflictError, NotFoundError, type Node, type Pod } from '@skiff/api';
import { typed } from '@skiff/client';
import { Controller } from '@skiff/reconcile';
import type { ControllerContext } from '../controller-context';
import { decideNodeHealth, heartbeatSignature, NODE_LEASE_NAMESPACE, observeHeartbeat, readyStatusOf, type HeartbeatObservation } from './node-health';
import { desiredTaints, isFullDisruption, reconcileTaints } from './node-taints';

export const NODE_CONTROLLER_COMPONENT = 'node-controller';

/** The pods bound to `nodeName` in `pods` (a scan: the pod informer has no node index). */
export function podsOnNode(pods: readonly Readonly<Pod>[], nodeName: string): Readonly<Pod>[] {
  return pods.filter((p) => p.spec?.nodeName === nodeName);
}

/** The pod's status with Ready=False (lastTransitionTime now), or undefined when it is not Ready=True. */
export function markedNotReady(pod: Readonly<Pod>, now: Date): Pod | undefined {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return undefined;
  const copy = structuredClone(pod) as Pod;
  for (const c of copy.status?.conditions ?? []) {
    if (c.type === 'Ready') Object.assign(c, { status: 'False', lastTransitionTime: now });
  }
  return copy;
}

export function nodeLifecycleController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'nodelifecycle' });
  const recorder = ctx.recorder(NODE_CONTROLLER_COMPONENT);
  const nodeClient = typed(ctx.client, 'node');
  const podClient = typed(ctx.client, 'pod');
  const nodes = ctx.informers.get('node');
  const leases = ctx.informers.get('lease');
  const pods = ctx.informers.get('pod');
  const graceMs = ctx.tuning.nodeMonitorGracePeriodMs;
  const observations = new Map<string, HeartbeatObservation>();
  let fullDisruption = false;

  const reconcile = async (name: string, signal: AbortSignal) => {
    const cached = nodes.get(name);
    if (!cached) {
      observations.delete(name);
      return;
    }
    const now = ctx.now();
    if (!observations.has(name)) recorder.normal(cached, 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`, 'Node');
    const observation = observeHeartbeat(observations.get(name), heartbeatSignature(cached, leases.get(`${NODE_LEASE_NAMESPACE}/${name}`)), now);
    observations.set(name, observation);
    const health = decideNodeHealth(cached, observation, now, graceMs);

    let node: Readonly<Node> = cached;
    if (health.conditions) {
      const wasReady = readyStatusOf(cached) === 'True';
      const copy = structuredClone(cached) as Node;
      copy.status = { ...(copy.status as NonNullable<Node['status']>), conditions: health.conditions };
      node = await nodeClient.updateStatus(copy, { signal });
      log.info({ node: name, silentForMs: now - observation.observedAt }, 'node stopped posting status: conditions Unknown');
      if (wasReady) recorder.normal(node, 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, 'Node');
    }

    // Full disruption is judged over every node as this controller sees it now: this one as just
    // decided, the others from the cache but Unknown once silent for the grace period (the cache
    // may not show the controller's own latest writes yet).
    const statuses = nodes.list().map((n) => {
      const other = n.metadata?.name ?? '';
      if (other === name) return readyStatusOf(node);
      const seen = observations.get(other);
      return seen && seen.observedAt + graceMs <= now ? 'Unknown' : readyStatusOf(n);
    });
    const disrupted = isFullDisruption(statuses);
    if (disrupted !== fullDisruption) {
      fullDisruption = disrupted;
      log.warn({ node: name, fullDisruption: disrupted }, disrupted ? 'no node is Ready: entering full disruption mode, no evictions' : 'a node is Ready again: leaving full disruption mode');
      for (const other of nodes.keys()) if (other !== name) controller.enqueue(other);
    }

    const taints = reconcileTaints(node.spec?.taints ?? [], desiredTaints(node, !disrupted), new Date(now));
    if (taints) {
      const copy = structuredClone(node) as Node;
      copy.spec = { ...(copy.spec as NonNullable<Node['spec']>), taints };
      await nodeClient.update(copy, { signal });
      log.info({ node: name, taints: taints.map((t) => `${t.key}:${t.effect}`) }, 'node taints updated');
    }

    // Only for a node whose kubelet is silent: a live kubelet reporting NotReady owns its pods' status.
    if (readyStatusOf(node) === 'Unknown') {
      for (const pod of podsOnNode(pods.list(), name)) {
        const marked = markedNotReady(pod, new Date(now));
        if (!marked) continue;
        try {
          await podClient.updateStatus(marked, { signal });
        } catch (err) {
          // Deleted (evicted) meanwhile, or changed: a pod still Ready comes back through the pod watch.
          if (err instanceof NotFoundError || err instanceof ConflictError) continue;
          throw err;
        }
        recorder.warning(pod, 'NodeNotReady', 'Node is not ready', 'Pod');
      }
    }
    if (!health.stale) return { requeueAfterMs: Math.max(1, health.staleAt - now) };
  };

  const controller = new Controller({ name: 'nodelifecycle', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  controller
    .watch(nodes)
    .watch(leases, (lease) => (lease.metadata?.namespace === NODE_LEASE_NAMESPACE ? lease.metadata.name : undefined))
    // A pod Ready on a node that is not: mark it again.
    .watch(pods, (pod) => {
      const node = pod.spec?.nodeName;
      if (!node || readyStatusOf(nodes.get(node)) !== 'Unknown') return undefined;
      return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? node : undefined;
    });
  return controller;
}
