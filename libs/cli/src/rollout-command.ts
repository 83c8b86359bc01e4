/**
 * `skiff rollout status|history|undo|pause|resume|restart deploy/web` and `rollout
 * status|history|undo ds/agent|sts/web` (kubectl's rollout commands): each kind that rolls out is a
 * RolloutKind (how to read its status, history and revisions, and write a rollback); the
 * decisions are in deployment-rollout.ts, daemonset-rollout.ts and statefulset-cli.ts; this file reads and writes
 * through the API and prints what kubectl prints. Writes are read-modify-write with a retry on
 * conflicts (kubectl patches; the controllers write the same objects).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, ConflictError, findKind, type ControllerRevision, type DaemonSet, type Deployment, type KindInfo, type PodTemplateSpec, type Pod, type ReplicaSet, type StatefulSet } from '@skiff/api';
import { typed } from '@skiff/client';
import { planStatefulSetRollback, statefulSetRevisions, statefulSetRolloutStatus } from './statefulset-cli';
import { controlledRevisions, daemonSetRolloutStatus, planDaemonSetRollback, revisionHistoryTable, revisionPodTemplate } from './daemonset-rollout';
import { CliError, type CliContext } from './cli-context';
import { parseBoolFlag, parseDuration } from './flag-values';
import { controlledReplicaSets, historyTable, paused, planRollback, restarted, resumed, revisionTemplate, rolloutStatus, type RollbackOutcome, type RolloutStatus } from './deployment-rollout';
import { describePodTemplate } from './describe';
import { errorLine, isUnavailable } from './error-message';
import { parseResourceArgs } from './resource-args';
import { objectRef, qualifiedResource } from './resource-name';
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
const DAEMONSET = findKind('daemonsets')!;
const STATEFULSET = findKind('statefulsets')!;

/** What each verb says about a kind it does not handle (kubectl's words). */
const UNSUPPORTED: Record<string, (kind: string, name: string) => string> = {
  status: (kind) => `no status viewer has been implemented for ${kind}`,
  history: (kind) => `no history viewer has been implemented for "${kind}"`,
  undo: (kind) => `no rollbacker has been implemented for "${kind}"`,
  pause: (kind, name) => `${kind.toLowerCase()}s "${name}" pausing is not supported`,
  resume: (kind, name) => `${kind.toLowerCase()}s "${name}" resuming is not supported`,
  restart: (kind, name) => `${kind.toLowerCase()}s "${name}" restarting is not supported`,
};

/** One object named on the command line. */
interface Target {
  kind: RolloutKind;
  name: string;
}

/** The objects the arguments ("deploy/web", "ds agent a b") name, for the verb; kubectl's error for a kind it does not handle. */
function targets(args: readonly string[], verb: string, kinds: ReadonlyMap<KindInfo, RolloutKind>): Target[] {
  try {
    const out: Target[] = [];
    for (const { info, names: given } of parseResourceArgs(args)) {
      if (given.length === 0) throw new Error('required resource not specified');
      const kind = kinds.get(info);
      if (!kind) throw new Error(UNSUPPORTED[verb](info.kind, given[0]));
      out.push(...given.map((name) => ({ kind, name })));
    }
    return out;
  } catch (err) {
    throw new CliError(errorLine(err));
  }
}

/** The Deployment names the arguments name (pause, resume: Deployments only). */
function deploymentNames(args: readonly string[], verb: string): string[] {
  return targets(args, verb, new Map([[DEPLOYMENT, DEPLOYMENT_ROLLOUT]])).map((t) => t.name);
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
 * Reads the object (`kind`: deployment, daemonSet, statefulSet), applies `change` and writes it;
 * on a conflict reads again (a few times). `change` returns undefined for "nothing to do" and
 * throws to refuse.
 */
async function updateObject<T extends Deployment | DaemonSet | StatefulSet>(ctx: CliContext, kind: KindInfo, name: string, change: (o: T) => T | undefined): Promise<T | undefined> {
  const objects = typed(ctx.client(), kind.case as 'deployment');
  for (let attempt = 1; ; attempt++) {
    const current = (await objects.get(ctx.namespace, name, { signal: ctx.io.signal })) as T;
    const next = change(current);
    if (!next) return undefined;
    try {
      return (await objects.update(next as Deployment, { signal: ctx.io.signal })) as T;
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= UPDATE_ATTEMPTS) throw err;
    }
  }
}

