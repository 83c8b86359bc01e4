/**
 * `skiff describe` of the storage kinds, as kubectl's describePersistentVolumeClaim,
 * describePersistentVolume and StorageClassDescriber print them (fields in kubectl's order;
 * "Used By" lists the pods of the claim's namespace that mount it). Pure.
 */
import { podClaimNames, type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass } from '@skiff/api';
import { annotationRows, labelRows, type JobDescribeLines } from './describe-job';
import { accessModesCell } from './storage-columns';

type Lines = Pick<JobDescribeLines, 'rows'>;

const phase = (o: { metadata?: { deletionTimestamp?: Date }; status?: { phase?: string } }) => (o.metadata?.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? ''));
const finalizers = (list: readonly string[] | undefined) => `[${(list ?? []).join(' ')}]`;

/** kubectl's describePersistentVolumeClaim. */
export function describePersistentVolumeClaim(d: Lines, claim: Readonly<PersistentVolumeClaim>, pods: readonly Readonly<Pod>[]): void {
  const meta = claim.metadata;
  const bound = !!claim.spec?.volumeName;
  const users = pods.filter((p) => p.metadata?.namespace === meta?.namespace && podClaimNames(p).includes(meta?.name ?? '')).map((p) => p.metadata?.name ?? '');
  d.rows(0, [
    ['Name:', meta?.name ?? ''],
    ['Namespace:', meta?.namespace ?? ''],
    ['StorageClass:', claim.spec?.storageClassName ?? ''],
    ['Status:', phase(claim)],
    ['Volume:', claim.spec?.volumeName ?? ''],
    ...labelRows('Labels', meta?.labels),
    ...annotationRows('Annotations', meta?.annotations),
    ['Finalizers:', finalizers(meta?.finalizers)],
    ['Capacity:', bound ? (claim.status?.capacity?.storage ?? '') : ''],
    ['Access Modes:', bound ? accessModesCell(claim.status?.accessModes) : ''],
    ['VolumeMode:', claim.spec?.volumeMode ?? 'Filesystem'],
    ['Used By:', users.length ? users.join(', ') : '<none>'],
  ]);
}

/** The node affinity lines of a volume ("Required Terms:" and each term's expressions). */
function nodeAffinityRows(pv: Readonly<PersistentVolume>): string[][] {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms?.length) return [['Node Affinity:', '<none>']];
  const rows: string[][] = [['Node Affinity:', ''], ['  Required Terms:', '']];
  terms.forEach((t, i) => {
    const exprs = t.matchExpressions.map((e) => `${e.key} ${e.operator.toLowerCase()} [${e.values.join(',')}]`);
    rows.push([`    Term ${i}:`, exprs.join(', ') || '<none>']);
  });
  return rows;
}

/** kubectl's describePersistentVolume (local and hostPath sources). */
export function describePersistentVolume(d: Lines, pv: Readonly<PersistentVolume>): void {
  const meta = pv.metadata;
  const spec = pv.spec;
  const source: string[][] = spec?.local
    ? [['Source:', ''], ['    Type:', 'LocalVolume (a persistent volume backed by local storage on a node)'], ['    Path:', spec.local.path]]
    : spec?.hostPath
      ? [['Source:', ''], ['    Type:', 'HostPath (bare host directory volume)'], ['    Path:', spec.hostPath.path], ['    HostPathType:', spec.hostPath.type]]
      : [];
  d.rows(0, [
    ['Name:', meta?.name ?? ''],
    ...labelRows('Labels', meta?.labels),
    ...annotationRows('Annotations', meta?.annotations),
    ['Finalizers:', finalizers(meta?.finalizers)],
    ['StorageClass:', spec?.storageClassName ?? ''],
    ['Status:', phase(pv)],
    ['Claim:', spec?.claimRef ? `${spec.claimRef.namespace}/${spec.claimRef.name}` : ''],
    ['Reclaim Policy:', spec?.persistentVolumeReclaimPolicy ?? ''],
    ['Access Modes:', accessModesCell(spec?.accessModes)],
    ['VolumeMode:', spec?.volumeMode ?? 'Filesystem'],
    ['Capacity:', spec?.capacity?.storage ?? ''],
    ...nodeAffinityRows(pv),
    ['Message:', pv.status?.message ?? ''],
    ...source,
  ]);
}

/** kubectl's StorageClassDescriber. */
export function describeStorageClass(d: Lines, sc: Readonly<StorageClass>): void {
  const meta = sc.metadata;
  const isDefault = meta?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true' ? 'Yes' : 'No';
  const params = Object.entries(sc.parameters ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  d.rows(0, [
    ['Name:', meta?.name ?? ''],
    ['IsDefaultClass:', isDefault],
    ...annotationRows('Annotations', meta?.annotations),
    ['Provisioner:', sc.provisioner],
    ['Parameters:', params || '<none>'],
    ['AllowVolumeExpansion:', sc.allowVolumeExpansion === undefined ? '<unset>' : String(sc.allowVolumeExpansion)],
    ['MountOptions:', '<none>'],
    ['ReclaimPolicy:', sc.reclaimPolicy || 'Delete'],
    ['VolumeBindingMode:', sc.volumeBindingMode || 'Immediate'],
  ]);
}
