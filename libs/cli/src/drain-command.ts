/**
 * `skiff drain NODE...`, as kubectl drain (k8s.io/kubectl/pkg/cmd/drain, pkg/drain):
 *
 *   cordon ──> list the node's pods (--pod-selector) ──> filters (drain-filters.ts)
 *      │          refused pods: "error: unable to drain node ..." and the reasons, exit 1
 *      └──> "Warning: ..." ──> per pod, concurrently:
 *             "evicting pod ns/x" ──Evict──> 429 (a PodDisruptionBudget): the retry line on
 *             stderr, again after 5 s ──> wait until the pod is gone (polled every second)
 *             ──> "pod/x evicted"    (--disable-eviction: delete instead, "pod/x deleted")
 *      ──> "node/NODE drained"
 *
 * --timeout bounds the whole eviction and wait (0: none); when it passes, the pods left are
 * listed and the command fails (exit 1). --grace-period overrides the pods' own (-1: theirs).
 * --dry-run=client changes nothing and says what would be done; --dry-run=server sends the
 * cordon and every eviction (or deletion) as dry runs, so the apiserver checks them (budgets
 * included) without doing them, and waits for nothing.
 */
import { kindFor, NotFoundError, TooManyRequestsError, unwrap, type Pod } from '@skiff/api';
import { CliError, type CliContext } from './cli-context';
import { setUnschedulable } from './cordon-command';
import { aggregateMessage, evictionRetryMessage, podsForDeletion, type DrainFilterOptions } from './drain-filters';
import { errorLine, isUnavailable } from './error-message';
import { parseDuration } from './flag-values';
import { objectRef } from './resource-name';

export interface DrainOptions {
  ignoreDaemonsets?: boolean;
  deleteEmptydirData?: boolean;
  force?: boolean;
  gracePeriod?: string;
  timeout?: string;
  podSelector?: string;
  disableEviction?: boolean;
  /** none (default), client or server; true (a bare --dry-run): client. */
  dryRun?: string | boolean;
}

export type DryRun = 'none' | 'client' | 'server';

/** What is done to each pod: "evicted", or "deleted" with --disable-eviction. */
const removal = (request: DrainRequest) => (request.disableEviction ? 'deleted' : 'evicted');

/** What kubectl appends to a line of a dry run. */
function dryRunSuffix(dryRun: DryRun): string {
  return dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
}

/** The fixed delay between refused evictions (kubectl: 5 s). */
export const EVICTION_RETRY_SECONDS = 5;
/** How often the deletion of an evicted pod is checked (kubectl: 1 s). */
const DELETE_POLL_MS = 1000;

const PODS = kindFor('pods');
const NODES = kindFor('nodes');

interface DrainRequest {
  filters: DrainFilterOptions;
  /** undefined: each pod's own grace period. */
  gracePeriodSeconds?: number;
  /** 0: no limit. */
  timeoutMs: number;
  podSelector?: string;
  disableEviction: boolean;
  dryRun: DryRun;
}

/** Go's time.Duration.String for whole seconds and milliseconds: "5s", "2m0s", "1h0m0s", "1.5s". */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** Validates the flags; throws an Error naming the bad flag. */
export function parseDrainOptions(options: DrainOptions): DrainRequest {
  let gracePeriodSeconds: number | undefined;
  if (options.gracePeriod !== undefined) {
    const n = Number(options.gracePeriod);
    if (options.gracePeriod.trim() === '' || !Number.isInteger(n) || n < -1) throw new Error(`invalid argument "${options.gracePeriod}" for "--grace-period": must be an integer >= -1`);
    gracePeriodSeconds = n >= 0 ? n : undefined;
  }
  let timeoutMs = 0;
  if (options.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(options.timeout);
    } catch (err) {
      throw new Error(`invalid argument "${options.timeout}" for "--timeout": ${(err as Error).message}`);
    }
  }
  const dryRun = options.dryRun === true ? 'client' : (options.dryRun ?? 'none');
  if (dryRun !== 'none' && dryRun !== 'client' && dryRun !== 'server') throw new Error(`Invalid dry-run value (${dryRun}). Must be "none", "server", or "client".`);
  return {
    dryRun,
    filters: { force: Boolean(options.force), ignoreDaemonSets: Boolean(options.ignoreDaemonsets), deleteEmptyDirData: Boolean(options.deleteEmptydirData) },
    gracePeriodSeconds,
    timeoutMs,
    podSelector: options.podSelector || undefined,
    disableEviction: Boolean(options.disableEviction),
  };
}

/** Waits `ms` unless `signal` aborts first (then rejects with its reason). */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The pods on the node, in every namespace (kubectl lists with fieldSelector spec.nodeName). */
async function podsOnNode(ctx: CliContext, node: string, request: DrainRequest): Promise<Pod[]> {
  const list = await ctx.client().list(PODS.resource, { namespace: '', fieldSelector: `spec.nodeName=${node}`, labelSelector: request.podSelector, signal: ctx.io.signal });
  return list.items.map((item) => unwrap(item).object as Pod);
}

