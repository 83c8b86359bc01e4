/**
 * The namespace controller (Kubernetes' namespace controller): a namespace being deleted has
 * everything in it deleted, then its "kubernetes" finalizer dropped, so that it goes (see
 * namespace-deletion.ts for the decisions). Keys are namespace names. Content is listed and
 * deleted live (not from caches): the namespace is finalized only after the apiserver itself
 * listed nothing in it, and the apiserver lets nothing new in once it terminates.
 *
 * A pass that leaves content behind looks again after Kubernetes' estimate, or as soon as an
 * object of the namespace is deleted (the shared informers of every namespaced kind tell).
 */
import { ConflictError, NotFoundError, unwrap, type Condition, type KindInfo, type KubeObject, type Namespace, type Pod } from '@skiff/api';
import { typed } from '@skiff/client';
import { Controller } from '@skiff/reconcile';
import type { Logger } from 'pino';
import type { ControllerContext } from '../controller-context';
import {
  contentGone,
  deletionConditions,
  estimateGracefulTermination,
  NAMESPACE_FINALIZER,
  namespacedKinds,
  requeueAfterMs,
  sameConditions,
  type ContentState,
} from './namespace-deletion';

/** Builds the namespace controller. */
export function namespaceController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'namespace' });
  const namespaces = typed(ctx.client, 'namespace');
  const informer = ctx.informers.get('namespace');

  const controller = new Controller({
    name: 'namespace',
    workers: ctx.tuning.workers,
    log: ctx.log,
    registry: ctx.registry,
    reconcile: async (name, signal) => {
      const cached = informer.get(name);
      if (!cached?.metadata?.deletionTimestamp) return;
      let live: Namespace;
      try {
        live = await namespaces.get('', name, { signal });
      } catch (err) {
        if (err instanceof NotFoundError) return;
        throw err;
      }
      if (!live.metadata?.deletionTimestamp) return;
      return deleteNamespace(live, signal, log.child({ namespace: name }));
    },
  });
  controller.watch(informer, (ns) => (ns.metadata?.deletionTimestamp ? ns.metadata.name : undefined));
  // Content deleted from a terminating namespace: look again (maybe it is empty now).
  for (const info of namespacedKinds()) {
    ctx.informers.get(info.case).addHandler({
      onDelete: (old: Readonly<KubeObject>) => {
        const ns = old.metadata?.namespace;
        if (ns && informer.get(ns)?.metadata?.deletionTimestamp) controller.enqueue(ns);
      },
    });
  }

  async function deleteNamespace(ns: Namespace, signal: AbortSignal, log: Logger): Promise<{ requeueAfterMs: number } | void> {
    const name = ns.metadata?.name ?? '';
    if (!(ns.spec?.finalizers ?? []).includes(NAMESPACE_FINALIZER)) {
      // Finalized already: deleting again removes it once it is empty and has no finalizers.
      await namespaces.delete('', name, { preconditions: { uid: ns.metadata?.uid }, signal }).catch(ignoreGone);
      return;
    }
    const { state, podEstimate } = await deleteAllContent(name, signal, log);
    const conditions = deletionConditions(state, ns.status?.conditions ?? [], new Date(ctx.now()));
    if (contentGone(state)) {
      log.info('namespace empty: finalizing');
      const finalized: Namespace = { ...ns, spec: { ...ns.spec, finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER) }, status: { phase: ns.status?.phase ?? 'Terminating', conditions } };
      await namespaces.updateStatus(finalized, { signal }).catch(ignoreNotFound); // a conflict is retried
      return;
    }
    await writeConditions(ns, conditions, signal);
    if (state.failures.length > 0) throw new Error(`deleting the content of namespace ${name}: ${state.failures.join('; ')}`);
    return { requeueAfterMs: requeueAfterMs(state, podEstimate) };
  }

  /** Deletes every object of every namespaced kind in `namespace`, then lists what is left. */
  async function deleteAllContent(namespace: string, signal: AbortSignal, log: Logger): Promise<{ state: ContentState; podEstimate: number }> {
    const state: ContentState = { remaining: [], finalizers: new Map(), failures: [] };
    let podEstimate = 0;
    for (const info of namespacedKinds()) {
      try {
        const items = await listIn(info, namespace, signal);
        if (info.case === 'pod') podEstimate = estimateGracefulTermination(items as Pod[]);
        let deleted = 0;
        for (const item of items) {
          if (item.metadata?.deletionTimestamp) continue;
          await ctx.client.delete(info.resource, namespace, item.metadata?.name ?? '', { preconditions: { uid: item.metadata?.uid }, propagationPolicy: 'Background', signal }).catch(ignoreGone);
          deleted++;
        }
        if (deleted > 0) log.debug({ resource: info.resource, deleted }, 'deleted namespace content');
        const left = deleted > 0 || items.length > 0 ? await listIn(info, namespace, signal) : [];
        state.remaining.push({ info, count: left.length });
        for (const item of left) for (const f of item.metadata?.finalizers ?? []) state.finalizers.set(f, (state.finalizers.get(f) ?? 0) + 1);
      } catch (err) {
        if (signal.aborted) throw err;
        state.failures.push(`${info.resource}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return { state, podEstimate };
  }

  async function listIn(info: KindInfo, namespace: string, signal: AbortSignal): Promise<KubeObject[]> {
    const { items } = await ctx.client.list(info.resource, { namespace, signal });
    return items.map((o) => unwrap(o).object);
  }

  async function writeConditions(ns: Namespace, conditions: Condition[], signal: AbortSignal): Promise<void> {
    if (sameConditions(ns.status?.conditions ?? [], conditions)) return;
    // UpdateStatus also writes spec.finalizers for namespaces: send them as they are.
    await namespaces.updateStatus({ ...ns, status: { phase: ns.status?.phase ?? 'Terminating', conditions } }, { signal }).catch((err: unknown) => {
      if (err instanceof ConflictError) return; // changed meanwhile: the next pass writes them
      return ignoreGone(err);
    });
  }

  return controller;
}

function ignoreNotFound(err: unknown): void {
  if (err instanceof NotFoundError) return;
  throw err;
}

/** NotFound (gone already) and uid-precondition conflicts (replaced) need nothing more. */
function ignoreGone(err: unknown): void {
  if (err instanceof NotFoundError || err instanceof ConflictError) return;
  throw err;
}
