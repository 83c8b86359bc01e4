/**
 * Validation of a pod's volumes and of containers' volumeMounts, as Kubernetes'
 * ValidateVolumes / ValidateVolumeMounts (pkg/apis/core/validation): exactly one source per
 * volume, DNS-1123 label names unique in the pod, file paths relative without '..' (and not
 * starting with '..', which the kubelet's atomic writer reserves), file modes 0..0777, hostPath
 * types from Kubernetes' set, downward API field paths a volume may show, and projected sources
 * of one kind each with no two files at one path. Field paths are Kubernetes' (with the item
 * index where Kubernetes forgets it).
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { DownwardAPIVolumeFile, KeyToPath, ObjectFieldSelector, ProjectedVolumeSource, ResourceFieldSelector, Volume, VolumeMount } from '../gen';
import { splitSubscriptedFieldPath } from '../downward-api';
import { checkDns1123Label, checkQualifiedName } from '../names';
import { compareQuantities, isQuantity } from '../quantity';
import { duplicate, forbidden, invalid, invalidEach, notFound, required, unsupported, type Errors } from './field-errors';

/** Kubernetes' fileModeErrorMsg. */
export const FILE_MODE_MESSAGE = 'must be a number between 0 and 0777 (octal), both inclusive';

/** Kubernetes' supportedHostPathTypes ('' is the unset type: no check). */
export const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];

/** emptyDir media Skiff implements: the node's disk ('') and a tmpfs ('Memory'). */
export const EMPTY_DIR_MEDIA = ['', 'Memory'];

/** Field paths a downwardAPI volume file may show (validVolumeDownwardAPIFieldPathExpressions). */
export const VOLUME_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.labels', 'metadata.annotations', 'metadata.uid'];

/** Field paths an env var's fieldRef may name (validEnvDownwardAPIFieldPathExpressions). */
export const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];

/** Resources a resourceFieldRef may name (validContainerResourceFieldPathExpressions). */
export const RESOURCE_FIELD_REFS = ['limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage'];

const CPU_DIVISORS = ['1m', '1'];
const BYTE_DIVISORS = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];

const VOLUME_SOURCES = ['emptyDir', 'configMap', 'secret', 'hostPath', 'downwardAPI', 'projected', 'persistentVolumeClaim'] as const;

/** '..' as a path element (validatePathNoBacksteps). */
function validatePathNoBacksteps(errs: Errors, path: string, field: string): void {
  if (path.split('/').includes('..')) errs.push(invalid(field, path, "must not contain '..'"));
}

/** A relative path without '..' elements (validateLocalDescendingPath), as subPath is. */
export function validateLocalDescendingPath(errs: Errors, path: string, field: string): void {
  if (path.startsWith('/')) errs.push(invalid(field, path, 'must be a relative path'));
  validatePathNoBacksteps(errs, path, field);
}

/** validateLocalDescendingPath, and not starting with '..' (ValidateLocalNonReservedPath). */
export function validateLocalNonReservedPath(errs: Errors, path: string, field: string): void {
  validateLocalDescendingPath(errs, path, field);
  if (path.startsWith('..') && !path.startsWith('../')) errs.push(invalid(field, path, "must not start with '..'"));
}

/** A file mode, when set: 0..0777. */
export function validateFileMode(errs: Errors, mode: number | undefined, field: string): void {
  if (mode !== undefined && (mode < 0 || mode > 0o777)) errs.push(invalid(field, mode, FILE_MODE_MESSAGE));
}

/** One `items` entry of a configMap / secret volume or projection (validateKeyToPath). */
function validateKeyToPath(errs: Errors, kp: KeyToPath, field: string): void {
  if (!kp.key) errs.push(required(`${field}.key`));
  if (!kp.path) errs.push(required(`${field}.path`));
  validateLocalNonReservedPath(errs, kp.path ?? '', `${field}.path`);
  validateFileMode(errs, kp.mode, `${field}.mode`);
}

/** A list of `items`; two items at one path are refused (the second would overwrite the first). */
function validateItems(errs: Errors, items: readonly KeyToPath[] | undefined, field: string): void {
  const paths = new Set<string>();
  (items ?? []).forEach((kp, i) => {
    validateKeyToPath(errs, kp, `${field}[${i}]`);
    if (!kp.path) return;
    if (paths.has(kp.path)) errs.push(duplicate(`${field}[${i}].path`, kp.path));
    paths.add(kp.path);
  });
}

/**
 * An ObjectFieldSelector (validateObjectFieldSelector): apiVersion (defaulted to v1) and
 * fieldPath required, labels['k'] / annotations['k'] need a qualified name, other paths must be
 * in `allowed`.
 */
