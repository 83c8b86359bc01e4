/**
 * Manifests (Kubernetes-shaped YAML/JSON) <-> typed objects. CONTRACT: parsing is strict, as
 * Kubernetes' strict field validation: an unknown field, a wrong type or a bad int-or-string is an
 * InvalidError naming the field path ("spec.containers[0].imagee: unknown field"). apiVersion and
 * kind pick the kind; they are not part of the stored object.
 */
import type { ApiObject } from './gen';

export interface ParsedManifest {
  object: ApiObject;
  /** Where it came from, for error messages: "file.yaml#2" (document index). */
  source: string;
}

/** Parses one manifest object (already decoded from YAML/JSON) into an ApiObject. */
export function objectFromManifest(_manifest: unknown, _source = ''): ApiObject {
  throw new Error('TODO(api helper)');
}

/** Parses a multi-document YAML (or JSON) text; `List` kinds are flattened. */
export function parseManifests(_text: string, _source = ''): ParsedManifest[] {
  throw new Error('TODO(api helper)');
}

/** The manifest form of an object: { apiVersion, kind, metadata, spec, status } in proto JSON. */
export function manifestFromObject(_object: ApiObject): Record<string, unknown> {
  throw new Error('TODO(api helper)');
}

/** YAML text of one or more objects (several: a `v1 List`, as kubectl prints). */
export function toYaml(_objects: ApiObject | ApiObject[]): string {
  throw new Error('TODO(api helper)');
}
