/**
 * The garbage collector (Kubernetes' garbagecollector controller): cascades deletions along
 * ownerReferences for every kind. It watches every kind through the shared informers, each with
 * an index of objects by owner uid, and reconciles keys "<resource>:<namespace>/<name>":
 *
 *   an object with owner references ──> gc-decisions decideForDependent: delete it when all its
 *                                       owners are gone (uid precondition), or drop references
 *                                       to owners that are gone while another owner stays
 *   an owner being deleted with the   ──> decideForOwner: orphan its dependents, or delete them
 *   orphan / foregroundDeletion           and drop the finalizer once no blocking one is left
 *
 * Keys are queued when an object with owner references changes, when an owner is deleted (its
 * dependents), when a dependent of an owner being deleted changes (the owner), and for every
 * cached object at start: level-triggered, it converges after a restart with no memory.
 *
 * Reads come from the caches; an owner the cache says is gone is confirmed with the apiserver
 * (a cache can lag behind a just-created owner), and the dependent is read again live before it
 * is changed, as Kubernetes' attemptToDeleteItem does.
 */
import { ConflictError, KINDS, NotFoundError, unwrap, type KindInfo, type KubeObject, type OwnerReference } from '@skiff/api';
import type { Informer } from '@skiff/client';
import { Controller } from '@skiff/reconcile';
import type { Logger } from 'pino';
import type { ControllerContext } from '../controller-context';
import { BY_OWNER_UIDS, ownerUidsIndex } from '../owner-refs';
import { AbsentOwners } from './absent-owners';
import { forEachLimited } from './for-each-limited';
import {
  classifyOwner,
  decideForDependent,
  decideForOwner,
  deletingWith,
  FOREGROUND_FINALIZER,
  locateOwner,
  ORPHAN_FINALIZER,
  withoutOwnerReferences,
  type ClassifiedOwner,
} from './gc-decisions';
import { gcKey, parseGcKey } from './gc-key';
import { modifyObject, objectId } from './read-modify-write';

/** Dependents of one owner updated at once while orphaning them. */
const ORPHAN_PARALLELISM = 10;

/** The component name on the Events it records (Kubernetes' garbage-collector-controller). */
export const GARBAGE_COLLECTOR_COMPONENT = 'garbage-collector-controller';

type AnyInformer = Informer<KindInfo['case']>;

interface Cached {
  info: KindInfo;
  object: Readonly<KubeObject>;
}

