/**
 * Validation of storage kinds as Kubernetes': PersistentVolumeClaims (access modes, a storage
 * request, volume mode; the spec is immutable once made, except the volumeName the binder sets),
 * PersistentVolumes (capacity, access modes, exactly one source: local with node affinity, or
 * hostPath; reclaim policy; the source and node affinity never change) and StorageClasses
 * (provisioner, reclaim policy, binding mode; immutable but for metadata).
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec, StorageClass } from '../gen';
import { LOCAL_PATH_PROVISIONER } from '../persistent-volumes';
import { isQuantity, parseQuantity } from '../quantity';
import { deepEqual } from './deep-equal';
import { checkEnum, forbidden, invalid, required, unsupported, type Errors } from './field-errors';
import { validateLabelSelector, validateMetaFields } from './object-meta';

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;
const VOLUME_MODES = ['Filesystem', 'Block'] as const;

function checkAccessModes(errs: Errors, modes: readonly string[], field: string): void {
  if (!modes.length) errs.push(required(field, 'at least 1 access mode is required'));
  modes.forEach((m, i) => {
    if (!(ACCESS_MODES as readonly string[]).includes(m)) errs.push(unsupported(`${field}[${i}]`, m, ACCESS_MODES));
  });
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) errs.push(forbidden(field, 'may not use ReadWriteOncePod with other access modes'));
}

function checkStorage(errs: Errors, value: string | undefined, field: string): void {
  if (value === undefined || value === '') errs.push(required(field));
  else if (!isQuantity(value)) errs.push(invalid(field, value, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
  else if (parseQuantity(value) <= 0) errs.push(invalid(field, value, 'must be greater than zero'));
}

/** A claim's spec at `path` ("spec", or "spec.volumeClaimTemplates[i].spec" in a StatefulSet). */
export function validatePvcSpec(errs: Errors, spec: PersistentVolumeClaimSpec | undefined, path: string): void {
  if (!spec) {
    errs.push(required(path));
    return;
  }
  checkAccessModes(errs, spec.accessModes ?? [], `${path}.accessModes`);
  checkStorage(errs, spec.resources?.requests?.storage, `${path}.resources[storage]`);
  if (spec.volumeMode !== undefined) checkEnum(errs, `${path}.volumeMode`, spec.volumeMode, VOLUME_MODES, false);
  if (spec.volumeMode === 'Block') errs.push(forbidden(`${path}.volumeMode`, 'Block volumes are not supported: Skiff provisions filesystem volumes only'));
  if (spec.selector) validateLabelSelector(errs, spec.selector, `${path}.selector`);
}

export function validatePvc(errs: Errors, pvc: PersistentVolumeClaim): void {
  validatePvcSpec(errs, pvc.spec, 'spec');
}

/** A claim's spec is immutable once made, except volumeName going from empty to a volume (binding). */
export function validatePvcUpdate(errs: Errors, pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): void {
  const spec = { ...pvc.spec, volumeName: old.spec?.volumeName ? pvc.spec?.volumeName : '' };
  const before = { ...old.spec, volumeName: old.spec?.volumeName ?? '' };
  if (old.spec?.volumeName && pvc.spec?.volumeName !== old.spec.volumeName) errs.push(invalid('spec.volumeName', pvc.spec?.volumeName, 'field is immutable once bound'));
  else if (!deepEqual(spec, before)) errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
}