/** How `rollout` handles one kind. Reads throw API errors (the caller words them). */
interface RolloutKind {
  info: KindInfo;
  /** One look at the rollout (kubectl's StatusViewer); throws a plain Error with kubectl's words to stop. */
  status(ctx: CliContext, name: string, revision: number): Promise<RolloutStatus>;
  /** The history table (revision 0) or one revision's pod template; throws for an unknown revision. */
  history(ctx: CliContext, name: string): Promise<{ table: string; template(revision: number): PodTemplateSpec }>;
  /** The rollback of the object as read (kubectl's Rollbacker): a skip, or the object to write; throws with kubectl's words to refuse. */
  rollback(ctx: CliContext, name: string, toRevision: number): Promise<RollbackOutcome<unknown>>;
  /** Writes the object a rollback produced. */
  write(ctx: CliContext, object: unknown): Promise<unknown>;
}

const DEPLOYMENT_ROLLOUT: RolloutKind = {
  info: DEPLOYMENT,
  async status(ctx, name, revision) {
    const d = await typed(ctx.client(), 'deployment').get(ctx.namespace, name, { signal: ctx.io.signal });
    const first = rolloutStatus(d);
    return first.done ? rolloutStatus(d, [], revision) : rolloutStatus(d, await podsOf(ctx, d), revision);
  },
  async history(ctx, name) {
    const replicaSets = await replicaSetsOf(ctx, await typed(ctx.client(), 'deployment').get(ctx.namespace, name, { signal: ctx.io.signal }));
    return { table: historyTable(replicaSets), template: (revision) => revisionTemplate(replicaSets, revision) };
  },
  async rollback(ctx, name, toRevision) {
    const d = await typed(ctx.client(), 'deployment').get(ctx.namespace, name, { signal: ctx.io.signal });
    const decision = planRollback(d, await replicaSetsOf(ctx, d), toRevision);
    return decision.action === 'skip' ? decision : { action: 'rollback', object: decision.deployment };
  },
  write: (ctx, object) => typed(ctx.client(), 'deployment').update(object as Deployment, { signal: ctx.io.signal }),
};

async function revisionsOf(ctx: CliContext, ds: Readonly<DaemonSet>): Promise<Readonly<ControllerRevision>[]> {
  const { items } = await typed(ctx.client(), 'controllerRevision').list({ namespace: ctx.namespace, signal: ctx.io.signal });
  return controlledRevisions(ds, items);
}

const DAEMONSET_ROLLOUT: RolloutKind = {
  info: DAEMONSET,
  async status(ctx, name) {
    return daemonSetRolloutStatus(await typed(ctx.client(), 'daemonSet').get(ctx.namespace, name, { signal: ctx.io.signal }));
  },
  async history(ctx, name) {
    const revisions = await revisionsOf(ctx, await typed(ctx.client(), 'daemonSet').get(ctx.namespace, name, { signal: ctx.io.signal }));
    return { table: revisionHistoryTable(revisions), template: (revision) => revisionPodTemplate(revisions, revision) };
  },
  async rollback(ctx, name, toRevision) {
    const ds = await typed(ctx.client(), 'daemonSet').get(ctx.namespace, name, { signal: ctx.io.signal });
    return planDaemonSetRollback(ds, await revisionsOf(ctx, ds), toRevision);
  },
  write: (ctx, object) => typed(ctx.client(), 'daemonSet').update(object as DaemonSet, { signal: ctx.io.signal }),
};

async function statefulSetAndRevisions(ctx: CliContext, name: string): Promise<{ sts: StatefulSet; revisions: Readonly<ControllerRevision>[] }> {
  const sts = await typed(ctx.client(), 'statefulSet').get(ctx.namespace, name, { signal: ctx.io.signal });
  const { items } = await typed(ctx.client(), 'controllerRevision').list({ namespace: ctx.namespace, signal: ctx.io.signal });
  return { sts, revisions: statefulSetRevisions(sts, items) };
}

const STATEFULSET_ROLLOUT: RolloutKind = {
  info: STATEFULSET,
  async status(ctx, name) {
    return statefulSetRolloutStatus(await typed(ctx.client(), 'statefulSet').get(ctx.namespace, name, { signal: ctx.io.signal }));
  },
  async history(ctx, name) {
    const { revisions } = await statefulSetAndRevisions(ctx, name);
    return { table: revisionHistoryTable(revisions), template: (revision) => revisionPodTemplate(revisions, revision) };
  },
  async rollback(ctx, name, toRevision) {
    const { sts, revisions } = await statefulSetAndRevisions(ctx, name);
    return planStatefulSetRollback(sts, revisions, toRevision);
  },
  write: (ctx, object) => typed(ctx.client(), 'statefulSet').update(object as StatefulSet, { signal: ctx.io.signal }),
};

