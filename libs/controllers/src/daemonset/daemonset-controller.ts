/**
 * The DaemonSet controller (Kubernetes' pkg/controller/daemon), the thin I/O half: one pod per
 * eligible node, created with a node-name affinity for the scheduler to bind. The decisions are
 * pure (node-eligibility, daemon-pod, daemonset-revisions, daemonset-plan); this file reads the
 * caches, writes through the API and records Events on the DaemonSet.
 *
 * One reconcile of "ns/name":
 *   1. DaemonSet gone from the cache -> forget its expectations, done (the garbage collector
 *      removes its pods and ControllerRevisions).
 *   2. claim the pods of the namespace (adopt matching orphans after re-reading the DaemonSet,
 *      release owned pods that no longer match).
 *   3. history: create the current template's ControllerRevision (a name held by another
 *      template is a hash collision: status.collisionCount goes up and the sync is retried), or
 *      renumber it after an undo.
 *   4. planDaemonSet over the nodes and owned pods: create pods (slow-start batches,
 *      SuccessfulCreate / FailedCreate) and delete pods (SuccessfulDelete / FailedDelete), with
 *      expectations so that a sync running before the cache catches up does not repeat them.
 *   5. delete old revisions beyond revisionHistoryLimit; write the status when it changed.
 *   6. a failed create/delete throws (retried with backoff) after the status is written;
 *      otherwise requeue when a ready pod becomes available (minReadySeconds) or expectations
 *      expire.
 *
 * Pods map to their controlling DaemonSet (orphans: every DaemonSet of the namespace selecting
 * them); a node added or deleted, or whose labels, taints or unschedulable flag change,
 * enqueues every DaemonSet.
 */
import { setMaxListeners } from 'node:events';
import { AlreadyExistsError, ApiError, ConflictError, keyOf, labelSelectorMatcher, NotFoundError, type ControllerRevision, type DaemonSet, type DaemonSetStatus, type LabelMatcher, type Node, type Pod } from '@skiff/api';
import { typed, type Informer } from '@skiff/client';
import { Controller, TerminalError, type ReconcileResult } from '@skiff/reconcile';
import type { Logger } from 'pino';
import type { ControllerContext } from '../controller-context';
import { applyClaims, claimObjects } from '../controller-ref-manager';
import { controllerRefOf } from '../owner-refs';
import { ControllerExpectations } from '../controller-expectations';
import { podExpectationEvents } from '../pod-expectation-events';
import { slowStartBatch } from '../replicaset/slow-start-batch';
import { daemonSetRef, newDaemonPod } from './daemon-pod';
import { planDaemonSet, statusChanged, type DaemonSetPlan } from './daemonset-plan';
import { planHistory, revisionMatches, type HistoryPlan } from './daemonset-revisions';

const KIND = 'DaemonSet';
/** The component name on Events (Kubernetes': daemonset-controller). */
export const DAEMONSET_COMPONENT = 'daemonset-controller';
/** Creations of a sync start with this many at once, then double (Kubernetes' SlowStartInitialBatchSize). */
const SLOW_START_INITIAL_BATCH = 1;

type DsInformer = Informer<'daemonSet'>;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The apiserver refuses new objects in a namespace being deleted (Kubernetes' NamespaceTerminatingCause). */
function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof ApiError && err.message.includes('because it is being terminated');
}

function selectorOf(ds: Readonly<DaemonSet>): LabelMatcher | undefined {
  try {
    return labelSelectorMatcher(ds.spec?.selector);
  } catch {
    return undefined;
  }
}

/** The key of the DaemonSet controlling `object`, if its controller is a DaemonSet. */
function controllingKey(object: Readonly<Pod | ControllerRevision>): string | undefined {
  const ref = controllerRefOf(object);
  return ref?.kind === KIND ? keyOf({ namespace: object.metadata?.namespace, name: ref.name }) : undefined;
}

/** Keys to reconcile when `pod` changes: its controller, or every DaemonSet whose selector matches an orphan. */
export function daemonSetKeysForPod(pod: Readonly<Pod>, daemonSets: DsInformer): string[] {
  if (controllerRefOf(pod)) {
    const key = controllingKey(pod);
    return key ? [key] : [];
  }
  return daemonSets
    .byNamespace(pod.metadata?.namespace ?? '')
    .filter((ds) => {
      const selector = selectorOf(ds);
      return selector && !selector.empty && selector.matches(pod.metadata?.labels);
    })
    .map((ds) => keyOf(ds.metadata));
}

