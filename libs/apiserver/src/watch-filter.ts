/**
 * Turns etcd changes into API watch events for one watcher, as Kubernetes' cacher does: an
 * object that starts matching the watcher's selectors arrives as ADDED, one that stops matching
 * as DELETED (with its last matching state), a removed object as DELETED with its last state.
 */
import { findKind, wrap, type FieldMatcher, type LabelMatcher, type WatchEvent } from '@skiff/api';
import type { StorageEvent } from '@skiff/storage';
import { decodeObject, metaOf, type StoredObject } from './object-access';
import { parseObjectKey } from './registry-keys';

export interface WatchFilter {
  /** Only this namespace ('' = all). */
  namespace?: string;
  label?: LabelMatcher;
  field?: FieldMatcher;
}

function matches(filter: WatchFilter, object: StoredObject): boolean {
  if (filter.label && !filter.label.empty && !filter.label.matches(metaOf(object).labels)) return false;
  if (filter.field && !filter.field.empty && !filter.field.matches(object)) return false;
  return true;
}

/**
 * The watch event a storage change means for a watcher, or undefined when it does not concern
 * it (other namespace, not matching before nor after, a key outside the registry layout).
 * Objects carry resourceVersion = the change's revision.
 */
export function toWatchEvent(change: StorageEvent, filter: WatchFilter = {}): WatchEvent | undefined {
  const key = parseObjectKey(change.key);
  const info = key && findKind(key.resource);
  if (!key || !info || info.resource !== key.resource) return undefined;
  if (filter.namespace && info.namespaced && key.namespace !== filter.namespace) return undefined;
  const current = change.value ? decodeObject(info, change.value, change.revision) : undefined;
  const previous = change.prevValue ? decodeObject(info, change.prevValue, change.revision) : undefined;
  const nowMatches = current ? matches(filter, current) : false;
  const before = previous ? matches(filter, previous) : false;

  let type: string;
  let object: StoredObject | undefined;
  if (change.type === 'put' && nowMatches) {
    type = before && !change.created ? 'MODIFIED' : 'ADDED';
    object = current;
  } else if (previous && before) {
    type = 'DELETED';
    object = previous;
  } else if (change.type === 'delete' && !previous) {
    // The last state is unknown (no prev_kv): report the deletion by name.
    type = 'DELETED';
    object = info.codec.fromPartial({ metadata: { name: key.name, namespace: key.namespace, resourceVersion: String(change.revision) } }) as StoredObject;
  } else {
    return undefined;
  }
  return { type, object: wrap(info, object as never), revision: change.revision, resource: info.resource, namespace: key.namespace, name: key.name };
}
