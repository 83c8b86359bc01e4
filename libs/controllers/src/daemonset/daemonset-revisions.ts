/**
 * A DaemonSet's ControllerRevisions (Kubernetes' daemon controller constructHistory and
 * cleanupHistory): each distinct pod template is kept as a ControllerRevision named
 * `<ds>-<hash>`, labelled controller-revision-hash=<hash> (as the pods made from it) and
 * numbered; the current one has the highest number. `rollout undo` writes an old template back
 * into the DaemonSet: its revision is then renumbered to the highest + 1, as Kubernetes does.
 *
 *   no revision holds the template ─────────> create one, number max + 1
 *   one does, but its number is not the max > renumber it to max + 1
 *   old revisions beyond revisionHistoryLimit, oldest first, none whose hash a pod still
 *   carries ─────────────────────────────────> delete
 *
 * The hash is the pod-template hash of the Deployment controller (FNV-1a of the canonical
 * template, salted with status.collisionCount). CONTRACT: pure.
 */
import { ControllerRevision, PodTemplateSpec, type DaemonSet, type Pod } from '@skiff/api';
import { canonicalJson, computeTemplateHash } from '../deployment/pod-template-hash';
import { CONTROLLER_REVISION_HASH_LABEL, daemonSetRef } from './daemon-pod';

/** Kubernetes' default revisionHistoryLimit. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** The hash of `ds`'s template, salted with its collisionCount. */
export function daemonSetHash(ds: Readonly<DaemonSet>): string {
  return computeTemplateHash(ds.spec?.template, ds.status?.collisionCount);
}

/** The revision's name: `<ds>-<hash>` (the DaemonSet name cut so that it stays a valid name). */
export function revisionName(ds: Readonly<DaemonSet>, hash: string): string {
  return `${(ds.metadata?.name ?? '').slice(0, 252 - hash.length)}-${hash}`;
}

const templateKey = (template: Readonly<PodTemplateSpec> | undefined) => canonicalJson(PodTemplateSpec.toJSON(PodTemplateSpec.fromPartial(template ?? {})));

/** Whether the revision holds `ds`'s current template. */
export function revisionMatches(revision: Readonly<ControllerRevision>, ds: Readonly<DaemonSet>): boolean {
  return templateKey(revision.data?.spec?.template) === templateKey(ds.spec?.template);
}

/** A new revision of `ds`'s template, numbered `number`. */
export function newRevision(ds: Readonly<DaemonSet>, hash: string, number: number): ControllerRevision {
  return ControllerRevision.fromPartial({
    metadata: {
      name: revisionName(ds, hash),
      namespace: ds.metadata?.namespace ?? '',
      labels: { ...ds.spec?.template?.metadata?.labels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [daemonSetRef(ds)],
    },
    data: { spec: { template: structuredClone(ds.spec?.template ?? {}) as PodTemplateSpec } },
    revision: number,
  });
}

export interface HistoryPlan {
  /** The revision holding the current template (after the writes), and the hash its pods carry. */
  hash: string;
  /** A revision to create (none exists for the template). */
  create?: ControllerRevision;
  /** An existing current revision, renumbered to the highest (after an undo). */
  renumber?: ControllerRevision;
  /** Old revisions to delete (revisionHistoryLimit). */
  delete: Readonly<ControllerRevision>[];
}

/** Oldest first. */
const byNumber = (a: Readonly<ControllerRevision>, b: Readonly<ControllerRevision>) => a.revision - b.revision;

/**
 * The history writes for `ds`, given the revisions it owns and its pods. The current revision's
 * hash comes from its label when it exists (a revision made under another collisionCount keeps
 * its hash), else from daemonSetHash.
 */
export function planHistory(ds: Readonly<DaemonSet>, revisions: readonly Readonly<ControllerRevision>[], pods: readonly Readonly<Pod>[]): HistoryPlan {
  const sorted = [...revisions].sort(byNumber);
  const max = sorted.length ? sorted[sorted.length - 1].revision : 0;
  const matching = sorted.filter((r) => revisionMatches(r, ds));
  const current = matching[matching.length - 1];
  const plan: HistoryPlan = { hash: '', delete: [] };
  if (current) {
    plan.hash = current.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] || daemonSetHash(ds);
    if (current.revision < max) plan.renumber = { ...structuredClone(current), revision: max + 1 } as ControllerRevision;
  } else {
    plan.hash = daemonSetHash(ds);
    plan.create = newRevision(ds, plan.hash, max + 1);
  }
  const limit = ds.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
  const old = sorted.filter((r) => r !== current && !r.metadata?.deletionTimestamp);
  let excess = old.length - limit;
  if (excess <= 0) return plan;
  const live = new Set(pods.map((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL]).filter(Boolean));
  for (const r of old) {
    if (excess <= 0) break;
    if (live.has(r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL])) continue;
    plan.delete.push(r);
    excess--;
  }
  return plan;
}
