import { defaultLocalPathStorageClass, kindFor, PersistentVolume, PersistentVolumeClaim, StorageClass, type KubeObject } from '@skiff/api';
import { describeObject } from './describe';
import { tableLayout } from './table-columns';

const now = new Date('2026-12-07T12:00:00Z');
const created = new Date('2026-12-07T11:55:00Z');

describe('get and describe of the storage kinds (kubectl 1.32 columns)', () => {
  const claim = PersistentVolumeClaim.fromPartial({
    metadata: { name: 'www-web-0', namespace: 'default', creationTimestamp: created, finalizers: ['kubernetes.io/pvc-protection'] },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path', volumeName: 'pvc-1', volumeMode: 'Filesystem' },
    status: { phase: 'Bound', accessModes: ['ReadWriteOnce', 'ReadWriteOncePod'], capacity: { storage: '1Gi' } },
  });
  const pv = PersistentVolume.fromPartial({
    metadata: { name: 'pvc-1', creationTimestamp: created },
    spec: {
      capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'local-path', volumeMode: 'Filesystem',
      claimRef: { namespace: 'default', name: 'www-web-0' }, local: { path: '/var/lib/skiff/storage/pvc-1_default_www-web-0' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }] }] } },
    },
    status: { phase: 'Bound' },
  });

  it('prints claims, volumes and classes', () => {
    const pvc = tableLayout(kindFor('pvc'), {}, now);
    expect(pvc.header).toEqual(['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    expect(pvc.row(claim as KubeObject)).toEqual(['www-web-0', 'Bound', 'pvc-1', '1Gi', 'RWO,RWOP', 'local-path', '<unset>', '5m']);
    const pending = PersistentVolumeClaim.fromPartial({ metadata: { name: 'p', creationTimestamp: created, deletionTimestamp: now }, spec: { storageClassName: 'local-path' }, status: { phase: 'Pending' } });
    expect(pvc.row(pending as KubeObject)).toEqual(['p', 'Terminating', '', '', '', 'local-path', '<unset>', '5m']);
    const vol = tableLayout(kindFor('pv'), {}, now);
    expect(vol.header).toEqual(['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE']);
    expect(vol.row(pv as KubeObject)).toEqual(['pvc-1', '1Gi', 'RWO', 'Delete', 'Bound', 'default/www-web-0', 'local-path', '<unset>', '', '5m']);
    const sc = tableLayout(kindFor('sc'), {}, now);
    expect(sc.header).toEqual(['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
    const def = defaultLocalPathStorageClass();
    def.metadata!.creationTimestamp = created;
    expect(sc.row(def as KubeObject)).toEqual(['local-path (default)', 'skiff.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false', '5m']);
    const other = StorageClass.fromPartial({ metadata: { name: 'keep', creationTimestamp: created }, provisioner: 'skiff.io/local-path', reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' });
    expect(sc.row(other as KubeObject)[0]).toBe('keep');
  });

  it('describes them', () => {
    const pod = { metadata: { name: 'web-0', namespace: 'default' }, spec: { volumes: [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-0', readOnly: false } }] } };
    const text = describeObject(kindFor('pvc'), claim as KubeObject, [], now, [pod as never]);
    expect(text).toMatch(/^StorageClass:\s+local-path$/m);
    expect(text).toMatch(/^Finalizers:\s+\[kubernetes.io\/pvc-protection\]$/m);
    expect(text).toMatch(/^Used By:\s+web-0$/m);
    const pvText = describeObject(kindFor('pv'), pv as KubeObject, [], now);
    expect(pvText).toMatch(/^Claim:\s+default\/www-web-0$/m);
    expect(pvText).toMatch(/^\s+Term 0:\s+kubernetes.io\/hostname in \[node-1\]$/m);
    expect(pvText).toMatch(/^\s+Path:\s+\/var\/lib\/skiff\/storage\/pvc-1_default_www-web-0$/m);
    expect(describeObject(kindFor('sc'), defaultLocalPathStorageClass() as KubeObject, [], now)).toMatch(/^IsDefaultClass:\s+Yes$/m);
  });
});
