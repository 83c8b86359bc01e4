/**
 * Manifests (Kubernetes-shaped YAML/JSON) <-> typed objects. CONTRACT: parsing is strict, as
 * Kubernetes' strict field validation: an unknown field, a wrong type or a bad int-or-string is an
 * InvalidError naming the field path ("spec.containers[0].imagee: unknown field"). apiVersion and
 * kind pick the kind; they are not part of the stored object.
 *
 * The walk is driven by the proto descriptors (proto-schema.ts): only proto JSON names
 * (lowerCamelCase) are accepted; IntOrString is a plain scalar (8080, "http", "25%"); Timestamp an
 * RFC 3339 string; bytes base64; int64 a number or a numeric string; `null` means "unset".
 * Every error of a manifest is collected into one InvalidError whose fields carry bare paths and
 * whose message is prefixed with the source and the object ("app.yaml#1: Pod \"web\": ...").
 */
import { parseAllDocuments, stringify, type Tags } from 'yaml';
import { InvalidError, type FieldError } from './errors';
import type { ApiObject } from './gen';
import { KINDS, kindForManifest, unwrap, wrap, type KindInfo } from './kinds';
import { messageSchema, type FieldShape, type FieldSchema, type MessageSchema } from './proto-schema';

export interface ParsedManifest {
  object: ApiObject;
  /** Where it came from, for error messages: "file.yaml#2" (document index). */
  source: string;
}

/** One document of a multi-document text: its object, or why it could not be read. */
export type ManifestDocument = ParsedManifest | { source: string; error: InvalidError };

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INT64_STRING = /^-?\d+$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'timestamp';
  return typeof value;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

// ------------------------------------------------------------------------------ strict decoding

function expected(errs: FieldError[], path: string, what: string, value: unknown): undefined {
  errs.push({ field: path, detail: `expected ${what}, got ${describe(value)}` });
  return undefined;
}

/** Checks one value against its shape; returns the proto JSON ts-proto's fromJSON reads. */
function decodeValue(shape: FieldShape, value: unknown, path: string, errs: FieldError[]): unknown {
  switch (shape.kind) {
    case 'string':
      return typeof value === 'string' ? value : expected(errs, path, 'string', value);
    case 'bool':
      return typeof value === 'boolean' ? value : expected(errs, path, 'boolean', value);
    case 'int32':
      if (typeof value !== 'number' || !Number.isInteger(value)) return expected(errs, path, 'integer', value);
      if (value < shape.min || value > shape.max) {
        errs.push({ field: path, detail: `integer ${value} out of range [${shape.min}, ${shape.max}]` });
        return undefined;
      }
      return value;
    case 'int64':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (typeof value === 'string' && INT64_STRING.test(value) && Number.isSafeInteger(Number(value))) return value;
      return expected(errs, path, 'integer', value);
    case 'double':
      return typeof value === 'number' ? value : expected(errs, path, 'number', value);
    case 'enum':
      return typeof value === 'string' || typeof value === 'number' ? value : expected(errs, path, 'string', value);
    case 'bytes':
      if (typeof value !== 'string') return expected(errs, path, 'base64 string', value);
      if (!BASE64.test(value)) {
        errs.push({ field: path, detail: 'illegal base64 data' });
        return undefined;
      }
      return value;
    case 'intOrString':
      if (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) return { intVal: value };
      if (typeof value === 'string') return { strVal: value };
      return expected(errs, path, 'integer or string', value);
    case 'timestamp':
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
      if (typeof value !== 'string') return expected(errs, path, 'RFC 3339 timestamp string', value);
      if (!RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
        errs.push({ field: path, detail: `expected RFC 3339 timestamp, got "${value}"` });
        return undefined;
      }
      return value;
    case 'message':
      return decodeMessage(messageSchema(shape.typeName), value, path, errs);
  }
}

function decodeField(field: FieldSchema, value: unknown, path: string, errs: FieldError[]): unknown {
  if (field.mapValue) {
    if (!isPlainObject(value)) return expected(errs, path, 'object', value);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const decoded = decodeValue(field.mapValue, item, `${path}[${key}]`, errs);
      if (decoded !== undefined) out[key] = decoded;
    }
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) return expected(errs, path, 'array', value);
    return value.map((item, i) => decodeValue(field.shape, item, `${path}[${i}]`, errs));
  }
  return decodeValue(field.shape, value, path, errs);
}

