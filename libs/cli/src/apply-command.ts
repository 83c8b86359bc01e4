/**
 * `skiff apply -f FILE|DIR|-`: parses every manifest first (strictly: an unknown field fails the
 * whole run before anything is sent), applies Namespaces first, then the rest in file order,
 * printing `pod/web created|configured|unchanged`. Updates carry the stored resourceVersion and
 * are retried from a fresh read when they lose a compare-and-swap (ABORTED) or a create races.
 */
import { AlreadyExistsError, ConflictError, NotFoundError, parseManifests, unwrap, wrap, type ApiObject, type KindInfo, type ParsedManifest } from '@skiff/api';
import { planApply } from './apply-plan';
import { CliError, type CliContext } from './cli-context';
import { errorLine, isUnavailable } from './error-message';
import { readManifestSources } from './manifest-sources';
import { objectRef } from './resource-name';

const MAX_ATTEMPTS = 5;

/** Reads and strictly parses every manifest named by -f; throws CliError on the first bad one. */
export async function loadManifests(ctx: CliContext, files: readonly string[]): Promise<ParsedManifest[]> {
  if (files.length === 0) throw new CliError('error: must specify one of -f and -k');
  let sources;
  try {
    sources = await readManifestSources(files, ctx.io.readStdin);
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  const parsed: ParsedManifest[] = [];
  for (const { source, text } of sources) {
    try {
      parsed.push(...parseManifests(text, source));
    } catch (err) {
      throw new CliError(errorLine(err, { source }));
    }
  }
  return parsed;
}

/** The namespace an object from a manifest goes to (empty for cluster-scoped kinds). */
export function targetNamespace(ctx: CliContext, info: KindInfo, manifestNamespace: string | undefined, source: string): string {
  if (!info.namespaced) return '';
  if (manifestNamespace && ctx.namespaceExplicit && manifestNamespace !== ctx.namespace) {
    throw new CliError(
      `error: ${source}: the namespace from the provided object "${manifestNamespace}" does not match the namespace "${ctx.namespace}". You must pass '--namespace=${manifestNamespace}' to perform this operation.`,
    );
  }
  return manifestNamespace || ctx.namespace;
}

/** Namespaces first, everything else in the order given (a stable sort). */
export function applyOrder<T extends { object: ApiObject }>(items: readonly T[]): T[] {
  const rank = (item: T) => (item.object.kind?.$case === 'namespace' ? 0 : 1);
  return [...items].sort((a, b) => rank(a) - rank(b));
}

async function applyOne(ctx: CliContext, info: KindInfo, desired: ApiObject, namespace: string, name: string): Promise<'created' | 'configured' | 'unchanged'> {
  const client = ctx.client();
  for (let attempt = 1; ; attempt++) {
    let stored: ApiObject | undefined;
    try {
      stored = await client.get(info.resource, namespace, name, { signal: ctx.io.signal });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    const plan = planApply(info, unwrap(desired).object, stored ? unwrap(stored).object : undefined);
    try {
      if (plan.action === 'unchanged') return 'unchanged';
      if (plan.action === 'create') {
        await client.create(wrap(info, plan.object as never), { signal: ctx.io.signal });
        return 'created';
      }
      await client.update(wrap(info, plan.object as never), { signal: ctx.io.signal });
      return 'configured';
    } catch (err) {
      const raced = err instanceof ConflictError || err instanceof AlreadyExistsError;
      if (!raced || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

/** Runs apply; resolves with the exit code (1 when any object failed; the others still apply). */
export async function applyCommand(ctx: CliContext, files: readonly string[]): Promise<number> {
  const manifests = await loadManifests(ctx, files);
  const planned = manifests.map((m) => {
    const { info, object } = unwrap(m.object);
    const name = object.metadata?.name ?? '';
    const namespace = targetNamespace(ctx, info, object.metadata?.namespace, m.source);
    if (object.metadata) object.metadata.namespace = namespace;
    return { ...m, info, name, namespace };
  });
  let failed = false;
  for (const item of applyOrder(planned)) {
    try {
      const result = await applyOne(ctx, item.info, item.object, item.namespace, item.name);
      ctx.io.out(`${objectRef(item.info, item.name)} ${result}\n`);
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${errorLine(err, { kind: item.info.kind, name: item.name, source: item.source, server: ctx.server })}\n`);
    }
  }
  return failed ? 1 : 0;
}
