/**
 * The CronJob controller (Kubernetes' pkg/controller/cronjob, controller v2), the thin I/O half:
 * it runs each CronJob's jobTemplate as a Job at its schedule times. The decisions are pure
 * (cronjob-plan, schedule-times); this file reads the caches, writes through the API and records
 * Events on the CronJob.
 *
 * One reconcile of "ns/name":
 *   1. CronJob gone from the cache -> done.
 *   2. the Jobs it controls (controller reference with its uid: no adoption by labels, as
 *      Kubernetes). An unfinished one missing from status.active may be our own creation whose
 *      status write the cache does not show yet: read the CronJob again from the apiserver.
 *      Active Jobs the cache lacks are asked for (the cache may lag), before planCronJob calls
 *      them missing.
 *   3. planCronJob; record its Events.
 *   4. deletions (propagation Background): history first (a failure is reported, the sync goes
 *      on), then the active Jobs Replace stops (a failure keeps the Job active, skips the
 *      creation and fails the sync).
 *   5. the creation; AlreadyExists (a retry after a crash or a stale cache: the name is
 *      deterministic) is adopted into status.active if the Job is ours, and never runs twice.
 *   6. the status, when it changed (on a conflict once more over the fresh object: the status
 *      belongs to this controller alone).
 *   7. a failed write throws (retried with backoff); otherwise requeue at the next schedule time.
 *
 * Time is ctx.now(), so that tests run the controller on a fake clock.
 */
import { AlreadyExistsError, ConflictError, keyOf, NotFoundError, type CronJob, type CronJobStatus, type Job } from '@skiff/api';
import { typed } from '@skiff/client';
import { Controller, type ReconcileResult } from '@skiff/reconcile';
import type { Logger } from 'pino';
import type { ControllerContext } from '../controller-context';
import { errorMessage, isNamespaceTerminating } from '../controller-errors';
import { controllerRefOf, isControlledBy } from '../owner-refs';
import { finishedCondition } from '../job/job-conditions';
import { jobReference, planCronJob, sameCronJobStatus, type CronJobPlan } from './cronjob-plan';

const KIND = 'CronJob';
/** The component name on Events. */
export const CRONJOB_COMPONENT = 'cronjob-controller';



/** The key of the CronJob controlling `job`, if its controller is a CronJob. */
export function cronJobKeyForJob(job: Readonly<Job>): string | undefined {
  const ref = controllerRefOf(job);
  return ref?.kind === KIND ? keyOf({ namespace: job.metadata?.namespace, name: ref.name }) : undefined;
}

