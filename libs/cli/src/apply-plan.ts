/**
 * `skiff apply`'s decision for one object, as a pure function: create it when nothing is stored;
 * otherwise overwrite the fields the manifest gives onto the stored object (keeping server-set
 * metadata, status and spec fields the manifest leaves out, such as a Service's clusterIP) and
 * report "configured" when that changes anything, "unchanged" when it does not.
 *
 * Rules, in proto JSON space:
 * - labels and annotations are replaced whole by the manifest's (absent = none), as are the
 *   top-level `data`/`binaryData` maps of ConfigMaps and Secrets; a Secret's `stringData` is
 *   folded into `data` (base64), as the server does.
 * - other top-level fields (spec, ...) are deep-merged: objects key by key, arrays and scalars
 *   replaced.
 * - comparison runs after defaulting both sides, and tolerates fields the server filled in
 *   inside replaced arrays (a field removed from inside a container is not detected; kubectl
 *   needs its last-applied annotation for that).
 */
import { applyDefaults, type KindInfo, type KubeObject } from '@skiff/api';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export type ApplyPlan =
  | { action: 'create'; object: KubeObject }
  | { action: 'configure'; object: KubeObject }
  | { action: 'unchanged' };

/** Top-level maps that the manifest replaces whole. */
const REPLACED_MAPS = new Set(['data', 'binaryData']);
/** Metadata fields a manifest may set; everything else in metadata belongs to the server. */
const USER_METADATA = ['labels', 'annotations', 'ownerReferences', 'finalizers', 'generateName'];

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toJson(info: KindInfo, object: KubeObject): JsonObject {
  return JSON.parse(JSON.stringify(info.codec.toJSON(object as never) ?? {})) as JsonObject;
}

function fromJson(info: KindInfo, json: JsonObject): KubeObject {
  return info.codec.fromJSON(json) as KubeObject;
}

/** A Secret's stringData folded into data (base64), as the apiserver stores it. */
function foldStringData(json: JsonObject): JsonObject {
  if (!isObject(json.stringData)) return json;
  const data: JsonObject = { ...(isObject(json.data) ? json.data : {}) };
  for (const [key, value] of Object.entries(json.stringData)) data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  const { stringData: _dropped, ...rest } = json;
  return { ...rest, data };
}

/** Deep merge of `patch` onto `base`: objects key by key; arrays and scalars replaced. */
export function mergeJson(base: Json | undefined, patch: Json): Json {
  if (!isObject(base) || !isObject(patch)) return patch;
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(patch)) out[key] = mergeJson(base[key], value);
  return out;
}

/**
 * True when `want` holds nothing that `have` lacks: objects key by key (keys only in `have` are
 * tolerated: server defaults), arrays element by element with equal lengths, scalars equal.
 */
export function isSubset(want: Json | undefined, have: Json | undefined): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && want.length === have.length && want.every((w, i) => isSubset(w, have[i]));
  }
  if (isObject(want)) {
    return isObject(have) && Object.entries(want).every(([key, value]) => isSubset(value, have[key]));
  }
  return want === have || (want === undefined && have === null);
}

function sameMap(a: Json | undefined, b: Json | undefined): boolean {
  const x = isObject(a) ? a : {};
  const y = isObject(b) ? b : {};
  return Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);
}

function defaulted(info: KindInfo, json: JsonObject): JsonObject {
  const object = fromJson(info, json);
  applyDefaults(info, object);
  return toJson(info, object);
}

/** Decides what `apply` does with `desired` (parsed from a manifest) given what is `stored`. */
export function planApply(info: KindInfo, desired: KubeObject, stored: KubeObject | undefined): ApplyPlan {
  let want = toJson(info, desired);
  if (info.kind === 'Secret') want = foldStringData(want);
  if (!stored) return { action: 'create', object: fromJson(info, want) };
  const have = toJson(info, stored);

  const merged: JsonObject = { ...have };
  for (const [key, value] of Object.entries(want)) {
    if (key === 'metadata' || key === 'status') continue;
    merged[key] = REPLACED_MAPS.has(key) ? value : mergeJson(have[key], value);
  }
  for (const key of REPLACED_MAPS) if (key in have && !(key in want)) delete merged[key];
  const wantMeta = isObject(want.metadata) ? want.metadata : {};
  const metadata: JsonObject = { ...(isObject(have.metadata) ? have.metadata : {}) };
  delete metadata.labels;
  delete metadata.annotations;
  for (const key of USER_METADATA) if (key in wantMeta) metadata[key] = wantMeta[key];
  merged.metadata = metadata;

  const before = defaulted(info, have);
  const after = defaulted(info, merged);
  const beforeMeta = isObject(before.metadata) ? before.metadata : {};
  const afterMeta = isObject(after.metadata) ? after.metadata : {};
  const unchanged =
    sameMap(beforeMeta.labels, afterMeta.labels) &&
    sameMap(beforeMeta.annotations, afterMeta.annotations) &&
    [...REPLACED_MAPS].every((key) => sameMap(before[key], after[key])) &&
    Object.keys(after).every((key) => key === 'status' || isSubset(after[key], before[key]));
  return unchanged ? { action: 'unchanged' } : { action: 'configure', object: fromJson(info, merged) };
}
