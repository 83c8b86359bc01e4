/**
 * `skiff delete TYPE NAME... | -f FILE`: deletes each object, printing `pod "web" deleted`, and by
 * default waits until it is gone (finalizers, graceful pod deletion, a foreground cascade). A
 * missing object is an error (exit 1) unless --ignore-not-found. --cascade chooses what happens
 * to the object's dependents (the garbage collector's propagation policy), as kubectl's.
 */
import { NotFoundError, unwrap, type KindInfo } from '@skiff/api';
import { loadManifests, targetNamespace } from './apply-command';
import { CliError, type CliContext } from './cli-context';
import { errorLine, isUnavailable } from './error-message';
import { parseResourceArgs } from './resource-args';
import { parseBoolFlag, parseDuration } from './flag-values';
import { qualifiedKind } from './resource-name';

export interface DeleteOptions {
  filename?: string[];
  gracePeriod?: string;
  now?: boolean;
  /** --wait / --wait=false */
  wait?: boolean | string;
  ignoreNotFound?: boolean;
  /** How long to wait for the objects to be gone: "60s", "2m"; default 60s. */
  timeout?: string;
  /** --cascade=background|foreground|orphan (bare --cascade: background; true/false: deprecated aliases). */
  cascade?: boolean | string;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/**
 * kubectl's --cascade: "background" (the default, also a bare --cascade), "foreground" or
 * "orphan"; the old booleans still work with a deprecation warning ("true": background, "false":
 * orphan). Throws on anything else, with kubectl's message.
 */
export function parseCascade(value: boolean | string | undefined): { policy: PropagationPolicy; warning?: string } {
  const text = value === undefined || value === true ? 'background' : value === false ? 'false' : value;
  switch (text) {
    case 'background':
      return { policy: 'Background' };
    case 'foreground':
      return { policy: 'Foreground' };
    case 'orphan':
      return { policy: 'Orphan' };
    case 'true':
      return { policy: 'Background', warning: 'warning: --cascade=true is deprecated (boolean value) and can be replaced with --cascade=background.' };
    case 'false':
      return { policy: 'Orphan', warning: 'warning: --cascade=false is deprecated (boolean value) and can be replaced with --cascade=orphan.' };
    default:
      throw new Error(`invalid cascade value (${text}). Must be "background", "foreground", or "orphan".`);
  }
}


interface Target {
  info: KindInfo;
  namespace: string;
  name: string;
}

async function waitGone(ctx: CliContext, targets: readonly Target[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const t of targets) {
    for (;;) {
      try {
        await ctx.client().get(t.info.resource, t.namespace, t.name, { signal: ctx.io.signal });
      } catch (err) {
        if (err instanceof NotFoundError) break;
        throw err;
      }
      if (ctx.io.signal.aborted) return;
      if (Date.now() > deadline) throw new CliError(`error: timed out waiting for ${qualifiedKind(t.info)} "${t.name}" to be deleted`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Runs delete; resolves with the exit code. */
export async function deleteCommand(ctx: CliContext, args: readonly string[], options: DeleteOptions): Promise<number> {
  let wait: boolean;
  let timeoutMs: number;
  let gracePeriodSeconds: number | undefined;
  let propagationPolicy: PropagationPolicy;
  const targets: Target[] = [];
  try {
    const cascade = parseCascade(options.cascade);
    propagationPolicy = cascade.policy;
    if (cascade.warning) ctx.io.err(`${cascade.warning}\n`);
    wait = parseBoolFlag(options.wait, true);
    timeoutMs = parseDuration(options.timeout ?? '60s');
    if (options.gracePeriod !== undefined) {
      gracePeriodSeconds = Number(options.gracePeriod);
      if (!Number.isInteger(gracePeriodSeconds)) throw new Error(`invalid --grace-period "${options.gracePeriod}"`);
      if (gracePeriodSeconds < 0) gracePeriodSeconds = undefined;
    }
    if (options.now) gracePeriodSeconds = 1;
    if (options.filename?.length) {
      if (args.length) throw new Error('there is no need to specify a resource type as a separate argument when passing arguments in resource/name form or -f');
    } else {
      const requests = parseResourceArgs(args);
      for (const { info, names } of requests) {
        if (names.length === 0) throw new Error('resource(s) were provided, but no name was specified');
        for (const name of names) targets.push({ info, namespace: info.namespaced ? ctx.namespace : '', name });
      }
    }
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  if (options.filename?.length) {
    for (const m of await loadManifests(ctx, options.filename)) {
      const { info, object } = unwrap(m.object);
      targets.push({ info, namespace: targetNamespace(ctx, info, object.metadata?.namespace, m.source), name: object.metadata?.name ?? '' });
    }
  }
  let failed = false;
  const deleted: Target[] = [];
  for (const t of targets) {
    try {
      await ctx.client().delete(t.info.resource, t.namespace, t.name, { gracePeriodSeconds, propagationPolicy, signal: ctx.io.signal });
      ctx.io.out(`${qualifiedKind(t.info)} "${t.name}" deleted\n`);
      deleted.push(t);
    } catch (err) {
      if (err instanceof NotFoundError && options.ignoreNotFound) continue;
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${errorLine(err, { resource: t.info.resource, name: t.name, server: ctx.server })}\n`);
    }
  }
  if (wait && deleted.length) await waitGone(ctx, deleted, timeoutMs);
  return failed ? 1 : 0;
}
