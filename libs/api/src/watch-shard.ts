/**
 * An object's watch shard (KindInfo.watchShard): the value of one string field, read straight off
 * the stored protobuf bytes by its field numbers, so that the apiserver's watch publisher can put
 * it in the event's subject without decoding the object.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { KindInfo, KubeObject } from './kinds';
import { fieldValue, type FieldMatcher } from './selectors';

/** The string at `path` (field numbers, outermost first) in the message `bytes`; '' when absent. */
export function readStringAtPath(bytes: Uint8Array, path: readonly number[]): string {
  let message = bytes;
  for (const field of path) {
    const reader = new BinaryReader(message);
    let found: Uint8Array | undefined;
    while (reader.pos < reader.len) {
      const [number, wireType] = reader.tag();
      if (number === field && wireType === WireType.LengthDelimited) found = reader.bytes(); // the last occurrence wins
      else reader.skip(wireType);
    }
    if (!found) return '';
    message = found;
  }
  return new TextDecoder().decode(message);
}

/** The watch shard of an object of `info` stored as `bytes`; '' when the kind has none or the field is empty. */
export function watchShardOf(info: KindInfo, bytes: Uint8Array): string {
  return info.watchShard ? readStringAtPath(bytes, info.watchShard.path) : '';
}

/** The watch shard of a decoded object of `info` (the same value watchShardOf reads off its bytes). */
export function watchShardOfObject(info: KindInfo, object: KubeObject): string {
  return info.watchShard ? fieldValue(object, info.watchShard.field) : '';
}

/**
 * The one shard a field selector confines a watch of `info` to (`spec.nodeName=n1` -> 'n1',
 * `spec.nodeName=` -> ''), or undefined when it does not pin the shard field to one value.
 */
export function selectedWatchShard(info: KindInfo, selector: FieldMatcher | undefined): string | undefined {
  if (!info.watchShard || !selector) return undefined;
  return selector.requirements.find((r) => r.field === info.watchShard?.field && r.operator === '=')?.value;
}
