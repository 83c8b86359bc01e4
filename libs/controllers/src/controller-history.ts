/**
 * Revision history of a workload's pod template (Kubernetes' pkg/controller/history, shared by
 * the StatefulSet and DaemonSet controllers): each distinct template is kept as a
 * ControllerRevision `<owner>-<hash>` owned by the workload and numbered; the newest template has
 * the highest number.
 *
 *   no revision holds the template ─────────> create one, number max + 1
 *   one does, but its number is not the max > renumber it to max + 1 (a rollback, `rollout undo`)
 *   old revisions beyond revisionHistoryLimit, oldest first, none that `live` keeps ──> delete
 *
 * The hash is the pod-template hash of the Deployment controller (FNV-1a of the canonical
 * template, salted with status.collisionCount). A revision's name taken by another template is a
 * hash collision: the caller bumps collisionCount and plans again. CONTRACT: pure.
 */
import { ControllerRevision, PodTemplateSpec, type OwnerReference } from '@skiff/api';
import { canonicalJson, computeTemplateHash } from './deployment/pod-template-hash';

/** Kubernetes' ControllerRevisionHashLabel, on the revisions of a StatefulSet. */
export const CONTROLLER_HASH_LABEL = 'controller.kubernetes.io/hash';
/** Kubernetes' default revisionHistoryLimit. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** The workload whose template is kept (a StatefulSet or a DaemonSet, described plainly). */
export interface RevisionOwner {
  name: string;
  namespace: string;
  template: Readonly<PodTemplateSpec> | undefined;
  collisionCount?: number;
  /** Old revisions kept; DEFAULT_REVISION_HISTORY_LIMIT when undefined. */
  revisionHistoryLimit?: number;
  /** The owner reference every revision carries (the workload as controller). */
  ownerRef: OwnerReference;
  /** The label carrying the hash on new revisions (CONTROLLER_HASH_LABEL for StatefulSets). */
  hashLabel: string;
}

/** The template's canonical form: what makes two revisions equal. */
export function templateKey(template: Readonly<PodTemplateSpec> | undefined): string {
  return canonicalJson(PodTemplateSpec.toJSON(PodTemplateSpec.fromPartial(template ?? {})));
}

/** The hash of the owner's template, salted with its collisionCount. */
export function revisionHash(owner: Readonly<RevisionOwner>): string {
  return computeTemplateHash(owner.template, owner.collisionCount);
}

/** `<owner>-<hash>`, the owner's name cut so that the result stays a valid object name. */
export function controllerRevisionName(ownerName: string, hash: string): string {
  return `${ownerName.slice(0, 252 - hash.length)}-${hash}`;
}

/** Whether the revision holds `template`. */
export function revisionHolds(revision: Readonly<ControllerRevision>, template: Readonly<PodTemplateSpec> | undefined): boolean {
  return templateKey(revision.data?.spec?.template) === templateKey(template);
}

/** A new revision of the owner's template, numbered `number`. */
export function newControllerRevision(owner: Readonly<RevisionOwner>, hash: string, number: number): ControllerRevision {
  return ControllerRevision.fromPartial({
    metadata: {
      name: controllerRevisionName(owner.name, hash),
      namespace: owner.namespace,
      labels: { ...owner.template?.metadata?.labels, [owner.hashLabel]: hash },
      ownerReferences: [{ ...owner.ownerRef }],
    },
    data: { spec: { template: structuredClone(owner.template ?? {}) as PodTemplateSpec } },
    revision: number,
  });
}

/** What keeping the history takes. */
export interface RevisionHistoryPlan {
  /** The revision holding the current template: existing (maybe renumbered) or to create. */
  update: ControllerRevision;
  /** The hash of that revision (its label, else revisionHash). */
  hash: string;
  /** update is new: create it. */
  create: boolean;
  /** update exists with a lower number: write it renumbered. */
  renumber: boolean;
  /** Old revisions to delete (revisionHistoryLimit). */
  delete: Readonly<ControllerRevision>[];
}

/** Oldest first. */
export function byRevisionNumber(a: Readonly<ControllerRevision>, b: Readonly<ControllerRevision>): number {
  return a.revision - b.revision;
}

/**
 * The history writes for `owner`, given the revisions it controls. `live(revision)` says which
 * revisions must stay whatever the limit (those pods still carry, the status' current one).
 */
export function planRevisionHistory(owner: Readonly<RevisionOwner>, revisions: readonly Readonly<ControllerRevision>[], live: (revision: Readonly<ControllerRevision>) => boolean): RevisionHistoryPlan {
  const sorted = [...revisions].sort(byRevisionNumber);
  const max = sorted.length ? sorted[sorted.length - 1].revision : 0;
  const matching = sorted.filter((r) => revisionHolds(r, owner.template));
  const current = matching[matching.length - 1];
  let plan: RevisionHistoryPlan;
  if (current) {
    const renumber = current.revision < max;
    plan = {
      update: renumber ? ({ ...structuredClone(current), revision: max + 1 } as ControllerRevision) : (structuredClone(current) as ControllerRevision),
      hash: current.metadata?.labels?.[owner.hashLabel] || revisionHash(owner),
      create: false,
      renumber,
      delete: [],
    };
  } else {
    const hash = revisionHash(owner);
    plan = { update: newControllerRevision(owner, hash, max + 1), hash, create: true, renumber: false, delete: [] };
  }
  const limit = owner.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
  const old = sorted.filter((r) => r !== current && !r.metadata?.deletionTimestamp && !live(r));
  plan.delete = old.slice(0, Math.max(0, old.length - limit));
  return plan;
}
