/**
 * `skiff get TYPE[,TYPE...] [NAME...]` with -o wide|yaml|json|name, -l, --field-selector, -A,
 * --show-labels and -w (initial table, then one row per change from the gRPC Watch started at
 * the list's resourceVersion, until Ctrl-C).
 */
import { NotFoundError, unwrap, type ApiObject, type KindInfo } from '@skiff/api';
import { CliError, noResourcesMessage, type CliContext } from './cli-context';
import { errorLine } from './error-message';
import { formatObjects, parseOutputFormat } from './output-format';
import { isMultiKind, parseResourceArgs, type ResourceRequest } from './resource-args';
import { qualifiedResource } from './resource-name';
import { columnWidths, formatRow } from './table';
import { sortForListing, tableLayout } from './table-columns';

export interface GetOptions {
  output?: string;
  selector?: string;
  fieldSelector?: string;
  watch?: boolean;
  showLabels?: boolean;
}

interface Fetched {
  request: ResourceRequest;
  objects: ApiObject[];
  /** The list's revision (for -w). */
  resourceVersion: string;
}

function listNamespace(ctx: CliContext, info: KindInfo): string {
  return ctx.allNamespaces || !info.namespaced ? '' : ctx.namespace;
}

async function fetchRequest(ctx: CliContext, request: ResourceRequest, options: GetOptions, report: (line: string) => void): Promise<Fetched> {
  const client = ctx.client();
  const { info, names } = request;
  if (names.length === 0) {
    const list = await client.list(info.resource, {
      namespace: listNamespace(ctx, info),
      labelSelector: options.selector,
      fieldSelector: options.fieldSelector,
      signal: ctx.io.signal,
    });
    return { request, objects: list.items, resourceVersion: list.resourceVersion };
  }
  const objects: ApiObject[] = [];
  let resourceVersion = '';
  for (const name of names) {
    try {
      const object = await client.get(info.resource, info.namespaced ? ctx.namespace : '', name, { signal: ctx.io.signal });
      objects.push(object);
      const rv = unwrap(object).object.metadata?.resourceVersion ?? '';
      if (Number(rv) > Number(resourceVersion || 0)) resourceVersion = rv;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      report(errorLine(err, { resource: qualifiedResource(info), name }));
    }
  }
  return { request, objects, resourceVersion };
}

/** Runs get; resolves with the exit code. */
export async function getCommand(ctx: CliContext, args: readonly string[], options: GetOptions): Promise<number> {
  let format;
  let requests: ResourceRequest[];
  try {
    format = parseOutputFormat(options.output);
    requests = parseResourceArgs(args);
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  if (options.watch && requests.length !== 1) throw new CliError('error: you may only specify a single resource type with --watch');
  const multi = isMultiKind(args, requests);
  const now = ctx.io.now();
  const notFound: string[] = [];
  const fetched: Fetched[] = [];
  for (const request of requests) fetched.push(await fetchRequest(ctx, request, options, (line) => notFound.push(line)));

  const named = requests.some((r) => r.names.length > 0);
  const total = fetched.reduce((n, f) => n + f.objects.length, 0);
  let widths: number[] | undefined;
  if (format === 'table' || format === 'wide') {
    const tables: string[] = [];
    for (const { request, objects } of fetched) {
      if (objects.length === 0) continue;
      const layout = tableLayout(request.info, { wide: format === 'wide', showLabels: options.showLabels, withNamespace: ctx.allNamespaces, withKind: multi }, now);
      const rows = sortForListing(request.info, objects.map((o) => unwrap(o).object)).map((o) => layout.row(o));
      widths = columnWidths([layout.header, ...rows]);
      tables.push([layout.header, ...rows].map((row) => `${formatRow(row, widths!)}\n`).join(''));
    }
    if (tables.length) ctx.io.out(tables.join('\n'));
  } else if (total > 0 || !named) {
    ctx.io.out(formatObjects(fetched.flatMap((f) => f.objects), format, requests.length === 1 && requests[0].names.length === 1));
  }
  for (const line of notFound) ctx.io.err(`${line}\n`);
  if (total === 0 && !named && !options.watch && (format === 'table' || format === 'wide')) {
    ctx.io.err(noResourcesMessage(ctx, requests.every((r) => r.info.namespaced)));
  }
  if (options.watch) await watchChanges(ctx, fetched[0], options, format, widths);
  return notFound.length ? 1 : 0;
}

async function watchChanges(ctx: CliContext, initial: Fetched, options: GetOptions, format: string, widths: number[] | undefined): Promise<void> {
  const { info, names } = initial.request;
  const fieldSelector = names.length === 1 ? [options.fieldSelector, `metadata.name=${names[0]}`].filter(Boolean).join(',') : options.fieldSelector;
  const layout = tableLayout(info, { wide: format === 'wide', showLabels: options.showLabels, withNamespace: ctx.allNamespaces }, ctx.io.now());
  let currentWidths = widths;
  try {
    const events = ctx.client().watch(
      info.resource,
      { namespace: listNamespace(ctx, info), labelSelector: options.selector, fieldSelector, resourceVersion: initial.resourceVersion },
      ctx.io.signal,
    );
    for await (const event of events) {
      if (!event.object) continue;
      const name = unwrap(event.object).object.metadata?.name ?? '';
      if (names.length > 1 && !names.includes(name)) continue;
      if (format === 'table' || format === 'wide') {
        const row = tableLayout(info, { wide: format === 'wide', showLabels: options.showLabels, withNamespace: ctx.allNamespaces }, ctx.io.now()).row(unwrap(event.object).object);
        if (!currentWidths) {
          currentWidths = columnWidths([layout.header, row]);
          ctx.io.out(`${formatRow(layout.header, currentWidths)}\n`);
        }
        ctx.io.out(`${formatRow(row, currentWidths)}\n`);
      } else {
        ctx.io.out(formatObjects([event.object], format as 'yaml' | 'json' | 'name', true) + (format === 'yaml' ? '---\n' : ''));
      }
    }
  } catch (err) {
    if (!ctx.io.signal.aborted) throw err;
  }
}
