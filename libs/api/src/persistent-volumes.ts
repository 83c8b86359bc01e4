/**
 * The names and pure rules of persistent storage that several components share (the apiserver's
 * admission, the persistentvolume binder, the scheduler's VolumeBinding plugin, the kubelet):
 * Kubernetes' annotations and finalizers, the default StorageClass, and which volume a claim may
 * bind to (Kubernetes' pkg/controller/volume/persistentvolume/util FindMatchingVolume).
 * CONTRACT: pure.
 */
import { StorageClass, type Node, type PersistentVolume, type PersistentVolumeClaim, type Pod } from './gen';
import { anyTermMatches } from './node-selector-terms';
import { parseQuantity } from './quantity';
import { labelSelectorMatcher } from './selectors';

/** On a StorageClass: "true" makes it the default of claims that name no class. */
export const IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** On a claim and its volume: the binder finished binding them (claim), or the binder bound it (both). */
export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';
/** On a claim: the node the scheduler chose for a WaitForFirstConsumer claim (provision there). */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
/** On a claim: the provisioner asked to make its volume (and the pre-1.23 beta name, still written by Kubernetes). */
export const STORAGE_PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
export const BETA_STORAGE_PROVISIONER_ANNOTATION = 'volume.beta.kubernetes.io/storage-provisioner';
/** On a provisioned volume: the provisioner that made it (and so deletes it). */
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
/** StorageObjectInUseProtection's finalizers. */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';
/** Skiff's local-path provisioner (k3s' rancher.io/local-path), its default class, and the node label its volumes are pinned by. */
export const LOCAL_PATH_PROVISIONER = 'skiff.io/local-path';
export const DEFAULT_STORAGE_CLASS_NAME = 'local-path';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
/**
 * On a Node: the absolute directory under which the node's kubelet keeps local-path volumes
 * (its --local-storage-path). The provisioner reads it to write each volume's local.path.
 */
export const LOCAL_STORAGE_PATH_ANNOTATION = 'skiff.io/local-storage-path';
/** A StorageClass provisioner meaning "no dynamic provisioning" (static local volumes). */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/** The local-path StorageClass every cluster starts with (k3s' local-path, WaitForFirstConsumer, Delete). */
export function defaultLocalPathStorageClass(): StorageClass {
  return StorageClass.fromPartial({
    metadata: { name: DEFAULT_STORAGE_CLASS_NAME, annotations: { [IS_DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  });
}

/** True when the class is annotated as the default (value "true", as Kubernetes' IsDefaultAnnotation). */
export function isDefaultStorageClass(sc: Readonly<StorageClass>): boolean {
  return sc.metadata?.annotations?.[IS_DEFAULT_CLASS_ANNOTATION] === 'true';
}

/**
 * The default class among `classes`, as Kubernetes' GetDefaultClass: of several defaults the
 * newest (then the first by name) wins; undefined when none is marked.
 */
export function defaultStorageClassOf(classes: readonly Readonly<StorageClass>[]): Readonly<StorageClass> | undefined {
  const defaults = classes.filter(isDefaultStorageClass);
  defaults.sort((a, b) => {
    const ta = a.metadata?.creationTimestamp?.getTime() ?? 0;
    const tb = b.metadata?.creationTimestamp?.getTime() ?? 0;
    if (ta !== tb) return tb - ta;
    return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
  });
  return defaults[0];
}

/** The class a claim asks for ('' = no class). */
export function claimClassName(claim: Readonly<PersistentVolumeClaim>): string {
  return claim.spec?.storageClassName ?? '';
}

/** The claim names a pod's volumes use, in order, without repeats. */
export function podClaimNames(pod: Readonly<Pod>): string[] {
  const names = (pod.spec?.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter((n): n is string => !!n);
  return [...new Set(names)];
}

/** The volume's claimRef is this claim (same namespace and name; same uid when the ref has one). */
export function isVolumeBoundToClaim(pv: Readonly<PersistentVolume>, claim: Readonly<PersistentVolumeClaim>): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== claim.metadata?.name || ref.namespace !== claim.metadata?.namespace) return false;
  return !ref.uid || ref.uid === claim.metadata?.uid;
}

/** The volume's node affinity admits the node (a volume without one admits every node). */
export function volumeFitsNode(pv: Readonly<PersistentVolume>, node: Readonly<Node>): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms?.length) return true;
  return anyTermMatches(terms, node);
}