/** Whether a node change can change where DaemonSets run (Kubernetes' shouldIgnoreNodeUpdate, inverted). */
export function nodeChangeMatters(old: Readonly<Node>, node: Readonly<Node>): boolean {
  return (
    JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(node.metadata?.labels ?? {}) ||
    JSON.stringify(old.spec?.taints ?? []) !== JSON.stringify(node.spec?.taints ?? []) ||
    Boolean(old.spec?.unschedulable) !== Boolean(node.spec?.unschedulable)
  );
}

/** A signal that follows `signal` and takes one abort listener per concurrent call. */
function fanOutSignal(signal: AbortSignal, calls: number): AbortSignal {
  const child = AbortSignal.any([signal]);
  setMaxListeners(calls + 10, child);
  return child;
}

/** Builds the DaemonSet controller from the shared context (registered as "daemonset"). */
export function daemonSetController(ctx: ControllerContext): Controller {
  const dsInformer = ctx.informers.get('daemonSet');
  const podInformer = ctx.informers.get('pod');
  const nodeInformer = ctx.informers.get('node');
  const revisionInformer = ctx.informers.get('controllerRevision');
  const daemonSets = typed(ctx.client, 'daemonSet');
  const pods = typed(ctx.client, 'pod');
  const revisions = typed(ctx.client, 'controllerRevision');
  const recorder = ctx.recorder(DAEMONSET_COMPONENT);
  const expectations = new ControllerExpectations(ctx.now);
  const baseLog = ctx.log.child({ controller: 'daemonset' });

  podInformer.addHandler(podExpectationEvents(expectations, controllingKey, (key) => dsInformer.get(key)));

  function claim(ds: Readonly<DaemonSet>, selector: LabelMatcher, log: Logger, signal: AbortSignal): Promise<Readonly<Pod>[]> {
    return applyClaims(ds, claimObjects(ds, selector, podInformer.byNamespace(ds.metadata?.namespace ?? '')), {
      readOwner: () => daemonSets.get(ds.metadata?.namespace ?? '', ds.metadata?.name ?? '', { signal }),
      update: (pod) => pods.update(pod, { signal }),
      ownerRef: daemonSetRef(ds),
      what: 'pod',
      log,
    });
  }

  /** Creates or renumbers the current revision. A name held by another template bumps collisionCount and throws (retry). */
  async function writeCurrentRevision(ds: Readonly<DaemonSet>, history: HistoryPlan, log: Logger, signal: AbortSignal): Promise<void> {
    if (history.renumber) {
      await revisions.update(history.renumber, { signal });
      log.info({ revision: history.renumber.metadata?.name, number: history.renumber.revision }, 'renumbered controller revision');
    }
    if (!history.create) return;
    try {
      await revisions.create(history.create, { signal });
      log.info({ revision: history.create.metadata?.name, number: history.create.revision }, 'created controller revision');
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      const existing = await revisions.get(ds.metadata?.namespace ?? '', history.create.metadata?.name ?? '', { signal });
      if (controllerRefOf(existing)?.uid === ds.metadata?.uid && revisionMatches(existing, ds)) {
        throw new Error(`controller revision ${existing.metadata?.name} exists already (not yet in the cache); syncing again`, { cause: err });
      }
      const collisionCount = (ds.status?.collisionCount ?? 0) + 1;
      const next = structuredClone(ds) as DaemonSet;
      next.status = { ...(next.status ?? ({} as DaemonSetStatus)), collisionCount };
      await daemonSets.updateStatus(next, { signal });
      throw new Error(`hash collision on controller revision ${existing.metadata?.name}; collisionCount is now ${collisionCount}`, { cause: err });
    }
  }

  /** The plan's pod creations and deletions; resolves with the first error, if any. */
  async function syncNodes(key: string, ds: Readonly<DaemonSet>, plan: DaemonSetPlan, hash: string, log: Logger, signal: AbortSignal): Promise<unknown> {
    const creates = plan.createOn;
    const deletes = plan.delete;
    if (creates.length === 0 && deletes.length === 0) return undefined;
    log.info({ creating: creates.length, deleting: deletes.map((p) => p.metadata?.name) }, 'syncing nodes');
    signal = fanOutSignal(signal, creates.length + deletes.length);
    expectations.expect(key, creates.length, deletes.map((p) => keyOf(p.metadata)));
    let error: unknown;
    const deleted = Promise.allSettled(
      deletes.map(async (pod) => {
        const name = pod.metadata?.name ?? '';
        try {
          await pods.delete(pod.metadata?.namespace ?? '', name, { preconditions: { uid: pod.metadata?.uid }, signal });
          recorder.normal(ds, 'SuccessfulDelete', `Deleted pod: ${name}`, KIND);
        } catch (err) {
          expectations.deletionObserved(key, keyOf(pod.metadata));
          if (err instanceof NotFoundError || err instanceof ConflictError) return;
          recorder.warning(ds, 'FailedDelete', `Error deleting: ${errorMessage(err)}`, KIND);
          throw err;
        }
      }),
    );
    let next = 0;
    const result = await slowStartBatch(creates.length, SLOW_START_INITIAL_BATCH, async () => {
      const nodeName = creates[next++];
      try {
        const created = await pods.create(newDaemonPod(ds, nodeName, hash), { signal });
        recorder.normal(ds, 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`, KIND);
      } catch (err) {
        if (isNamespaceTerminating(err)) {
          expectations.creationObserved(key);
          return;
        }
        recorder.warning(ds, 'FailedCreate', `Error creating: ${errorMessage(err)}`, KIND);
        throw err;
      }
    });
    for (let i = result.successes; i < creates.length; i++) expectations.creationObserved(key);
    if (result.error !== undefined) error = result.error;
    const failed = (await deleted).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    return error ?? failed?.reason;
  }

  async function deleteOldRevisions(history: HistoryPlan, log: Logger, signal: AbortSignal): Promise<void> {
    for (const r of history.delete) {
      try {
        await revisions.delete(r.metadata?.namespace ?? '', r.metadata?.name ?? '', { preconditions: { uid: r.metadata?.uid }, signal });
        log.info({ revision: r.metadata?.name, number: r.revision }, 'deleted old controller revision (revision history limit)');
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
  }

  /** UpdateStatus; on a conflict reads the DaemonSet again and retries once. */
  async function writeStatus(ds: Readonly<DaemonSet>, status: DaemonSetStatus, signal: AbortSignal): Promise<void> {
    let target: Readonly<DaemonSet> = ds;
    for (let attempt = 0; ; attempt++) {
      const next = structuredClone(target) as DaemonSet;
      next.status = { ...status, collisionCount: target.status?.collisionCount, conditions: target.status?.conditions ?? [] };
      try {
        await daemonSets.updateStatus(next, { signal });
        return;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 1) throw err;
        target = await daemonSets.get(ds.metadata?.namespace ?? '', ds.metadata?.name ?? '', { signal });
        if (target.metadata?.uid !== ds.metadata?.uid) return;
      }
    }
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const ds = dsInformer.get(key);
    if (!ds) {
      expectations.delete(key);
      return;
    }
    const log = baseLog.child({ daemonSet: key });
    let selector: LabelMatcher;
    try {
      selector = labelSelectorMatcher(ds.spec?.selector);
    } catch (err) {
      throw new TerminalError(`DaemonSet ${key} has an invalid selector: ${errorMessage(err)}`, { cause: err });
    }
    const satisfied = expectations.satisfied(key);
    const owned = await claim(ds, selector, log, signal);
    const ownRevisions = revisionInformer.byNamespace(ds.metadata?.namespace ?? '').filter((r) => controllerRefOf(r)?.uid === ds.metadata?.uid);
    const history = planHistory(ds, ownRevisions, owned);
    if (!ds.metadata?.deletionTimestamp) await writeCurrentRevision(ds, history, log, signal);

    const now = ctx.now();
    const plan = planDaemonSet({ daemonSet: ds, nodes: nodeInformer.list(), pods: owned, hash: history.hash, expectationsSatisfied: satisfied, now });
    for (const e of plan.events) recorder.record(ds, e.type, e.reason, e.message, KIND);
    const error = await syncNodes(key, ds, plan, history.hash, log, signal);
    if (!ds.metadata?.deletionTimestamp && satisfied) await deleteOldRevisions(history, log, signal);
    if (statusChanged(ds.status, plan.status)) await writeStatus(ds, plan.status, signal);
    if (error !== undefined) throw error;

    const waits = [plan.requeueAfterMs, expectations.msUntilExpiry(key) || undefined].filter((ms): ms is number => ms !== undefined);
    return waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : undefined;
  }

  const controller = new Controller({ name: 'daemonset', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  const enqueueAll = () => {
    for (const key of dsInformer.keys()) controller.enqueue(key);
  };
  nodeInformer.addHandler({
    onAdd: enqueueAll,
    onUpdate: (old, node) => {
      if (nodeChangeMatters(old, node)) enqueueAll();
    },
    onDelete: enqueueAll,
  });
  controller
    .watch(dsInformer)
    .watch(podInformer, (pod) => daemonSetKeysForPod(pod, dsInformer))
    .watch(nodeInformer, () => undefined)
    .watch(revisionInformer, () => undefined);
  return controller;
}
