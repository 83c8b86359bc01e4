/**
 * A metadata change to one live object of any kind, as a read-modify-write (there is no PATCH):
 * read the object, compute the change, update with its resourceVersion; a lost compare-and-swap
 * reads again. What the garbage collector uses to drop owner references and finalizers.
 */
import { ConflictError, NotFoundError, unwrap, wrap, type KindInfo, type KubeObject } from '@skiff/api';
import type { SkiffClient } from '@skiff/client';

/** Tries after a lost compare-and-swap before the ConflictError is thrown (the queue retries). */
const ATTEMPTS = 5;

export interface ObjectId {
  info: KindInfo;
  namespace: string;
  name: string;
  uid: string;
}

/** The identity of a cached object of kind `info`. */
export function objectId(info: KindInfo, object: Readonly<KubeObject>): ObjectId {
  return { info, namespace: object.metadata?.namespace ?? '', name: object.metadata?.name ?? '', uid: object.metadata?.uid ?? '' };
}

/**
 * Applies `change` to the live object with `id`'s name and uid. `change` gets a private copy and
 * returns it changed, or undefined when there is nothing to do. Resolves false when the object is
 * gone (or another uid holds its name) or nothing changed, true once written. Throws
 * ConflictError after ATTEMPTS lost races, and any other API error at once.
 */
export async function modifyObject(client: SkiffClient, id: ObjectId, change: (copy: KubeObject) => KubeObject | undefined, signal?: AbortSignal): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    let live: KubeObject;
    try {
      live = unwrap(await client.get(id.info.resource, id.namespace, id.name, { signal })).object;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
    if (live.metadata?.uid !== id.uid) return false;
    const next = change(live);
    if (!next) return false;
    try {
      await client.update(wrap(id.info, next as never), { signal });
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      if (!(err instanceof ConflictError) || attempt >= ATTEMPTS) throw err;
    }
  }
}
