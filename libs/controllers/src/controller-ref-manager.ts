/**
 * Which objects an owner owns, adopts and releases (Kubernetes' ControllerRefManager), decided
 * over the candidates of the owner's namespace; used by ReplicaSets for pods and Deployments for
 * ReplicaSets:
 *
 *   controller ref to another owner ─────────────────────────> not ours, left alone
 *   controller ref to this owner, selector matches ──────────> owned
 *   controller ref to this owner, selector no longer matches > release (unless the owner is being deleted)
 *   no controller ref, selector matches, neither the owner
 *     nor the object is being deleted ───────────────────────> adopt
 *   anything else ───────────────────────────────────────────> ignored
 *
 * An empty selector matches nothing. claimObjects is pure; adoptedCopy/releasedCopy return new
 * objects for the update and never change the cache; applyClaims makes the writes.
 */
import { keyOf, NotFoundError, type KubeObject, type LabelMatcher, type OwnerReference } from '@skiff/api';
import type { Logger } from 'pino';
import { controllerRefOf } from './owner-refs';

export interface Claims<T> {
  /** Controlled by the owner and matching its selector. */
  owned: Readonly<T>[];
  /** Orphans matching the selector: the owner should become their controller. */
  adopt: Readonly<T>[];
  /** Controlled by the owner but no longer matching: it should remove its owner reference. */
  release: Readonly<T>[];
}

/** Sorts `candidates` into owned / adopt / release for `owner` with `selector`. */
export function claimObjects<T extends KubeObject>(owner: Readonly<KubeObject>, selector: LabelMatcher, candidates: readonly Readonly<T>[]): Claims<T> {
  const claims: Claims<T> = { owned: [], adopt: [], release: [] };
  const uid = owner.metadata?.uid ?? '';
  const namespace = owner.metadata?.namespace ?? '';
  const deleting = Boolean(owner.metadata?.deletionTimestamp);
  for (const object of candidates) {
    if ((object.metadata?.namespace ?? '') !== namespace) continue;
    const matches = !selector.empty && selector.matches(object.metadata?.labels);
    const ref = controllerRefOf(object);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches) claims.owned.push(object);
      else if (!deleting) claims.release.push(object);
      continue;
    }
    if (deleting || !matches || object.metadata?.deletionTimestamp) continue;
    claims.adopt.push(object);
  }
  return claims;
}

/**
 * A copy of `object` with `ref` as its controller (other owner references kept) and `finalizers`
 * added (Kubernetes' AdoptPod: a Job adds its tracking finalizer so that the pod is counted).
 */
export function adoptedCopy<T extends KubeObject>(object: Readonly<T>, ref: OwnerReference, finalizers: readonly string[] = []): T {
  const copy = structuredClone(object) as T;
  const meta = copy.metadata!;
  meta.ownerReferences = [...(meta.ownerReferences ?? []).filter((r) => r.uid !== ref.uid), ref];
  const existing = meta.finalizers ?? [];
  meta.finalizers = [...existing, ...finalizers.filter((f) => !existing.includes(f))];
  return copy;
}

/**
 * A copy of `object` without the owner reference to the owner with `ownerUid` and without
 * `finalizers` (Kubernetes' ReleasePod: a released pod is no longer the Job's to count).
 */
export function releasedCopy<T extends KubeObject>(object: Readonly<T>, ownerUid: string, finalizers: readonly string[] = []): T {
  const copy = structuredClone(object) as T;
  copy.metadata!.ownerReferences = (copy.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
  if (finalizers.length > 0) copy.metadata!.finalizers = (copy.metadata?.finalizers ?? []).filter((f) => !finalizers.includes(f));
  return copy;
}

export interface ClaimWriter<T> {
  /** The owner as the API holds it now (adopting for a deleted or re-created owner is refused). */
  readOwner(): Promise<Readonly<KubeObject>>;
  update(object: T): Promise<T>;
  /** The owner's controller reference for adopted objects. */
  ownerRef: OwnerReference;
  /** 'pod', 'replica set': for logs. */
  what: string;
  /** Finalizers an adopted object gets and a released one loses (a Job's tracking finalizer). */
  finalizers?: readonly string[];
  log: Logger;
}

/**
 * Adopts and releases as `claims` says and resolves with what the owner now owns. Before the
 * first adoption it reads the owner again and throws (to be retried) when it is gone, re-created
 * (another uid) or being deleted, as Kubernetes' RecheckDeletionTimestamp. Objects deleted
 * meanwhile are skipped; other API errors are thrown.
 */
export async function applyClaims<T extends KubeObject>(owner: Readonly<KubeObject>, claims: Claims<T>, writer: ClaimWriter<T>): Promise<Readonly<T>[]> {
  const owned: Readonly<T>[] = [...claims.owned];
  const uid = owner.metadata?.uid ?? '';
  if (claims.adopt.length > 0) {
    const fresh = await writer.readOwner();
    if (fresh.metadata?.uid !== uid) throw new Error(`original owner ${keyOf(owner.metadata)} is gone: got uid ${fresh.metadata?.uid}, wanted ${uid}`);
    if (fresh.metadata?.deletionTimestamp) throw new Error(`${keyOf(owner.metadata)} has just been deleted at ${fresh.metadata.deletionTimestamp.toISOString()}`);
    for (const object of claims.adopt) {
      const adopted = await ignoreNotFound(writer.update(adoptedCopy(object, writer.ownerRef, writer.finalizers)));
      if (!adopted) continue;
      owned.push(adopted);
      writer.log.info({ [writer.what]: object.metadata?.name }, `adopted ${writer.what}`);
    }
  }
  for (const object of claims.release) {
    if (await ignoreNotFound(writer.update(releasedCopy(object, uid, writer.finalizers)))) writer.log.info({ [writer.what]: object.metadata?.name }, `released ${writer.what}`);
  }
  return owned;
}

async function ignoreNotFound<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
