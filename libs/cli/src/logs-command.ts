/**
 * `skiff logs POD | TYPE/NAME [-c CONTAINER] [-f] [--previous] [--tail N] [--timestamps]`: a
 * container's output, streamed from its node's kubelet through the apiserver; `-f` follows until
 * the container ends or Ctrl-C. For `job/pi`, `deploy/web`, `rs/web` or `svc/web` it reads one
 * pod of the object as kubectl does (logs-target.ts), saying "Found N pods, using pod/X" on
 * stderr when there are several; with none yet it waits for one up to --pod-running-timeout.
 */
import { NotFoundError, findKind, unwrap, type Pod } from '@skiff/api';
import { typed } from '@skiff/client';
import { CliError, type CliContext } from './cli-context';
import { errorLine } from './error-message';
import { parseDuration } from './flag-values';
import { podForLogs, podSelectorOf } from './logs-target';
import { qualifiedResource } from './resource-name';

export interface LogsOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tail?: string;
  timestamps?: boolean;
  /** How long to wait for a pod of TYPE/NAME to exist (default 20s). */
  podRunningTimeout?: string;
}

/** Waits (a Watch from the list's revision) for the first pod matching `selector`. */
async function firstPodToAppear(ctx: CliContext, selector: string, resourceVersion: string, timeoutMs: number): Promise<Pod> {
  const timeout = AbortSignal.timeout(Math.max(1, timeoutMs));
  const signal = AbortSignal.any([ctx.io.signal, timeout]);
  try {
    for await (const event of typed(ctx.client(), 'pod').watch({ namespace: ctx.namespace, labelSelector: selector, resourceVersion }, signal)) {
      if (event.type === 'ADDED' || event.type === 'MODIFIED') return event.object;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  throw new CliError(ctx.io.signal.aborted ? 'error: interrupted' : 'error: timed out waiting for the condition');
}

/** The pod name `arg` means: POD, pod/POD, or one pod of TYPE/NAME. */
async function podNameFor(ctx: CliContext, arg: string, options: LogsOptions): Promise<string> {
  const slash = arg.indexOf('/');
  if (slash < 0) return arg;
  const type = arg.slice(0, slash);
  const name = arg.slice(slash + 1);
  const info = findKind(type);
  if (!info) throw new CliError(`error: the server doesn't have a resource type "${type}"`);
  if (!name) throw new CliError(`error: arguments in resource/name form must have a single resource and name, got "${arg}"`);
  if (info.resource === 'pods') return name;
  let selector: string;
  try {
    const object = unwrap(await ctx.client().get(info.resource, info.namespaced ? ctx.namespace : '', name, { signal: ctx.io.signal })).object;
    selector = podSelectorOf(info, object);
  } catch (err) {
    if (err instanceof NotFoundError) throw new CliError(`error: ${qualifiedResource(info)} "${name}" not found`);
    throw new CliError(errorLine(err, { server: ctx.server }));
  }
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(options.podRunningTimeout ?? '20s');
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  const { items, resourceVersion } = await typed(ctx.client(), 'pod').list({ namespace: ctx.namespace, labelSelector: selector, signal: ctx.io.signal });
  const pod = podForLogs(items) ?? (await firstPodToAppear(ctx, selector, resourceVersion, timeoutMs));
  if (items.length > 1) ctx.io.err(`Found ${items.length} pods, using pod/${pod.metadata?.name ?? ''}\n`);
  return pod.metadata?.name ?? '';
}

export async function logsCommand(ctx: CliContext, target: string, options: LogsOptions): Promise<number> {
  const tail = options.tail === undefined ? undefined : Number(options.tail);
  if (tail !== undefined && !Number.isInteger(tail)) throw new CliError(`error: invalid --tail "${options.tail}": must be a whole number (-1: all)`);
  const name = await podNameFor(ctx, target, options);
  const decoder = new TextDecoder();
  const chunks = ctx.client().podLogs(
    {
      namespace: ctx.namespace,
      name,
      container: options.container ?? '',
      follow: Boolean(options.follow),
      previous: Boolean(options.previous),
      tailLines: tail === undefined || tail < 0 ? undefined : tail,
      timestamps: Boolean(options.timestamps),
    },
    ctx.io.signal,
  );
  for await (const chunk of chunks) ctx.io.out(decoder.decode(chunk.data, { stream: true }));
  ctx.io.out(decoder.decode());
  return 0;
}
