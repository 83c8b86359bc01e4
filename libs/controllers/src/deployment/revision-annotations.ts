/**
 * The annotations a Deployment keeps on itself and its ReplicaSets (Kubernetes' deploymentutil):
 * - deployment.kubernetes.io/revision: the rollout number of each ReplicaSet (and of the
 *   Deployment: its current one). A ReplicaSet brought back by a rollback gets a new number and
 *   keeps its old ones in revision-history ("1,3").
 * - desired-replicas / max-replicas on each ReplicaSet: the Deployment's spec.replicas and
 *   spec.replicas + maxSurge when the ReplicaSet was last scaled; they tell a scaling event
 *   (the Deployment's size changed) from a rollout, and drive proportional scaling.
 * - every other annotation of the Deployment is copied onto its new ReplicaSet (change-cause...).
 * CONTRACT: the set* functions change only the object they are given (a working copy) and
 * return whether they changed it; the rest are pure.
 */
import type { Deployment, ReplicaSet } from '@skiff/api';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** The pre-apps/v1 rollback request; never copied. */
const DEPRECATED_ROLLBACK_TO = 'deprecated.deployment.rollback.to';
/** What `kubectl apply` / `skiff apply` keep on objects; never copied to ReplicaSets. */
const LAST_APPLIED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'skiff.io/last-applied-configuration'];
/** revision-history is capped at this many characters (Kubernetes' default). */
export const MAX_REVISION_HISTORY_CHARS = 2000;

const NOT_COPIED = new Set([
  ...LAST_APPLIED_ANNOTATIONS,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO,
]);

function annotationsOf(object: { metadata?: { annotations?: Record<string, string> } }): Record<string, string> {
  return object.metadata?.annotations ?? {};
}

function writableAnnotations(object: { metadata?: { annotations?: Record<string, string> } }): Record<string, string> {
  const meta = (object.metadata ??= {} as never) as { annotations?: Record<string, string> };
  return (meta.annotations ??= {});
}

/** Parses a non-negative integer annotation; undefined when absent or not a number. */
function intAnnotation(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The ReplicaSet's revision: 0 when it has none, undefined when it is not a number. */
export function revisionOf(rs: Readonly<ReplicaSet>): number | undefined {
  const value = annotationsOf(rs)[REVISION_ANNOTATION];
  return value === undefined ? 0 : intAnnotation(value);
}

/** The highest revision among `replicaSets` (unreadable ones skipped); 0 for none. */
export function maxRevision(replicaSets: readonly Readonly<ReplicaSet>[]): number {
  return replicaSets.reduce((max, rs) => Math.max(max, revisionOf(rs) ?? 0), 0);
}

/** desired-replicas, when present and a number. */
export function desiredReplicasAnnotation(rs: Readonly<ReplicaSet>): number | undefined {
  return intAnnotation(annotationsOf(rs)[DESIRED_REPLICAS_ANNOTATION]);
}

/** max-replicas, when present and a number. */
export function maxReplicasAnnotation(rs: Readonly<ReplicaSet>): number | undefined {
  return intAnnotation(annotationsOf(rs)[MAX_REPLICAS_ANNOTATION]);
}

/** Whether desired-replicas / max-replicas differ from these values. */
export function replicasAnnotationsNeedUpdate(rs: Readonly<ReplicaSet>, desired: number, max: number): boolean {
  const a = annotationsOf(rs);
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** Sets desired-replicas and max-replicas. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  const a = writableAnnotations(rs);
  a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
  a[MAX_REPLICAS_ANNOTATION] = String(max);
  return true;
}

/** Copies the Deployment's own annotations (not the controller's, not last-applied) onto `rs`. */
export function copyDeploymentAnnotations(d: Readonly<Deployment>, rs: ReplicaSet): boolean {
  let changed = false;
  for (const [key, value] of Object.entries(annotationsOf(d))) {
    if (NOT_COPIED.has(key) || annotationsOf(rs)[key] === value) continue;
    writableAnnotations(rs)[key] = value;
    changed = true;
  }
  return changed;
}

/**
 * Gives the new ReplicaSet `newRevision` unless it already has a higher one; when it had a
 * revision before (a rollback to it), appends that to revision-history, within
 * MAX_REVISION_HISTORY_CHARS by dropping the oldest entries. For a ReplicaSet about to be
 * created (`exists` false) it also sets the replicas annotations.
 */
export function setNewReplicaSetAnnotations(d: Readonly<Deployment>, rs: ReplicaSet, newRevision: number, exists: boolean, desired: number, max: number): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const annotations = writableAnnotations(rs);
  const previous = annotations[REVISION_ANNOTATION];
  const previousNumber = previous === undefined || previous === '' ? 0 : intAnnotation(previous);
  if (previousNumber === undefined) return changed; // not a number: leave it alone, as Kubernetes
  if (previousNumber < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (previous !== undefined) {
      const history = annotations[REVISION_HISTORY_ANNOTATION] ?? '';
      if (history === '') {
        annotations[REVISION_HISTORY_ANNOTATION] = previous;
      } else {
        let entries = history.split(',');
        let length = history.length + previous.length + 1;
        while (length > MAX_REVISION_HISTORY_CHARS && entries.length > 0) {
          length -= entries[0].length + 1;
          entries = entries.slice(1);
        }
        if (length <= MAX_REVISION_HISTORY_CHARS) annotations[REVISION_HISTORY_ANNOTATION] = [...entries, previous].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, desired, max)) changed = true;
  return changed;
}

/** Sets the Deployment's revision annotation. */
export function setDeploymentRevision(d: Deployment, revision: string): boolean {
  if (annotationsOf(d)[REVISION_ANNOTATION] === revision) return false;
  writableAnnotations(d)[REVISION_ANNOTATION] = revision;
  return true;
}
