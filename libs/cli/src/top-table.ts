/**
 * The tables of `skiff top`, as kubectl top prints them (pure): CPU in millicores rounded up
 * ("250m", MilliValue; a pod's containers are summed exactly first), memory in whole mebibytes
 * rounded down ("100Mi"), node percentages of
 * allocatable in whole percent rounded down, nodes without metrics as <unknown>, and
 * `--sort-by cpu|memory` largest first.
 */
import { formatMebibytes, parseCpuMillis, parseQuantity, type Node, type NodeMetrics, type PodMetrics } from '@skiff/api';

export type TopSortBy = 'cpu' | 'memory';

/** Parses --sort-by (empty: API order); throws naming the accepted fields. */
export function parseTopSortBy(value: string | undefined): TopSortBy | undefined {
  if (!value) return undefined;
  if (value === 'cpu' || value === 'memory') return value;
  throw new Error(`--sort-by accepts only cpu or memory`);
}

/** Usage figures: CPU in billionths of a core (the API's finest unit), memory in bytes. */
export interface TopFigures {
  cpuNanos: number;
  memoryBytes: number;
}

/** A usage map's figures (absent quantities count as 0). */
export function usageFigures(usage: Readonly<Record<string, string>>): TopFigures {
  return { cpuNanos: Math.round(parseQuantity(usage.cpu ?? '0') * 1e9), memoryBytes: parseQuantity(usage.memory ?? '0') };
}

/** A pod's figures: the exact sum of its containers'. */
export function podFigures(pod: Readonly<PodMetrics>): TopFigures {
  return pod.containers.reduce(
    (sum, c) => {
      const f = usageFigures(c.usage);
      return { cpuNanos: sum.cpuNanos + f.cpuNanos, memoryBytes: sum.memoryBytes + f.memoryBytes };
    },
    { cpuNanos: 0, memoryBytes: 0 },
  );
}

/** Millicores rounded up, as Quantity.MilliValue. */
const millisOf = (f: TopFigures) => Math.ceil(f.cpuNanos / 1e6);
const cpuCell = (f: TopFigures) => `${millisOf(f)}m`;

/** "42%" of allocatable, rounded down as kubectl's integer division; "<unknown>" without allocatable. */
export function percentCell(used: number, allocatable: number): string {
  if (!(allocatable > 0)) return '<unknown>';
  return `${Math.floor((used * 100) / allocatable)}%`;
}

/** Sorts largest first by the chosen figure; stable for equal figures, unchanged without sortBy. */
function sortByFigure<T>(items: readonly T[], sortBy: TopSortBy | undefined, figures: (item: T) => TopFigures): T[] {
  if (!sortBy) return [...items];
  const key = (item: T) => (sortBy === 'cpu' ? figures(item).cpuNanos : figures(item).memoryBytes);
  return [...items].sort((a, b) => key(b) - key(a));
}

export interface PodTableOptions {
  /** A NAMESPACE column first (-A). */
  withNamespace?: boolean;
  /** One row per container, with POD and NAME columns (--containers). */
  containers?: boolean;
  sortBy?: TopSortBy;
}

/** The header and rows of `top pod`. */
export function podTopTable(pods: readonly Readonly<PodMetrics>[], options: PodTableOptions = {}): { header: string[]; rows: string[][] } {
  const header = [...(options.withNamespace ? ['NAMESPACE'] : []), ...(options.containers ? ['POD', 'NAME'] : ['NAME']), 'CPU(cores)', 'MEMORY(bytes)'];
  const rows: string[][] = [];
  for (const pod of sortByFigure(pods, options.sortBy, podFigures)) {
    const lead = options.withNamespace ? [pod.metadata?.namespace ?? ''] : [];
    if (options.containers) {
      for (const c of sortByFigure(pod.containers, options.sortBy, (x) => usageFigures(x.usage))) {
        const f = usageFigures(c.usage);
        rows.push([...lead, pod.metadata?.name ?? '', c.name, cpuCell(f), formatMebibytes(f.memoryBytes)]);
      }
    } else {
      const f = podFigures(pod);
      rows.push([...lead, pod.metadata?.name ?? '', cpuCell(f), formatMebibytes(f.memoryBytes)]);
    }
  }
  return { header, rows };
}

/**
 * The header and rows of `top node`: every node in `nodes` (in that order, or sorted), with its
 * metrics if it has some and `<unknown>` otherwise; percentages of status.allocatable.
 */
export function nodeTopTable(nodes: readonly Readonly<Node>[], metrics: readonly Readonly<NodeMetrics>[], sortBy?: TopSortBy): { header: string[]; rows: string[][] } {
  const header = ['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'];
  const byName = new Map(metrics.map((m) => [m.metadata?.name ?? '', m]));
  const known = nodes.filter((n) => byName.has(n.metadata?.name ?? ''));
  const missing = nodes.filter((n) => !byName.has(n.metadata?.name ?? ''));
  const figures = (n: Readonly<Node>) => usageFigures(byName.get(n.metadata?.name ?? '')!.usage);
  const rows: string[][] = sortByFigure(known, sortBy, figures).map((node) => {
    const f = figures(node);
    const allocatable = node.status?.allocatable ?? {};
    return [
      node.metadata?.name ?? '',
      cpuCell(f),
      percentCell(millisOf(f), allocatable.cpu ? parseCpuMillis(allocatable.cpu) : 0),
      formatMebibytes(f.memoryBytes),
      percentCell(f.memoryBytes, allocatable.memory ? parseQuantity(allocatable.memory) : 0),
    ];
  });
  for (const node of missing) rows.push([node.metadata?.name ?? '', '<unknown>', '<unknown>', '<unknown>', '<unknown>']);
  return { header, rows };
}
