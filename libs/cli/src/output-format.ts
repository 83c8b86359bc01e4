/**
 * The `-o yaml|json|name` printers: YAML and JSON in the manifest shape (apiVersion, kind,
 * metadata, spec, status; several objects as a `v1 List`), names as `pod/web`.
 */
import { KUBERNETES_YAML, manifestFromObject, toYaml, unwrap, type ApiObject } from '@skiff/api';
import { stringify } from 'yaml';
import { objectRef } from './resource-name';

export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json' | 'name';

/** Parses `-o`; throws an Error listing the allowed formats for anything else. */
export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return 'table';
  if (value === 'wide' || value === 'yaml' || value === 'json' || value === 'name') return value;
  throw new Error(`unable to match a printer suitable for the output format "${value}", allowed formats are: json,name,wide,yaml`);
}

/** `pod/web` for an object. */
export function nameOf(object: ApiObject): string {
  const { info, object: o } = unwrap(object);
  return objectRef(info, o.metadata?.name ?? '');
}

/**
 * Formats objects for a non-table format. `single` prints one object bare (get TYPE NAME);
 * otherwise a List, as kubectl does for listings (even of one).
 */
export function formatObjects(objects: readonly ApiObject[], format: 'yaml' | 'json' | 'name', single: boolean): string {
  if (format === 'name') return objects.map((o) => `${nameOf(o)}\n`).join('');
  if (format === 'yaml' && single && objects.length === 1) return toYaml(objects[0]);
  const manifests = objects.map((o) => manifestFromObject(o));
  const value = single && manifests.length === 1 ? manifests[0] : { apiVersion: 'v1', kind: 'List', items: manifests, metadata: { resourceVersion: '' } };
  return format === 'yaml' ? stringify(value, KUBERNETES_YAML) : `${JSON.stringify(value, null, 4)}\n`;
}
