/**
 * `skiff wait --for=condition=Name[=value] | --for=delete | --for=jsonpath={.path}[=value]
 * TYPE/NAME... | TYPE NAME... | TYPE -l SELECTOR | TYPE --all [--timeout=30s]`, as kubectl wait:
 * prints `job.batch/pi condition met` for each object once it holds, or
 * `error: timed out waiting for the condition on jobs/pi` (exit 1) when --timeout passes first.
 *
 * Each object is read once, then followed with a Watch from that revision (no polling); a watch
 * that ends (or a compacted revision) reads again. --timeout is one deadline for all objects;
 * 0 checks once. A condition wait on an object that does not exist is an error; a delete wait
 * on one succeeds at once, printing nothing.
 */
import { CompactedError, manifestFromObject, unwrap, type ApiObject, type KindInfo } from '@skiff/api';
import { CliError, type CliContext } from './cli-context';
import { errorLine } from './error-message';
import { parseDuration } from './flag-values';
import { parseResourceArgs } from './resource-args';
import { objectRef, qualifiedResource } from './resource-name';
import { isWaitMet, parseWaitFor, type WaitFor } from './wait-condition';

export interface WaitOptions {
  for?: string;
  timeout?: string;
  selector?: string;
  all?: boolean;
}

/** kubectl: a negative --timeout waits a week. */
const WEEK_MS = 7 * 24 * 3_600_000;

interface Target {
  info: KindInfo;
  namespace: string;
  name: string;
}

type Outcome = 'met' | 'absent' | 'timeout' | 'interrupted';

function parseTimeout(text: string): number {
  if (text.startsWith('-')) return WEEK_MS;
  return parseDuration(text);
}

/** The objects the arguments name, or those -l / --all select (listed once, at the start). */
async function targetsOf(ctx: CliContext, args: readonly string[], options: WaitOptions): Promise<Target[]> {
  let requests;
  try {
    requests = parseResourceArgs(args);
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  const targets: Target[] = [];
  for (const { info, names } of requests) {
    if (names.length > 0) {
      if (options.selector || options.all) throw new CliError('error: name cannot be provided when a selector is specified');
      targets.push(...names.map((name) => ({ info, namespace: info.namespaced ? ctx.namespace : '', name })));
      continue;
    }
    if (!options.selector && !options.all) throw new CliError('error: resource(s) were provided, but no name was specified');
    const list = await ctx.client().list(info.resource, {
      namespace: info.namespaced && !ctx.allNamespaces ? ctx.namespace : '',
      labelSelector: options.selector,
      signal: ctx.io.signal,
    });
    for (const item of list.items) {
      const meta = unwrap(item).object.metadata;
      targets.push({ info, namespace: meta?.namespace ?? '', name: meta?.name ?? '' });
    }
  }
  return targets;
}

function holds(object: ApiObject, waitFor: WaitFor): boolean {
  return waitFor.type !== 'delete' && isWaitMet(manifestFromObject(object), waitFor);
}

/**
 * Waits for one object until `deadline` (ms since the epoch). 'absent': it did not exist at the
 * first read (a delete wait is then done; a condition wait fails).
 */
async function waitForObject(ctx: CliContext, target: Target, waitFor: WaitFor, deadline: number): Promise<Outcome> {
  const { info, namespace, name } = target;
  const client = ctx.client();
  if (deadline === CHECK_ONCE) return checkOnce(ctx, target, waitFor);
  const timeout = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
  const signal = AbortSignal.any([ctx.io.signal, timeout]);
  const stopped = (): Outcome | undefined => (ctx.io.signal.aborted ? 'interrupted' : timeout.aborted || Date.now() >= deadline ? 'timeout' : undefined);
  const fieldSelector = `metadata.name=${name}`;
  for (let first = true; ; first = false) {
    let items: ApiObject[];
    let resourceVersion: string;
    try {
      ({ items, resourceVersion } = await client.list(info.resource, { namespace, fieldSelector, signal }));
    } catch (err) {
      const why = stopped();
      if (why) return why;
      throw err;
    }
    if (items.length === 0 && first) return 'absent';
    if (items.length === 0 && waitFor.type === 'delete') return 'met';
    if (items.length > 0 && holds(items[0], waitFor)) return 'met';
    const before = stopped();
    if (before) return before;
    try {
      for await (const event of client.watch(info.resource, { namespace, fieldSelector, resourceVersion }, signal)) {
        if (event.type === 'DELETED') {
          if (waitFor.type === 'delete') return 'met';
          continue; // a condition wait goes on: the object may come back (kubectl waits too)
        }
        if (event.object && holds(event.object, waitFor)) return 'met';
      }
    } catch (err) {
      const why = stopped();
      if (why) return why;
      if (!(err instanceof CompactedError)) throw err;
    }
    const after = stopped();
    if (after) return after;
  }
}

/** The deadline of --timeout=0: one look at each object, no watch (kubectl's wait with 0). */
const CHECK_ONCE = -1;

/** --timeout=0: reads the object once, without a deadline, and answers from that read. */
async function checkOnce(ctx: CliContext, target: Target, waitFor: WaitFor): Promise<Outcome> {
  const { info, namespace, name } = target;
  let items: ApiObject[];
  try {
    ({ items } = await ctx.client().list(info.resource, { namespace, fieldSelector: `metadata.name=${name}`, signal: ctx.io.signal }));
  } catch (err) {
    if (ctx.io.signal.aborted) return 'interrupted';
    throw err;
  }
  if (items.length === 0) return 'absent';
  return holds(items[0], waitFor) ? 'met' : 'timeout';
}

/** Runs wait; resolves with the exit code (1 when an object timed out or does not exist). */
export async function waitCommand(ctx: CliContext, args: readonly string[], options: WaitOptions): Promise<number> {
  let waitFor: WaitFor;
  let timeoutMs: number;
  try {
    waitFor = parseWaitFor(options.for);
    timeoutMs = parseTimeout(options.timeout ?? '30s');
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  const deadline = timeoutMs === 0 ? CHECK_ONCE : Date.now() + timeoutMs;
  const targets = await targetsOf(ctx, args, options);
  if (targets.length === 0 && waitFor.type !== 'delete') throw new CliError('error: no matching resources found');
  let failed = false;
  for (const target of targets) {
    const outcome = await waitForObject(ctx, target, waitFor, deadline);
    if (outcome === 'interrupted') return 1;
    if (outcome === 'met') {
      ctx.io.out(`${objectRef(target.info, target.name)} condition met\n`);
    } else if (outcome === 'absent') {
      if (waitFor.type === 'delete') continue;
      failed = true;
      ctx.io.err(`error: ${qualifiedResource(target.info)} "${target.name}" not found\n`);
    } else {
      failed = true;
      ctx.io.err(`error: timed out waiting for the condition on ${target.info.resource}/${target.name}\n`);
    }
  }
  return failed ? 1 : 0;
}
