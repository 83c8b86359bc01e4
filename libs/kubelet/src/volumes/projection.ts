/**
 * The files of configMap, secret, downwardAPI and projected volumes, computed as Kubernetes'
 * volume plugins do (pkg/volume/configmap MakePayload, secret MakePayload, downwardapi
 * CollectData, projected collectData), as a payload for the AtomicWriter.
 *
 *   source         no items                       items (key -> path, mode)
 *   configMap      every key of data + binaryData  each item; a missing key is an error unless
 *   secret         every key of data               `optional` (then the item is skipped)
 *   downwardAPI    -                               each item: fieldRef (metadata.* only, as in
 *                                                  Kubernetes volumes) or resourceFieldRef
 *   projected      the sources merged into one directory (later sources win a shared path); the
 *                  projected volume's defaultMode applies to every source
 *
 * A missing ConfigMap or Secret is an error (`configmap "x" not found`) unless `optional`, when it
 * counts as empty. Modes: the item's `mode`, else the volume's `defaultMode`, else 0644. With a
 * pod fsGroup, every file also gets the group's read bit, as Kubernetes' SetVolumeOwnership does
 * for these read-only volumes (fsGroupMode).
 *
 * CONTRACT: pure; throws VolumeSourceError with Kubernetes' message. A projected volume reports
 * every failing source at once, as Kubernetes' aggregate error (`[a, b]`).
 */
import { DEFAULT_VOLUME_FILE_MODE, DownwardAPIError, podMetadataFieldValue, resourceFieldValue, type ConfigMap, type DownwardAPIVolumeFile, type KeyToPath, type Pod, type Secret, type Volume } from '@skiff/api';
import type { NodeAllocatable } from './downward-api';

/** One file of a volume: its bytes and permission bits. */
export interface FileProjection {
  data: Buffer;
  mode: number;
}

/** A volume's files by path relative to the volume's root. */
export type Payload = Record<string, FileProjection>;

/** A volume's source is missing or incomplete (see the module comment for the messages). */
export class VolumeSourceError extends Error {
  override readonly name = 'VolumeSourceError';
}

/**
 * The ConfigMaps and Secrets of the pod's namespace the payload is computed from, as read before
 * (undefined: does not exist).
 */
export interface SourceObjects {
  configMap(name: string): Readonly<ConfigMap> | undefined;
  secret(name: string): Readonly<Secret> | undefined;
}

/** What every projection needs besides its source. */
export interface ProjectionContext {
  pod: Readonly<Pod>;
  objects: SourceObjects;
  nodeAllocatable: Readonly<NodeAllocatable>;
}

/** The volume kinds whose files this module computes. */
export function isProjectedKind(volume: Readonly<Volume>): boolean {
  return !!(volume.configMap || volume.secret || volume.downwardAPI || volume.projected);
}

/** The ConfigMap and Secret names a volume reads (to fetch them before volumePayload). */
export function volumeReferences(volume: Readonly<Volume>): { configMaps: string[]; secrets: string[] } {
  const configMaps: string[] = [];
  const secrets: string[] = [];
  if (volume.configMap) configMaps.push(volume.configMap.name);
  if (volume.secret) secrets.push(volume.secret.secretName);
  for (const s of volume.projected?.sources ?? []) {
    if (s.configMap) configMaps.push(s.configMap.name);
    if (s.secret) secrets.push(s.secret.name);
  }
  return { configMaps, secrets };
}

/**
 * The files of a configMap, secret, downwardAPI or projected volume (see the module comment),
 * modes adjusted for `fsGroup` when given. Throws VolumeSourceError; a volume of another kind
 * gives an empty payload.
 */
export function volumePayload(volume: Readonly<Volume>, ctx: ProjectionContext, fsGroup?: number): Payload {
  let payload: Payload = {};
  if (volume.configMap) {
    const s = volume.configMap;
    payload = configMapPayload(s.items, lookup('configmap', s.name, ctx.objects.configMap(s.name), !!s.optional), modeOr(s.defaultMode), !!s.optional);
  } else if (volume.secret) {
    const s = volume.secret;
    payload = secretPayload(s.items, lookup('secret', s.secretName, ctx.objects.secret(s.secretName), !!s.optional), modeOr(s.defaultMode), !!s.optional);
  } else if (volume.downwardAPI) {
    payload = downwardAPIPayload(volume.downwardAPI.items, ctx, modeOr(volume.downwardAPI.defaultMode));
  } else if (volume.projected) {
    payload = projectedPayload(volume.projected.sources, ctx, modeOr(volume.projected.defaultMode));
  }
  return fsGroup === undefined ? payload : withFsGroupModes(payload);
}

function modeOr(mode: number | undefined): number {
  return mode ?? DEFAULT_VOLUME_FILE_MODE;
}

/** The object, an empty one when it is missing and optional, or Kubernetes' not-found error. */
function lookup<T extends ConfigMap | Secret>(kind: 'configmap' | 'secret', name: string, found: Readonly<T> | undefined, optional: boolean): Readonly<T> {
  if (found) return found;
  if (optional) return { data: {}, binaryData: {} } as unknown as T;
  throw new VolumeSourceError(`${kind} "${name}" not found`);
}

