/**
 * One sync of a DaemonSet, decided (Kubernetes' daemon controller manage, rollingUpdate and
 * updateDaemonSetStatus). Pods are grouped by the node they are for (targetNodeName: bound, or
 * named by their node-name affinity).
 *
 * manage, per node (NodeShouldRunDaemonPod):
 *   shouldRun and no pod (a terminating one counts) ───> create one
 *   shouldContinueRunning: failed or succeeded pods ───> delete (FailedDaemonPod), replaced once gone
 *     more than one running pod, no surge ────────────> keep the oldest
 *     more than one running pod, surge ───────────────> keep the oldest new and the oldest old
 *       pod; the old one goes once the new one is available (or the old one is not ready)
 *   !shouldContinueRunning ────────────────────────────> delete its pods
 *   pods for a node that does not exist ──────────────> delete
 *
 * rollingUpdate (only when manage has nothing to do, as Kubernetes runs it only with
 * expectations satisfied), maxSurge 0: old pods are deleted while fewer than maxUnavailable
 * nodes lack an available pod (unavailable old pods are always replaced); a deleted pod's
 * replacement is created by manage once it is gone, so the update goes node by node. maxSurge
 * > 0: a new pod is created beside each of up to maxSurge old ones; the old pod goes once the
 * new one is available. OnDelete: nothing (pods are replaced when the user deletes them).
 *
 * CONTRACT: pure; `now` is the clock for availability (minReadySeconds).
 */
import { scaledValue, type DaemonSet, type DaemonSetStatus, type Node, type Pod } from '@skiff/api';
import { isPodAvailable, isPodReady, msUntilAvailable } from '../replicaset/pod-availability';
import { CONTROLLER_REVISION_HASH_LABEL, daemonPodSpec, targetNodeName } from './daemon-pod';
import { nodeDecisionForSpec, type NodeDecision } from './node-eligibility';

export interface DaemonSetSyncInput {
  daemonSet: Readonly<DaemonSet>;
  nodes: readonly Readonly<Node>[];
  /** The pods the DaemonSet owns (any phase, terminating ones included). */
  pods: readonly Readonly<Pod>[];
  /** The current revision's hash (planHistory). */
  hash: string;
  /** false while creations or deletions of an earlier sync are not yet in the cache: only the status is computed. */
  expectationsSatisfied: boolean;
  now: number;
}

export interface PlannedDaemonEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface DaemonSetPlan {
  /** Nodes to create a pod for. */
  createOn: string[];
  /** Pods to delete. */
  delete: Readonly<Pod>[];
  events: PlannedDaemonEvent[];
  status: DaemonSetStatus;
  /** Sync again after this long (a ready pod becomes available: minReadySeconds). */
  requeueAfterMs?: number;
}

const created = (p: Readonly<Pod>) => p.metadata?.creationTimestamp?.getTime() ?? 0;