/** Builds the garbage collector on the shared informers of every kind. */
export function garbageCollector(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'garbagecollector' });
  const recorder = ctx.recorder(GARBAGE_COLLECTOR_COMPONENT);
  const absent = new AbsentOwners();
  const informers = new Map<string, AnyInformer>();
  for (const info of KINDS) {
    informers.set(info.resource, ctx.informers.get(info.case, { [BY_OWNER_UIDS]: ownerUidsIndex }) as unknown as AnyInformer);
  }
  const informerOf = (info: KindInfo) => informers.get(info.resource) as AnyInformer;

  /** Every cached object (of any kind) that references the owner with `uid`. */
  const dependentsOf = (uid: string): Cached[] => {
    const found: Cached[] = [];
    for (const info of KINDS) for (const object of informerOf(info).byIndex(BY_OWNER_UIDS, uid)) found.push({ info, object });
    return found;
  };

  /** The cached owner a reference points at, when it is the same object (same uid). */
  const cachedOwner = (ref: Readonly<OwnerReference>, namespace: string): Cached | undefined => {
    const where = locateOwner(ref, namespace);
    if (!('info' in where)) return undefined;
    const object = informerOf(where.info).get(where.key);
    return object && object.metadata?.uid === ref.uid ? { info: where.info, object } : undefined;
  };

  const controller = new Controller({
    name: 'garbagecollector',
    workers: ctx.tuning.workers,
    log: ctx.log,
    registry: ctx.registry,
    reconcile: async (key, signal) => {
      const parsed = parseGcKey(key);
      if (!parsed) return;
      const object = informerOf(parsed.info).get(parsed.objectKey);
      if (!object) return; // gone: its dependents were queued by its delete
      const item: Cached = { info: parsed.info, object };
      if (object.metadata?.deletionTimestamp) await processOwner(item, signal, log.child({ object: key }));
      else if (object.metadata?.ownerReferences?.length) await processDependent(item, signal, log.child({ object: key }));
    },
  });

  /** Keys to queue when `object` of kind `info` changes: itself, and its owners being deleted. */
  const keysFor = (info: KindInfo) => (object: Readonly<KubeObject>): string[] => {
    const keys: string[] = [];
    const meta = object.metadata;
    if (meta?.ownerReferences?.length || deletingWith(object, FOREGROUND_FINALIZER) || deletingWith(object, ORPHAN_FINALIZER)) keys.push(gcKey(info, meta));
    for (const ref of meta?.ownerReferences ?? []) {
      const owner = cachedOwner(ref, meta?.namespace ?? '');
      if (owner?.object.metadata?.deletionTimestamp) keys.push(gcKey(owner.info, owner.object.metadata));
    }
    return keys;
  };
  for (const info of KINDS) {
    const informer = informerOf(info);
    controller.watch(informer, keysFor(info));
    informer.addHandler({
      onDelete: (old) => {
        const uid = old.metadata?.uid;
        if (uid) for (const dep of dependentsOf(uid)) controller.enqueue(gcKey(dep.info, dep.object.metadata));
      },
    });
  }

  /**
   * Classifies each owner reference of `object`: from the cache when the owner is there with
   * its uid; otherwise the apiserver decides (remembered when absent, since a uid never returns).
   */
  async function classify(info: KindInfo, object: Readonly<KubeObject>, signal: AbortSignal): Promise<ClassifiedOwner[]> {
    const namespace = info.namespaced ? (object.metadata?.namespace ?? '') : '';
    const owners: ClassifiedOwner[] = [];
    for (const ref of object.metadata?.ownerReferences ?? []) {
      const where = locateOwner(ref, namespace);
      if (!('info' in where)) {
        if (where.unresolvable === 'invalid-namespace') {
          recorder.warning(object, 'OwnerRefInvalidNamespace', `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: , name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace ""`, info.kind);
        }
        owners.push({ ref, class: 'unresolvable' });
        continue;
      }
      const cached = cachedOwner(ref, namespace);
      if (cached) {
        owners.push({ ref, class: classifyOwner(ref, cached.object) });
        continue;
      }
      if (absent.has(ref.uid)) {
        owners.push({ ref, class: 'dangling' });
        continue;
      }
      let live: KubeObject | undefined;
      try {
        live = unwrap(await ctx.client.get(where.info.resource, namespace, ref.name, { signal })).object;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      const cls = classifyOwner(ref, live);
      if (cls === 'dangling') absent.add(ref.uid);
      owners.push({ ref, class: cls });
    }
    return owners;
  }

  async function processDependent(item: Cached, signal: AbortSignal, log: Logger): Promise<void> {
    const uid = item.object.metadata?.uid ?? '';
    const hasDependents = () => dependentsOf(uid).length > 0;
    const first = decideForDependent(item.object, await classify(item.info, item.object, signal), hasDependents());
    if (first.action === 'none') return;
    // Decide again on the live object: the cache may not have seen a new owner reference yet.
    const { namespace, name } = objectId(item.info, item.object);
    let live: KubeObject;
    try {
      live = unwrap(await ctx.client.get(item.info.resource, namespace, name, { signal })).object;
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    if (live.metadata?.uid !== uid) return;
    const decision = decideForDependent(live, await classify(item.info, live, signal), hasDependents());
    if (decision.action === 'removeOwnerReferences') {
      log.debug({ owners: decision.uids }, 'removing references to owners that are gone');
      await modifyObject(ctx.client, objectId(item.info, live), (copy) => {
        const refs = withoutOwnerReferences(copy, decision.uids);
        if (refs.length === copy.metadata?.ownerReferences?.length || !copy.metadata) return undefined;
        copy.metadata.ownerReferences = refs;
        return copy;
      }, signal);
    } else if (decision.action === 'delete') {
      log.debug({ propagationPolicy: decision.propagationPolicy }, 'deleting an object whose owners are gone');
      try {
        await ctx.client.delete(item.info.resource, namespace, name, { preconditions: { uid }, propagationPolicy: decision.propagationPolicy, signal });
      } catch (err) {
        if (err instanceof NotFoundError || err instanceof ConflictError) return; // gone, or another object now holds the name
        throw err;
      }
    }
  }

  async function processOwner(item: Cached, signal: AbortSignal, log: Logger): Promise<void> {
    const dependents = dependentsOf(item.object.metadata?.uid ?? '');
    const infoOf = new Map(dependents.map((d) => [d.object, d.info]));
    const decision = decideForOwner(item.object, dependents.map((d) => d.object));
    const ownerUid = item.object.metadata?.uid ?? '';
    const dropFinalizer = async (finalizer: string) => {
      const done = await modifyObject(ctx.client, objectId(item.info, item.object), (copy) => {
        const finalizers = copy.metadata?.finalizers ?? [];
        if (!copy.metadata || !finalizers.includes(finalizer)) return undefined;
        copy.metadata.finalizers = finalizers.filter((f) => f !== finalizer);
        return copy;
      }, signal);
      if (done) log.info({ finalizer }, 'removed the finalizer: dependents handled');
    };
    switch (decision.action) {
      case 'orphan':
        await forEachLimited(decision.dependents, ORPHAN_PARALLELISM, (dependent) =>
          modifyObject(ctx.client, objectId(infoOf.get(dependent) as KindInfo, dependent), (copy) => {
            const refs = withoutOwnerReferences(copy, [ownerUid]);
            if (!copy.metadata || refs.length === copy.metadata.ownerReferences?.length) return undefined;
            copy.metadata.ownerReferences = refs;
            return copy;
          }, signal),
        );
        if (decision.dependents.length) log.info({ dependents: decision.dependents.length }, 'orphaned the dependents');
        await dropFinalizer(ORPHAN_FINALIZER);
        return;
      case 'removeFinalizer':
        await dropFinalizer(decision.finalizer);
        return;
      case 'waitForDependents':
        log.debug({ blocking: decision.blocking, processing: decision.process.length }, 'waiting for dependents to be deleted');
        for (const dependent of decision.process) controller.enqueue(gcKey(infoOf.get(dependent) as KindInfo, dependent.metadata));
        return;
      case 'none':
        return;
    }
  }

  return controller;
}
