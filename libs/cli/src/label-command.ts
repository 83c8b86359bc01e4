/**
 * `skiff label TYPE NAME... | TYPE/NAME... KEY=VALUE... KEY-... [--overwrite] [-l SEL | --all]`
 * and `skiff annotate ...` (same form), as kubectl label / annotate, for any kind: parses the
 * changes (metadata-args.ts), applies them to each object (read, change, write; again on a
 * conflict) and prints `pod/web labeled` (`not labeled` when nothing changed) or `pod/web
 * annotated`. Changing an existing key's value needs --overwrite. A failure on one object is
 * reported on stderr and the others still change (exit 1).
 */
import { ConflictError, unwrap, wrap, type KindInfo, type KubeObject } from '@skiff/api';
import { CliError, noResourcesMessage, type CliContext } from './cli-context';
import { errorLine, isUnavailable } from './error-message';
import { applyMetadataChanges, parseAnnotationArgs, parseLabelArgs, type MetadataChanges, type MetadataField } from './metadata-args';
import { parseResourceArgs } from './resource-args';
import { objectRef, qualifiedResource } from './resource-name';

export interface LabelOptions {
  overwrite?: boolean;
  selector?: string;
  all?: boolean;
  resourceVersion?: string;
}

const CONFLICT_RETRIES = 5;

/** Splits "TYPE NAME... CHANGE..." / "TYPE/NAME... CHANGE...": a change has "=" or ends with "-". */
export function splitMetadataArgs(args: readonly string[]): { resources: string[]; changes: string[] } {
  const first = args.findIndex((a, i) => i > 0 && (a.includes('=') || a.endsWith('-')));
  return first < 0 ? { resources: [...args], changes: [] } : { resources: args.slice(0, first), changes: args.slice(first) };
}

interface Target {
  info: KindInfo;
  name: string;
}

async function changeOne(ctx: CliContext, target: Target, field: MetadataField, changes: MetadataChanges, options: LabelOptions): Promise<string> {
  const client = ctx.client();
  const namespace = target.info.namespaced ? ctx.namespace : '';
  for (let attempt = 0; ; attempt++) {
    const object = unwrap(await client.get(target.info.resource, namespace, target.name, { signal: ctx.io.signal })).object as KubeObject;
    const { map, changed, missing } = applyMetadataChanges(object.metadata?.[field], changes, Boolean(options.overwrite));
    if (field === 'labels') for (const key of missing) ctx.io.out(`label "${key}" not found.\n`);
    const ref = objectRef(target.info, target.name);
    if (!changed) return field === 'labels' ? `${ref} not labeled` : `${ref} annotated`;
    const next = structuredClone(object);
    next.metadata = { ...next.metadata!, [field]: map };
    if (options.resourceVersion) next.metadata.resourceVersion = options.resourceVersion;
    try {
      await client.update(wrap(target.info, next as never), { signal: ctx.io.signal });
      return `${ref} ${field === 'labels' ? 'labeled' : 'annotated'}`;
    } catch (err) {
      if (!(err instanceof ConflictError) || options.resourceVersion || attempt >= CONFLICT_RETRIES) throw err;
    }
  }
}

/** Runs label (field "labels") or annotate ("annotations"); resolves with the exit code. */
export async function labelCommand(ctx: CliContext, field: MetadataField, args: readonly string[], options: LabelOptions): Promise<number> {
  let targets: Target[] = [];
  let changes: MetadataChanges;
  let requests;
  try {
    const split = splitMetadataArgs(args);
    changes = field === 'labels' ? parseLabelArgs(split.changes) : parseAnnotationArgs(split.changes);
    requests = parseResourceArgs(split.resources);
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  for (const { info, names } of requests) {
    if (names.length > 0) {
      if (options.selector || options.all) throw new CliError('error: cannot set --all and --selector at the same time as naming objects');
      targets.push(...names.map((name) => ({ info, name })));
      continue;
    }
    if (!options.selector && !options.all) throw new CliError('error: resource(s) were provided, but no name was specified');
    const list = await ctx.client().list(info.resource, { namespace: info.namespaced ? ctx.namespace : '', labelSelector: options.selector, signal: ctx.io.signal });
    const found = list.items.map((item) => ({ info, name: unwrap(item).object.metadata?.name ?? '' }));
    if (found.length === 0) ctx.io.err(noResourcesMessage(ctx, info.namespaced));
    targets = [...targets, ...found];
  }
  if (options.resourceVersion && targets.length > 1) throw new CliError('error: --resource-version may only be used with a single resource');
  let failed = false;
  for (const target of targets) {
    try {
      ctx.io.out(`${await changeOne(ctx, target, field, changes, options)}\n`);
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${errorLine(err, { resource: qualifiedResource(target.info), name: target.name })}\n`);
    }
  }
  return failed ? 1 : 0;
}
