/**
 * The Job controller (Kubernetes' pkg/controller/job), the thin I/O half: it runs a Job's pods
 * to completion. The decisions are pure (job-sync: what to create, delete and which condition;
 * job-tracking: counting finished pods through status.uncountedTerminatedPods); this file reads
 * the caches, writes through the API and records Events on the Job.
 *
 * One reconcile of "ns/name":
 *   1. Job gone from the cache -> forget it; queue its pods that hold the tracking finalizer for
 *      the orphan-pod sync below. A cached Job older than the controller's last status write
 *      (status-version-expectations) -> nothing now: its update event brings the key back.
 *   2. claim the Job's pods (all phases): adopt matching orphans (adding the tracking finalizer,
 *      so they are counted), release pods relabelled away (removing it).
 *   3. Job finished (Complete / Failed) -> remove leftover finalizers, done.
 *   4. planJobSync: delete pods (a failing Job keeps their finalizers so they are counted;
 *      suspension and scale-down remove the finalizer first) or create pods (the tracking
 *      finalizer, the Job as controller; Indexed: the index) - SuccessfulCreate/SuccessfulDelete.
 *   5. trackFinishedPods -> write the status with the uncounted pods -> remove their finalizers
 *      -> settle the counters and maybe the terminal condition -> write the status again.
 *   6. a failed create/delete/finalizer removal throws (retried with backoff) after the status is
 *      written; otherwise requeue for the failure backoff, activeDeadlineSeconds or expectations.
 *
 * One reconcile of "orphan-pod:ns/name" (Kubernetes' orphan queue, syncOrphanPod): a pod that
 * holds the tracking finalizer with no controller, or whose controlling Job is gone (another uid)
 * or finished, loses the finalizer. Both are confirmed with live reads (the pod, then its Job),
 * and the update is a compare-and-swap on the pod read, so a concurrent adoption wins. A pod
 * controlled by something other than a batch/v1 Job is left alone.
 */
import { setMaxListeners } from 'node:events';
import { ConflictError, JOB_TRACKING_FINALIZER, keyOf, splitKey, labelSelectorMatcher, NotFoundError, type Job, type JobStatus, type LabelMatcher, type Pod } from '@skiff/api';
import { typed, type Informer } from '@skiff/client';
import { Controller, TerminalError, type ReconcileResult } from '@skiff/reconcile';
import type { ControllerContext } from '../controller-context';
import { errorMessage, isNamespaceTerminating } from '../controller-errors';
import { applyClaims, claimObjects } from '../controller-ref-manager';
import { controllerRefOf } from '../owner-refs';
import { podExpectationEvents } from '../pod-expectation-events';
import { ControllerExpectations } from '../controller-expectations';
import { slowStartBatch } from '../slow-start-batch';
import { FinalizerExpectations } from './finalizer-expectations';
import { StatusVersionExpectations } from './status-version-expectations';
import { DEFAULT_JOB_BACKOFF_MAX_MS } from './job-backoff';
import { isJobFinished, JOB_COMPLETE } from './job-conditions';
import { hasTrackingFinalizer, jobRef, podForJob, withoutTrackingFinalizer } from './job-pods';
import { planJobSync } from './job-sync';
import { enactFinished, settleUncounted, trackFinishedPods } from './job-tracking';

const KIND = 'Job';
/** The component name on Events (Kubernetes' job-controller). */
export const JOB_COMPONENT = 'job-controller';



function selectorOf(job: Readonly<Job>): LabelMatcher | undefined {
  try {
    return labelSelectorMatcher(job.spec?.selector);
  } catch {
    return undefined;
  }
}

/** The key of the Job controlling `pod`, if its controller is a Job. */
function controllingJobKey(pod: Readonly<Pod>): string | undefined {
  const ref = controllerRefOf(pod);
  return ref?.kind === KIND && ref.apiVersion.startsWith('batch/') ? keyOf({ namespace: pod.metadata?.namespace, name: ref.name }) : undefined;
}

/** The prefix of the queue keys of pods whose tracking finalizer may have to go. */
export const ORPHAN_POD_KEY_PREFIX = 'orphan-pod:';

/**
 * Whether `pod` holds the tracking finalizer with no unfinished Job controlling it, as the cache
 * says (Kubernetes' enqueueOrphanPod condition): no controller, or a Job controller that the
 * cache lacks (or has with another uid) or that finished. Controlled by another kind: no.
 */
export function isOrphanedTrackedPod(pod: Readonly<Pod>, jobs: Informer<'job'>): boolean {
  if (!hasTrackingFinalizer(pod)) return false;
  const ref = controllerRefOf(pod);
  if (!ref) return true;
  const key = controllingJobKey(pod);
  if (!key) return false;
  const job = jobs.get(key);
  return !job || job.metadata?.uid !== ref.uid || isJobFinished(job);
}

