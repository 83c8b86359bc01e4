/**
 * `skiff rollout status|history|undo|pause|resume|restart deploy/web` (kubectl's rollout
 * commands, for Deployments): the decisions are in deployment-rollout.ts; this file reads and
 * writes through the API and prints what kubectl prints. Writes are read-modify-write with a
 * retry on conflicts (kubectl patches; the controller writes the same objects).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, findKind, type Deployment, type Pod, type ReplicaSet } from '@skiff/api';
import { typed } from '@skiff/client';
import { CliError, type CliContext } from './cli-context';
import { parseBoolFlag, parseDuration } from './flag-values';
import { controlledReplicaSets, historyTable, paused, planRollback, restarted, resumed, revisionTemplate, rolloutStatus } from './deployment-rollout';
import { describePodTemplate } from './describe';
import { errorLine, isUnavailable } from './error-message';
import { parseResourceArgs } from './resource-args';
import { objectRef } from './resource-name';
import { formatLabelSelector } from './table-columns';

export interface RolloutStatusOptions {
  /** "0" (default): wait forever; else e.g. "5m". */
  timeout?: string;
  /** --watch / -w (default true); --watch=false prints the status once. */
  watch?: boolean | string;
  /** Only succeed for this revision. */
  revision?: string;
}

/** How often `rollout status` looks again. */
const STATUS_POLL_MS = 250;
const UPDATE_ATTEMPTS = 5;
const DEPLOYMENT = findKind('deployments')!;

/** What each verb says about a kind it does not handle (kubectl's words). */
const UNSUPPORTED: Record<string, (kind: string, name: string) => string> = {
  status: (kind) => `no status viewer has been implemented for ${kind}`,
  history: (kind) => `no history viewer has been implemented for "${kind}"`,
  undo: (kind) => `no rollbacker has been implemented for "${kind}"`,
  pause: (kind, name) => `${kind.toLowerCase()}s "${name}" pausing is not supported`,
  resume: (kind, name) => `${kind.toLowerCase()}s "${name}" resuming is not supported`,
  restart: (kind, name) => `${kind.toLowerCase()}s "${name}" restarting is not supported`,
};

/** The Deployment names the arguments ("deploy/web", "deployment web a b") name. */
function deploymentNames(args: readonly string[], verb: string): string[] {
  try {
    const names: string[] = [];
    for (const { info, names: given } of parseResourceArgs(args)) {
      if (given.length === 0) throw new Error('required resource not specified');
      if (info !== DEPLOYMENT) throw new Error(UNSUPPORTED[verb](info.kind, given[0]));
      names.push(...given);
    }
    return names;
  } catch (err) {
    throw new CliError(errorLine(err));
  }
}

function parseRevision(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  if (!/^-?\d+$/.test(value)) throw new CliError(`error: invalid argument "${value}" for "${flag}" flag: must be an integer`);
  return Number(value);
}

async function replicaSetsOf(ctx: CliContext, d: Readonly<Deployment>): Promise<Readonly<ReplicaSet>[]> {
  const { items } = await typed(ctx.client(), 'replicaSet').list({ namespace: ctx.namespace, signal: ctx.io.signal });
  return controlledReplicaSets(d, items);
}

async function podsOf(ctx: CliContext, d: Readonly<Deployment>): Promise<Pod[]> {
  const selector = formatLabelSelector(d.spec?.selector);
  if (selector === '<none>') return [];
  return (await typed(ctx.client(), 'pod').list({ namespace: ctx.namespace, labelSelector: selector, signal: ctx.io.signal })).items;
}

/**
 * Reads the Deployment, applies `change` and writes it; on a conflict reads again (a few times).
 * `change` returns undefined for "nothing to do" and throws to refuse.
 */
async function updateDeployment(ctx: CliContext, name: string, change: (d: Deployment) => Deployment | undefined): Promise<Deployment | undefined> {
  const deployments = typed(ctx.client(), 'deployment');
  for (let attempt = 1; ; attempt++) {
    const current = await deployments.get(ctx.namespace, name, { signal: ctx.io.signal });
    const next = change(current);
    if (!next) return undefined;
    try {
      return await deployments.update(next, { signal: ctx.io.signal });
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= UPDATE_ATTEMPTS) throw err;
    }
  }
}

