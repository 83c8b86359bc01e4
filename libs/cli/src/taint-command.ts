/**
 * `skiff taint nodes NODE... KEY=VALUE:EFFECT | KEY:EFFECT- | KEY- ... [--overwrite]` (also
 * `node/NODE`), as kubectl taint: parses the changes (taint-args.ts), applies them to each node
 * (read, change, write; again on a conflict) and prints `node/NODE tainted`, `untainted` or
 * `modified`. `--all` taints every node, `-l` the nodes matching a label selector.
 */
import { ConflictError, kindFor, NodeSpec, unwrap, wrap, type Node } from '@skiff/api';
import { CliError, type CliContext } from './cli-context';
import { errorLine, isUnavailable } from './error-message';
import { objectRef } from './resource-name';
import { applyTaintChanges, parseTaintArgs, type TaintChanges } from './taint-args';

export interface TaintOptions {
  overwrite?: boolean;
  selector?: string;
  all?: boolean;
}

const NODES = kindFor('nodes');
const CONFLICT_RETRIES = 5;

/**
 * Splits the arguments into node names and taint specs: "nodes NAME... SPEC..." or
 * "node/NAME... SPEC..." (a spec contains ":" or "=" or ends with "-"), as kubectl does.
 */
export function splitTaintArgs(args: readonly string[]): { nodes: string[]; specs: string[] } {
  if (args.length === 0) throw new Error('at least one taint update is required');
  const isSpec = (a: string) => a.includes(':') || a.includes('=') || a.endsWith('-');
  const [first, ...rest] = args;
  const nodes: string[] = [];
  let remaining: string[];
  if (first.includes('/')) {
    remaining = [...args];
    while (remaining.length && remaining[0].includes('/') && !isSpec(remaining[0])) {
      const [type, name] = remaining.shift()!.split('/');
      if (kindFor(type) !== NODES) throw new Error(`invalid resource type ${type}, only node types are supported`);
      nodes.push(name);
    }
  } else {
    let info;
    try {
      info = kindFor(first);
    } catch {
      throw new Error(`the server doesn't have a resource type "${first}"`);
    }
    if (info !== NODES) throw new Error(`invalid resource type ${first}, only node types are supported`);
    remaining = [...rest];
    while (remaining.length && !isSpec(remaining[0])) nodes.push(remaining.shift()!);
  }
  return { nodes, specs: remaining };
}

async function taintNode(ctx: CliContext, name: string, changes: TaintChanges, overwrite: boolean): Promise<string> {
  const client = ctx.client();
  for (let attempt = 0; ; attempt++) {
    const node = unwrap(await client.get(NODES.resource, '', name, { signal: ctx.io.signal })).object as Node;
    const { taints, operation } = applyTaintChanges(name, node.spec?.taints ?? [], changes, overwrite);
    const next = structuredClone(node);
    next.spec = NodeSpec.fromPartial({ ...next.spec, taints });
    try {
      await client.update(wrap(NODES, next), { signal: ctx.io.signal });
      return `${objectRef(NODES, name)} ${operation}`;
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= CONFLICT_RETRIES) throw err;
    }
  }
}

/** Runs taint; resolves with the exit code. */
export async function taintCommand(ctx: CliContext, args: readonly string[], options: TaintOptions): Promise<number> {
  let nodes: string[];
  let changes: TaintChanges;
  try {
    const split = splitTaintArgs(args);
    nodes = split.nodes;
    changes = parseTaintArgs(split.specs);
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  if (options.all || options.selector) {
    if (nodes.length > 0) throw new CliError('error: setting \'all\' parameter or a selector but found a non empty resource name');
    const list = await ctx.client().list(NODES.resource, { labelSelector: options.selector, signal: ctx.io.signal });
    nodes = list.items.map((item) => unwrap(item).object.metadata?.name ?? '');
  } else if (nodes.length === 0) {
    throw new CliError('error: resource(s) were provided, but no name was specified');
  }
  let failed = false;
  for (const name of nodes) {
    try {
      ctx.io.out(`${await taintNode(ctx, name, changes, Boolean(options.overwrite))}\n`);
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${errorLine(err, { resource: NODES.resource, name })}\n`);
    }
  }
  return failed ? 1 : 0;
}
