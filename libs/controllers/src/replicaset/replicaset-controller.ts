/**
 * The ReplicaSet controller (Kubernetes' pkg/controller/replicaset), the thin I/O half: it keeps
 * spec.replicas active pods matching the selector and controlled by each ReplicaSet. The
 * decisions are pure (claim-pods, replica-plan, pod-ranking, replicaset-status); this file reads
 * the caches, writes through the API and records Events on the ReplicaSet.
 *
 * One reconcile of "ns/name":
 *   1. RS gone from the cache -> forget its expectations, done.
 *   2. claim the active pods of the namespace: adopt matching orphans (after re-reading the RS
 *      from the apiserver: never adopt for a deleted or replaced RS), release owned pods whose
 *      labels no longer match.
 *   3. unless expectations are pending or the RS is being deleted: create the missing pods from
 *      the template in slow-start batches (SuccessfulCreate / FailedCreate; a namespace being
 *      deleted refuses creations, which is no failure), or delete the surplus, best candidates
 *      first (SuccessfulDelete / FailedDelete).
 *   4. write the status when it changed (one retry on a conflict, with a fresh read).
 *   5. a failed create/delete throws (retried with backoff) after the status is written; otherwise
 *      requeue when a ready pod will become available (minReadySeconds) or expectations expire.
 *
 * Pods are mapped to their controller's key, or (orphans) to every RS of the namespace whose
 * selector matches them. Expectations are lowered from the pod informer's events, so a sync that
 * runs before the cache shows its own creations and deletions does not repeat them.
 */
import { setMaxListeners } from 'node:events';
import { ConflictError, keyOf, labelSelectorMatcher, NotFoundError, type LabelMatcher, type Pod, type ReplicaSet, type ReplicaSetStatus } from '@skiff/api';
import { typed, type Informer } from '@skiff/client';
import { Controller, TerminalError, type ReconcileResult } from '@skiff/reconcile';
import type { Logger } from 'pino';
import type { ControllerContext } from '../controller-context';
import { errorMessage, isNamespaceTerminating } from '../controller-errors';
import { controllerRefOf } from '../owner-refs';
import { claimPods, replicaSetRef } from './claim-pods';
import { applyClaims } from '../controller-ref-manager';
import { podExpectationEvents } from '../pod-expectation-events';
import { ControllerExpectations } from '../controller-expectations';
import { isPodActive } from '../pods/pod-availability';
import { podFromTemplate } from './pod-template';
import { planReplicas } from './replica-plan';
import { availabilityRecheckMs, calculateStatus, statusChanged, type ManageFailure } from './replicaset-status';
import { slowStartBatch } from '../slow-start-batch';

const KIND = 'ReplicaSet';
/** The component name on Events. */
export const REPLICASET_COMPONENT = 'replicaset-controller';
/** Creations of a sync start with this many at once, then double (Kubernetes' SlowStartInitialBatchSize). */
const SLOW_START_INITIAL_BATCH = 1;

type RsInformer = Informer<'replicaSet'>;

/** A signal that follows `signal` and takes one abort listener per concurrent call (up to `calls`). */
function fanOutSignal(signal: AbortSignal, calls: number): AbortSignal {
  const child = AbortSignal.any([signal]);
  setMaxListeners(calls + 10, child);
  return child;
}



/** The RS's selector as a matcher, or undefined when it is invalid (validation prevents that). */
function selectorOf(rs: Readonly<ReplicaSet>): LabelMatcher | undefined {
  try {
    return labelSelectorMatcher(rs.spec?.selector);
  } catch {
    return undefined;
  }
}

/** The key of the ReplicaSet controlling `pod`, if its controller is a ReplicaSet. */
function controllingReplicaSetKey(pod: Readonly<Pod>): string | undefined {
  const ref = controllerRefOf(pod);
  return ref?.kind === KIND ? keyOf({ namespace: pod.metadata?.namespace, name: ref.name }) : undefined;
}