/** Builds the CronJob controller from the shared context (registered as "cronjob"). */
export function cronJobController(ctx: ControllerContext): Controller {
  const cronJobInformer = ctx.informers.get('cronJob');
  const jobInformer = ctx.informers.get('job');
  const cronJobs = typed(ctx.client, 'cronJob');
  const jobs = typed(ctx.client, 'job');
  const recorder = ctx.recorder(CRONJOB_COMPONENT);
  const baseLog = ctx.log.child({ controller: 'cronjob' });

  /** The CronJob as the apiserver holds it, if it is still the same object. */
  async function readAgain(cronJob: Readonly<CronJob>, signal: AbortSignal): Promise<Readonly<CronJob> | undefined> {
    try {
      const fresh = await cronJobs.get(cronJob.metadata?.namespace ?? '', cronJob.metadata?.name ?? '', { signal });
      return fresh.metadata?.uid === cronJob.metadata?.uid ? fresh : undefined;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** uids of the active Jobs the cache lacks that the apiserver still has. */
  async function activeJobsStillExisting(cronJob: Readonly<CronJob>, owned: readonly Readonly<Job>[], signal: AbortSignal): Promise<Set<string>> {
    const cached = new Set(owned.map((j) => j.metadata?.uid));
    const existing = new Set<string>();
    for (const ref of cronJob.status?.active ?? []) {
      if (cached.has(ref.uid)) continue;
      try {
        const job = await jobs.get(ref.namespace || (cronJob.metadata?.namespace ?? ''), ref.name, { signal });
        if (job.metadata?.uid === ref.uid) existing.add(ref.uid);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    return existing;
  }

  /** Deletes as planned; resolves with the error that must stop the sync, if any. */
  async function deleteJobs(cronJob: Readonly<CronJob>, plan: CronJobPlan, log: Logger, signal: AbortSignal): Promise<unknown> {
    for (const [i, deletion] of plan.deletions.entries()) {
      try {
        await jobs.delete(deletion.namespace, deletion.name, { signal, propagationPolicy: 'Background', preconditions: { uid: deletion.uid } });
        log.info({ job: deletion.name, reason: deletion.reason }, 'deleted job');
        recorder.normal(cronJob, 'SuccessfulDelete', `Deleted job ${deletion.name}`, KIND);
      } catch (err) {
        if (err instanceof NotFoundError) continue; // gone already: what we wanted
        recorder.warning(cronJob, 'FailedDelete', `Deleted job: ${errorMessage(err)}`, KIND);
        if (deletion.reason !== 'replace') continue;
        // This Job and those not tried yet still run: they stay active, and no new one starts beside them.
        const remaining = new Set(plan.deletions.slice(i).filter((d) => d.reason === 'replace').map((d) => d.uid));
        for (const ref of cronJob.status?.active ?? []) if (remaining.has(ref.uid)) plan.status.active.push(structuredClone(ref));
        return err;
      }
    }
    return undefined;
  }

  /** Creates the planned Job and records it in plan.status; resolves with the error that must fail the sync, if any. */
  async function createJob(cronJob: Readonly<CronJob>, create: NonNullable<CronJobPlan['create']>, status: CronJobStatus, log: Logger, signal: AbortSignal): Promise<unknown> {
    const { job, scheduledTime } = create;
    const name = job.metadata?.name ?? '';
    let stored: Readonly<Job>;
    try {
      stored = await jobs.create(job, { signal });
      log.info({ job: name, scheduledTime }, 'created job');
      recorder.normal(cronJob, 'SuccessfulCreate', `Created job ${name}`, KIND);
    } catch (err) {
      if (isNamespaceTerminating(err)) return undefined; // every creation fails until the namespace is gone
      if (!(err instanceof AlreadyExistsError)) {
        recorder.warning(cronJob, 'FailedCreate', `Error creating job: ${errorMessage(err)}`, KIND);
        return err;
      }
      stored = await jobs.get(job.metadata?.namespace ?? '', name, { signal });
      log.info({ job: name }, 'job already exists');
      // Someone else's Job of that name: they keep the status; ours: it is the run of this time.
      if (!isControlledBy(stored, cronJob.metadata?.uid ?? '')) return undefined;
      if (status.active.some((r) => r.uid === stored.metadata?.uid)) return undefined;
    }
    status.active.push(jobReference(stored));
    status.lastScheduleTime = scheduledTime;
    return undefined;
  }

  /** UpdateStatus; on a conflict once more over the fresh CronJob (this controller alone writes the status). */
  async function writeStatus(cronJob: Readonly<CronJob>, status: CronJobStatus, signal: AbortSignal): Promise<void> {
    let target: Readonly<CronJob> | undefined = cronJob;
    for (let attempt = 0; ; attempt++) {
      const next = structuredClone(target) as CronJob;
      next.status = status;
      try {
        await cronJobs.updateStatus(next, { signal });
        return;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 1) throw err;
        target = await readAgain(cronJob, signal);
        if (!target) return;
      }
    }
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    let cronJob = cronJobInformer.get(key);
    if (!cronJob) return;
    const log = baseLog.child({ cronJob: key });
    const uid = cronJob.metadata?.uid ?? '';
    const owned = jobInformer.byNamespace(cronJob.metadata?.namespace ?? '').filter((job) => cronJobKeyForJob(job) === key && isControlledBy(job, uid));

    const active = new Set((cronJob.status?.active ?? []).map((r) => r.uid));
    if (owned.some((job) => !finishedCondition(job) && !active.has(job.metadata?.uid ?? ''))) {
      cronJob = await readAgain(cronJob, signal);
      if (!cronJob) return;
    }
    const stillExisting = await activeJobsStillExisting(cronJob, owned, signal);

    const plan = planCronJob(cronJob, owned, ctx.now(), { stillExisting });
    for (const e of plan.events) recorder[e.type === 'Normal' ? 'normal' : 'warning'](cronJob, e.reason, e.message, KIND);

    let failure = await deleteJobs(cronJob, plan, log, signal);
    if (plan.create && failure === undefined) failure = await createJob(cronJob, plan.create, plan.status, log, signal);
    // The plan's status, as the writes above left it.
    if (!sameCronJobStatus(cronJob.status, plan.status)) await writeStatus(cronJob, plan.status, signal);
    if (failure !== undefined) throw failure;
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(0, plan.requeueAfterMs) } : undefined;
  }

  const controller = new Controller({ name: 'cronjob', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  controller.watch(cronJobInformer).watch(jobInformer, cronJobKeyForJob);
  return controller;
}
