/**
 * `skiff cordon NODE...` / `skiff uncordon NODE...`, as kubectl: sets or clears the node's
 * spec.unschedulable (read, change, write; again on a conflict) and prints `node/NAME cordoned`,
 * `node/NAME already cordoned`, `node/NAME uncordoned` or `node/NAME already uncordoned`.
 * `drain` cordons through the same function first.
 */
import { ConflictError, kindFor, NodeSpec, unwrap, wrap, type Node } from '@skiff/api';
import { CliError, type CliContext } from './cli-context';
import { errorLine, isUnavailable } from './error-message';
import { objectRef } from './resource-name';

const NODES = kindFor('nodes');
const CONFLICT_RETRIES = 5;

/**
 * Sets spec.unschedulable; resolves with the line kubectl prints (without newline). dryRun
 * client: only reads the node; server: the apiserver checks the update without storing it.
 */
export async function setUnschedulable(ctx: CliContext, name: string, unschedulable: boolean, dryRun: 'none' | 'client' | 'server' = 'none'): Promise<string> {
  const client = ctx.client();
  const verb = unschedulable ? 'cordoned' : 'uncordoned';
  for (let attempt = 0; ; attempt++) {
    const node = unwrap(await client.get(NODES.resource, '', name, { signal: ctx.io.signal })).object as Node;
    if (Boolean(node.spec?.unschedulable) === unschedulable) return `${objectRef(NODES, name)} already ${verb}`;
    if (dryRun === 'client') return `${objectRef(NODES, name)} ${verb}`;
    const next = structuredClone(node);
    next.spec = NodeSpec.fromPartial({ ...next.spec, unschedulable });
    try {
      await client.update(wrap(NODES, next), { signal: ctx.io.signal, dryRun: dryRun === 'server' });
      return `${objectRef(NODES, name)} ${verb}`;
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= CONFLICT_RETRIES) throw err;
    }
  }
}

/** Runs cordon (true) or uncordon (false) on each node; resolves with the exit code. */
export async function cordonCommand(ctx: CliContext, names: readonly string[], unschedulable: boolean): Promise<number> {
  if (names.length === 0) throw new CliError('error: resource(s) were provided, but no name was specified');
  let failed = false;
  for (const name of names) {
    try {
      ctx.io.out(`${await setUnschedulable(ctx, name, unschedulable)}\n`);
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${errorLine(err, { resource: NODES.resource, name })}\n`);
    }
  }
  return failed ? 1 : 0;
}
