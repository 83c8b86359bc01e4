/**
 * The Deployment's new ReplicaSet (the one whose template is the Deployment's) and its old ones
 * (Kubernetes' FindNewReplicaSet, FindOldReplicaSets, getNewReplicaSet):
 *
 * - new: the oldest ReplicaSet whose template equals the Deployment's, ignoring the
 *   pod-template-hash label; old: every other one.
 * - an existing new ReplicaSet gets revision max(old)+1 unless it has a higher one (a rollback
 *   to it keeps the old number in revision-history), the Deployment's annotations and its
 *   minReadySeconds; the Deployment gets that revision.
 * - a missing one is created (only when asked: Recreate waits until the old pods are gone) as
 *   `<deployment>-<hash>`, selector and template labelled pod-template-hash=<hash>, controlled by
 *   the Deployment, sized by newReplicaSetReplicas. A name taken by another template is a hash
 *   collision: status.collisionCount goes up and the next sync tries another name.
 * CONTRACT: no I/O; changes only the PlanBuilder's working copies.
 */
import { ObjectMeta, PodTemplateSpec, type Deployment, type DeploymentStatus, type LabelSelector, type ReplicaSet } from '@skiff/api';
import { controllerRefOf } from '../owner-refs';
import { SCALING_REPLICA_SET, type PlanBuilder } from './deployment-plan';
import { emptyStatus, getCondition, hasProgressDeadline, newCondition, PROGRESSING, Reasons, setCondition } from './deployment-status';
import { computeTemplateHash, equalIgnoreHash, POD_TEMPLATE_HASH_LABEL } from './pod-template-hash';
import { byCreation, specReplicas } from './replica-counts';
import { deploymentRef } from './replica-set-claims';
import { maxRevision, REVISION_ANNOTATION, setDeploymentRevision, setNewReplicaSetAnnotations } from './revision-annotations';
import { desiredReplicas, maxSurge, newReplicaSetReplicas } from './rollout-limits';

/** The oldest ReplicaSet whose template is the Deployment's (ignoring the hash label). */
export function findNewReplicaSet<T extends Readonly<ReplicaSet>>(d: Readonly<Deployment>, replicaSets: readonly T[]): T | undefined {
  return byCreation(replicaSets).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Every ReplicaSet but `newRS`. */
export function oldReplicaSets<T extends Readonly<ReplicaSet>>(replicaSets: readonly T[], newRS: T | undefined): T[] {
  return replicaSets.filter((rs) => rs !== newRS);
}

/** The name and labels the new ReplicaSet of `d` gets for its current template and collision count. */
export function newReplicaSetIdentity(d: Readonly<Deployment>): { name: string; hash: string } {
  const hash = computeTemplateHash(d.spec?.template, d.status?.collisionCount);
  return { name: `${d.metadata?.name ?? ''}-${hash}`, hash };
}

function selectorWithHash(selector: Readonly<LabelSelector> | undefined, hash: string): LabelSelector {
  const copy = structuredClone(selector ?? { matchLabels: {}, matchExpressions: [] }) as LabelSelector;
  copy.matchLabels = { ...(copy.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  copy.matchExpressions ??= [];
  return copy;
}

/** The ReplicaSet to create for the Deployment's template (0 replicas; the caller sizes it). */
export function replicaSetForTemplate(d: Readonly<Deployment>): ReplicaSet {
  const { name, hash } = newReplicaSetIdentity(d);
  const template = PodTemplateSpec.fromPartial(structuredClone(d.spec?.template ?? {}) as PodTemplateSpec);
  template.metadata ??= ObjectMeta.fromPartial({});
  const labels = { ...(template.metadata.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  template.metadata.labels = labels;
  return {
    metadata: ObjectMeta.fromPartial({ name, namespace: d.metadata?.namespace ?? '', labels: { ...labels }, ownerReferences: [deploymentRef(d)] }),
    spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector: selectorWithHash(d.spec?.selector, hash), template },
    status: { replicas: 0, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0, observedGeneration: 0, conditions: [] },
  };
}

/**
 * Finds (and brings up to date) or, when `create`, plans the new ReplicaSet; syncs the
 * Deployment's revision and Progressing condition (FoundNewReplicaSet / NewReplicaSetCreated).
 * Returns the new ReplicaSet (a working copy) and the old ones.
 */
export function syncRevision(b: PlanBuilder, create: boolean): { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } {
  const d = b.deployment;
  const existing = findNewReplicaSet(d, b.replicaSets);
  const oldRSs = oldReplicaSets(b.replicaSets, existing);
  const newRevision = maxRevision(oldRSs) + 1;
  const desired = desiredReplicas(d);
  const max = desired + maxSurge(d);

  if (existing) {
    const annotationsUpdated = setNewReplicaSetAnnotations(d, existing, newRevision, true, desired, max);
    const minReadyUpdated = (existing.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
    if (annotationsUpdated || minReadyUpdated) {
      existing.spec!.minReadySeconds = d.spec?.minReadySeconds ?? 0;
      b.update(existing);
      return { newRS: existing, oldRSs };
    }
    setDeploymentRevision(d, existing.metadata?.annotations?.[REVISION_ANNOTATION] ?? '');
    if (hasProgressDeadline(d) && !getCondition(d.status, PROGRESSING)) {
      setCondition(d.status!, newCondition(PROGRESSING, 'True', Reasons.FoundNewReplicaSet, `Found new replica set "${existing.metadata?.name}"`, b.now));
    }
    return { newRS: existing, oldRSs };
  }
  if (!create) return { newRS: undefined, oldRSs };

  const newRS = replicaSetForTemplate(d);
  newRS.spec!.replicas = newReplicaSetReplicas(d, [...oldRSs, newRS], newRS);
  setNewReplicaSetAnnotations(d, newRS, newRevision, false, desired, max);
  const size = specReplicas(newRS);
  b.create(newRS, size > 0 ? { type: 'Normal', reason: SCALING_REPLICA_SET, message: `Scaled up replica set ${newRS.metadata?.name} to ${size}` } : undefined);
  setDeploymentRevision(d, String(newRevision));
  if (hasProgressDeadline(d)) {
    setCondition(d.status!, newCondition(PROGRESSING, 'True', Reasons.NewReplicaSetCreated, `Created new replica set "${newRS.metadata?.name}"`, b.now));
  }
  return { newRS, oldRSs };
}

/**
 * Creating the new ReplicaSet found its name taken by `existing`: true when it is ours with the
 * Deployment's template (the cache had not caught up: sync again), false for a hash collision.
 */
export function isOwnNewReplicaSet(d: Readonly<Deployment>, existing: Readonly<ReplicaSet>): boolean {
  return controllerRefOf(existing)?.uid === d.metadata?.uid && equalIgnoreHash(existing.spec?.template, d.spec?.template);
}

/** The status after a hash collision: collisionCount one higher (the next name differs). */
export function collisionStatus(d: Readonly<Deployment>): DeploymentStatus {
  const status = structuredClone(d.status ?? emptyStatus());
  status.collisionCount = (status.collisionCount ?? 0) + 1;
  return status;
}

/** The status after the new ReplicaSet could not be created: Progressing False ReplicaSetCreateError (with a deadline). */
export function createFailedStatus(d: Readonly<Deployment>, message: string, now: number): DeploymentStatus | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const status = structuredClone(d.status ?? emptyStatus());
  setCondition(status, newCondition(PROGRESSING, 'False', Reasons.ReplicaSetCreateError, message, now));
  return status;
}
