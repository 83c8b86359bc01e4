/**
 * The StorageClass every cluster starts with: `local-path` (provisioner skiff.io/local-path,
 * WaitForFirstConsumer, reclaim Delete), marked default, as k3s ships its local-path class.
 *
 * Made by the apiserver at start, like the system namespaces (not by a controller): it then exists
 * before any claim can be admitted, so DefaultStorageClass admission gives the very first claims
 * of a fresh cluster a class (a controller starting later would race them). It is made only when
 * the cluster has no default class and no class of that name: an administrator who marked
 * another class default, or replaced local-path, keeps that choice across restarts. Idempotent and
 * safe with several apiservers (AlreadyExists is success).
 */
import { AlreadyExistsError, DEFAULT_STORAGE_CLASS_NAME, defaultLocalPathStorageClass, isDefaultStorageClass, unwrap, wrap, kindFor, type StorageClass } from '@skiff/api';
import type { GenericStore } from './generic-store';

/** Creates the default local-path StorageClass when the cluster has no default (see the module comment); true when it made it. */
export async function ensureDefaultStorageClass(store: Pick<GenericStore, 'list' | 'create'>): Promise<boolean> {
  const info = kindFor('storageclasses');
  const { items } = await store.list({ resource: info.resource });
  const classes = items.map((o) => unwrap(o).object as StorageClass);
  if (classes.some((sc) => isDefaultStorageClass(sc) || sc.metadata?.name === DEFAULT_STORAGE_CLASS_NAME)) return false;
  try {
    await store.create(wrap(info, defaultLocalPathStorageClass() as never));
    return true;
  } catch (err) {
    if (err instanceof AlreadyExistsError) return false;
    throw err;
  }
}