/** The kinds status, history and undo handle. */
const ROLLOUT_KINDS: ReadonlyMap<KindInfo, RolloutKind> = new Map([DEPLOYMENT_ROLLOUT, DAEMONSET_ROLLOUT, STATEFULSET_ROLLOUT].map((k) => [k.info, k]));

/** API errors as kubectl words them: unreachable server, or "<resource> "name" not found". */
function apiError(ctx: CliContext, err: unknown, info: KindInfo, name: string): CliError {
  if (isUnavailable(err)) return new CliError(errorLine(err, { server: ctx.server }));
  return new CliError(errorLine(err, { resource: qualifiedResource(info), name, server: ctx.server }));
}

/** Runs `rollout status`: prints each new status line until the rollout is done. */
export async function rolloutStatusCommand(ctx: CliContext, args: readonly string[], options: RolloutStatusOptions): Promise<number> {
  const all = targets(args, 'status', ROLLOUT_KINDS);
  if (all.length !== 1) throw new CliError('error: rollout status is only supported on individual resources and resource collections are not supported yet');
  const [{ kind, name }] = all;
  const watch = parseBoolFlag(options.watch, true);
  const revision = parseRevision(options.revision, 'revision');
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(options.timeout ?? '0s');
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  let last = '';
  for (;;) {
    let status: RolloutStatus;
    try {
      status = await kind.status(ctx, name, revision);
    } catch (err) {
      if (ctx.io.signal.aborted) return 1;
      if (!(err instanceof ApiError) && !isUnavailable(err)) throw new CliError(errorLine(err));
      throw apiError(ctx, err, kind.info, name);
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
  const all = targets(args, 'history', ROLLOUT_KINDS);
  const revision = parseRevision(options.revision, 'revision');
  for (const { kind, name } of all) {
    const history = await kind.history(ctx, name).catch((err: unknown) => {
      throw apiError(ctx, err, kind.info, name);
    });
    if (revision > 0) {
      let template;
      try {
        template = history.template(revision);
      } catch (err) {
        throw new CliError(errorLine(err));
      }
      ctx.io.out(`${objectRef(kind.info, name)} with revision #${revision}\n${describePodTemplate(template)}\n`);
    } else {
      ctx.io.out(`${objectRef(kind.info, name)} \n${history.table}\n`);
    }
  }
  return 0;
}

/** Runs `rollout undo [--to-revision N]`. */
export async function rolloutUndoCommand(ctx: CliContext, args: readonly string[], options: { toRevision?: string }): Promise<number> {
  const all = targets(args, 'undo', ROLLOUT_KINDS);
  const toRevision = parseRevision(options.toRevision, 'to-revision');
  let failed = false;
  for (const { kind, name } of all) {
    try {
      let message = 'rolled back';
      for (let attempt = 1; ; attempt++) {
        const outcome = await kind.rollback(ctx, name, toRevision);
        if (outcome.action === 'skip') {
          message = outcome.message;
          break;
        }
        try {
          await kind.write(ctx, outcome.object);
          break;
        } catch (err) {
          if (!(err instanceof ConflictError) || attempt >= UPDATE_ATTEMPTS) throw err;
        }
      }
      ctx.io.out(`${objectRef(kind.info, name)} ${message}\n`);
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${errorLine(err, { resource: qualifiedResource(kind.info), name })}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** pause and resume: one change per Deployment, kubectl's messages. */
async function simpleChange(ctx: CliContext, args: readonly string[], verb: 'pause' | 'resume', change: (d: Deployment) => Deployment, done: string): Promise<number> {
  const names = deploymentNames(args, verb);
  let failed = false;
  for (const name of names) {
    try {
      await updateObject<Deployment>(ctx, DEPLOYMENT, name, (d) => {
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

/**
 * Runs `rollout restart` on Deployments, DaemonSets and StatefulSets: a restartedAt annotation
 * on the pod template rolls every pod (kubectl's ObjectRestarter).
 */
export async function rolloutRestartCommand(ctx: CliContext, args: readonly string[]): Promise<number> {
  const all = targets(args, 'restart', ROLLOUT_KINDS);
  let failed = false;
  for (const { kind, name } of all) {
    try {
      await updateObject<Deployment | DaemonSet | StatefulSet>(ctx, kind.info, name, (o) => {
        try {
          return restarted<Deployment | DaemonSet | StatefulSet>(o, ctx.io.now());
        } catch (err) {
          throw new CliError(`error: ${qualifiedResource(kind.info)} "${name}" ${(err as Error).message}`);
        }
      });
      ctx.io.out(`${objectRef(kind.info, name)} restarted\n`);
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${err instanceof CliError ? err.message : errorLine(err, { resource: qualifiedResource(kind.info), name, server: ctx.server })}\n`);
    }
  }
  return failed ? 1 : 0;
}
