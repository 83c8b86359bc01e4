/**
 * The watch stream's payload for a storage change, built without decoding the stored object:
 * a protobuf message is the concatenation of its fields, so the stored bytes of the object go
 * into WatchEvent.object (an ApiObject whose oneof field holds them) as they are. The object's
 * resourceVersion is therefore empty on the wire; it is the event's revision, and the bus's
 * decodeWatchEvent stamps it. Same events as toWatchEvent (no filter), at a fraction of the cost.
 */
import { ApiObject, findKind, watchShardOf, WatchEvent, wrap, type KindInfo } from '@skiff/api';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { StorageEvent } from '@skiff/storage';
import { parseObjectKey } from './registry-keys';

export interface EncodedWatchEvent {
  head: Pick<WatchEvent, 'revision' | 'resource' | 'namespace' | 'name'> & { shard: string };
  /** The protobuf-encoded WatchEvent. */
  payload: Uint8Array;
}

const oneofTags = new Map<string, Uint8Array>();

/** The tag bytes of the ApiObject oneof field that holds `info`'s kind (read off the codec). */
function oneofTag(info: KindInfo): Uint8Array {
  let tag = oneofTags.get(info.kind);
  if (!tag) {
    // An empty object of the kind encodes as [tag..., 0 (length)].
    const empty = ApiObject.encode(wrap(info, info.codec.fromPartial({}) as never)).finish();
    tag = empty.slice(0, empty.length - 1);
    oneofTags.set(info.kind, tag);
  }
  return tag;
}

/**
 * The payload to publish for a change under /registry/, or undefined for a key outside the
 * registry layout. put: ADDED (created) or MODIFIED; delete: DELETED with the last state (by
 * name only when etcd did not send it).
 */
export function encodeWatchEvent(change: StorageEvent): EncodedWatchEvent | undefined {
  const key = parseObjectKey(change.key);
  const info = key && findKind(key.resource);
  if (!key || !info || info.resource !== key.resource) return undefined;
  const type = change.type === 'delete' ? 'DELETED' : change.created ? 'ADDED' : 'MODIFIED';
  const objectBytes =
    change.type === 'delete'
      ? (change.prevValue ?? info.codec.encode(info.codec.fromPartial({ metadata: { name: key.name, namespace: key.namespace } }) as never).finish())
      : change.value!;
  // The shard field is immutable once set, so the object's state before a deletion or after a put holds it.
  const head = { revision: change.revision, resource: info.resource, namespace: key.namespace, name: key.name, shard: watchShardOf(info, objectBytes) };
  const writer = new BinaryWriter();
  writer.uint32(10).string(type);
  writer.uint32(18).fork().raw(oneofTag(info)).bytes(objectBytes).join();
  writer.uint32(24).int64(change.revision);
  writer.uint32(34).string(head.resource);
  if (head.namespace) writer.uint32(42).string(head.namespace);
  writer.uint32(50).string(head.name);
  return { head, payload: writer.finish() };
}
