/**
 * etcd key layout: `/registry/<resource>/<namespace>/<name>` for namespaced kinds and
 * `/registry/<resource>/<name>` for cluster-scoped ones.
 */
import type { KindInfo } from '@skiff/api';

export const REGISTRY_PREFIX = '/registry/';

/** The key of one object. */
export function objectKey(info: KindInfo, namespace: string, name: string): string {
  return info.namespaced ? `${REGISTRY_PREFIX}${info.resource}/${namespace}/${name}` : `${REGISTRY_PREFIX}${info.resource}/${name}`;
}

/** The prefix of every object of a resource, or of one namespace's objects when namespace is set. */
export function resourcePrefix(info: KindInfo, namespace = ''): string {
  return info.namespaced && namespace ? `${REGISTRY_PREFIX}${info.resource}/${namespace}/` : `${REGISTRY_PREFIX}${info.resource}/`;
}

export interface ParsedKey {
  resource: string;
  namespace: string;
  name: string;
}

/** Splits a registry key back into resource, namespace ('' for cluster-scoped) and name; undefined if it is not one. */
export function parseObjectKey(key: string): ParsedKey | undefined {
  if (!key.startsWith(REGISTRY_PREFIX)) return undefined;
  const parts = key.slice(REGISTRY_PREFIX.length).split('/');
  if (parts.length === 2 && parts[0] && parts[1]) return { resource: parts[0], namespace: '', name: parts[1] };
  if (parts.length === 3 && parts[0] && parts[1] && parts[2]) return { resource: parts[0], namespace: parts[1], name: parts[2] };
  return undefined;
}
