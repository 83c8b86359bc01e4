/**
 * The apiserver's storage admission plugins, on Create (Kubernetes' plugin/pkg/admission/storage):
 *  - DefaultStorageClass: a PersistentVolumeClaim whose storageClassName is unset (absent, not
 *    "") gets the default StorageClass's name (the class annotated
 *    storageclass.kubernetes.io/is-default-class: "true"; of several, the newest). No default:
 *    left unset (the binder assigns one later if a default appears, as Kubernetes 1.28+).
 *  - StorageObjectInUseProtection: a new claim gets the finalizer kubernetes.io/pvc-protection,
 *    a new volume kubernetes.io/pv-protection (removed by the pvc-protection / pv-protection
 *    controllers once no pod uses the claim / the volume is not bound).
 * CONTRACT: mutates the object; the class lookup is injected I/O whose errors propagate.
 */
import {
  defaultStorageClassOf,
  PV_PROTECTION_FINALIZER,
  PVC_PROTECTION_FINALIZER,
  type KindInfo,
  type ObjectMeta,
  type PersistentVolumeClaim,
  type StorageClass,
} from '@skiff/api';
import type { EnabledAdmissionPlugins } from './admission-plugins';

/** Reads every StorageClass (the store's current state). */
export type StorageClassLookup = () => Promise<readonly StorageClass[]>;

/** Adds `finalizer` to the object's metadata unless present. */
function addFinalizer(object: { metadata?: ObjectMeta }, finalizer: string): void {
  if (!object.metadata) return; // validation says "required"
  const finalizers = (object.metadata.finalizers ??= []);
  if (!finalizers.includes(finalizer)) finalizers.push(finalizer);
}

/** DefaultStorageClass on a claim (see the module comment). Pure but for nothing: `classes` given. */
export function applyDefaultStorageClass(claim: PersistentVolumeClaim, classes: readonly StorageClass[]): void {
  if (!claim.spec || claim.spec.storageClassName !== undefined) return;
  const def = defaultStorageClassOf(classes);
  if (def?.metadata?.name) claim.spec.storageClassName = def.metadata.name;
}

/** Runs the enabled storage plugins on an object being created (kinds other than claims and volumes pass untouched). */
export async function admitStorageCreate(info: KindInfo, object: object, plugins: EnabledAdmissionPlugins, classes: StorageClassLookup): Promise<void> {
  if (info.case === 'persistentVolumeClaim') {
    const claim = object as PersistentVolumeClaim;
    if (plugins.has('DefaultStorageClass') && claim.spec?.storageClassName === undefined) applyDefaultStorageClass(claim, await classes());
    if (plugins.has('StorageObjectInUseProtection')) addFinalizer(claim, PVC_PROTECTION_FINALIZER);
  } else if (info.case === 'persistentVolume') {
    if (plugins.has('StorageObjectInUseProtection')) addFinalizer(object as { metadata?: ObjectMeta }, PV_PROTECTION_FINALIZER);
  }
}
