/**
 * What one sync of a StatefulSet decides (Kubernetes' defaultStatefulSetControl.updateStatefulSet),
 * as a plan over the pods it owns, its claims and its two revisions; the controller performs it.
 *
 * The pods are sorted into `replicas` (ordinals start .. start+replicas-1, one slot each, empty
 * when the pod does not exist) and `condemned` (ordinals past the range, highest first). Then, in
 * order, stopping where Kubernetes stops ("stop" below ends the plan; with podManagementPolicy
 * Parallel, "stop" only skips to the next pod and nothing waits for readiness):
 *
 *   1. each replica slot, lowest ordinal first:
 *        empty ────────────> create its missing claims, then the pod; stop (OrderedReady: one
 *                            pod per sync, the next once this one is Running and Ready). A claim
 *                            still owned by a scaled-down pod or being deleted: wait; stop.
 *                            Below the partition the pod gets the current revision, else the
 *                            update revision.
 *        Failed/Succeeded ─> delete it (re-created by a later sync); stop
 *        Pending ──────────> create any missing claim
 *        terminating, not Running and Ready, not available ─> stop (OrderedReady only)
 *        claims' owners ≠ the retention policy ─> update the claims
 *        identity labels wrong ─> update the pod
 *   2. the condemned pods: first their claims' owners (whenScaled Delete: the pod becomes the
 *      owner, so the claim goes with it); then, highest first, delete one; OrderedReady waits
 *      for a terminating one and deletes only when every other pod is healthy (the first
 *      unhealthy pod itself may go).
 *   3. OnDelete: done. RollingUpdate: from the highest ordinal down to the partition, delete the
 *      first pod not at the update revision (it is re-created at that revision by step 1);
 *      stop at the first pod that is not healthy.
 *
 * The status counts the pods as found (replicas, ready, available, current, updated); once every
 * pod is updated and ready the update revision becomes the current one. CONTRACT: pure, no I/O;
 * inputs are never changed.
 */
import type { ControllerRevision, PersistentVolumeClaim, Pod, PodTemplateSpec, StatefulSet, StatefulSetStatus } from '@skiff/api';
import { isPodAvailable, isPodReady, msUntilAvailable } from '../pods/pod-availability';
import {
  claimNamesOf,
  claimWithRetentionOwners,
  identityMatches,
  isClaimStale,
  newClaims,
  newStatefulPod,
  ordinalOf,
  podRevision,
  specReplicas,
  startOrdinal,
  withIdentity,
} from './stateful-pod';

/** One write, with the pod it is for (Events name it). */
export type StatefulSetAction =
  | { action: 'createClaim'; claim: PersistentVolumeClaim; pod: string }
  | { action: 'updateClaim'; claim: PersistentVolumeClaim; pod: string }
  | { action: 'createPod'; pod: Pod }
  | { action: 'updatePod'; pod: Pod }
  | { action: 'deletePod'; pod: Readonly<Pod>; why: 'failed' | 'scale-down' | 'update' };

export interface StatefulSetPlan {
  /**
   * Groups of writes: each group in order, stopping at its first failure; the groups one after
   * the other (OrderedReady) or concurrently (Parallel).
   */
  steps: StatefulSetAction[][];
  parallel: boolean;
  /** The status after this sync (before the writes are seen). */
  status: StatefulSetStatus;
  /** Sync again after this long: a ready pod becomes available (minReadySeconds), a stale claim may be gone. */
  requeueAfterMs?: number;
}

export interface StatefulSetInput {
  sts: Readonly<StatefulSet>;
  /** The pods the set controls (claimed), any phase, terminating ones included. */
  pods: readonly Readonly<Pod>[];
  /** The claims of the set's namespace by name. */
  claims: ReadonlyMap<string, Readonly<PersistentVolumeClaim>>;
  /** status.currentRevision's revision (the update revision when there is none). */
  currentRevision: Readonly<ControllerRevision>;
  /** The revision of spec.template. */
  updateRevision: Readonly<ControllerRevision>;
  /** status.collisionCount after the history step. */
  collisionCount?: number;
  now: number;
}

/** How long to wait before looking again at a claim that blocks a pod. */
export const STALE_CLAIM_RECHECK_MS = 1_000;