/** Keys to reconcile when `pod` changes: its controller, or every RS whose selector matches an orphan. */
export function replicaSetKeysForPod(pod: Readonly<Pod>, replicaSets: RsInformer): string[] {
  if (controllerRefOf(pod)) {
    const key = controllingReplicaSetKey(pod);
    return key ? [key] : [];
  }
  return replicaSets
    .byNamespace(pod.metadata?.namespace ?? '')
    .filter((rs) => selectorOf(rs)?.matches(pod.metadata?.labels))
    .map((rs) => keyOf(rs.metadata));
}

/**
 * Pods related to `rs` for ranking deletions: the pods selected by every ReplicaSet with the
 * same controller (a Deployment's old and new ReplicaSets), each once; none for a ReplicaSet
 * without a controller (as Kubernetes' getIndirectlyRelatedPods).
 */
function relatedPods(rs: Readonly<ReplicaSet>, replicaSets: RsInformer, podsOfNamespace: readonly Readonly<Pod>[]): Readonly<Pod>[] {
  const owner = controllerRefOf(rs);
  if (!owner) return [];
  const siblings = replicaSets.byNamespace(rs.metadata?.namespace ?? '').filter((other) => controllerRefOf(other)?.uid === owner.uid);
  const matchers = siblings.map(selectorOf).filter((m): m is LabelMatcher => m !== undefined);
  return podsOfNamespace.filter((pod) => matchers.some((m) => m.matches(pod.metadata?.labels)));
}

