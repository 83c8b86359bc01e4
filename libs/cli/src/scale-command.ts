/**
 * `skiff scale TYPE NAME... | TYPE/NAME... | TYPE -l SELECTOR | TYPE --all --replicas N`, as
 * kubectl scale: sets spec.replicas of Deployments, ReplicaSets and StatefulSets and prints
 * `deployment.apps/web scaled` for each. Preconditions, checked against the object as read
 * (and again after a write conflict, which re-reads it):
 *   --current-replicas N   fails with `Expected replicas to be N, was M`
 *   --resource-version V   fails with `Expected resource version to be V, was W` (one object only)
 * A failure on one object is reported on stderr and the others still scale (exit 1).
 */
import { ConflictError, unwrap, wrap, type Deployment, type KindInfo, type ReplicaSet, type StatefulSet } from '@skiff/api';
import { CliError, type CliContext } from './cli-context';
import { errorLine, isUnavailable } from './error-message';
import { parseResourceArgs, type ResourceRequest } from './resource-args';
import { objectRef, qualifiedResource } from './resource-name';

export interface ScaleOptions {
  replicas?: string;
  currentReplicas?: string;
  resourceVersion?: string;
  selector?: string;
  all?: boolean;
}

/** The kinds with spec.replicas that scale sets. */
export const SCALABLE_KINDS: readonly string[] = ['Deployment', 'ReplicaSet'];
/** What `skiff scale` scales: those and StatefulSets (which the autoscaler does not target yet). */
const SCALE_COMMAND_KINDS: readonly string[] = [...SCALABLE_KINDS, 'StatefulSet'];

/** Write conflicts (someone else changed the object) retried before giving up. */
const CONFLICT_RETRIES = 5;

type Scalable = ReplicaSet | Deployment | StatefulSet;

/** What the flags ask for, validated. */
export interface ScaleRequest {
  replicas: number;
  /** Precondition on spec.replicas; undefined: none. */
  currentReplicas?: number;
  /** Precondition on metadata.resourceVersion; undefined: none. */
  resourceVersion?: string;
}

/** Parses a count flag ("3"): an integer >= `min`; throws an Error naming the flag otherwise. */
export function parseCount(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`invalid argument "${value}" for "--${flag}": must be an integer >= ${min}`);
  return n;
}

/** Validates the flags; throws an Error with kubectl's wording. --current-replicas -1 means none. */
export function parseScaleOptions(options: ScaleOptions): ScaleRequest {
  if (options.replicas === undefined) throw new Error('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
  const replicas = parseCount('replicas', options.replicas, 0);
  const current = options.currentReplicas === undefined ? -1 : parseCount('current-replicas', options.currentReplicas, -1);
  return { replicas, currentReplicas: current >= 0 ? current : undefined, resourceVersion: options.resourceVersion || undefined };
}

/** The precondition failure for `object`, or undefined when the preconditions hold. */
export function scalePreconditionFailure(object: Readonly<Scalable>, request: ScaleRequest): string | undefined {
  const replicas = object.spec?.replicas ?? 1;
  if (request.currentReplicas !== undefined && request.currentReplicas !== replicas) return `Expected replicas to be ${request.currentReplicas}, was ${replicas}`;
  const rv = object.metadata?.resourceVersion ?? '';
  if (request.resourceVersion !== undefined && request.resourceVersion !== rv) return `Expected resource version to be ${request.resourceVersion}, was ${rv}`;
  return undefined;
}

interface Target {
  info: KindInfo;
  name: string;
}

/** The objects the arguments name (listing the kind for -l / --all). */
async function resolveTargets(ctx: CliContext, requests: readonly ResourceRequest[], options: ScaleOptions): Promise<Target[]> {
  const targets: Target[] = [];
  for (const { info, names } of requests) {
    if (!SCALE_COMMAND_KINDS.includes(info.kind)) throw new CliError(`error: cannot scale ${info.resource}: only deployments, replicasets and statefulsets have replicas`);
    if (names.length > 0) {
      if (options.selector || options.all) throw new CliError('error: name cannot be provided when a selector or --all is specified');
      targets.push(...names.map((name) => ({ info, name })));
      continue;
    }
    if (!options.selector && !options.all) throw new CliError('error: resource(s) were provided, but no name was specified');
    const list = await ctx.client().list(info.resource, { namespace: ctx.namespace, labelSelector: options.selector, signal: ctx.io.signal });
    targets.push(...list.items.map((item) => ({ info, name: unwrap(item).object.metadata?.name ?? '' })));
  }
  return targets;
}

/** Scales one object: read, check the preconditions, write; again on a conflict. */
async function scaleOne(ctx: CliContext, target: Target, request: ScaleRequest): Promise<void> {
  const client = ctx.client();
  for (let attempt = 0; ; attempt++) {
    const object = unwrap(await client.get(target.info.resource, ctx.namespace, target.name, { signal: ctx.io.signal })).object as Scalable;
    const failure = scalePreconditionFailure(object, request);
    if (failure) throw new Error(failure);
    const next = structuredClone(object);
    if (!next.spec) throw new Error(`${target.info.kind} "${target.name}" has no spec`);
    next.spec.replicas = request.replicas;
    try {
      await client.update(wrap(target.info, next), { signal: ctx.io.signal });
      return;
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= CONFLICT_RETRIES) throw err;
    }
  }
}

/** Runs scale; resolves with the exit code. */
export async function scaleCommand(ctx: CliContext, args: readonly string[], options: ScaleOptions): Promise<number> {
  let request: ScaleRequest;
  let requests: ResourceRequest[];
  try {
    request = parseScaleOptions(options);
    requests = parseResourceArgs(args);
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  const targets = await resolveTargets(ctx, requests, options);
  if (targets.length === 0) throw new CliError('error: no objects passed to scale');
  if (request.resourceVersion !== undefined && targets.length > 1) throw new CliError('error: cannot use --resource-version with multiple resources');
  let failed = false;
  for (const target of targets) {
    try {
      await scaleOne(ctx, target, request);
      ctx.io.out(`${objectRef(target.info, target.name)} scaled\n`);
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${errorLine(err, { resource: qualifiedResource(target.info), name: target.name })}\n`);
    }
  }
  return failed ? 1 : 0;
}