/** Oldest first; with equal times, running before pending (Kubernetes' podByCreationTimestampAndPhase). */
export function byCreationAndPhase(a: Readonly<Pod>, b: Readonly<Pod>): number {
  const running = (p: Readonly<Pod>) => (p.status?.phase === 'Running' ? 0 : 1);
  return created(a) - created(b) || running(a) - running(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** Pods by the node they are for; pods for no node are left out. */
export function podsByNode(pods: readonly Readonly<Pod>[]): Map<string, Readonly<Pod>[]> {
  const out = new Map<string, Readonly<Pod>[]>();
  for (const pod of pods) {
    const node = targetNodeName(pod);
    if (!node) continue;
    const list = out.get(node);
    if (list) list.push(pod);
    else out.set(node, [pod]);
  }
  for (const list of out.values()) list.sort(byCreationAndPhase);
  return out;
}

/** Whether the pod carries the current hash. */
export function isPodUpdated(pod: Readonly<Pod>, hash: string): boolean {
  return hash !== '' && pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
}

/** maxSurge and maxUnavailable as pod counts for `desired` nodes (rounded up; both 0 gives maxUnavailable 1). */
export function rolloutLimits(ds: Readonly<DaemonSet>, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  const maxSurge = scaledValue(ru?.maxSurge, desired, true);
  let maxUnavailable = ru?.maxUnavailable?.value === undefined ? 1 : scaledValue(ru.maxUnavailable, desired, true);
  if (desired > 0 && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

const isRollingUpdate = (ds: Readonly<DaemonSet>) => (ds.spec?.updateStrategy?.type || 'RollingUpdate') === 'RollingUpdate';

/** The one new and one old non-terminating pod of a node; ok false when there are more of either. */
function updatedPodsOnNode(pods: readonly Readonly<Pod>[], hash: string): { newPod?: Readonly<Pod>; oldPod?: Readonly<Pod>; ok: boolean } {
  let newPod: Readonly<Pod> | undefined;
  let oldPod: Readonly<Pod> | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { newPod, oldPod, ok: true };
}

interface ManageResult {
  createOn: string[];
  delete: Readonly<Pod>[];
  events: PlannedDaemonEvent[];
}

function manage(input: DaemonSetSyncInput, decisions: Map<string, NodeDecision>, byNode: Map<string, Readonly<Pod>[]>, allowSurge: boolean, minReadySeconds: number): ManageResult {
  const out: ManageResult = { createOn: [], delete: [], events: [] };
  const ns = input.daemonSet.metadata?.namespace ?? '';
  for (const [nodeName, decision] of decisions) {
    const pods = byNode.get(nodeName) ?? [];
    if (decision.shouldRun && pods.length === 0) {
      out.createOn.push(nodeName);
      continue;
    }
    if (!decision.shouldContinueRunning) {
      out.delete.push(...pods.filter((p) => !p.metadata?.deletionTimestamp));
      continue;
    }
    const running: Readonly<Pod>[] = [];
    for (const pod of pods) {
      if (pod.metadata?.deletionTimestamp) continue;
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') {
        if (phase === 'Failed') out.events.push({ type: 'Warning', reason: 'FailedDaemonPod', message: `Found failed daemon pod ${ns}/${pod.metadata?.name} on node ${nodeName}, will try to kill it` });
        out.delete.push(pod);
      } else {
        running.push(pod);
      }
    }
    if (running.length <= 1) continue;
    if (!allowSurge) {
      out.delete.push(...running.slice(1));
      continue;
    }
    let oldestNew: Readonly<Pod> | undefined;
    let oldestOld: Readonly<Pod> | undefined;
    for (const pod of running) {
      if (isPodUpdated(pod, input.hash)) {
        if (!oldestNew) {
          oldestNew = pod;
          continue;
        }
      } else if (!oldestOld) {
        oldestOld = pod;
        continue;
      }
      out.delete.push(pod);
    }
    if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReadySeconds, input.now))) out.delete.push(oldestOld);
  }
  // Pods for nodes that are gone (Kubernetes leaves bound ones to the pod GC).
  for (const [nodeName, pods] of byNode) {
    if (!decisions.has(nodeName)) out.delete.push(...pods.filter((p) => !p.metadata?.deletionTimestamp));
  }
  return out;
}

function rollingUpdate(input: DaemonSetSyncInput, decisions: Map<string, NodeDecision>, byNode: Map<string, Readonly<Pod>[]>, desired: number, minReadySeconds: number): { createOn: string[]; delete: Readonly<Pod>[] } {
  const { maxSurge, maxUnavailable } = rolloutLimits(input.daemonSet, desired);
  const available = (p: Readonly<Pod>) => isPodAvailable(p, minReadySeconds, input.now);
  const nodes = [...byNode.keys()].filter((n) => decisions.has(n)).sort();
  if (maxSurge === 0) {
    let unavailable = 0;
    const replaceNow: Readonly<Pod>[] = [];
    const candidates: Readonly<Pod>[] = [];
    for (const nodeName of nodes) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(byNode.get(nodeName)!, input.hash);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) unavailable++;
      else if (newPod) {
        if (!available(newPod)) unavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) replaceNow.push(oldPod);
        else if (unavailable < maxUnavailable) candidates.push(oldPod);
      }
    }
    const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    return { createOn: [], delete: [...replaceNow, ...candidates.slice(0, room)] };
  }
  let surging = 0;
  const allowedNew: string[] = [];
  const candidateNew: string[] = [];
  const oldToDelete: Readonly<Pod>[] = [];
  for (const nodeName of nodes) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(byNode.get(nodeName)!, input.hash);
    if (!ok) {
      surging++;
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (decisions.get(nodeName)?.shouldRun) allowedNew.push(nodeName);
      } else if (surging < maxSurge) candidateNew.push(nodeName);
      continue;
    }
    if (!available(newPod)) {
      surging++;
      continue;
    }
    oldToDelete.push(oldPod);
  }
  const room = Math.min(Math.max(0, maxSurge - surging), candidateNew.length);
  return { createOn: [...allowedNew, ...candidateNew.slice(0, room)], delete: oldToDelete };
}

