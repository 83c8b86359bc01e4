/**
 * The taints the node lifecycle controller keeps on a Node, derived from its conditions
 * (Kubernetes' TaintNodesByCondition for NoSchedule, and taint-based eviction for NoExecute),
 * without I/O:
 *
 *   Ready False             -> node.kubernetes.io/not-ready     NoSchedule + NoExecute
 *   Ready Unknown           -> node.kubernetes.io/unreachable   NoSchedule + NoExecute
 *   MemoryPressure True     -> node.kubernetes.io/memory-pressure      NoSchedule
 *   DiskPressure True       -> node.kubernetes.io/disk-pressure        NoSchedule
 *   PIDPressure True        -> node.kubernetes.io/pid-pressure         NoSchedule
 *   NetworkUnavailable True -> node.kubernetes.io/network-unavailable  NoSchedule
 *   spec.unschedulable      -> node.kubernetes.io/unschedulable        NoSchedule
 *
 * The controller owns exactly these (key, effect) pairs: it adds and removes them and leaves every
 * other taint alone. NoExecute taints carry timeAdded (the start of their pods' tolerationSeconds),
 * kept as long as the taint stays. When every node is unhealthy (Kubernetes' full disruption: more
 * likely the control plane lost the nodes than all nodes died), no NoExecute taint is kept, so
 * nothing is evicted.
 */
import {
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  type Node,
  type Taint,
} from '@skiff/api';
import { readyStatusOf } from './node-health';


/** Condition (type, status) -> the NoSchedule taint key it brings. */
const CONDITION_TAINTS: readonly { type: string; status: string; key: string }[] = [
  { type: 'Ready', status: 'False', key: TAINT_NOT_READY },
  { type: 'Ready', status: 'Unknown', key: TAINT_UNREACHABLE },
  { type: 'MemoryPressure', status: 'True', key: TAINT_MEMORY_PRESSURE },
  { type: 'DiskPressure', status: 'True', key: TAINT_DISK_PRESSURE },
  { type: 'PIDPressure', status: 'True', key: TAINT_PID_PRESSURE },
  { type: 'NetworkUnavailable', status: 'True', key: TAINT_NETWORK_UNAVAILABLE },
];

const MANAGED = new Set([
  ...CONDITION_TAINTS.map((t) => `${t.key}:NoSchedule`),
  `${TAINT_UNSCHEDULABLE}:NoSchedule`,
  `${TAINT_NOT_READY}:NoExecute`,
  `${TAINT_UNREACHABLE}:NoExecute`,
]);

const id = (t: Readonly<Taint>) => `${t.key}:${t.effect}`;

/** Whether the controller owns this taint (see the file comment). */
export function isControllerTaint(taint: Readonly<Taint>): boolean {
  return MANAGED.has(id(taint));
}

/**
 * Full disruption: there are nodes and none is Ready. Takes each node's Ready status as the
 * controller judges it now (its own staleness verdict over the cache, which may lag its writes).
 */
export function isFullDisruption(readyStatuses: readonly (string | undefined)[]): boolean {
  return readyStatuses.length > 0 && !readyStatuses.includes('True');
}

/**
 * The controller taints `node` should carry (no timeAdded), from its conditions and
 * spec.unschedulable; NoExecute ones only when `evictions` (false in full disruption).
 */
export function desiredTaints(node: Readonly<Node>, evictions: boolean): Taint[] {
  const conditions = node.status?.conditions ?? [];
  const taints: Taint[] = [];
  for (const rule of CONDITION_TAINTS) {
    if (conditions.some((c) => c.type === rule.type && c.status === rule.status)) taints.push({ key: rule.key, value: '', effect: 'NoSchedule', timeAdded: undefined });
  }
  if (node.spec?.unschedulable) taints.push({ key: TAINT_UNSCHEDULABLE, value: '', effect: 'NoSchedule', timeAdded: undefined });
  if (evictions) {
    const ready = readyStatusOf(node);
    if (ready === 'False') taints.push({ key: TAINT_NOT_READY, value: '', effect: 'NoExecute', timeAdded: undefined });
    if (ready === 'Unknown') taints.push({ key: TAINT_UNREACHABLE, value: '', effect: 'NoExecute', timeAdded: undefined });
  }
  return taints;
}

/**
 * The node's taints after applying `desired`: taints the controller does not own are kept as
 * they are, in order; owned taints not desired are removed; desired ones already present are
 * kept (with their timeAdded); missing ones are appended, NoExecute ones with timeAdded = now.
 * Returns undefined when nothing changes. Pure.
 */
export function reconcileTaints(current: readonly Readonly<Taint>[], desired: readonly Readonly<Taint>[], now: Date): Taint[] | undefined {
  const wanted = new Set(desired.map(id));
  const kept = current.filter((t) => !isControllerTaint(t) || wanted.has(id(t)));
  const present = new Set(kept.map(id));
  const added = desired.filter((t) => !present.has(id(t))).map((t) => ({ ...t, timeAdded: t.effect === 'NoExecute' ? now : undefined }));
  if (added.length === 0 && kept.length === current.length) return undefined;
  return [...kept.map((t) => ({ ...t })), ...added];
}
