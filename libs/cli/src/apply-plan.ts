/**
 * `skiff apply`'s decision for one object, as a pure function: kubectl's client-side apply.
 *
 * The manifest last applied is kept in the annotation LAST_APPLIED_ANNOTATION. Applying again is
 * a three-way merge of what is stored (live), what was last applied (last) and the manifest
 * (desired), in proto JSON space:
 * - a field in desired is set (objects merged key by key, scalars replaced);
 * - a field in last but no longer in desired is removed (the user deleted it from the file);
 * - a field in neither is kept (set by the server or another writer: clusterIP, status, labels
 *   added by a controller);
 * - lists are replaced, except those Kubernetes merges by key (containers and env by name,
 *   container ports by containerPort, service ports by port, volumes by name, volume mounts by
 *   mountPath), whose items are merged one by one the same way, in the manifest's order.
 * The result is "unchanged" when it equals the stored object after defaulting both.
 */
import { applyDefaults, type KindInfo, type KubeObject } from '@skiff/api';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export type ApplyPlan =
  | { action: 'create'; object: KubeObject }
  | { action: 'configure'; object: KubeObject }
  | { action: 'unchanged' };

/** Where apply keeps the manifest it applied (kubectl's kubectl.kubernetes.io/last-applied-configuration). */
export const LAST_APPLIED_ANNOTATION = 'skiff.io/last-applied-configuration';

/** List fields merged item by item, and the item field that identifies an item. */
const MERGE_KEYS: Record<string, readonly string[]> = {
  containers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  ports: ['containerPort', 'port'], // container ports, service ports
};

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toJson(info: KindInfo, object: KubeObject): JsonObject {
  return JSON.parse(JSON.stringify(info.codec.toJSON(object as never) ?? {})) as JsonObject;
}

/** A Secret's stringData folded into data (base64), as the apiserver stores it. */
function foldStringData(json: JsonObject): JsonObject {
  if (!isObject(json.stringData)) return json;
  const data: JsonObject = { ...(isObject(json.data) ? json.data : {}) };
  for (const [key, value] of Object.entries(json.stringData)) data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  const { stringData: _dropped, ...rest } = json;
  return { ...rest, data };
}

/** The merge key of a list field, when every item of the lists involved has it. */
function mergeKeyOf(field: string, lists: readonly (Json | undefined)[]): string | undefined {
  const items = lists.flatMap((list) => (Array.isArray(list) ? list : []));
  return MERGE_KEYS[field]?.find((key) => items.length > 0 && items.every((item) => isObject(item) && item[key] !== undefined));
}

function mergeList(field: string, live: Json | undefined, last: Json | undefined, desired: Json[]): Json[] {
  const key = mergeKeyOf(field, [live, last, desired]);
  if (!key) return desired;
  const byKey = (list: Json | undefined) => new Map((Array.isArray(list) ? list : []).map((item) => [JSON.stringify((item as JsonObject)[key]), item]));
  const liveItems = byKey(live);
  const lastItems = byKey(last);
  const wanted = desired.map((item) => {
    const id = JSON.stringify((item as JsonObject)[key]);
    return threeWayMerge(liveItems.get(id), lastItems.get(id), item);
  });
  const desiredIds = new Set(desired.map((item) => JSON.stringify((item as JsonObject)[key])));
  // Items someone else added (in live, never applied) stay; items removed from the manifest go.
  const kept = [...liveItems].filter(([id]) => !desiredIds.has(id) && !lastItems.has(id)).map(([, item]) => item);
  return [...wanted, ...kept];
}

/**
 * The three-way merge described above, for one value. `last` is what was applied before at this
 * place (undefined: nothing, so nothing is removed).
 */
export function threeWayMerge(live: Json | undefined, last: Json | undefined, desired: Json, field = ''): Json {
  if (Array.isArray(desired)) return mergeList(field, live, last, desired);
  if (!isObject(desired) || !isObject(live)) return desired;
  const out: JsonObject = { ...live };
  const before = isObject(last) ? last : {};
  for (const [key, value] of Object.entries(desired)) out[key] = threeWayMerge(live[key], before[key], value, key);
  for (const key of Object.keys(before)) if (!(key in desired)) delete out[key];
  return out;
}

/** Deep equality of JSON values (object key order ignored). */
export function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return a === b;
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

function withoutStatus(info: KindInfo, json: JsonObject): JsonObject {
  const object = info.codec.fromJSON(json) as KubeObject;
  applyDefaults(info, object);
  const { status: _status, ...rest } = toJson(info, object);
  return rest;
}

function lastApplied(stored: JsonObject): JsonObject | undefined {
  const meta = isObject(stored.metadata) ? stored.metadata : {};
  const text = isObject(meta.annotations) ? meta.annotations[LAST_APPLIED_ANNOTATION] : undefined;
  if (typeof text !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined; // unreadable: treated as never applied (nothing is removed)
  }
}

/** Decides what `apply` does with `desired` (parsed from a manifest) given what is `stored`. */
export function planApply(info: KindInfo, desired: KubeObject, stored: KubeObject | undefined): ApplyPlan {
  let want = toJson(info, desired);
  if (info.kind === 'Secret') want = foldStringData(want);
  delete want.status;
  const wantMeta: JsonObject = isObject(want.metadata) ? want.metadata : {};
  const annotations: JsonObject = { ...(isObject(wantMeta.annotations) ? wantMeta.annotations : {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  const record = JSON.stringify({ ...want, metadata: { ...wantMeta, annotations } });
  want.metadata = { ...wantMeta, annotations: { ...annotations, [LAST_APPLIED_ANNOTATION]: record } };
  if (!stored) return { action: 'create', object: info.codec.fromJSON(want) as KubeObject };

  const live = toJson(info, stored);
  const last = lastApplied(live);
  const merged = threeWayMerge(live, last, want) as JsonObject;
  const unchanged = sameJson(withoutStatus(info, live), withoutStatus(info, merged));
  return unchanged ? { action: 'unchanged' } : { action: 'configure', object: info.codec.fromJSON(merged) as KubeObject };
}
