/**
 * Validation of objects by kind, with Kubernetes' field paths. CONTRACT (used by the apiserver):
 * returns every problem found (empty when valid); never throws for bad input.
 * `old` is the stored object on update (immutable fields are checked against it).
 */
import type { FieldError } from './errors';
import type { KindInfo, KubeObject } from './kinds';

/** Objects larger than this (encoded protobuf bytes) are refused, as etcd's request limit is. */
export const MAX_OBJECT_BYTES = 1_048_576;

export function validateObject(_info: KindInfo, _object: KubeObject, _old?: KubeObject): FieldError[] {
  return []; // TODO(api helper): implement
}