/** Kubernetes' configmap.MakePayload: every key of data and binaryData, or the items. */
export function configMapPayload(items: readonly KeyToPath[], configMap: Readonly<ConfigMap>, defaultMode: number, optional: boolean): Payload {
  const payload: Payload = {};
  if (items.length === 0) {
    for (const [k, v] of Object.entries(configMap.data ?? {})) payload[k] = { data: Buffer.from(v), mode: defaultMode };
    for (const [k, v] of Object.entries(configMap.binaryData ?? {})) payload[k] = { data: Buffer.from(v), mode: defaultMode };
    return payload;
  }
  for (const item of items) {
    const text = configMap.data?.[item.key];
    const binary = configMap.binaryData?.[item.key];
    if (text === undefined && binary === undefined) {
      if (optional) continue;
      throw new VolumeSourceError(`configmap references non-existent config key: ${item.key}`);
    }
    payload[item.path] = { data: text !== undefined ? Buffer.from(text) : Buffer.from(binary!), mode: item.mode ?? defaultMode };
  }
  return payload;
}

/** Kubernetes' secret.MakePayload: every key of data, or the items. */
export function secretPayload(items: readonly KeyToPath[], secret: Readonly<Secret>, defaultMode: number, optional: boolean): Payload {
  const payload: Payload = {};
  if (items.length === 0) {
    for (const [k, v] of Object.entries(secret.data ?? {})) payload[k] = { data: Buffer.from(v), mode: defaultMode };
    return payload;
  }
  for (const item of items) {
    const value = secret.data?.[item.key];
    if (value === undefined) {
      if (optional) continue;
      throw new VolumeSourceError(`references non-existent secret key: ${item.key}`);
    }
    payload[item.path] = { data: Buffer.from(value), mode: item.mode ?? defaultMode };
  }
  return payload;
}

/**
 * Kubernetes' downwardapi.CollectData: each item's value. Volumes support only the metadata
 * field paths (Kubernetes' ExtractFieldPathAsString); resourceFieldRef needs containerName.
 * Every failing item is reported (aggregate error).
 */
export function downwardAPIPayload(items: readonly DownwardAPIVolumeFile[], ctx: ProjectionContext, defaultMode: number): Payload {
  const payload: Payload = {};
  const errors: string[] = [];
  for (const item of items) {
    try {
      let value = '';
      if (item.fieldRef) {
        value = podMetadataFieldValue(ctx.pod, item.fieldRef.fieldPath);
      } else if (item.resourceFieldRef) {
        const r = item.resourceFieldRef;
        value = resourceFieldValue(ctx.pod, r.containerName, r.resource, r.divisor, ctx.nodeAllocatable);
      }
      payload[item.path] = { data: Buffer.from(value), mode: item.mode ?? defaultMode };
    } catch (err) {
      if (!(err instanceof DownwardAPIError)) throw err;
      errors.push(err.message);
    }
  }
  throwAggregate(errors);
  return payload;
}

/** Kubernetes' projected collectData: every source's files in one payload; all failures at once. */
export function projectedPayload(sources: Readonly<NonNullable<Volume['projected']>>['sources'], ctx: ProjectionContext, defaultMode: number): Payload {
  const payload: Payload = {};
  const errors: string[] = [];
  for (const source of sources) {
    try {
      let files: Payload = {};
      if (source.configMap) {
        const s = source.configMap;
        files = configMapPayload(s.items, lookup('configmap', s.name, ctx.objects.configMap(s.name), !!s.optional), defaultMode, !!s.optional);
      } else if (source.secret) {
        const s = source.secret;
        files = secretPayload(s.items, lookup('secret', s.name, ctx.objects.secret(s.name), !!s.optional), defaultMode, !!s.optional);
      } else if (source.downwardAPI) {
        files = downwardAPIPayload(source.downwardAPI.items, ctx, defaultMode);
      }
      Object.assign(payload, files);
    } catch (err) {
      if (!(err instanceof VolumeSourceError)) throw err;
      errors.push(err.message);
    }
  }
  throwAggregate(errors);
  return payload;
}

/** Kubernetes' utilerrors.NewAggregate message: one error as itself, several as `[a, b]`. */
function throwAggregate(messages: readonly string[]): void {
  if (messages.length === 1) throw new VolumeSourceError(messages[0]);
  if (messages.length > 1) throw new VolumeSourceError(`[${messages.join(', ')}]`);
}

/** SetVolumeOwnership's masks (pkg/volume/volume_linux.go). */
const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;

/**
 * The mode Kubernetes' SetVolumeOwnership gives an entry of an fsGroup volume: files get the
 * group's read bit (read-only volumes: configMap, secret, downwardAPI, projected) or read and
 * write bits (emptyDir); directories also get setgid and the execute bits.
 */
export function fsGroupMode(mode: number, opts: { dir: boolean; readOnly: boolean }): number {
  let mask = opts.readOnly ? RO_MASK : RW_MASK;
  if (opts.dir) mask |= SETGID | EXEC_MASK;
  return mode | mask;
}

/** The payload with every file's mode as fsGroupMode makes it for a read-only volume. */
export function withFsGroupModes(payload: Readonly<Payload>): Payload {
  const out: Payload = {};
  for (const [path, file] of Object.entries(payload)) out[path] = { data: file.data, mode: fsGroupMode(file.mode, { dir: false, readOnly: true }) };
  return out;
}
