/**
 * The StatefulSet controller (Kubernetes' pkg/controller/statefulset), the thin I/O half: the
 * decisions are pure (statefulset-plan, stateful-pod, ../controller-history); this file reads the
 * caches, writes through the API and records Events on the StatefulSet.
 *
 * One reconcile of "ns/name":
 *   1. StatefulSet gone from the cache -> done (the garbage collector removes its pods, its
 *      revisions, and the claims whenDeleted Delete made it own).
 *   2. claim the pods of the namespace: adopt matching orphans named `<sts>-<n>` (after re-reading
 *      the set: never adopt for a deleted or replaced one), release owned pods that no longer
 *      match.
 *   3. revision history: create the ControllerRevision of spec.template (or renumber the one
 *      holding it, after an undo). A name taken by another template is a hash collision:
 *      status.collisionCount goes up and the sync is retried.
 *   4. planStatefulSet, then its writes (claims before their pod; one group at a time for
 *      OrderedReady, all at once for Parallel). Events as Kubernetes words them.
 *   5. the status when it changed (one retry on a conflict), then old revisions past
 *      revisionHistoryLimit are deleted.
 *   6. a failed write throws (retried with backoff) after the status is written; otherwise
 *      requeue when a ready pod becomes available (minReadySeconds) or a stale claim may be gone.
 *
 * There are no expectations (as in Kubernetes): pod names are fixed, so a sync that runs before
 * the cache shows its own creation gets AlreadyExists, which is retried.
 */
import { setMaxListeners } from 'node:events';
import {
  AlreadyExistsError,
  ApiError,
  ConflictError,
  keyOf,
  labelSelectorMatcher,
  NotFoundError,
  type ControllerRevision,
  type LabelMatcher,
  type PersistentVolumeClaim,
  type Pod,
  type StatefulSet,
  type StatefulSetStatus,
} from '@skiff/api';
import { typed, type Informer } from '@skiff/client';
import { Controller, TerminalError, type ReconcileResult } from '@skiff/reconcile';
import type { Logger } from 'pino';
import type { ControllerContext } from '../controller-context';
import { CONTROLLER_HASH_LABEL, planRevisionHistory, revisionHolds, type RevisionOwner } from '../controller-history';
import { applyClaims, claimObjects } from '../controller-ref-manager';
import { BY_CONTROLLER_UID, controllerRefOf, controllerUidIndex } from '../owner-refs';
import { planStatefulSet, statusChanged, type StatefulSetAction } from './statefulset-plan';
import { isMemberOf, podRevision, statefulSetRef } from './stateful-pod';

const KIND = 'StatefulSet';
/** The component name on Events. */
export const STATEFULSET_COMPONENT = 'statefulset-controller';

type StsInformer = Informer<'statefulSet'>;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The apiserver refuses new objects in a namespace being deleted. */
function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof ApiError && err.message.includes('because it is being terminated');
}

function selectorOf(sts: Readonly<StatefulSet>): LabelMatcher | undefined {
  try {
    return labelSelectorMatcher(sts.spec?.selector);
  } catch {
    return undefined;
  }
}

/** Keys to sync when `pod` changes: its controlling StatefulSet, or (an orphan) every set of the namespace that would adopt it. */
export function statefulSetKeysForPod(pod: Readonly<Pod>, sets: StsInformer): string[] {
  const namespace = pod.metadata?.namespace ?? '';
  const ref = controllerRefOf(pod);
  if (ref) return ref.kind === KIND ? [keyOf({ namespace, name: ref.name })] : [];
  return sets
    .byNamespace(namespace)
    .filter((sts) => isMemberOf(sts, pod) && selectorOf(sts)?.matches(pod.metadata?.labels))
    .map((sts) => keyOf(sts.metadata));
}

/** The key of the StatefulSet controlling `revision`, if any. */
export function statefulSetKeyForRevision(revision: Readonly<ControllerRevision>): string | undefined {
  const ref = controllerRefOf(revision);
  return ref?.kind === KIND ? keyOf({ namespace: revision.metadata?.namespace, name: ref.name }) : undefined;
}

