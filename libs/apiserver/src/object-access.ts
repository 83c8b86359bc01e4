/**
 * Typed access to the parts every stored object shares (metadata, spec, status), plus deep
 * copies and a canonical form for comparing spec content. Objects from the store are never
 * changed in place: callers copy first.
 */
import { ObjectMeta, type KindInfo, type KubeObject } from '@skiff/api';

/** Any object of any kind, seen through the parts the generic registry touches. */
export interface StoredObject extends KubeObject {
  spec?: unknown;
  status?: unknown;
}

/** The object's metadata, created (empty) when missing. */
export function metaOf(object: StoredObject): ObjectMeta {
  object.metadata ??= ObjectMeta.fromPartial({});
  return object.metadata;
}

/** A deep copy (Dates stay Dates). */
export function deepCopy<T>(object: T): T {
  return structuredClone(object);
}

/** The encoded protobuf bytes etcd stores: resourceVersion is never stored (etcd's mod revision is authoritative). */
export function encodeObject(info: KindInfo, object: StoredObject): Uint8Array {
  const meta = metaOf(object);
  const resourceVersion = meta.resourceVersion;
  meta.resourceVersion = '';
  try {
    return info.codec.encode(object as never).finish();
  } finally {
    meta.resourceVersion = resourceVersion;
  }
}

/** Decodes stored bytes and stamps resourceVersion with the key's mod revision. */
export function decodeObject(info: KindInfo, bytes: Uint8Array, modRevision: number): StoredObject {
  const object = info.codec.decode(bytes) as StoredObject;
  metaOf(object).resourceVersion = String(modRevision);
  return object;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** True when two objects are equal in every field but resourceVersion (map order ignored). */
export function sameObject(info: KindInfo, a: StoredObject, b: StoredObject): boolean {
  const json = (o: StoredObject) => {
    const j = info.codec.toJSON(o as never) as { metadata?: Record<string, unknown> };
    if (j.metadata) delete j.metadata.resourceVersion;
    return JSON.stringify(canonical(j));
  };
  return json(a) === json(b);
}

/**
 * Everything but metadata and status, in a canonical JSON form (keys sorted, proto defaults
 * omitted): two objects with equal content give equal strings. Used to decide generation bumps.
 */
export function contentOf(info: KindInfo, object: StoredObject): string {
  const json = info.codec.toJSON(object as never) as Record<string, unknown>;
  const rest = { ...json };
  delete rest.metadata;
  if (info.hasStatus) delete rest.status;
  return JSON.stringify(canonical(rest));
}
