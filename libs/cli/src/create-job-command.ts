/**
 * `skiff create job NAME --from=cronjob/CRON` and `skiff create job NAME --image=IMAGE [-- COMMAND
 * [ARGS...]]`, as kubectl create job: prints `job.batch/NAME created`.
 *
 * --from: the CronJob's jobTemplate (labels, annotations, spec) with the annotation
 * `cronjob.kubernetes.io/instantiate: manual` and a controller reference to the CronJob
 * (@skiff/api's jobFromCronJob, shared with the CronJob controller). --image: one container named
 * NAME running COMMAND (all the words after --, as kubectl: they become `command`), restartPolicy
 * Never. The apiserver generates the selector and pod labels.
 */
import { AlreadyExistsError, Job, NotFoundError, findKind, jobFromCronJob, type CronJob } from '@skiff/api';
import { typed } from '@skiff/client';
import { CliError, type CliContext } from './cli-context';
import { errorLine } from './error-message';
import { objectRef, qualifiedResource } from './resource-name';

export interface CreateJobOptions {
  image?: string;
  from?: string;
}

const JOB = findKind('jobs')!;
const CRONJOB = findKind('cronjobs')!;

/** The Job `create job NAME --image=IMAGE -- COMMAND...` creates (kubectl's createJob). */
export function jobFromImage(name: string, namespace: string, image: string, command: readonly string[]): Job {
  return Job.fromPartial({
    metadata: { name, namespace },
    spec: { template: { spec: { containers: [{ name, image, command: [...command] }], restartPolicy: 'Never' } } },
  });
}

/** Checks the flags as kubectl's Validate; returns the CronJob name of --from, if any. */
export function validateCreateJob(name: string | undefined, command: readonly string[], options: CreateJobOptions): string | undefined {
  if (!name) throw new Error('exactly one NAME is required, got 0');
  if (!options.image === !options.from) throw new Error('either --image or --from must be specified');
  if (command.length > 0 && options.from) throw new Error('cannot specify --from and command');
  if (!options.from) return undefined;
  const slash = options.from.indexOf('/');
  if (slash <= 0 || slash === options.from.length - 1) throw new Error(`from must be of the form <resource>/<name>, got "${options.from}"`);
  const info = findKind(options.from.slice(0, slash));
  if (!info) throw new Error(`the server doesn't have a resource type "${options.from.slice(0, slash)}"`);
  if (info !== CRONJOB) throw new Error(`unknown object type ${info.kind}: --from takes cronjob/NAME`);
  return options.from.slice(slash + 1);
}

/** Runs create job; resolves with the exit code. */
export async function createJobCommand(ctx: CliContext, name: string | undefined, command: readonly string[], options: CreateJobOptions): Promise<number> {
  let cronJobName: string | undefined;
  try {
    cronJobName = validateCreateJob(name, command, options);
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  const jobName = name!;
  let job: Job;
  if (cronJobName !== undefined) {
    let cronJob: CronJob;
    try {
      cronJob = await typed(ctx.client(), 'cronJob').get(ctx.namespace, cronJobName, { signal: ctx.io.signal });
    } catch (err) {
      throw new CliError(errorLine(err, { resource: qualifiedResource(CRONJOB), name: cronJobName, server: ctx.server }));
    }
    job = jobFromCronJob(cronJob, undefined, jobName);
  } else {
    job = jobFromImage(jobName, ctx.namespace, options.image!, command);
  }
  try {
    const created = await typed(ctx.client(), 'job').create(job, { signal: ctx.io.signal });
    ctx.io.out(`${objectRef(JOB, created.metadata?.name ?? jobName)} created\n`);
  } catch (err) {
    if (err instanceof AlreadyExistsError) throw new CliError(`error: ${qualifiedResource(JOB)} "${jobName}" already exists`);
    if (err instanceof NotFoundError) throw new CliError(errorLine(err));
    throw new CliError(errorLine(err, { kind: JOB.kind, name: jobName, server: ctx.server }));
  }
  return 0;
}
