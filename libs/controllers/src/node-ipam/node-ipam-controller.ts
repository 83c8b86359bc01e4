/**
 * The node IPAM controller (Kubernetes' nodeipam with the range allocator), the thin I/O half:
 * every Node without spec.podCIDR gets a free subnet of the cluster CIDR (node-cidr-plan.ts
 * decides which). Keys are Node names.
 *
 * One reconcile of "name":
 *   1. Node gone -> forget its pending assignment (its subnet is free again: occupancy is computed
 *      from the cached Nodes, so nothing else needs releasing).
 *   2. decideNodeCidr over every cached Node plus the assignments this process wrote that the cache
 *      does not show yet (one worker, so two Nodes never get the same subnet):
 *        keep        -> nothing;
 *        assign      -> update the Node with spec.podCIDR (compare-and-swap on the cached
 *                       resourceVersion). The write runs apart from the deciding worker, up to
 *                       MAX_WRITES at once (Kubernetes' range allocator hands its updates to
 *                       cidrUpdateWorkers): later decisions already see the claim in `pending`.
 *                       A failed write (a conflict) drops the claim and decides the Node again
 *                       after RETRY_MS, against a fresher cache;
 *        unavailable -> a Warning CIDRNotAvailable on the Node (once per podCIDR), the Node is left alone;
 *        full        -> a Warning CIDRNotAvailable, and a new look in 30 s (or at the next Node change).
 * The apiserver lets podCIDR be set once and never changed (libs/api node validation).
 */
import type { Node } from '@skiff/api';
import { InFlightLimit, typed } from '@skiff/client';
import { Controller } from '@skiff/reconcile';
import type { ControllerContext } from '../controller-context';
import { decideNodeCidr, DEFAULT_NODE_IPAM, parseClusterCidr, type NodeCidrView } from './node-cidr-plan';

export const NODE_IPAM_COMPONENT = 'cidrAllocator';
/** How soon a Node that found the range full looks again. */
const FULL_RETRY_MS = 30_000;
/** Pod CIDR writes in flight at most (Kubernetes' cidrUpdateWorkers: 30). */
const MAX_WRITES = 30;
/** How soon a Node whose pod CIDR write failed is decided again. */
const RETRY_MS = 200;

function viewOf(node: Readonly<Node>): NodeCidrView {
  return { name: node.metadata?.name ?? '', podCIDR: node.spec?.podCIDR ?? '', createdAt: node.metadata?.creationTimestamp?.getTime() ?? 0 };
}

/** Builds the node IPAM controller (registered as "nodeipam", Kubernetes' name) over ctx.nodeIpam (default 10.244.0.0/16, /24). */
export function nodeIpamController(ctx: ControllerContext): Pick<Controller, 'start'> {
  const range = parseClusterCidr(ctx.nodeIpam || DEFAULT_NODE_IPAM);
  const log = ctx.log.child({ controller: 'nodeipam' });
  const recorder = ctx.recorder(NODE_IPAM_COMPONENT);
  const nodeClient = typed(ctx.client, 'node');
  const nodes = ctx.informers.get('node');
  /** Assignments written whose Node the cache does not show with them yet. */
  const pending = new Map<string, string>();
  /** The podCIDR each Node was last reported unavailable for (one event per claim). */
  const reported = new Map<string, string>();
  const writes = new InFlightLimit(MAX_WRITES);

  const reconcile = async (name: string, signal: AbortSignal) => {
    const cached = nodes.get(name);
    if (!cached) {
      pending.delete(name);
      reported.delete(name);
      return;
    }
    if (cached.spec?.podCIDR && pending.get(name) === cached.spec.podCIDR) pending.delete(name);
    const views = nodes.list().map(viewOf);
    const decision = decideNodeCidr(range, name, views, pending);
    switch (decision.kind) {
      case 'keep':
        reported.delete(name);
        return;
      case 'unavailable':
      case 'full': {
        const claim = cached.spec?.podCIDR || '<none>';
        if (reported.get(name) !== claim) {
          recorder.warning(cached, 'CIDRNotAvailable', decision.message, 'Node');
          log.warn({ node: name, podCIDR: cached.spec?.podCIDR }, decision.message);
          reported.set(name, claim);
        }
        return decision.kind === 'full' ? { requeueAfterMs: FULL_RETRY_MS } : undefined;
      }
      case 'assign': {
        const copy = structuredClone(cached) as Node;
        copy.spec = { unschedulable: false, taints: [], ...copy.spec, podCIDR: decision.podCIDR };
        pending.set(name, decision.podCIDR);
        await writes.acquire();
        void nodeClient
          .update(copy, { signal })
          .then(
            () => {
              reported.delete(name);
              log.info({ node: name, podCIDR: decision.podCIDR }, 'node pod CIDR allocated');
            },
            (err: unknown) => {
              if (pending.get(name) === decision.podCIDR) pending.delete(name);
              if (signal.aborted) return;
              log.warn({ node: name, podCIDR: decision.podCIDR, err }, 'pod CIDR write failed: deciding again');
              controller.enqueue(name, RETRY_MS);
            },
          )
          .finally(() => writes.release());
        return;
      }
    }
  };

  // One worker: each decision sees every earlier assignment.
  const controller = new Controller({ name: 'nodeipam', reconcile, workers: 1, log: ctx.log, registry: ctx.registry });
  controller.watch(nodes);
  log.info({ clusterCidr: range.cidr, nodeCidrMaskSize: range.maskSize, subnets: range.count }, 'node IPAM range');
  return controller;
}