/** Runs `rollout status`: prints each new status line until the rollout is done. */
export async function rolloutStatusCommand(ctx: CliContext, args: readonly string[], options: RolloutStatusOptions): Promise<number> {
  const names = deploymentNames(args, 'status');
  if (names.length !== 1) throw new CliError('error: rollout status is only supported on individual resources and resource collections are not supported yet');
  const [name] = names;
  const watch = parseBoolFlag(options.watch, true);
  const revision = parseRevision(options.revision, 'revision');
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(options.timeout ?? '0s');
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  const deployments = typed(ctx.client(), 'deployment');
  let last = '';
  for (;;) {
    let d: Deployment;
    try {
      d = await deployments.get(ctx.namespace, name, { signal: ctx.io.signal });
    } catch (err) {
      if (ctx.io.signal.aborted) return 1;
      throw new CliError(errorLine(err, { resource: 'deployments.apps', name, server: ctx.server }));
    }
    let status;
    try {
      status = rolloutStatus(d);
      if (!status.done) status = rolloutStatus(d, await podsOf(ctx, d), revision);
      else status = rolloutStatus(d, [], revision);
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      throw new CliError(errorLine(err));
    }
    if (status.message !== last) ctx.io.out(`${status.message}\n`);
    last = status.message;
    if (status.done || !watch) return 0;
    if (Date.now() >= deadline) throw new CliError('error: timed out waiting for the condition');
    try {
      await sleep(Math.min(STATUS_POLL_MS, Math.max(0, deadline - Date.now())), undefined, { signal: ctx.io.signal });
    } catch {
      return 1; // Ctrl-C
    }
  }
}

/** Runs `rollout history`: the revision table, or one revision's pod template. */
export async function rolloutHistoryCommand(ctx: CliContext, args: readonly string[], options: { revision?: string }): Promise<number> {
  const names = deploymentNames(args, 'history');
  const revision = parseRevision(options.revision, 'revision');
  for (const name of names) {
    const d = await typed(ctx.client(), 'deployment')
      .get(ctx.namespace, name, { signal: ctx.io.signal })
      .catch((err: unknown) => {
        throw new CliError(errorLine(err, { resource: 'deployments.apps', name, server: ctx.server }));
      });
    const replicaSets = await replicaSetsOf(ctx, d);
    if (revision > 0) {
      let template;
      try {
        template = revisionTemplate(replicaSets, revision);
      } catch (err) {
        throw new CliError(errorLine(err));
      }
      ctx.io.out(`${objectRef(DEPLOYMENT, name)} with revision #${revision}\n${describePodTemplate(template)}\n`);
    } else {
      ctx.io.out(`${objectRef(DEPLOYMENT, name)} \n${historyTable(replicaSets)}\n`);
    }
  }
  return 0;
}

/** Runs `rollout undo [--to-revision N]`. */
export async function rolloutUndoCommand(ctx: CliContext, args: readonly string[], options: { toRevision?: string }): Promise<number> {
  const names = deploymentNames(args, 'undo');
  const toRevision = parseRevision(options.toRevision, 'to-revision');
  let failed = false;
  for (const name of names) {
    let skipped: string | undefined;
    try {
      const replicaSets = await replicaSetsOf(ctx, await typed(ctx.client(), 'deployment').get(ctx.namespace, name, { signal: ctx.io.signal }));
      await updateDeployment(ctx, name, (d) => {
        const decision = planRollback(d, replicaSets, toRevision);
        if (decision.action === 'skip') {
          skipped = decision.message;
          return undefined;
        }
        return decision.deployment;
      });
      ctx.io.out(`${objectRef(DEPLOYMENT, name)} ${skipped ?? 'rolled back'}\n`);
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${errorLine(err, { resource: 'deployments.apps', name })}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** pause, resume and restart: one change per Deployment, kubectl's messages. */
async function simpleChange(ctx: CliContext, args: readonly string[], verb: 'pause' | 'resume' | 'restart', change: (d: Deployment) => Deployment, done: string): Promise<number> {
  const names = deploymentNames(args, verb);
  let failed = false;
  for (const name of names) {
    try {
      await updateDeployment(ctx, name, (d) => {
        try {
          return change(d);
        } catch (err) {
          throw new CliError(`error: deployments.apps "${name}" ${(err as Error).message}`);
        }
      });
      ctx.io.out(`${objectRef(DEPLOYMENT, name)} ${done}\n`);
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${err instanceof CliError ? err.message : errorLine(err, { resource: 'deployments.apps', name })}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** Runs `rollout pause`. */
export function rolloutPauseCommand(ctx: CliContext, args: readonly string[]): Promise<number> {
  return simpleChange(ctx, args, 'pause', paused, 'paused');
}

/** Runs `rollout resume`. */
export function rolloutResumeCommand(ctx: CliContext, args: readonly string[]): Promise<number> {
  return simpleChange(ctx, args, 'resume', resumed, 'resumed');
}

/** Runs `rollout restart` (a restartedAt annotation on the pod template starts a rollout). */
export function rolloutRestartCommand(ctx: CliContext, args: readonly string[]): Promise<number> {
  return simpleChange(ctx, args, 'restart', (d) => restarted(d, ctx.io.now()), 'restarted');
}