function decodeMessage(schema: MessageSchema, value: unknown, path: string, errs: FieldError[], skip: ReadonlySet<string> = new Set()): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return expected(errs, path || '(root)', 'object', value);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (skip.has(key)) continue;
    const field = schema.byJsonName.get(key);
    const fieldPath = join(path, key);
    if (!field) {
      errs.push({ field: fieldPath, detail: 'unknown field' });
      continue;
    }
    if (item === null || item === undefined) continue;
    const decoded = decodeField(field, item, fieldPath, errs);
    if (decoded !== undefined) out[key] = decoded;
  }
  return out;
}

/** "Pod \"web\"" (or just "Pod"), for error prefixes. */
function identity(info: KindInfo, manifest: Record<string, unknown>): string {
  const meta = manifest['metadata'];
  const name = isPlainObject(meta) && typeof meta['name'] === 'string' && meta['name'] ? meta['name'] : undefined;
  return name ? `${info.kind} "${name}"` : info.kind;
}

function prefixOf(...parts: Array<string | undefined>): string | undefined {
  const text = parts.filter(Boolean).join(': ');
  return text || undefined;
}

/**
 * The kind a manifest names; throws InvalidError naming "apiVersion" or "kind" when either is
 * missing, not a string, or names nothing we serve.
 */
export function kindOfManifest(manifest: Record<string, unknown>, source = ''): KindInfo {
  const { apiVersion, kind } = manifest;
  const errs: FieldError[] = [];
  if (apiVersion === undefined || apiVersion === null || apiVersion === '') errs.push({ field: 'apiVersion', detail: 'required' });
  else if (typeof apiVersion !== 'string') expected(errs, 'apiVersion', 'string', apiVersion);
  if (kind === undefined || kind === null || kind === '') errs.push({ field: 'kind', detail: 'required' });
  else if (typeof kind !== 'string') expected(errs, 'kind', 'string', kind);
  if (errs.length) throw new InvalidError(errs, prefixOf(source));
  const info = kindForManifest(apiVersion as string, kind as string);
  if (info) return info;
  const sameKind = KINDS.find((k) => k.kind === kind);
  if (sameKind)
    throw new InvalidError([{ field: 'apiVersion', detail: `no matches for kind "${kind}" in version "${apiVersion}" (use "${sameKind.apiVersion}")` }], prefixOf(source));
  throw new InvalidError([{ field: 'kind', detail: `no matches for kind "${kind}" in version "${apiVersion}"` }], prefixOf(source));
}

/** Parses one manifest object (already decoded from YAML/JSON) into an ApiObject. */
export function objectFromManifest(manifest: unknown, source = ''): ApiObject {
  if (!isPlainObject(manifest)) {
    throw new InvalidError(
      [
        { field: 'apiVersion', detail: 'required' },
        { field: 'kind', detail: 'required' },
      ],
      prefixOf(source, `expected an object, got ${describe(manifest)}`),
    );
  }
  const info = kindOfManifest(manifest, source);
  const errs: FieldError[] = [];
  const json = decodeMessage(messageSchema(info.typeName), manifest, '', errs, new Set(['apiVersion', 'kind']));
  if (errs.length || !json) throw new InvalidError(errs, prefixOf(source, identity(info, manifest)));
  return wrap(info, info.codec.fromJSON(json));
}

// ------------------------------------------------------------------------------ documents

function yamlError(source: string, line: number | undefined, message: string): InvalidError {
  const firstLine = message.split('\n')[0];
  return new InvalidError([{ field: 'yaml', detail: line ? `line ${line}: ${firstLine}` : firstLine }], prefixOf(source));
}

/**
 * YAML as Kubernetes reads it (sigs.k8s.io/yaml over go-yaml v2): version 1.1, so `defaultMode:
 * 0400` is octal (256) as the docs mean it and `yes`/`on` are booleans (written quoted when they
 * are strings), but timestamps and base-60 numbers (`12:30`) stay strings, as go-yaml gives them.
 */