export function validateObjectFieldSelector(errs: Errors, ref: ObjectFieldSelector, allowed: readonly string[], field: string): void {
  if (!ref.apiVersion) {
    errs.push(required(`${field}.apiVersion`));
    return;
  }
  if (!ref.fieldPath) {
    errs.push(required(`${field}.fieldPath`));
    return;
  }
  if (ref.apiVersion !== 'v1') {
    errs.push(invalid(`${field}.fieldPath`, ref.fieldPath, `error converting fieldPath: field label not supported: ${ref.fieldPath}`));
    return;
  }
  const { path, subscript: key } = splitSubscriptedFieldPath(ref.fieldPath);
  if (key !== undefined) {
    if (path === 'metadata.annotations') invalidEach(errs, field, key, checkQualifiedName(key.toLowerCase()));
    else if (path === 'metadata.labels') invalidEach(errs, field, key, checkQualifiedName(key));
    else errs.push(invalid(field, path, 'does not support subscript'));
    return;
  }
  if (!allowed.includes(ref.fieldPath)) errs.push(unsupported(`${field}.fieldPath`, ref.fieldPath, allowed));
}

/**
 * A ResourceFieldSelector (validateContainerResourceFieldSelector): a known resource, a
 * divisor Kubernetes allows for it, and (in volumes, where there is no "this container") a
 * containerName; a containerName must name one of the pod's containers.
 */