/** The DaemonSets the node's DaemonSet-managed pods name, and whether each exists. */
async function existingDaemonSets(ctx: CliContext, pods: readonly Pod[]): Promise<Set<string>> {
  const existing = new Set<string>();
  for (const pod of pods) {
    const ref = pod.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'DaemonSet');
    if (!ref) continue;
    const key = `${pod.metadata?.namespace}/${ref.name}`;
    if (existing.has(key)) continue;
    try {
      await ctx.client().get('daemonsets', pod.metadata?.namespace ?? '', ref.name, { signal: ctx.io.signal });
      existing.add(key);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  return existing;
}

/**
 * Evicts (or deletes) one pod and waits until it is gone; resolves with the error line kubectl
 * would aggregate, or undefined on success. `deadline` aborts when --timeout passes.
 */
async function removePod(ctx: CliContext, pod: Pod, request: DrainRequest, deadline: AbortSignal, timeoutText: string): Promise<string | undefined> {
  const client = ctx.client();
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  const signal = AbortSignal.any([ctx.io.signal, deadline]);
  const timedOut = () => deadline.aborted && !ctx.io.signal.aborted;
  const dryRun = request.dryRun === 'server';
  try {
    if (request.disableEviction) {
      await client.delete(PODS.resource, namespace, name, { gracePeriodSeconds: request.gracePeriodSeconds, signal, dryRun });
    } else {
      for (;;) {
        ctx.io.out(`evicting pod ${namespace}/${name}\n`);
        if (timedOut()) return `error when evicting pods/"${name}" -n "${namespace}": global timeout reached: ${timeoutText}`;
        try {
          await client.evict({ namespace, name, gracePeriodSeconds: request.gracePeriodSeconds, dryRun }, { signal });
          break;
        } catch (err) {
          if (err instanceof NotFoundError) return undefined;
          if (!(err instanceof TooManyRequestsError)) return `error when evicting pods/"${name}" -n "${namespace}": ${err instanceof Error ? err.message : String(err)}`;
          ctx.io.err(`${evictionRetryMessage(pod, EVICTION_RETRY_SECONDS)}\n`);
          await delay(EVICTION_RETRY_SECONDS * 1000, signal);
        }
      }
    }
  } catch (err) {
    if (timedOut()) return `error when evicting pods/"${name}" -n "${namespace}": global timeout reached: ${timeoutText}`;
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  if (dryRun) {
    ctx.io.out(`${objectRef(PODS, name)} ${removal(request)}${dryRunSuffix(request.dryRun)}\n`);
    return undefined;
  }
  // kubectl's waitForDelete: gone, or replaced by a pod with another uid.
  try {
    for (;;) {
      try {
        const current = unwrap(await client.get(PODS.resource, namespace, name, { signal })).object as Pod;
        if (current.metadata?.uid !== pod.metadata?.uid) break;
      } catch (err) {
        if (err instanceof NotFoundError) break;
        throw err;
      }
      await delay(DELETE_POLL_MS, signal);
    }
  } catch (err) {
    if (timedOut()) return `error when waiting for pod "${name}" in namespace "${namespace}" to terminate: global timeout reached: ${timeoutText}`;
    throw err;
  }
  ctx.io.out(`${objectRef(PODS, name)} ${removal(request)}\n`);
  return undefined;
}

/** Drains one node after it was cordoned; resolves with the errors (empty: drained). */
async function drainNode(ctx: CliContext, node: string, request: DrainRequest): Promise<string[]> {
  const pods = await podsOnNode(ctx, node, request);
  const daemonSets = await existingDaemonSets(ctx, pods);
  const list = podsForDeletion(pods, request.filters, (ns, name) => daemonSets.has(`${ns}/${name}`));
  if (list.errors.length > 0) return list.errors;
  if (list.warnings) ctx.io.err(`Warning: ${list.warnings}\n`);
  if (request.dryRun === 'client') {
    for (const pod of list.pods) ctx.io.out(`${objectRef(PODS, pod.metadata?.name ?? '')} ${removal(request)}${dryRunSuffix('client')}\n`);
    return [];
  }
  const deadline = request.timeoutMs > 0 ? AbortSignal.timeout(request.timeoutMs) : new AbortController().signal;
  const results = await Promise.all(list.pods.map((pod) => removePod(ctx, pod, request, deadline, goDuration(request.timeoutMs))));
  const errors = results.filter((r): r is string => r !== undefined);
  if (errors.length > 0) {
    const left = podsForDeletion(await podsOnNode(ctx, node, request), request.filters, (ns, name) => daemonSets.has(`${ns}/${name}`)).pods;
    if (left.length > 0) {
      ctx.io.err(`There are pending pods in node "${node}" when an error occurred: ${aggregateMessage(errors)}\n`);
      for (const pod of left) ctx.io.err(`${objectRef(PODS, pod.metadata?.name ?? '')}\n`);
    }
  }
  return errors;
}

/** Runs drain; resolves with the exit code. */
export async function drainCommand(ctx: CliContext, nodes: readonly string[], options: DrainOptions): Promise<number> {
  let request: DrainRequest;
  try {
    request = parseDrainOptions(options);
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  if (nodes.length === 0) throw new CliError('error: USAGE: skiff drain NODE [flags]');
  // kubectl cordons every node first, then drains them one by one.
  for (const node of nodes) {
    try {
      ctx.io.out(`${await setUnschedulable(ctx, node, true, request.dryRun)}${dryRunSuffix(request.dryRun)}\n`);
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      throw new CliError(errorLine(err, { resource: NODES.resource, name: node }));
    }
  }
  for (const [i, node] of nodes.entries()) {
    const errors = await drainNode(ctx, node, request);
    if (errors.length === 0) {
      ctx.io.out(`${objectRef(NODES, node)} drained${dryRunSuffix(request.dryRun)}\n`);
      continue;
    }
    ctx.io.err(`error: unable to drain node "${node}" due to error: ${aggregateMessage(errors)}, continuing command...\n`);
    ctx.io.err('There are pending nodes to be drained:\n');
    for (const pending of nodes.slice(i)) ctx.io.err(` ${pending}\n`);
    for (const e of errors) ctx.io.err(`${e}\n`);
    return 1;
  }
  return 0;
}
