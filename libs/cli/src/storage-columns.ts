/**
 * `skiff get` columns of the storage kinds, as kubectl 1.32 prints them:
 *   persistentvolumeclaims: NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE
 *   persistentvolumes: NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS
 *                      VOLUMEATTRIBUTESCLASS REASON AGE
 *   storageclasses: NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE,
 *                   the default's NAME followed by " (default)"
 * (-o wide adds VOLUMEMODE to claims and volumes). Skiff has no VolumeAttributesClass: "<unset>".
 * Pure.
 */
import { isDefaultStorageClass, type KubeObject, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from '@skiff/api';
import { ageOf } from './age';

/** "RWO,RWX": kubectl's GetAccessModesAsString (in its fixed order). */
export function accessModesCell(modes: readonly string[] | undefined): string {
  const short: [string, string][] = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];
  return short.filter(([m]) => (modes ?? []).includes(m)).map(([, s]) => s).join(',');
}

const age = (o: KubeObject, now: Date) => ageOf(o.metadata?.creationTimestamp, now);
const phaseOf = (o: { metadata?: { deletionTimestamp?: Date }; status?: { phase?: string } }) => (o.metadata?.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? ''));

/** The storage kinds' columns, in the shape of table-columns.ts' KindColumns. */
export const STORAGE_COLUMNS: Record<string, { header: string[]; wideHeader?: string[]; name?(object: never): string; cells(object: never, now: Date): string[]; wideCells?(object: never, now: Date): string[] }> = {
  persistentvolumeclaims: {
    header: ['STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE'],
    wideHeader: ['VOLUMEMODE'],
    cells: (c: PersistentVolumeClaim, now) => [
      phaseOf(c),
      c.spec?.volumeName ?? '',
      c.spec?.volumeName ? (c.status?.capacity?.storage ?? '') : '',
      c.spec?.volumeName ? accessModesCell(c.status?.accessModes) : '',
      c.spec?.storageClassName ?? '',
      '<unset>',
      age(c, now),
    ],
    wideCells: (c: PersistentVolumeClaim) => [c.spec?.volumeMode ?? 'Filesystem'],
  },
  persistentvolumes: {
    header: ['CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE'],
    wideHeader: ['VOLUMEMODE'],
    cells: (v: PersistentVolume, now) => [
      v.spec?.capacity?.storage ?? '',
      accessModesCell(v.spec?.accessModes),
      v.spec?.persistentVolumeReclaimPolicy ?? '',
      phaseOf(v),
      v.spec?.claimRef ? `${v.spec.claimRef.namespace}/${v.spec.claimRef.name}` : '',
      v.spec?.storageClassName ?? '',
      '<unset>',
      v.status?.reason ?? '',
      age(v, now),
    ],
    wideCells: (v: PersistentVolume) => [v.spec?.volumeMode ?? 'Filesystem'],
  },
  storageclasses: {
    header: ['PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE'],
    name: (sc: StorageClass) => (isDefaultStorageClass(sc) ? `${sc.metadata?.name} (default)` : (sc.metadata?.name ?? '')),
    cells: (sc: StorageClass, now) => [sc.provisioner, sc.reclaimPolicy || 'Delete', sc.volumeBindingMode || 'Immediate', String(!!sc.allowVolumeExpansion), age(sc, now)],
  },
};