export function validateResourceFieldSelector(errs: Errors, ref: ResourceFieldSelector, field: string, inVolume: boolean, containers: ReadonlySet<string>): void {
  if (inVolume && !ref.containerName) errs.push(required(`${field}.containerName`));
  else if (!ref.resource) errs.push(required(`${field}.resource`));
  else if (!RESOURCE_FIELD_REFS.includes(ref.resource)) errs.push(unsupported(`${field}.resource`, ref.resource, RESOURCE_FIELD_REFS));
  if (ref.containerName && !containers.has(ref.containerName)) errs.push(notFound(`${field}.containerName`, ref.containerName));
  const divisor = ref.divisor;
  if (!divisor) return;
  if (!isQuantity(divisor)) {
    errs.push(invalid(`${field}.divisor`, divisor, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
    return;
  }
  if (compareQuantities(divisor, '0') === 0) return; // the unset divisor: 1
  const one = (allowed: readonly string[]) => allowed.some((d) => compareQuantities(d, divisor) === 0);
  if (ref.resource.endsWith('.cpu') && !one(CPU_DIVISORS)) errs.push(invalid(`${field}.divisor`, ref.resource, "only divisor's values 1m and 1 are supported with the cpu resource"));
  if (ref.resource.endsWith('.memory') && !one(BYTE_DIVISORS))
    errs.push(invalid(`${field}.divisor`, ref.resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource"));
  if (ref.resource.endsWith('.ephemeral-storage') && !one(BYTE_DIVISORS))
    errs.push(invalid(`${field}.divisor`, ref.resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource"));
}

/** One file of a downwardAPI volume or projection (validateDownwardAPIVolumeFile). */
function validateDownwardApiFile(errs: Errors, file: DownwardAPIVolumeFile, field: string, containers: ReadonlySet<string>): void {
  if (!file.path) errs.push(required(`${field}.path`));
  validateLocalNonReservedPath(errs, file.path ?? '', `${field}.path`);
  if (file.fieldRef) {
    validateObjectFieldSelector(errs, file.fieldRef, VOLUME_FIELD_PATHS, `${field}.fieldRef`);
    if (file.resourceFieldRef) errs.push(invalid(field, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (file.resourceFieldRef) {
    validateResourceFieldSelector(errs, file.resourceFieldRef, `${field}.resourceFieldRef`, true, containers);
  } else {
    errs.push(required(field, 'one of fieldRef and resourceFieldRef is required'));
  }
  validateFileMode(errs, file.mode, `${field}.mode`);
}

function validateDownwardApiFiles(errs: Errors, items: readonly DownwardAPIVolumeFile[] | undefined, field: string, containers: ReadonlySet<string>, paths: Set<string>, conflictField: string): void {
  (items ?? []).forEach((file, i) => {
    validateDownwardApiFile(errs, file, `${field}[${i}]`, containers);
    if (!file.path) return;
    if (paths.has(file.path)) errs.push(invalid(conflictField, file.path, 'conflicting duplicate paths'));
    paths.add(file.path);
  });
}

/** A projected volume (validateProjectedVolumeSource): at most one kind per source, no two files at one path. */
function validateProjected(errs: Errors, projected: ProjectedVolumeSource, field: string, containers: ReadonlySet<string>): void {
  validateFileMode(errs, projected.defaultMode, `${field}.defaultMode`);
  const paths = new Set<string>();
  (projected.sources ?? []).forEach((source, i) => {
    const sp = `${field}.sources[${i}]`;
    const kinds = (['secret', 'configMap', 'downwardAPI'] as const).filter((k) => source[k] !== undefined);
    if (kinds.length > 1) errs.push(forbidden(sp, 'may not specify more than 1 volume type per source'));
    for (const kind of ['secret', 'configMap'] as const) {
      const ref = source[kind];
      if (!ref) continue;
      if (!ref.name) errs.push(required(`${sp}.${kind}.name`));
      (ref.items ?? []).forEach((kp, j) => {
        validateKeyToPath(errs, kp, `${sp}.${kind}.items[${j}]`);
        if (!kp.path) return;
        if (paths.has(kp.path)) errs.push(invalid(field, ref.name, 'conflicting duplicate paths'));
        paths.add(kp.path);
      });
    }
    if (source.downwardAPI) validateDownwardApiFiles(errs, source.downwardAPI.items, `${sp}.downwardAPI.items`, containers, paths, field);
  });
}

/** The one source of a volume, checked. */
function validateVolumeSource(errs: Errors, v: Volume, p: string, containers: ReadonlySet<string>): void {
  const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined);
  if (sources.length === 0) errs.push(required(p, 'must specify a volume type'));
  for (const extra of sources.slice(1)) errs.push(forbidden(`${p}.${extra}`, 'may not specify more than 1 volume type'));
  if (v.emptyDir) {
    const { medium, sizeLimit } = v.emptyDir;
    if (medium && !EMPTY_DIR_MEDIA.includes(medium)) errs.push(unsupported(`${p}.emptyDir.medium`, medium, EMPTY_DIR_MEDIA));
    if (sizeLimit) {
      if (!isQuantity(sizeLimit)) errs.push(invalid(`${p}.emptyDir.sizeLimit`, sizeLimit, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
      else if (compareQuantities(sizeLimit, '0') < 0) errs.push(forbidden(`${p}.emptyDir.sizeLimit`, 'SizeLimit field must be a valid resource quantity'));
    }
  }
  if (v.configMap) {
    if (!v.configMap.name) errs.push(required(`${p}.configMap.name`));
    validateFileMode(errs, v.configMap.defaultMode, `${p}.configMap.defaultMode`);
    validateItems(errs, v.configMap.items, `${p}.configMap.items`);
  }
  if (v.secret) {
    if (!v.secret.secretName) errs.push(required(`${p}.secret.secretName`));
    validateFileMode(errs, v.secret.defaultMode, `${p}.secret.defaultMode`);
    validateItems(errs, v.secret.items, `${p}.secret.items`);
  }
  if (v.hostPath) {
    if (!v.hostPath.path) errs.push(required(`${p}.hostPath.path`));
    else {
      validatePathNoBacksteps(errs, v.hostPath.path, `${p}.hostPath.path`);
      if (!HOST_PATH_TYPES.includes(v.hostPath.type ?? '')) errs.push(unsupported(`${p}.hostPath.type`, v.hostPath.type, HOST_PATH_TYPES));
    }
  }
  if (v.downwardAPI) {
    validateFileMode(errs, v.downwardAPI.defaultMode, `${p}.downwardAPI.defaultMode`);
    validateDownwardApiFiles(errs, v.downwardAPI.items, `${p}.downwardAPI.items`, containers, new Set(), `${p}.downwardAPI.items`);
  }
  if (v.projected) validateProjected(errs, v.projected, `${p}.projected`, containers);
  if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) errs.push(required(`${p}.persistentVolumeClaim.claimName`));
}

/**
 * A pod's volumes under `path` ("spec.volumes"); `containers` are the names of all its
 * containers (init and app), which resourceFieldRefs may name. Returns the names of the
 * volumes that are valid, which volumeMounts may name (as Kubernetes: a mount of an invalid
 * volume is also "Not found").
 */
export function validateVolumes(errs: Errors, volumes: readonly Volume[] | undefined, path: string, containers: ReadonlySet<string>): Set<string> {
  const names = new Set<string>();
  (volumes ?? []).forEach((v, i) => {
    const p = `${path}[${i}]`;
    const own: Errors = [];
    validateVolumeSource(own, v, p, containers);
    if (!v.name) own.push(required(`${p}.name`));
    else invalidEach(own, `${p}.name`, v.name, checkDns1123Label(v.name));
    if (v.name && names.has(v.name)) own.push(duplicate(`${p}.name`, v.name));
    if (own.length === 0) names.add(v.name);
    errs.push(...own);
  });
  return names;
}

/**
 * A container's volumeMounts under `path` ("spec.containers[0].volumeMounts"): the name of a
 * valid volume, a mountPath (absolute, unique in the container, without ':' which Docker's bind
 * syntax cannot carry), a subPath relative without '..'.
 */
export function validateVolumeMounts(errs: Errors, mounts: readonly VolumeMount[] | undefined, volumes: ReadonlySet<string>, path: string): void {
  const mountPaths = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const p = `${path}[${i}]`;
    if (!m.name) errs.push(required(`${p}.name`));
    if (!volumes.has(m.name)) errs.push(notFound(`${p}.name`, m.name));
    if (!m.mountPath) errs.push(required(`${p}.mountPath`));
    else {
      if (!m.mountPath.startsWith('/')) errs.push(invalid(`${p}.mountPath`, m.mountPath, 'must be an absolute path'));
      if (m.mountPath.includes(':')) errs.push(invalid(`${p}.mountPath`, m.mountPath, "must not contain ':'"));
    }
    if (mountPaths.has(m.mountPath)) errs.push(invalid(`${p}.mountPath`, m.mountPath, 'must be unique'));
    mountPaths.add(m.mountPath);
    if (m.subPath) validateLocalDescendingPath(errs, m.subPath, `${p}.subPath`);
  });
}