/** Every access mode the claim asks for is one the volume offers. */
function accessModesFit(pv: Readonly<PersistentVolume>, claim: Readonly<PersistentVolumeClaim>): boolean {
  const offered = pv.spec?.accessModes ?? [];
  return (claim.spec?.accessModes ?? []).every((m) => offered.includes(m));
}

/** Bytes of a storage quantity; 0 for missing or bad values. */
export function storageBytes(quantity: string | undefined): number {
  if (!quantity) return 0;
  try {
    return parseQuantity(quantity);
  } catch {
    return 0;
  }
}

/**
 * Why `pv` cannot serve `claim` when the claim names it (spec.volumeName) and it is not claimed
 * yet, as Kubernetes' checkVolumeSatisfyClaim: too small, another class, another volume mode, or
 * an access mode it does not offer; undefined when it can.
 */
export function volumeMismatch(pv: Readonly<PersistentVolume>, claim: Readonly<PersistentVolumeClaim>): string | undefined {
  if (storageBytes(pv.spec?.capacity?.storage) < storageBytes(claim.spec?.resources?.requests?.storage)) return 'requested PV is too small';
  if ((pv.spec?.storageClassName ?? '') !== claimClassName(claim)) return 'storageClassName does not match';
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return 'incompatible volumeMode';
  if (!accessModesFit(pv, claim)) return 'incompatible accessMode';
  return undefined;
}

/**
 * The smallest volume that the claim may bind to, as Kubernetes' FindMatchingVolume: a volume
 * already pre-bound to this claim (claimRef) wins when it fits; otherwise one without a
 * claimRef, Available, not being deleted, of the claim's class, volume mode and access modes,
 * with capacity >= the request, matching the claim's selector, and (when `node` is given,
 * WaitForFirstConsumer) admitting that node. A claim naming a volume (spec.volumeName) matches
 * only that one. undefined when none fits.
 */
export function findMatchingVolume(
  claim: Readonly<PersistentVolumeClaim>,
  volumes: readonly Readonly<PersistentVolume>[],
  node?: Readonly<Node>,
): Readonly<PersistentVolume> | undefined {
  const request = storageBytes(claim.spec?.resources?.requests?.storage);
  const className = claimClassName(claim);
  const selector = claim.spec?.selector ? labelSelectorMatcher(claim.spec.selector) : undefined;
  const mode = claim.spec?.volumeMode ?? 'Filesystem';
  let best: Readonly<PersistentVolume> | undefined;
  let bestSize = Infinity;
  for (const pv of volumes) {
    if (claim.spec?.volumeName && pv.metadata?.name !== claim.spec.volumeName) continue;
    if (pv.metadata?.deletionTimestamp) continue;
    const size = storageBytes(pv.spec?.capacity?.storage);
    if ((pv.spec?.volumeMode ?? 'Filesystem') !== mode) continue;
    if (node && !volumeFitsNode(pv, node)) continue;
    if (pv.spec?.claimRef) {
      // Pre-bound to this claim: taken whatever its class or labels, when big enough.
      if (isVolumeBoundToClaim(pv, claim) && size >= request && accessModesFit(pv, claim)) return pv;
      continue;
    }
    if (pv.status?.phase !== 'Available') continue;
    if ((pv.spec?.storageClassName ?? '') !== className) continue;
    if (!accessModesFit(pv, claim)) continue;
    if (size < request) continue;
    if (selector && !selector.matches(pv.metadata?.labels)) continue;
    if (size < bestSize) {
      best = pv;
      bestSize = size;
    }
  }
  return best;
}

/** `<root>/pvc-<uid>_<namespace>_<name>`: the directory of a local-path volume (local-path-provisioner's layout). */
export function localPathVolumeDir(root: string, claim: Readonly<PersistentVolumeClaim>): string {
  const base = root.endsWith('/') && root.length > 1 ? root.slice(0, -1) : root;
  return `${base}/pvc-${claim.metadata?.uid ?? ''}_${claim.metadata?.namespace ?? ''}_${claim.metadata?.name ?? ''}`;
}

/** The name of the volume provisioned for a claim: `pvc-<claim uid>`, as Kubernetes. */
export function provisionedVolumeName(claim: Readonly<PersistentVolumeClaim>): string {
  return `pvc-${claim.metadata?.uid ?? ''}`;
}