const isTerminating = (pod: Readonly<Pod>) => Boolean(pod.metadata?.deletionTimestamp);
const isFailedOrSucceeded = (pod: Readonly<Pod>) => pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
/** Kubernetes' isRunningAndReady. */
export const isRunningAndReady = (pod: Readonly<Pod>) => pod.status?.phase === 'Running' && isPodReady(pod);
const isRunningAndAvailable = (pod: Readonly<Pod>, minReadySeconds: number, now: number) => pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
/** Kubernetes' isHealthy: Running, Ready and not terminating. */
export const isHealthy = (pod: Readonly<Pod>) => isRunningAndReady(pod) && !isTerminating(pod);

const nameOf = (revision: Readonly<ControllerRevision>) => revision.metadata?.name ?? '';

/** The partition of a RollingUpdate set (0), or undefined for OnDelete. */
export function partitionOf(sts: Readonly<StatefulSet>): number | undefined {
  if (sts.spec?.updateStrategy?.type === 'OnDelete') return undefined;
  return sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
}

/**
 * The status of the set over `pods` (Kubernetes' updateStatus and completeRollingUpdate):
 * replicas counts existing pods, current/updated those not terminating at each revision.
 */
export function statefulSetStatus(input: StatefulSetInput, currentReplicasDelta = 0): StatefulSetStatus {
  const { sts, now } = input;
  const minReady = sts.spec?.minReadySeconds ?? 0;
  const current = nameOf(input.currentRevision);
  const update = nameOf(input.updateRevision);
  const status: StatefulSetStatus = {
    observedGeneration: sts.metadata?.generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    availableReplicas: 0,
    currentRevision: current,
    updateRevision: update,
    collisionCount: input.collisionCount ?? sts.status?.collisionCount,
    conditions: structuredClone(sts.status?.conditions ?? []),
  } as StatefulSetStatus;
  for (const pod of input.pods) {
    if (ordinalOf(pod) < 0) continue;
    status.replicas++;
    if (isRunningAndReady(pod)) {
      status.readyReplicas++;
      if (isRunningAndAvailable(pod, minReady, now)) status.availableReplicas++;
    }
    if (isTerminating(pod)) continue;
    if (podRevision(pod) === current) status.currentReplicas++;
    if (podRevision(pod) === update) status.updatedReplicas++;
  }
  status.currentReplicas += currentReplicasDelta;
  if (partitionOf(sts) !== undefined && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
  return status;
}

/** Whether two statuses differ in anything the controller writes. */
export function statusChanged(a: Readonly<StatefulSetStatus> | undefined, b: Readonly<StatefulSetStatus>): boolean {
  if (!a) return true;
  const keys = ['observedGeneration', 'replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'currentRevision', 'updateRevision', 'collisionCount'] as const;
  return keys.some((k) => String(a[k] ?? '') !== String(b[k] ?? ''));
}

/** Decides one sync (see the module comment). */
export function planStatefulSet(input: StatefulSetInput): StatefulSetPlan {
  const { sts, now } = input;
  const start = startOrdinal(sts);
  const count = specReplicas(sts);
  const monotonic = sts.spec?.podManagementPolicy !== 'Parallel';
  const minReady = sts.spec?.minReadySeconds ?? 0;
  const partition = partitionOf(sts);
  const update = nameOf(input.updateRevision);

  const replicas: (Readonly<Pod> | undefined)[] = new Array(count).fill(undefined);
  const condemned: Readonly<Pod>[] = [];
  for (const pod of input.pods) {
    const ordinal = ordinalOf(pod);
    if (ordinal >= start && ordinal < start + count) replicas[ordinal - start] = pod;
    else if (ordinal >= 0) condemned.push(pod);
  }
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
  // The first pod that is not healthy (a missing replica counts): lowest ordinal, replicas before condemned.
  const firstUnhealthy = replicas.findIndex((p) => !p || !isHealthy(p)) < 0 ? [...condemned].reverse().find((p) => !isHealthy(p)) : undefined;
  const noUnhealthyReplica = replicas.every((p) => p && isHealthy(p));

  const steps: StatefulSetAction[][] = [];
  const waits: number[] = [];
  const plan = (currentReplicasDelta = 0): StatefulSetPlan => ({
    steps,
    parallel: !monotonic,
    status: statefulSetStatus(input, currentReplicasDelta),
    requeueAfterMs: waits.length ? Math.min(...waits) : undefined,
  });
  for (const pod of input.pods) {
    const ms = msUntilAvailable(pod, minReady, now);
    if (ms !== undefined && isRunningAndReady(pod)) waits.push(ms);
  }
  if (sts.metadata?.deletionTimestamp) return plan();

  /** The claims of `ordinal` that do not exist yet. */
  const missingClaims = (ordinal: number) => newClaims(sts, ordinal).filter((c) => !input.claims.has(c.metadata?.name ?? ''));
  /** Claim owner updates the retention policy asks for. */
  const retentionUpdates = (pod: Readonly<Pod>): StatefulSetAction[] => {
    const out: StatefulSetAction[] = [];
    for (const name of claimNamesOf(sts, ordinalOf(pod)).values()) {
      const claim = input.claims.get(name);
      const fixed = claim && !claim.metadata?.deletionTimestamp && claimWithRetentionOwners(sts, pod, claim);
      if (fixed) out.push({ action: 'updateClaim', claim: fixed, pod: pod.metadata?.name ?? '' });
    }
    return out;
  };

  // 1. the replicas, lowest ordinal first.
  for (let i = 0; i < count; i++) {
    const ordinal = start + i;
    const pod = replicas[i];
    if (!pod) {
      const stale = [...claimNamesOf(sts, ordinal).values()].some((name) => {
        const claim = input.claims.get(name);
        return claim !== undefined && isClaimStale(claim);
      });
      if (stale) {
        waits.push(STALE_CLAIM_RECHECK_MS);
        if (monotonic) return plan();
        continue;
      }
      const atCurrent = partition !== undefined && i < partition;
      const revision = atCurrent ? input.currentRevision : input.updateRevision;
      const template = revision.data?.spec?.template as Readonly<PodTemplateSpec> | undefined;
      const created = newStatefulPod(sts, template, nameOf(revision), ordinal);
      steps.push([...missingClaims(ordinal).map((claim): StatefulSetAction => ({ action: 'createClaim', claim, pod: created.metadata?.name ?? '' })), { action: 'createPod', pod: created }]);
      if (monotonic) return plan();
      continue;
    }
    if (isFailedOrSucceeded(pod)) {
      if (!isTerminating(pod)) steps.push([{ action: 'deletePod', pod, why: 'failed' }]);
      if (monotonic) return plan();
      continue;
    }
    const step: StatefulSetAction[] = [];
    if (pod.status?.phase === 'Pending' || !pod.status?.phase) {
      step.push(...missingClaims(ordinal).map((claim): StatefulSetAction => ({ action: 'createClaim', claim, pod: pod.metadata?.name ?? '' })));
    }
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) {
      if (step.length) steps.push(step);
      return plan();
    }
    step.push(...retentionUpdates(pod));
    if (!identityMatches(sts, pod)) step.push({ action: 'updatePod', pod: withIdentity(sts, pod) });
    if (step.length) steps.push(step);
  }

  // 2. the condemned pods, highest ordinal first: their claims' owners, then one deletion.
  const claimFixes = new Map(condemned.map((pod) => [pod, retentionUpdates(pod)]));
  let stopped = false;
  for (const pod of condemned) {
    const fixes = claimFixes.get(pod) ?? [];
    claimFixes.delete(pod);
    if (isTerminating(pod)) {
      if (fixes.length) steps.push(fixes);
      if (monotonic) {
        stopped = true;
        break;
      }
      continue;
    }
    const mayGo = !monotonic || (noUnhealthyReplica && (isRunningAndAvailable(pod, minReady, now) || pod === firstUnhealthy));
    if (!mayGo) {
      if (fixes.length) steps.push(fixes);
      stopped = true;
      break;
    }
    steps.push([...fixes, { action: 'deletePod', pod, why: 'scale-down' }]);
    if (monotonic) {
      stopped = true;
      break;
    }
  }
  for (const fixes of claimFixes.values()) if (fixes.length) steps.push(fixes);
  if (stopped) return plan();

  // 3. the rolling update, highest ordinal first, down to the partition.
  if (partition === undefined) return plan();
  for (let target = count - 1; target >= partition; target--) {
    const pod = replicas[target];
    if (!pod) return plan();
    if (podRevision(pod) !== update && !isTerminating(pod)) {
      steps.push([{ action: 'deletePod', pod, why: 'update' }]);
      return plan(-1);
    }
    if (!isHealthy(pod)) return plan();
  }
  return plan();
}
