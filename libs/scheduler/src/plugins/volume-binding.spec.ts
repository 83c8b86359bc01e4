import { defaultLocalPathStorageClass, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '@skiff/api';
import { nodeInfoOf } from '../framework/node-info';
import { snapshotOf } from '../framework/snapshot';
import { isScheduled, schedule } from '../schedule';
import { node } from '../test-objects.spec-helper';
import { checkVolumes, claimsToSelect, preFilterVolumes, type PodVolumes, type VolumeLister } from './volume-binding';

const manual = StorageClass.fromPartial({ metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' });
const immediate = StorageClass.fromPartial({ metadata: { name: 'fast' }, provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'Immediate' });
const onNode = (n: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [n] }], matchFields: [] }] } });

const claim = (name: string, storageClassName: string, volumeName = '', annotations: Record<string, string> = {}) =>
  PersistentVolumeClaim.fromPartial({ metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName, volumeName, volumeMode: 'Filesystem' } });
const volume = (name: string, n: string, claimRef?: string) =>
  PersistentVolume.fromPartial({
    metadata: { name },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', volumeMode: 'Filesystem', local: { path: '/mnt' }, nodeAffinity: onNode(n), claimRef: claimRef ? { namespace: 'default', name: claimRef, uid: `uid-${claimRef}` } : undefined },
    status: { phase: claimRef ? 'Bound' : 'Available' },
  });
const pod = (...claims: string[]) =>
  Pod.fromPartial({ metadata: { name: 'web-0', namespace: 'default', uid: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }], volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c, readOnly: false } })) } });

function lister(claims: PersistentVolumeClaim[], volumes: PersistentVolume[] = [], classes: StorageClass[] = [manual, immediate, defaultLocalPathStorageClass()]): VolumeLister {
  return {
    claim: (ns, n) => claims.find((c) => c.metadata?.namespace === ns && c.metadata?.name === n),
    volume: (n) => volumes.find((v) => v.metadata?.name === n),
    volumes: () => volumes,
    storageClass: (n) => classes.find((c) => c.metadata?.name === n),
  };
}
const nodes = [nodeInfoOf(node('node-1')), nodeInfoOf(node('node-2'))];

describe('VolumeBinding', () => {
  it('rejects a pod whose claim does not exist with Kubernetes\' message, before any node', () => {
    const result = schedule(pod('data'), snapshotOf(nodes), { volumes: lister([]) });
    expect(isScheduled(result)).toBe(false);
    expect(result).toMatchObject({ message: '0/2 nodes are available: persistentvolumeclaim "data" not found.', evaluatedNodes: 0 });
  });

  it('keeps a pod with an unbound Immediate claim waiting; a claim being deleted too', () => {
    expect(schedule(pod('data'), snapshotOf(nodes), { volumes: lister([claim('data', 'fast')]) })).toMatchObject({ message: '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.' });
    const deleting = claim('data', 'manual');
    deleting.metadata!.deletionTimestamp = new Date();
    expect(preFilterVolumes(pod('data'), lister([deleting]))).toMatchObject({ code: 'UnschedulableAndUnresolvable', reasons: ['persistentvolumeclaim "data" is being deleted'] });
    expect(preFilterVolumes(pod('data'), lister([claim('data', 'manual', 'gone')]))).toMatchObject({ reasons: ['pvc(s) bound to non-existent pv(s)'] });
  });

  it('sends a pod with a bound local volume to the volume\'s node only', () => {
    const l = lister([claim('data', 'manual', 'pv-2')], [volume('pv-2', 'node-2', 'data')]);
    for (const start of [0, 1]) expect(schedule(pod('data'), snapshotOf(nodes), { volumes: l, startIndex: start })).toMatchObject({ node: 'node-2' });
    const pre = preFilterVolumes(pod('data'), l) as PodVolumes;
    expect(checkVolumes(pre, nodes[0], l)).toMatchObject({ code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had volume node affinity conflict'] });
    const nowhere = lister([claim('data', 'manual', 'pv-3')], [volume('pv-3', 'node-3', 'data')]);
    expect(schedule(pod('data'), snapshotOf(nodes), { volumes: nowhere })).toMatchObject({ message: '0/2 nodes are available: 2 node(s) had volume node affinity conflict.' });
  });

  it('places a WaitForFirstConsumer claim anywhere its class provisions, and says which claims get the node', () => {
    const c = claim('data', 'local-path');
    const result = schedule(pod('data'), snapshotOf(nodes), { volumes: lister([c]) });
    expect(isScheduled(result)).toBe(true);
    if (!isScheduled(result)) return;
    expect(result.volumes?.delayed).toEqual([c]);
    expect(claimsToSelect(result.volumes!, result.node)).toEqual([c]);
    expect(claimsToSelect(result.volumes!, result.node === 'node-1' ? 'node-1' : 'node-2')).toHaveLength(1);
    const selected = claim('data', 'local-path', '', { 'volume.kubernetes.io/selected-node': 'node-2' });
    const again = schedule(pod('data'), snapshotOf(nodes), { volumes: lister([selected]) });
    expect(again).toMatchObject({ node: 'node-2' });
    expect(claimsToSelect((again as { volumes: PodVolumes }).volumes, 'node-2')).toEqual([]);
  });

  it('needs a matching static volume on the node for a class without a provisioner', () => {
    const l = lister([claim('a', 'manual'), claim('b', 'manual')], [volume('pv-1', 'node-1'), volume('pv-2b', 'node-2'), volume('pv-2a', 'node-2')]);
    // Two claims need two volumes on one node: only node-2 has two.
    expect(schedule(pod('a', 'b'), snapshotOf(nodes), { volumes: l })).toMatchObject({ node: 'node-2' });
    const none = lister([claim('a', 'manual')], []);
    expect(schedule(pod('a'), snapshotOf(nodes), { volumes: none })).toMatchObject({ message: "0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind." });
  });

  it('leaves pods without claims alone', () => {
    expect(schedule(Pod.fromPartial({ metadata: { name: 'x', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i' }] } }), snapshotOf(nodes), { volumes: lister([]) })).toMatchObject({ feasibleNodes: 2 });
  });
});
