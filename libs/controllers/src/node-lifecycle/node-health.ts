/**
 * A node's health as the node lifecycle controller judges it (Kubernetes' tryUpdateNodeHealth),
 * without I/O.
 *
 * The controller never compares clocks across machines: it remembers when IT saw a node's
 * heartbeat change (the Lease's renewTime, or the Ready condition's lastHeartbeatTime written
 * with the Node's status) and calls the node stale when nothing changed for the grace period
 * by its own clock. A node first seen (or seen again after a controller restart) starts a fresh
 * grace period, as Kubernetes does.
 *
 *   heartbeat changes ──> observedAt = now
 *   now < observedAt + grace ──> healthy: conditions are the kubelet's, check again at staleAt
 *   now >= observedAt + grace ──> stale: Ready (and every other condition) -> Unknown,
 *                                 reason NodeStatusUnknown "Kubelet stopped posting node status."
 *
 * Only the kubelet turns Ready back to True (by posting its status); the controller never does.
 */
import { Condition, type Lease, type Node } from '@skiff/api';

/** The namespace of the nodes' heartbeat Leases (the kubelet's NODE_LEASE_NAMESPACE). */
export const NODE_LEASE_NAMESPACE = 'skiff-node-lease';
export const NODE_STATUS_UNKNOWN = { reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } as const;
export const NODE_STATUS_NEVER_UPDATED = { reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' } as const;

/** What the controller last saw of a node's heartbeats, and when (its own clock, ms). */
export interface HeartbeatObservation {
  /** The heartbeat as seen: see heartbeatSignature. */
  signature: string;
  /** When this controller first saw `signature`. */
  observedAt: number;
}

/** The Ready condition's status: 'True', 'False', 'Unknown', or undefined when the node has none. */
export function readyStatusOf(node: Readonly<Node> | undefined): string | undefined {
  return node?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

/**
 * What identifies one heartbeat: the Lease's renewTime and the Ready condition's
 * lastHeartbeatTime. Any change of either is a sign of life.
 */
export function heartbeatSignature(node: Readonly<Node>, lease: Readonly<Lease> | undefined): string {
  const renewed = lease?.spec?.renewTime?.getTime() ?? 0;
  const posted = node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime?.getTime() ?? 0;
  return `${renewed}/${posted}`;
}

/** The observation after seeing `signature` at `now`: unchanged when the signature is the same. */
export function observeHeartbeat(previous: HeartbeatObservation | undefined, signature: string, now: number): HeartbeatObservation {
  if (previous && previous.signature === signature) return previous;
  return { signature, observedAt: now };
}

export interface NodeHealth {
  /** No heartbeat seen for the grace period. */
  stale: boolean;
  /** When the node goes stale if no new heartbeat is seen (ms); meaningful when not stale. */
  staleAt: number;
  /** The status conditions to write; undefined: nothing to change. */
  conditions?: Condition[];
}

/**
 * Judges `node` at `now` from `observation` (see the file comment). When stale, every condition
 * the node has, and Ready even if missing, becomes Unknown (lastTransitionTime now, the last
 * heartbeat kept); conditions already Unknown are left as they are, so repeating this changes
 * nothing. Pure: `node` is not changed.
 */
export function decideNodeHealth(node: Readonly<Node>, observation: HeartbeatObservation, now: number, gracePeriodMs: number): NodeHealth {
  const staleAt = observation.observedAt + gracePeriodMs;
  if (now < staleAt) return { stale: false, staleAt };
  const current = node.status?.conditions ?? [];
  const at = new Date(now);
  let changed = false;
  const conditions = current.map((c) => {
    if (c.status === 'Unknown') return { ...c };
    changed = true;
    return { ...c, status: 'Unknown', lastTransitionTime: at, reason: NODE_STATUS_UNKNOWN.reason, message: NODE_STATUS_UNKNOWN.message };
  });
  if (!current.some((c) => c.type === 'Ready')) {
    changed = true;
    conditions.unshift(
      Condition.fromPartial({ type: 'Ready', status: 'Unknown', lastTransitionTime: at, lastHeartbeatTime: node.metadata?.creationTimestamp, ...NODE_STATUS_NEVER_UPDATED }),
    );
  }
  return { stale: true, staleAt, conditions: changed ? conditions : undefined };
}