/** Builds the ReplicaSet controller from the shared context (registered as "replicaset"). */
export function replicaSetController(ctx: ControllerContext): Controller {
  const rsInformer = ctx.informers.get('replicaSet');
  const podInformer = ctx.informers.get('pod');
  const replicaSets = typed(ctx.client, 'replicaSet');
  const pods = typed(ctx.client, 'pod');
  const recorder = ctx.recorder(REPLICASET_COMPONENT);
  const expectations = new ControllerExpectations(ctx.now);
  const baseLog = ctx.log.child({ controller: 'replicaset' });

  podInformer.addHandler(podExpectationEvents(expectations, controllingReplicaSetKey, (key) => rsInformer.get(key)));

  /** Adopts and releases as claimPods decides; resolves with the pods the RS now owns. */
  function claim(rs: Readonly<ReplicaSet>, selector: LabelMatcher, active: readonly Readonly<Pod>[], log: Logger, signal: AbortSignal): Promise<Readonly<Pod>[]> {
    return applyClaims(rs, claimPods(rs, selector, active), {
      readOwner: () => replicaSets.get(rs.metadata?.namespace ?? '', rs.metadata?.name ?? '', { signal }),
      update: (pod) => pods.update(pod, { signal }),
      ownerRef: replicaSetRef(rs),
      what: 'pod',
      log,
    });
  }

  /** Creates or deletes pods towards spec.replicas; resolves with the failure, if any. */
  async function manageReplicas(key: string, rs: Readonly<ReplicaSet>, owned: readonly Readonly<Pod>[], active: readonly Readonly<Pod>[], log: Logger, signal: AbortSignal): Promise<{ failure: ManageFailure; error: unknown } | undefined> {
    const plan = planReplicas(rs, owned, relatedPods(rs, rsInformer, active));
    if (plan.action === 'none') return undefined;
    signal = fanOutSignal(signal, plan.action === 'create' ? plan.count : plan.pods.length);
    if (plan.action === 'create') {
      log.info({ creating: plan.count, have: owned.length, want: rs.spec?.replicas }, 'too few replicas');
      expectations.expectCreations(key, plan.count);
      const result = await slowStartBatch(plan.count, SLOW_START_INITIAL_BATCH, async () => {
        try {
          const created = await pods.create(podFromTemplate(rs), { signal });
          recorder.normal(rs, 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`, KIND);
        } catch (err) {
          if (isNamespaceTerminating(err)) {
            // Every creation would fail until the namespace is gone: nothing to report or retry.
            expectations.creationObserved(key);
            return;
          }
          recorder.warning(rs, 'FailedCreate', `Error creating: ${errorMessage(err)}`, KIND);
          throw err;
        }
      });
      // Creations that failed or never started will not show up in the informer.
      for (let i = result.successes; i < plan.count; i++) expectations.creationObserved(key);
      if (result.error !== undefined) return { failure: { reason: 'FailedCreate', message: errorMessage(result.error) }, error: result.error };
    } else if (plan.action === 'delete') {
      log.info({ deleting: plan.pods.map((p) => p.metadata?.name), have: owned.length, want: rs.spec?.replicas }, 'too many replicas');
      expectations.expectDeletions(key, plan.pods.map((p) => keyOf(p.metadata)));
      const results = await Promise.allSettled(
        plan.pods.map(async (pod) => {
          const name = pod.metadata?.name ?? '';
          try {
            await pods.delete(pod.metadata?.namespace ?? '', name, { signal });
            recorder.normal(rs, 'SuccessfulDelete', `Deleted pod: ${name}`, KIND);
          } catch (err) {
            // The informer will not see a deletion that did not happen (or already happened).
            expectations.deletionObserved(key, keyOf(pod.metadata));
            if (err instanceof NotFoundError) return;
            recorder.warning(rs, 'FailedDelete', `Error deleting: ${errorMessage(err)}`, KIND);
            throw err;
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) return { failure: { reason: 'FailedDelete', message: errorMessage(failed.reason) }, error: failed.reason };
    }
    return undefined;
  }

  /** UpdateStatus; on a conflict reads the RS again and retries once (Kubernetes' statusUpdateRetries). */
  async function writeStatus(rs: Readonly<ReplicaSet>, status: ReplicaSetStatus, signal: AbortSignal): Promise<void> {
    let target: Readonly<ReplicaSet> = rs;
    for (let attempt = 0; ; attempt++) {
      const next = structuredClone(target) as ReplicaSet;
      next.status = status;
      try {
        await replicaSets.updateStatus(next, { signal });
        return;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 1) throw err;
        target = await replicaSets.get(rs.metadata?.namespace ?? '', rs.metadata?.name ?? '', { signal });
        if (target.metadata?.uid !== rs.metadata?.uid) return;
        if (!statusChanged(target.status, status)) return;
      }
    }
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const rs = rsInformer.get(key);
    if (!rs) {
      expectations.delete(key);
      return;
    }
    const log = baseLog.child({ replicaSet: key });
    const needsSync = expectations.satisfied(key);
    let selector: LabelMatcher;
    try {
      selector = labelSelectorMatcher(rs.spec?.selector);
    } catch (err) {
      throw new TerminalError(`ReplicaSet ${key} has an invalid selector: ${errorMessage(err)}`, { cause: err });
    }
    const active = podInformer.byNamespace(rs.metadata?.namespace ?? '').filter(isPodActive);
    const owned = await claim(rs, selector, active, log, signal);

    let managed: Awaited<ReturnType<typeof manageReplicas>>;
    if (needsSync && !rs.metadata?.deletionTimestamp) managed = await manageReplicas(key, rs, owned, active, log, signal);

    const now = ctx.now();
    const status = calculateStatus(rs, owned, managed?.failure, now);
    if (statusChanged(rs.status, status)) await writeStatus(rs, status, signal);
    if (managed) throw managed.error;

    const waits = [availabilityRecheckMs(rs, owned, now), expectations.msUntilExpiry(key) || undefined].filter((ms): ms is number => ms !== undefined);
    return waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : undefined;
  }

  const controller = new Controller({ name: 'replicaset', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  controller.watch(rsInformer).watch(podInformer, (pod) => replicaSetKeysForPod(pod, rsInformer));
  return controller;
}