/**
 * Keys to reconcile when `pod` changes: its Job, or every Job whose selector matches an orphan;
 * and its orphan-pod key when it holds the tracking finalizer with no unfinished Job.
 */
export function jobKeysForPod(pod: Readonly<Pod>, jobs: Informer<'job'>): string[] {
  const keys: string[] = [];
  if (controllerRefOf(pod)) {
    const key = controllingJobKey(pod);
    if (key) keys.push(key);
  } else {
    for (const job of jobs.byNamespace(pod.metadata?.namespace ?? '')) if (selectorOf(job)?.matches(pod.metadata?.labels)) keys.push(keyOf(job.metadata));
  }
  if (isOrphanedTrackedPod(pod, jobs)) keys.push(ORPHAN_POD_KEY_PREFIX + keyOf(pod.metadata));
  return keys;
}

/** Whether two statuses differ in anything the controller writes. */
export function jobStatusChanged(a: Readonly<JobStatus> | undefined, b: Readonly<JobStatus>): boolean {
  const norm = (s: Readonly<JobStatus> | undefined) =>
    JSON.stringify([
      s?.active ?? 0,
      s?.ready ?? 0,
      s?.terminating ?? 0,
      s?.succeeded ?? 0,
      s?.failed ?? 0,
      s?.completedIndexes ?? '',
      s?.startTime?.getTime() ?? null,
      s?.completionTime?.getTime() ?? null,
      s?.uncountedTerminatedPods?.succeeded ?? [],
      s?.uncountedTerminatedPods?.failed ?? [],
      (s?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message, c.lastTransitionTime?.getTime() ?? null]),
    ]);
  return norm(a) !== norm(b);
}

