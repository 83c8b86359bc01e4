/**
 * `skiff top pod [NAME | -l selector] [-n NS | -A] [--containers] [--sort-by cpu|memory]` and
 * `skiff top node [NAME | -l selector] [--sort-by cpu|memory]`: current CPU and memory use from
 * the metrics API (the kubelets' latest samples), as kubectl top prints them (top-table.ts).
 * When nothing has metrics yet but pods (or nodes) exist: "error: metrics not available yet",
 * exit 1, as kubectl says it.
 */
import { unwrap, type Node, type PodMetricsList } from '@skiff/api';
import { CliError, noResourcesMessage, type CliContext } from './cli-context';
import { errorLine } from './error-message';
import { renderTable } from './table';
import { nodeTopTable, parseTopSortBy, podTopTable, type TopSortBy } from './top-table';

export interface TopOptions {
  selector?: string;
  sortBy?: string;
  containers?: boolean;
  noHeaders?: boolean;
}

const NOT_AVAILABLE = 'error: metrics not available yet';

/** The one NAME allowed, refusing NAME with a selector as kubectl does. */
function nameOf(names: readonly string[], options: TopOptions, kind: string): string {
  if (names.length > 1) throw new CliError(`error: top ${kind} takes at most one NAME`);
  if (names.length && options.selector) throw new CliError('error: only one of NAME or --selector can be provided');
  return names[0]?.replace(/^[a-z]+\//, '') ?? '';
}

function sortByOf(options: TopOptions): TopSortBy | undefined {
  try {
    return parseTopSortBy(options.sortBy);
  } catch (err) {
    throw new CliError(errorLine(err));
  }
}

/** Prints the table; without headers the columns are as wide as the rows alone need (kubectl's tabwriter). */
function print(ctx: CliContext, table: { header: string[]; rows: string[][] }, noHeaders: boolean | undefined): void {
  const lines = noHeaders ? renderTable(table.rows[0] ?? [], table.rows.slice(1)) : renderTable(table.header, table.rows);
  ctx.io.out(`${lines.join('\n')}\n`);
}

/** `top pod`; resolves with the exit code. */
export async function topPodCommand(ctx: CliContext, names: readonly string[], options: TopOptions): Promise<number> {
  const name = nameOf(names, options, 'pod');
  const sortBy = sortByOf(options);
  const client = ctx.client();
  const namespace = ctx.allNamespaces && !name ? '' : ctx.namespace;
  let list: PodMetricsList;
  try {
    list = await client.podMetrics(namespace, options.selector ?? '', { name, signal: ctx.io.signal });
  } catch (err) {
    throw new CliError(errorLine(err, { server: ctx.server }));
  }
  if (!list.items.length) {
    const pods = await client.list('pods', { namespace, labelSelector: options.selector, signal: ctx.io.signal });
    if (pods.items.length) throw new CliError(NOT_AVAILABLE);
    ctx.io.err(noResourcesMessage(ctx, true));
    return 0;
  }
  print(ctx, podTopTable(list.items, { withNamespace: ctx.allNamespaces && !name, containers: options.containers, sortBy }), options.noHeaders);
  return 0;
}

/** `top node`; resolves with the exit code. */
export async function topNodeCommand(ctx: CliContext, names: readonly string[], options: TopOptions): Promise<number> {
  const name = nameOf(names, options, 'node');
  const sortBy = sortByOf(options);
  const client = ctx.client();
  let nodes: Node[];
  let metrics;
  try {
    metrics = (await client.nodeMetrics(options.selector ?? '', { name, signal: ctx.io.signal })).items;
    nodes = name
      ? [unwrap(await client.get('nodes', '', name, { signal: ctx.io.signal })).object as Node]
      : (await client.list('nodes', { labelSelector: options.selector, signal: ctx.io.signal })).items.map((o) => unwrap(o).object as Node);
  } catch (err) {
    throw new CliError(errorLine(err, { server: ctx.server }));
  }
  if (!metrics.length) throw new CliError(NOT_AVAILABLE);
  print(ctx, nodeTopTable(nodes, metrics, sortBy), options.noHeaders);
  return 0;
}
