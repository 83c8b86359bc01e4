/**
 * The garbage collector's work-queue keys: one queue serves every kind, so a key names the kind
 * too: "pods:default/web-1", "namespaces:team-a" (resource, then the informer key). Names never
 * contain ':', so the first ':' splits the two.
 */
import { findKind, keyOf, type KindInfo } from '@skiff/api';

/** The key of an object of kind `info`: "<resource>:<namespace>/<name>" or "<resource>:<name>". */
export function gcKey(info: KindInfo, meta: { namespace?: string; name?: string } | undefined): string {
  return `${info.resource}:${keyOf(meta)}`;
}

/** Splits a key made by gcKey into the kind and the informer key; undefined for a malformed key. */
export function parseGcKey(key: string): { info: KindInfo; objectKey: string } | undefined {
  const colon = key.indexOf(':');
  if (colon <= 0) return undefined;
  const info = findKind(key.slice(0, colon));
  if (!info || info.resource !== key.slice(0, colon)) return undefined;
  return { info, objectKey: key.slice(colon + 1) };
}