export const KUBERNETES_YAML = {
  version: '1.1',
  customTags: (tags: Tags) =>
    tags.filter((t) => t !== 'timestamp' && (typeof t === 'string' || (t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME'))),
} as const;

/**
 * Every document of a multi-document YAML (or JSON) text, in order, each with its object or its
 * error, so that a caller can report per document (empty documents are skipped; `List` kinds are
 * flattened into their items, sourced "file.yaml#2.items[0]"). A YAML syntax error makes one
 * error entry naming the line.
 */
export function parseManifestDocuments(text: string, source = ''): ManifestDocument[] {
  const out: ManifestDocument[] = [];
  const docs = parseAllDocuments(text, { ...KUBERNETES_YAML, uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(docs)) return out;
  docs.forEach((doc, i) => {
    const docSource = `${source}#${i + 1}`;
    if (doc.errors.length) {
      const e = doc.errors[0];
      out.push({ source: docSource, error: yamlError(docSource, e.linePos?.[0]?.line, e.message) });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      out.push({ source: docSource, error: yamlError(docSource, undefined, (err as Error).message) });
      return;
    }
    if (value === null || value === undefined) return;
    const items = isPlainObject(value) && typeof value['kind'] === 'string' && value['kind'].endsWith('List') && Array.isArray(value['items']) ? value['items'] : undefined;
    const entries: Array<[unknown, string]> = items ? items.map((item, j) => [item, `${docSource}.items[${j}]`]) : [[value, docSource]];
    for (const [manifest, where] of entries) {
      try {
        out.push({ object: objectFromManifest(manifest, where), source: where });
      } catch (err) {
        if (!(err instanceof InvalidError)) throw err;
        out.push({ source: where, error: err });
      }
    }
  });
  return out;
}

/**
 * Parses a multi-document YAML (or JSON) text; `List` kinds are flattened. Throws the InvalidError
 * of the first document that fails (use parseManifestDocuments to see each document's outcome).
 */
export function parseManifests(text: string, source = ''): ParsedManifest[] {
  const docs = parseManifestDocuments(text, source);
  const failed = docs.find((d): d is { source: string; error: InvalidError } => 'error' in d);
  if (failed) throw failed.error;
  return docs as ParsedManifest[];
}

// ------------------------------------------------------------------------------ printing

function isEmptyObject(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).length === 0;
}

/** A timestamp as Kubernetes prints it: whole seconds without ".000". */
function printTimestamp(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/\.000Z$/, 'Z') : value;
}

function encodeValue(shape: FieldShape, value: unknown): unknown {
  switch (shape.kind) {
    case 'intOrString': {
      const v = value as { intVal?: number; strVal?: string };
      if (v.intVal !== undefined) return v.intVal;
      if (v.strVal !== undefined) return v.strVal;
      return undefined;
    }
    case 'timestamp':
      return printTimestamp(value);
    case 'message':
      return encodeMessage(messageSchema(shape.typeName), value as Record<string, unknown>);
    default:
      return value;
  }
}

/** ts-proto's toJSON output -> manifest form (IntOrString scalars, Kubernetes timestamps). */
function encodeMessage(schema: MessageSchema, json: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const field = schema.byJsonName.get(key);
    if (!field || field.mapValue) {
      out[key] = value;
      continue;
    }
    const encoded = field.repeated && Array.isArray(value) ? value.map((v) => encodeValue(field.shape, v)) : encodeValue(field.shape, value);
    if (encoded !== undefined) out[key] = encoded;
  }
  return out;
}

/** The manifest form of an object: { apiVersion, kind, metadata, spec, status } in proto JSON. */
export function manifestFromObject(object: ApiObject): Record<string, unknown> {
  const { info, object: value } = unwrap(object);
  const json = (info.codec.toJSON as (m: unknown) => unknown)(value) as Record<string, unknown>;
  const body = encodeMessage(messageSchema(info.typeName), json);
  const out: Record<string, unknown> = { apiVersion: info.apiVersion, kind: info.kind };
  for (const [key, v] of Object.entries(body)) if (!isEmptyObject(v)) out[key] = v;
  return out;
}

const YAML_OPTIONS = { ...KUBERNETES_YAML, aliasDuplicateObjects: false, lineWidth: 0, indentSeq: false } as const;

/** YAML text of one or more objects (several: a `v1 List`, as kubectl prints). */
export function toYaml(objects: ApiObject | ApiObject[]): string {
  if (!Array.isArray(objects)) return stringify(manifestFromObject(objects), YAML_OPTIONS);
  return stringify({ apiVersion: 'v1', kind: 'List', items: objects.map(manifestFromObject) }, YAML_OPTIONS);
}
