/**
 * What one sync of a Deployment decides, and the working state it is decided on.
 *
 * Kubernetes' deployment controller interleaves decisions and writes (create the new ReplicaSet,
 * scale it, scale the old ones, update the status). Here the decisions run first over working
 * copies, as if every write had succeeded, and produce a DeploymentPlan; the controller then
 * performs its writes in order and stops at the first failure (the next sync decides again from
 * what is stored: level-triggered). Several changes to one ReplicaSet in a sync become one write.
 *
 * CONTRACT: no I/O; the input objects (informer cache) are never changed.
 */
import type { Deployment, DeploymentStatus, Pod, ReplicaSet } from '@skiff/api';
import { emptyStatus, sameStatus } from './deployment-status';
import { replicasAnnotationsNeedUpdate, setReplicasAnnotations } from './revision-annotations';
import { specReplicas } from './replica-counts';
import { desiredReplicas, maxSurge } from './rollout-limits';

/** The Event reason for every change of a ReplicaSet's size. */
export const SCALING_REPLICA_SET = 'ScalingReplicaSet';

/** An Event to record on the Deployment. */
export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** One write of a ReplicaSet, with the Events to record once it succeeded. */
export type ReplicaSetWrite =
  | { action: 'create'; replicaSet: ReplicaSet; events: PlannedEvent[] }
  | { action: 'update'; replicaSet: ReplicaSet; events: PlannedEvent[] }
  | { action: 'delete'; replicaSet: Readonly<ReplicaSet>; events: PlannedEvent[] };

/** What one sync decided (see the file comment). */
export interface DeploymentPlan {
  /** ReplicaSet writes in order; the controller stops at the first that fails. */
  writes: ReplicaSetWrite[];
  /** The Deployment's new annotations (its revision), when they changed: an update. */
  annotations?: Record<string, string>;
  /** The Deployment's new status, when it changed: an updateStatus after the writes. */
  status?: DeploymentStatus;
  /** Events on the Deployment not tied to a write. */
  events: PlannedEvent[];
  /** Sync again after this long (the progress deadline). */
  requeueAfterMs?: number;
}

/** What a sync reads: the Deployment, the ReplicaSets it controls, their pods, the time. */
export interface DeploymentInput {
  deployment: Readonly<Deployment>;
  /** The ReplicaSets the Deployment controls (claimed). */
  replicaSets: readonly Readonly<ReplicaSet>[];
  /** Pods by the uid of their controlling ReplicaSet (Recreate waits for the old ones). */
  podsByReplicaSet: ReadonlyMap<string, readonly Readonly<Pod>[]>;
  /** Wall clock, ms. */
  now: number;
}

/** The working state of one sync and the writes it has decided so far. */
export class PlanBuilder {
  /** Working copy: conditions and annotations change as the sync goes. */
  readonly deployment: Deployment;
  /** Working copies of the controlled ReplicaSets (plus any created in this sync). */
  readonly replicaSets: ReplicaSet[];
  readonly now: number;
  readonly podsByReplicaSet: ReadonlyMap<string, readonly Readonly<Pod>[]>;
  private readonly writes: ReplicaSetWrite[] = [];
  private readonly events: PlannedEvent[] = [];
  private finalStatus?: DeploymentStatus;
  private requeueAfterMs?: number;

  constructor(private readonly input: DeploymentInput) {
    this.deployment = structuredClone(input.deployment) as Deployment;
    this.deployment.status ??= emptyStatus();
    this.replicaSets = input.replicaSets.map((rs) => structuredClone(rs) as ReplicaSet);
    this.now = input.now;
    this.podsByReplicaSet = input.podsByReplicaSet;
  }

  /** Records a Deployment Event not tied to a write. */
  event(type: PlannedEvent['type'], reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }

  /** Plans the creation of `rs` (a new working copy, added to replicaSets). */
  create(rs: ReplicaSet, event?: PlannedEvent): void {
    this.replicaSets.push(rs);
    this.writes.push({ action: 'create', replicaSet: rs, events: event ? [event] : [] });
  }

  /** Plans an update of the working copy `rs` (merged into an earlier write of it). */
  update(rs: ReplicaSet, event?: PlannedEvent): void {
    const earlier = this.writes.find((w) => w.action !== 'delete' && w.replicaSet === rs);
    if (earlier) {
      if (event) earlier.events.push(event);
      return;
    }
    this.writes.push({ action: 'update', replicaSet: rs, events: event ? [event] : [] });
  }

  /** Whether this sync already writes `rs`. */
  isWritten(rs: Readonly<ReplicaSet>): boolean {
    return this.writes.some((w) => w.replicaSet === rs);
  }

  /** Plans the deletion of `rs`. */
  delete(rs: ReplicaSet): void {
    this.writes.push({ action: 'delete', replicaSet: rs, events: [] });
  }

  /**
   * Sets `rs` to `size` replicas and its replicas annotations to the Deployment's current
   * values (scaleReplicaSet); a size change is a ScalingReplicaSet Event. Returns whether the
   * size changed.
   */
  scale(rs: ReplicaSet, size: number): boolean {
    const desired = desiredReplicas(this.deployment);
    const max = desired + maxSurge(this.deployment);
    const before = specReplicas(rs);
    const resize = before !== size;
    if (!resize && !replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
    rs.spec!.replicas = size;
    setReplicasAnnotations(rs, desired, max);
    const direction = before < size ? 'up' : 'down';
    this.update(rs, resize ? { type: 'Normal', reason: SCALING_REPLICA_SET, message: `Scaled ${direction} replica set ${rs.metadata?.name} to ${size}` } : undefined);
    return resize;
  }

  /** scale() only when the size differs (scaleReplicaSetAndRecordEvent). */
  scaleIfNeeded(rs: ReplicaSet, size: number): boolean {
    return specReplicas(rs) === size ? false : this.scale(rs, size);
  }

  /** The status this sync ends with, and when to sync again. */
  finish(status: DeploymentStatus, requeueAfterMs?: number): void {
    this.finalStatus = status;
    this.requeueAfterMs = requeueAfterMs;
  }

  /** The plan: the writes, plus the Deployment's annotations and status where they changed. */
  plan(): DeploymentPlan {
    const status = this.finalStatus ?? this.deployment.status;
    const before = this.input.deployment.metadata?.annotations ?? {};
    const after = this.deployment.metadata?.annotations ?? {};
    const annotationsChanged = Object.keys(before).length !== Object.keys(after).length || Object.entries(after).some(([k, v]) => before[k] !== v);
    return {
      writes: this.writes,
      annotations: annotationsChanged ? after : undefined,
      status: sameStatus(this.input.deployment.status, status) ? undefined : status,
      events: this.events,
      requeueAfterMs: this.requeueAfterMs,
    };
  }
}