/** Kubernetes' updateDaemonSetStatus counts; conditions and collisionCount are kept. */
export function calculateStatus(input: DaemonSetSyncInput, decisions: Map<string, NodeDecision>, byNode: Map<string, Readonly<Pod>[]>): DaemonSetStatus {
  const ds = input.daemonSet;
  const minReadySeconds = ds.spec?.minReadySeconds ?? 0;
  const status: DaemonSetStatus = {
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    desiredNumberScheduled: 0,
    numberReady: 0,
    observedGeneration: ds.metadata?.generation ?? 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
    numberUnavailable: 0,
    collisionCount: ds.status?.collisionCount,
    conditions: [...(ds.status?.conditions ?? [])],
  };
  for (const [nodeName, decision] of decisions) {
    const pods = byNode.get(nodeName) ?? [];
    if (decision.shouldRun) {
      status.desiredNumberScheduled++;
      if (pods.length === 0) continue;
      status.currentNumberScheduled++;
      const pod = pods[0];
      if (isPodReady(pod)) {
        status.numberReady++;
        if (isPodAvailable(pod, minReadySeconds, input.now)) status.numberAvailable++;
      }
      if (isPodUpdated(pod, input.hash)) status.updatedNumberScheduled++;
    } else if (pods.length > 0) {
      status.numberMisscheduled++;
    }
  }
  status.numberUnavailable = status.desiredNumberScheduled - status.numberAvailable;
  return status;
}

/** Plans one sync (see the file comment). */
export function planDaemonSet(input: DaemonSetSyncInput): DaemonSetPlan {
  const ds = input.daemonSet;
  const spec = daemonPodSpec(ds);
  const decisions = new Map(input.nodes.map((n) => [n.metadata?.name ?? '', nodeDecisionForSpec(spec, n)] as const));
  const byNode = podsByNode(input.pods);
  const minReadySeconds = ds.spec?.minReadySeconds ?? 0;
  const status = calculateStatus(input, decisions, byNode);
  const plan: DaemonSetPlan = { createOn: [], delete: [], events: [], status };
  if (input.expectationsSatisfied && !ds.metadata?.deletionTimestamp) {
    const rolling = isRollingUpdate(ds);
    const { maxSurge } = rolloutLimits(ds, status.desiredNumberScheduled);
    const managed = manage(input, decisions, byNode, rolling && maxSurge > 0, minReadySeconds);
    Object.assign(plan, { createOn: managed.createOn, delete: managed.delete, events: managed.events });
    if (rolling && managed.createOn.length === 0 && managed.delete.length === 0) {
      const update = rollingUpdate(input, decisions, byNode, status.desiredNumberScheduled, minReadySeconds);
      plan.createOn = update.createOn;
      plan.delete = update.delete;
    }
  }
  const waits = input.pods.map((p) => msUntilAvailable(p, minReadySeconds, input.now)).filter((ms): ms is number => ms !== undefined);
  if (waits.length) plan.requeueAfterMs = Math.min(...waits);
  return plan;
}

/** Whether the counts (or observedGeneration) differ, so that the status must be written. */
export function statusChanged(old: Readonly<DaemonSetStatus> | undefined, next: Readonly<DaemonSetStatus>): boolean {
  const keys: (keyof DaemonSetStatus)[] = ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount'];
  return !old || keys.some((k) => (old[k] ?? 0) !== (next[k] ?? 0));
}