/** Keys of the sets of the claim's namespace one of whose claim templates names it (`<template>-<sts>-<n>`). */
export function statefulSetKeysForClaim(claim: Readonly<PersistentVolumeClaim>, sets: StsInformer): string[] {
  const name = claim.metadata?.name ?? '';
  return sets
    .byNamespace(claim.metadata?.namespace ?? '')
    .filter((sts) =>
      (sts.spec?.volumeClaimTemplates ?? []).some((t) => {
        const prefix = `${t.metadata?.name}-${sts.metadata?.name}-`;
        return name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
      }),
    )
    .map((sts) => keyOf(sts.metadata));
}

/** The revision owner of `sts`, for ../controller-history. */
export function revisionOwnerOf(sts: Readonly<StatefulSet>): RevisionOwner {
  return {
    name: sts.metadata?.name ?? '',
    namespace: sts.metadata?.namespace ?? '',
    template: sts.spec?.template,
    collisionCount: sts.status?.collisionCount,
    revisionHistoryLimit: sts.spec?.revisionHistoryLimit,
    ownerRef: statefulSetRef(sts),
    hashLabel: CONTROLLER_HASH_LABEL,
  };
}

/** Builds the StatefulSet controller from the shared context (registered as "statefulset"). */
export function statefulSetController(ctx: ControllerContext): Controller {
  const stsInformer = ctx.informers.get('statefulSet');
  const podInformer = ctx.informers.get('pod');
  const revisionInformer = ctx.informers.get('controllerRevision', { [BY_CONTROLLER_UID]: controllerUidIndex });
  const claimInformer = ctx.informers.get('persistentVolumeClaim');
  const sets = typed(ctx.client, 'statefulSet');
  const pods = typed(ctx.client, 'pod');
  const revisions = typed(ctx.client, 'controllerRevision');
  const claims = typed(ctx.client, 'persistentVolumeClaim');
  const recorder = ctx.recorder(STATEFULSET_COMPONENT);
  const baseLog = ctx.log.child({ controller: 'statefulset' });

  /** Adopts and releases; resolves with the pods the set now owns. */
  async function claimPods(sts: Readonly<StatefulSet>, selector: LabelMatcher, log: Logger, signal: AbortSignal): Promise<Readonly<Pod>[]> {
    const found = claimObjects(sts, selector, podInformer.byNamespace(sts.metadata?.namespace ?? ''));
    // Kubernetes' filter: only pods named after the set belong to it.
    const strangers = found.owned.filter((p) => !isMemberOf(sts, p));
    const claimed = { owned: found.owned.filter((p) => isMemberOf(sts, p)), adopt: found.adopt.filter((p) => isMemberOf(sts, p)), release: [...found.release, ...strangers] };
    return applyClaims(sts, claimed, {
      readOwner: () => sets.get(sts.metadata?.namespace ?? '', sts.metadata?.name ?? '', { signal }),
      update: (pod) => pods.update(pod, { signal }),
      ownerRef: statefulSetRef(sts),
      what: 'pod',
      log,
    });
  }

  /** Bumps status.collisionCount (a revision name taken by another template) and throws to retry. */
  async function collision(sts: Readonly<StatefulSet>, name: string, log: Logger, signal: AbortSignal, cause: unknown): Promise<never> {
    const next = structuredClone(sts) as StatefulSet;
    next.status = { ...(next.status ?? ({} as StatefulSetStatus)), collisionCount: (sts.status?.collisionCount ?? 0) + 1 } as StatefulSetStatus;
    await sets.updateStatus(next, { signal });
    log.info({ revision: name, collisionCount: next.status.collisionCount }, 'found a hash collision for statefulset - bumping collisionCount to resolve it');
    throw new Error(`hash collision on controller revision ${name}; collisionCount is now ${next.status.collisionCount}`, { cause });
  }

  /** Ensures the revision of spec.template; resolves with it and the history plan. */
  async function syncRevisions(sts: Readonly<StatefulSet>, owned: readonly Readonly<Pod>[], log: Logger, signal: AbortSignal) {
    const existing = revisionInformer.byIndex(BY_CONTROLLER_UID, sts.metadata?.uid ?? '');
    const live = new Set([sts.status?.currentRevision ?? '', ...owned.map(podRevision)]);
    const history = planRevisionHistory(revisionOwnerOf(sts), existing, (r) => live.has(r.metadata?.name ?? ''));
    let update: Readonly<ControllerRevision> = history.update;
    const name = update.metadata?.name ?? '';
    if (history.create) {
      try {
        update = await revisions.create(history.update, { signal });
        log.info({ revision: name, number: update.revision }, 'created controller revision');
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
        const found = await revisions.get(sts.metadata?.namespace ?? '', name, { signal });
        if (controllerRefOf(found)?.uid !== sts.metadata?.uid || !revisionHolds(found, sts.spec?.template)) await collision(sts, name, log, signal, err);
        update = found;
      }
    } else if (history.renumber) {
      update = await revisions.update(history.update, { signal });
      log.info({ revision: name, number: update.revision }, 'renumbered controller revision');
    }
    const current = existing.find((r) => r.metadata?.name === sts.status?.currentRevision) ?? update;
    return { update, current, obsolete: history.delete };
  }

  const podMessage = (verb: string, sts: Readonly<StatefulSet>, pod: string) => `${verb} Pod ${pod} in StatefulSet ${sts.metadata?.name}`;
  const claimMessage = (verb: string, sts: Readonly<StatefulSet>, claim: string, pod: string) => `${verb} Claim ${claim} Pod ${pod} in StatefulSet ${sts.metadata?.name}`;

  /** One write, with its Event (Kubernetes' recordPodEvent / recordClaimEvent wording). */
  async function perform(sts: Readonly<StatefulSet>, a: StatefulSetAction, log: Logger, signal: AbortSignal): Promise<void> {
    const ns = sts.metadata?.namespace ?? '';
    switch (a.action) {
      case 'createClaim': {
        const name = a.claim.metadata?.name ?? '';
        try {
          await claims.create(a.claim, { signal });
          recorder.normal(sts, 'SuccessfulCreate', `${claimMessage('create', sts, name, a.pod)} success`, KIND);
        } catch (err) {
          if (err instanceof AlreadyExistsError) return; // the cache lags: it is there
          if (!isNamespaceTerminating(err)) recorder.warning(sts, 'FailedCreate', `${claimMessage('create', sts, name, a.pod)} failed error: ${errorMessage(err)}`, KIND);
          throw err;
        }
        return;
      }
      case 'updateClaim': {
        const name = a.claim.metadata?.name ?? '';
        try {
          await claims.update(a.claim, { signal });
          recorder.normal(sts, 'SuccessfulUpdate', `${claimMessage('update', sts, name, a.pod)} success`, KIND);
        } catch (err) {
          if (err instanceof NotFoundError) return;
          recorder.warning(sts, 'FailedUpdate', `${claimMessage('update', sts, name, a.pod)} failed error: ${errorMessage(err)}`, KIND);
          throw err;
        }
        return;
      }
      case 'createPod': {
        const name = a.pod.metadata?.name ?? '';
        try {
          await pods.create(a.pod, { signal });
          log.info({ pod: name, revision: podRevision(a.pod) }, 'created pod');
          recorder.normal(sts, 'SuccessfulCreate', `${podMessage('create', sts, name)} successful`, KIND);
        } catch (err) {
          // AlreadyExists: not yet in the cache (or not ours): retried, without an Event (as Kubernetes).
          if (!(err instanceof AlreadyExistsError) && !isNamespaceTerminating(err)) recorder.warning(sts, 'FailedCreate', `${podMessage('create', sts, name)} failed error: ${errorMessage(err)}`, KIND);
          if (isNamespaceTerminating(err)) return;
          throw err;
        }
        return;
      }
      case 'updatePod': {
        const name = a.pod.metadata?.name ?? '';
        try {
          await pods.update(a.pod, { signal });
          recorder.normal(sts, 'SuccessfulUpdate', `${podMessage('update', sts, name)} successful`, KIND);
        } catch (err) {
          if (err instanceof NotFoundError) return;
          recorder.warning(sts, 'FailedUpdate', `${podMessage('update', sts, name)} failed error: ${errorMessage(err)}`, KIND);
          throw err;
        }
        return;
      }
      case 'deletePod': {
        const name = a.pod.metadata?.name ?? '';
        if (a.why === 'failed') recorder.warning(sts, 'RecreatingFailedPod', `StatefulSet ${ns}/${sts.metadata?.name} is recreating failed Pod ${name}`, KIND);
        try {
          await pods.delete(ns, name, { preconditions: { uid: a.pod.metadata?.uid }, signal });
          log.info({ pod: name, why: a.why }, 'deleted pod');
          recorder.normal(sts, 'SuccessfulDelete', `${podMessage('delete', sts, name)} successful`, KIND);
        } catch (err) {
          if (err instanceof NotFoundError) return;
          recorder.warning(sts, 'FailedDelete', `${podMessage('delete', sts, name)} failed error: ${errorMessage(err)}`, KIND);
          throw err;
        }
      }
    }
  }

  /** Runs the plan's groups; resolves with the first error, if any. */
  async function execute(sts: Readonly<StatefulSet>, steps: readonly StatefulSetAction[][], parallel: boolean, log: Logger, signal: AbortSignal): Promise<unknown> {
    const runStep = async (step: readonly StatefulSetAction[]) => {
      for (const action of step) await perform(sts, action, log, signal);
    };
    if (!parallel) {
      for (const step of steps) {
        try {
          await runStep(step);
        } catch (err) {
          return err;
        }
      }
      return undefined;
    }
    const fanned = AbortSignal.any([signal]);
    setMaxListeners(steps.length * 4 + 10, fanned);
    signal = fanned;
    const results = await Promise.allSettled(steps.map(runStep));
    return results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
  }

  /** UpdateStatus; on a conflict reads the set again and retries once. */
  async function writeStatus(sts: Readonly<StatefulSet>, status: StatefulSetStatus, signal: AbortSignal): Promise<void> {
    let target: Readonly<StatefulSet> = sts;
    for (let attempt = 0; ; attempt++) {
      const next = structuredClone(target) as StatefulSet;
      next.status = { ...status, conditions: structuredClone(target.status?.conditions ?? []) };
      try {
        await sets.updateStatus(next, { signal });
        return;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 1) throw err;
        target = await sets.get(sts.metadata?.namespace ?? '', sts.metadata?.name ?? '', { signal });
        if (target.metadata?.uid !== sts.metadata?.uid) return;
        if (target.metadata?.generation !== sts.metadata?.generation) return; // a newer spec: the next sync writes its status
      }
    }
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const sts = stsInformer.get(key);
    if (!sts) return;
    const log = baseLog.child({ statefulSet: key });
    let selector: LabelMatcher;
    try {
      selector = labelSelectorMatcher(sts.spec?.selector);
    } catch (err) {
      throw new TerminalError(`StatefulSet ${key} has an invalid selector: ${errorMessage(err)}`, { cause: err });
    }
    const owned = await claimPods(sts, selector, log, signal);
    const { update, current, obsolete } = await syncRevisions(sts, owned, log, signal);
    const claimsByName = new Map(claimInformer.byNamespace(sts.metadata?.namespace ?? '').map((c) => [c.metadata?.name ?? '', c]));
    const plan = planStatefulSet({ sts, pods: owned, claims: claimsByName, currentRevision: current, updateRevision: update, now: ctx.now() });
    const failure = await execute(sts, plan.steps, plan.parallel, log, signal);
    if (statusChanged(sts.status, plan.status)) await writeStatus(sts, plan.status, signal);
    for (const revision of obsolete) {
      try {
        await revisions.delete(revision.metadata?.namespace ?? '', revision.metadata?.name ?? '', { preconditions: { uid: revision.metadata?.uid }, signal });
        log.info({ revision: revision.metadata?.name }, 'deleted old controller revision (revision history limit)');
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    if (failure !== undefined) throw failure;
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  }

  const controller = new Controller({ name: 'statefulset', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  controller
    .watch(stsInformer)
    .watch(podInformer, (pod) => statefulSetKeysForPod(pod, stsInformer))
    .watch(revisionInformer, (revision) => statefulSetKeyForRevision(revision))
    .watch(claimInformer, (claim) => statefulSetKeysForClaim(claim, stsInformer));
  return controller;
}