/** Builds the Job controller from the shared context (registered as "job"). */
export function jobController(ctx: ControllerContext): Controller {
  const jobInformer = ctx.informers.get('job');
  const podInformer = ctx.informers.get('pod');
  const jobs = typed(ctx.client, 'job');
  const pods = typed(ctx.client, 'pod');
  const recorder = ctx.recorder(JOB_COMPONENT);
  const expectations = new ControllerExpectations(ctx.now);
  const finalizerExpectations = new FinalizerExpectations();
  const statusVersions = new StatusVersionExpectations();
  const baseLog = ctx.log.child({ controller: 'job' });
  const controller = new Controller({ name: 'job', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  const backoffBaseMs = ctx.tuning.jobPodFailureBackoffMs;

  podInformer.addHandler(podExpectationEvents(expectations, controllingJobKey, (key) => jobInformer.get(key)));
  // By uid alone: a pod released while its removal is pending no longer names its Job.
  const observeFinalizer = (pod: Readonly<Pod>, gone: boolean) => {
    if (gone || !hasTrackingFinalizer(pod)) finalizerExpectations.observed(pod.metadata?.uid ?? '');
  };
  podInformer.addHandler({
    onAdd: (pod) => observeFinalizer(pod, false),
    onUpdate: (_old, pod) => observeFinalizer(pod, false),
    onDelete: (pod) => observeFinalizer(pod, true),
  });

  /** Removes the tracking finalizer (read-modify-write; a pod that is gone counts as done). */
  async function removeFinalizer(pod: Readonly<Pod>, signal: AbortSignal): Promise<void> {
    let current: Readonly<Pod> = pod;
    for (let attempt = 0; ; attempt++) {
      if (!hasTrackingFinalizer(current)) return;
      try {
        await pods.update(withoutTrackingFinalizer(current), { signal });
        return;
      } catch (err) {
        if (err instanceof NotFoundError) return;
        if (!(err instanceof ConflictError) || attempt >= 3) throw err;
        try {
          current = await pods.get(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', { signal });
        } catch (getErr) {
          if (getErr instanceof NotFoundError) return;
          throw getErr;
        }
        if (current.metadata?.uid !== pod.metadata?.uid) return;
      }
    }
  }

  /** Removes the finalizer from each pod; resolves with the uids done and the first error. */
  async function removeFinalizers(list: readonly Readonly<Pod>[], signal: AbortSignal): Promise<{ done: Set<string>; error?: unknown }> {
    const done = new Set<string>();
    let error: unknown;
    const child = AbortSignal.any([signal]);
    setMaxListeners(list.length + 10, child);
    await Promise.all(
      list.map(async (pod) => {
        try {
          await removeFinalizer(pod, child);
          done.add(pod.metadata?.uid ?? '');
        } catch (err) {
          error ??= err;
        }
      }),
    );
    return { done, error };
  }

  /** The Job is gone from the cache: its pods with the finalizer go through the orphan-pod sync. */
  function queueStrandedPods(key: string): void {
    const { namespace } = splitKey(key);
    for (const pod of podInformer.byNamespace(namespace)) {
      if (hasTrackingFinalizer(pod) && controllingJobKey(pod) === key) controller.enqueue(ORPHAN_POD_KEY_PREFIX + keyOf(pod.metadata));
    }
  }

  /** The Job named by the pod's controller reference as the API holds it now, if it is that Job. */
  async function liveControllingJob(pod: Readonly<Pod>, signal: AbortSignal): Promise<Readonly<Job> | undefined> {
    const ref = controllerRefOf(pod);
    if (!ref) return undefined;
    try {
      const job = await jobs.get(pod.metadata?.namespace ?? '', ref.name, { signal });
      return job.metadata?.uid === ref.uid ? job : undefined;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** The orphan-pod sync (see the file comment). */
  async function syncOrphanPod(podKey: string, signal: AbortSignal): Promise<void> {
    const cached = podInformer.get(podKey);
    if (!cached || !isOrphanedTrackedPod(cached, jobInformer)) return;
    const { namespace, name } = splitKey(podKey);
    let pod: Readonly<Pod>;
    try {
      pod = await pods.get(namespace, name, { signal });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    if (!hasTrackingFinalizer(pod)) return;
    if (controllerRefOf(pod)) {
      if (!controllingJobKey(pod)) return;
      const job = await liveControllingJob(pod, signal);
      if (job && !isJobFinished(job)) return; // adopted meanwhile, or the cache lags: its Job counts it
    }
    try {
      // A compare-and-swap on the pod just read: an adoption since then makes this a conflict (retried).
      await pods.update(withoutTrackingFinalizer(pod), { signal });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    baseLog.info({ pod: podKey }, 'removed the tracking finalizer of a pod with no unfinished Job');
  }

  /** UpdateStatus from `base` (its resourceVersion); resolves with the stored Job. */
  async function writeStatus(base: Readonly<Job>, status: JobStatus, signal: AbortSignal): Promise<Job> {
    const next = structuredClone(base) as Job;
    next.status = status;
    const written = await jobs.updateStatus(next, { signal });
    statusVersions.wrote(keyOf(written.metadata), written.metadata?.resourceVersion);
    return written;
  }

  /** Deletes `list`; without keepFinalizer the finalizer goes first. Resolves with the failures. */
  async function deletePods(key: string, job: Readonly<Job>, list: readonly Readonly<Pod>[], keepFinalizer: boolean, signal: AbortSignal): Promise<{ failed: number; error?: unknown }> {
    expectations.expectDeletions(key, list.map((p) => keyOf(p.metadata)));
    const child = AbortSignal.any([signal]);
    setMaxListeners(list.length * 2 + 10, child);
    let failed = 0;
    let error: unknown;
    await Promise.all(
      list.map(async (pod) => {
        const name = pod.metadata?.name ?? '';
        try {
          if (!keepFinalizer) await removeFinalizer(pod, child);
          await pods.delete(pod.metadata?.namespace ?? '', name, { signal: child });
          recorder.normal(job, 'SuccessfulDelete', `Deleted pod: ${name}`, KIND);
        } catch (err) {
          expectations.deletionObserved(key, keyOf(pod.metadata));
          if (err instanceof NotFoundError) return;
          failed++;
          error ??= err;
          recorder.warning(job, 'FailedDelete', `Error deleting: ${errorMessage(err)}`, KIND);
        }
      }),
    );
    return { failed, error };
  }

  /** Creates one pod per entry of `indexes` (or `count` NonIndexed pods) in slow-start batches. */
  async function createPods(key: string, job: Readonly<Job>, count: number, indexes: readonly number[] | undefined, signal: AbortSignal): Promise<{ failed: number; error?: unknown }> {
    expectations.expectCreations(key, count);
    const child = AbortSignal.any([signal]);
    setMaxListeners(count + 10, child);
    let next = 0;
    const result = await slowStartBatch(count, 1, async () => {
      const index = indexes?.[next++];
      try {
        const created = await pods.create(podForJob(job, index), { signal: child });
        recorder.normal(job, 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`, KIND);
      } catch (err) {
        if (isNamespaceTerminating(err)) {
          expectations.creationObserved(key);
          return;
        }
        recorder.warning(job, 'FailedCreate', `Error creating: ${errorMessage(err)}`, KIND);
        throw err;
      }
    });
    for (let i = result.successes; i < count; i++) expectations.creationObserved(key);
    return { failed: count - result.successes, error: result.error };
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    if (key.startsWith(ORPHAN_POD_KEY_PREFIX)) return syncOrphanPod(key.slice(ORPHAN_POD_KEY_PREFIX.length), signal);
    const log = baseLog.child({ job: key });
    const job = jobInformer.get(key);
    if (!job) {
      expectations.delete(key);
      finalizerExpectations.delete(key);
      statusVersions.delete(key);
      queueStrandedPods(key);
      return;
    }
    // The cache has not caught up with this controller's last status write: its update event
    // brings the key back (a stale Job with fresh pods would create a surplus pod).
    if (!statusVersions.satisfied(key, job.metadata?.resourceVersion)) {
      log.debug({ cached: job.metadata?.resourceVersion }, 'waiting for the Job cache to show the last status write');
      return;
    }
    let selector: LabelMatcher;
    try {
      selector = labelSelectorMatcher(job.spec?.selector);
    } catch (err) {
      throw new TerminalError(`Job ${key} has an invalid selector: ${errorMessage(err)}`, { cause: err });
    }
    const candidates = podInformer.byNamespace(job.metadata?.namespace ?? '');
    const owned = await applyClaims(job, claimObjects(job, selector, candidates), {
      readOwner: () => jobs.get(job.metadata?.namespace ?? '', job.metadata?.name ?? '', { signal }),
      update: (pod) => pods.update(pod, { signal }),
      ownerRef: jobRef(job),
      what: 'pod',
      log,
      finalizers: [JOB_TRACKING_FINALIZER],
    });

    if (isJobFinished(job)) {
      expectations.delete(key);
      const { error } = await removeFinalizers(owned.filter(hasTrackingFinalizer), signal);
      if (error) throw error;
      return;
    }

    const expectedRm = finalizerExpectations.pending(key);
    const plan = planJobSync({
      job,
      pods: owned,
      now: ctx.now(),
      expectationsSatisfied: expectations.satisfied(key),
      expectedRmFinalizers: expectedRm,
      backoffBaseMs,
      backoffMaxMs: DEFAULT_JOB_BACKOFF_MAX_MS,
    });
    const status = plan.status;
    let manageError: unknown;
    if (plan.deletions.pods.length > 0) {
      log.info({ deleting: plan.deletions.pods.length, keepFinalizer: plan.deletions.keepFinalizer, finishing: plan.finishing?.reason }, 'deleting active pods');
      const r = await deletePods(key, job, plan.deletions.pods, plan.deletions.keepFinalizer, signal);
      if (!plan.finishing) status.active += r.failed;
      manageError = r.error;
    } else if (plan.creations.count > 0) {
      log.info({ creating: plan.creations.count, indexes: plan.creations.indexes }, 'too few pods running');
      const r = await createPods(key, job, plan.creations.count, plan.creations.indexes, signal);
      status.active -= r.failed;
      manageError = r.error;
    }

    // Counting: uncounted first, then finalizers, then counters and the terminal condition.
    const now = ctx.now();
    const tracked = trackFinishedPods({ job, status, pods: owned, finishing: plan.finishing, prevSucceededIndexes: plan.prevSucceededIndexes, succeededIndexes: plan.succeededIndexes, expectedRmFinalizers: expectedRm, now });
    let current: Readonly<Job> = job;
    let next = tracked.status;
    if (tracked.removeFinalizers.length > 0) {
      if (tracked.needsFlush || jobStatusChanged(job.status, next)) current = await writeStatus(job, next, signal);
      const uids = tracked.removeFinalizers.map((p) => p.metadata?.uid ?? '');
      finalizerExpectations.expect(key, uids);
      const removed = await removeFinalizers(tracked.removeFinalizers, signal);
      for (const uid of uids) {
        if (removed.done.has(uid)) tracked.uidsWithFinalizer.delete(uid);
        else finalizerExpectations.observed(uid);
      }
      manageError ??= removed.error;
      next = structuredClone(next);
      settleUncounted(next, tracked.uidsWithFinalizer);
    }
    const finished = !tracked.reachedMaxUncounted && enactFinished(next, tracked.terminal, now);
    if (jobStatusChanged(current.status, next)) current = await writeStatus(current, next, signal);

    for (const e of plan.events) recorder.normal(job, e.reason, e.message, KIND);
    if (finished && tracked.terminal) {
      log.info({ condition: tracked.terminal.type, reason: tracked.terminal.reason }, 'job finished');
      if (tracked.terminal.type === JOB_COMPLETE) recorder.normal(job, 'Completed', 'Job completed', KIND);
      else recorder.warning(job, tracked.terminal.reason, tracked.terminal.message, KIND);
    }
    if (manageError !== undefined) throw manageError;
    const waits = [plan.requeueAfterMs, expectations.msUntilExpiry(key) || undefined].filter((ms): ms is number => ms !== undefined && ms > 0);
    return waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : undefined;
  }

  controller.watch(jobInformer).watch(podInformer, (pod) => jobKeysForPod(pod, jobInformer));
  return controller;
}