export function validatePv(errs: Errors, pv: PersistentVolume): void {
  const spec = pv.spec;
  if (!spec) {
    errs.push(required('spec'));
    return;
  }
  checkStorage(errs, spec.capacity?.storage, 'spec.capacity[storage]');
  checkAccessModes(errs, spec.accessModes ?? [], 'spec.accessModes');
  checkEnum(errs, 'spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, ['Retain', 'Delete']);
  if (spec.volumeMode !== undefined) checkEnum(errs, 'spec.volumeMode', spec.volumeMode, ['Filesystem'], false);
  const sources = [spec.local && 'local', spec.hostPath && 'hostPath'].filter(Boolean);
  if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
  if (sources.length > 1) errs.push(forbidden('spec.hostPath', 'may not specify more than 1 volume type'));
  if (spec.local) {
    if (!spec.local.path?.startsWith('/')) errs.push(invalid('spec.local.path', spec.local.path, 'must be an absolute path'));
    if (!spec.nodeAffinity?.required?.nodeSelectorTerms?.length) errs.push(required('spec.nodeAffinity', 'Local volumes require node affinity'));
  }
  if (spec.hostPath && !spec.hostPath.path?.startsWith('/')) errs.push(invalid('spec.hostPath.path', spec.hostPath.path, 'must be an absolute path'));
  if (spec.mountOptions?.length) errs.push(forbidden('spec.mountOptions', 'may not specify mount options for local and hostPath volumes'));
  if (spec.claimRef && !spec.claimRef.name) errs.push(required('spec.claimRef.name'));
}

/** A volume's source, mode and node affinity never change. */
export function validatePvUpdate(errs: Errors, pv: PersistentVolume, old: PersistentVolume): void {
  const source = (v: PersistentVolume) => ({ local: v.spec?.local ?? null, hostPath: v.spec?.hostPath ?? null });
  if (!deepEqual(source(pv), source(old))) errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  if (!deepEqual(pv.spec?.volumeMode ?? null, old.spec?.volumeMode ?? null)) errs.push(invalid('spec.volumeMode', pv.spec?.volumeMode, 'field is immutable'));
  if (old.spec?.nodeAffinity && !deepEqual(pv.spec?.nodeAffinity ?? null, old.spec.nodeAffinity)) errs.push(invalid('spec.nodeAffinity', '', 'field is immutable'));
}

export function validateStorageClass(errs: Errors, sc: StorageClass): void {
  if (!sc.provisioner) errs.push(required('provisioner'));
  // Parameters are the provisioner's to read: the built-in one reads none (another provisioner's are its own).
  if (sc.provisioner === LOCAL_PATH_PROVISIONER && Object.keys(sc.parameters ?? {}).length) errs.push(forbidden('parameters', `the ${LOCAL_PATH_PROVISIONER} provisioner takes no parameters`));
  if (sc.reclaimPolicy !== undefined) checkEnum(errs, 'reclaimPolicy', sc.reclaimPolicy, ['Delete', 'Retain'], false);
  if (sc.volumeBindingMode !== undefined) checkEnum(errs, 'volumeBindingMode', sc.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer'], false);
  if (sc.allowVolumeExpansion) errs.push(forbidden('allowVolumeExpansion', 'volume expansion is not supported'));
  if (sc.mountOptions?.length) errs.push(forbidden('mountOptions', 'may not specify mount options for local volumes'));
}

/** Parameters, provisioner, reclaimPolicy and volumeBindingMode never change (Kubernetes' wording). */
export function validateStorageClassUpdate(errs: Errors, sc: StorageClass, old: StorageClass): void {
  if (!deepEqual(sc.parameters ?? {}, old.parameters ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  if (sc.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if ((sc.reclaimPolicy ?? '') !== (old.reclaimPolicy ?? '')) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  if ((sc.volumeBindingMode ?? '') !== (old.volumeBindingMode ?? '')) errs.push(invalid('volumeBindingMode', sc.volumeBindingMode, 'field is immutable'));
}

/** Each claim template of a StatefulSet: a name and a valid claim spec. */
export function validateClaimTemplates(errs: Errors, templates: readonly PersistentVolumeClaim[], path: string): void {
  const names = new Set<string>();
  templates.forEach((t, i) => {
    const p = `${path}[${i}]`;
    const name = t.metadata?.name ?? '';
    if (!name) errs.push(required(`${p}.metadata.name`));
    else if (names.has(name)) errs.push(invalid(`${p}.metadata.name`, name, 'duplicate volume claim template name'));
    names.add(name);
    validateMetaFields(errs, t.metadata ?? {}, `${p}.metadata`);
    validatePvcSpec(errs, t.spec, `${p}.spec`);
  });
}
