/** `skiff describe TYPE [NAME...]`: the describe text of each object, with its events. */
import { NotFoundError, unwrap, type ApiObject, type DaemonSet, type Event, type Pod } from '@skiff/api';
import { CliError, noResourcesMessage, type CliContext } from './cli-context';
import { describeObject, isEventFor } from './describe';
import { errorLine } from './error-message';
import { parseResourceArgs, type ResourceRequest } from './resource-args';
import { qualifiedResource } from './resource-name';
import { formatLabelSelector } from './table-columns';

/** Runs describe; resolves with the exit code (1 when a named object does not exist). */
export async function describeCommand(ctx: CliContext, args: readonly string[]): Promise<number> {
  let requests: ResourceRequest[];
  try {
    requests = parseResourceArgs(args);
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  const client = ctx.client();
  let failed = false;
  const texts: string[] = [];
  for (const { info, names } of requests) {
    const namespace = info.namespaced ? ctx.namespace : '';
    let objects: ApiObject[] = [];
    if (names.length === 0) {
      objects = (await client.list(info.resource, { namespace: ctx.allNamespaces ? '' : namespace, signal: ctx.io.signal })).items;
      if (objects.length === 0) ctx.io.err(noResourcesMessage(ctx, info.namespaced));
    }
    for (const name of names) {
      try {
        objects.push(await client.get(info.resource, namespace, name, { signal: ctx.io.signal }));
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        failed = true;
        ctx.io.err(`${errorLine(err, { resource: qualifiedResource(info), name })}\n`);
      }
    }
    const eventCache = new Map<string, Event[]>();
    for (const wrapped of objects) {
      const { object } = unwrap(wrapped);
      const ns = object.metadata?.namespace ?? '';
      if (!eventCache.has(ns)) {
        try {
          const list = await client.list('events', { namespace: ns, signal: ctx.io.signal });
          eventCache.set(ns, list.items.map((e) => unwrap(e).object as Event));
        } catch {
          eventCache.set(ns, []);
        }
      }
      const events = (eventCache.get(ns) ?? []).filter((e) => isEventFor(e, info, object));
      let pods: Pod[] = [];
      if (info.resource === 'daemonsets' || info.resource === 'statefulsets') {
        const selector = formatLabelSelector((object as DaemonSet).spec?.selector);
        if (selector !== '<none>') pods = (await client.list('pods', { namespace: ns, labelSelector: selector, signal: ctx.io.signal })).items.map((p) => unwrap(p).object as Pod);
      } else if (info.resource === 'persistentvolumeclaims') {
        pods = (await client.list('pods', { namespace: ns, signal: ctx.io.signal })).items.map((p) => unwrap(p).object as Pod); // Used By
      }
      texts.push(describeObject(info, object, events, ctx.io.now(), pods));
    }
  }
  if (texts.length) ctx.io.out(texts.join('\n\n'));
  return failed ? 1 : 0;
}
