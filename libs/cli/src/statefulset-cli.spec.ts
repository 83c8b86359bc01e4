import { ControllerRevision, findKind, Pod, PodTemplateSpec, StatefulSet, type KubeObject } from '@skiff/api';
import { describeObject } from './describe';
import { planStatefulSetRollback, statefulSetRevisions, statefulSetRolloutStatus } from './statefulset-cli';
import { tableLayout } from './table-columns';

const now = new Date('2024-05-01T12:00:00Z');
const template = (image: string) => PodTemplateSpec.fromPartial({ metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image }] } });

/** The docs' `web`, defaulted (RollingUpdate, partition 0), with a status. */
function web(status: Partial<NonNullable<StatefulSet['status']>> = {}, extra: Partial<NonNullable<StatefulSet['spec']>> = {}): StatefulSet {
  return StatefulSet.fromPartial({
    metadata: { name: 'web', namespace: 'default', uid: 'u1', generation: 2, creationTimestamp: new Date('2024-05-01T11:00:00Z') },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'nginx' } },
      serviceName: 'nginx',
      template: template('registry.k8s.io/nginx-slim:0.24'),
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'my-storage-class', resources: { requests: { storage: '1Gi' } } } }],
      ...extra,
    },
    status: { observedGeneration: 2, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: 'web-a', updateRevision: 'web-a', ...status },
  });
}

describe('statefulset get columns', () => {
  it('prints NAME READY AGE, and CONTAINERS IMAGES with -o wide', () => {
    const info = findKind('sts')!;
    const layout = tableLayout(info, {}, now);
    expect(layout.header).toEqual(['NAME', 'READY', 'AGE']);
    expect(layout.row(web({ readyReplicas: 2 }) as KubeObject)).toEqual(['web', '2/3', '60m']);
    const wide = tableLayout(info, { wide: true }, now);
    expect(wide.header).toEqual(['NAME', 'READY', 'AGE', 'CONTAINERS', 'IMAGES']);
    expect(wide.row(web() as KubeObject)).toEqual(['web', '3/3', '60m', 'nginx', 'registry.k8s.io/nginx-slim:0.24']);
  });
});

describe('statefulset rollout status (kubectl StatefulSetStatusViewer)', () => {
  it('waits for the spec to be observed, then for pods to be ready', () => {
    expect(statefulSetRolloutStatus(web({ observedGeneration: 1 }))).toEqual({ message: 'Waiting for statefulset spec update to be observed...', done: false });
    expect(statefulSetRolloutStatus(web({ readyReplicas: 2 }))).toEqual({ message: 'Waiting for 1 pods to be ready...', done: false });
  });

  it('reports a partitioned roll out (what a defaulted set has)', () => {
    expect(statefulSetRolloutStatus(web({ updatedReplicas: 1 }))).toEqual({ message: 'Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated...', done: false });
    expect(statefulSetRolloutStatus(web())).toEqual({ message: 'partitioned roll out complete: 3 new pods have been updated...', done: true });
    const partitioned = web({ updatedReplicas: 1 }, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    expect(statefulSetRolloutStatus(partitioned)).toEqual({ message: 'partitioned roll out complete: 1 new pods have been updated...', done: true });
  });

  it('without rollingUpdate, compares the revisions', () => {
    const plain = { updateStrategy: { type: 'RollingUpdate' } } as Partial<NonNullable<StatefulSet['spec']>>;
    expect(statefulSetRolloutStatus(web({ updateRevision: 'web-b', updatedReplicas: 1 }, plain))).toEqual({ message: 'waiting for statefulset rolling update to complete 1 pods at revision web-b...', done: false });
    expect(statefulSetRolloutStatus(web({}, plain))).toEqual({ message: 'statefulset rolling update complete 3 pods at revision web-a...', done: true });
  });

  it('refuses OnDelete', () => {
    expect(() => statefulSetRolloutStatus(web({}, { updateStrategy: { type: 'OnDelete' } }))).toThrow('rollout status is only available for RollingUpdate strategy type');
  });
});

describe('statefulset rollout undo (kubectl StatefulSetRollbacker)', () => {
  const revision = (n: number, image: string, uid = 'u1') => ControllerRevision.fromPartial({ metadata: { name: `web-${n}`, ownerReferences: [{ kind: 'StatefulSet', name: 'web', uid, controller: true }] }, data: { spec: { template: template(image) } }, revision: n });
  const revisions = [revision(1, 'nginx-slim:0.23'), revision(2, 'registry.k8s.io/nginx-slim:0.24'), revision(3, 'other', 'u2')];

  it('keeps the revisions the set controls', () => {
    expect(statefulSetRevisions(web(), revisions).map((r) => r.revision)).toEqual([1, 2]);
  });

  it('writes the previous revision\'s template back; skips when it is the current one', () => {
    const own = statefulSetRevisions(web(), revisions);
    const outcome = planStatefulSetRollback(web(), own, 0);
    expect(outcome.action).toBe('rollback');
    expect(outcome.action === 'rollback' && outcome.object.spec?.template?.spec?.containers[0].image).toBe('nginx-slim:0.23');
    expect(planStatefulSetRollback(web(), own, 2)).toEqual({ action: 'skip', message: 'skipped rollback (current template already matches revision 2)' });
    expect(() => planStatefulSetRollback(web(), own, 7)).toThrow('unable to find specified revision 7 in history');
    expect(() => planStatefulSetRollback(web(), own.slice(0, 1), 0)).toThrow('no last revision to roll back to');
  });
});

describe('describe statefulset', () => {
  it("prints kubectl's describeStatefulSet layout, with the volume claim templates", () => {
    const pod = (phase: string) => Pod.fromPartial({ metadata: { ownerReferences: [{ kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true }] }, status: { phase } });
    const text = describeObject(findKind('sts')!, web() as KubeObject, [], now, [pod('Running'), pod('Running'), pod('Pending')]);
    const lines = text.split('\n');
    expect(lines.slice(0, 11)).toEqual([
      'Name:               web',
      'Namespace:          default',
      'CreationTimestamp:  Wed, 01 May 2024 11:00:00 +0000',
      'Selector:           app=nginx',
      'Labels:             <none>',
      'Annotations:        <none>',
      'Replicas:           3 desired | 3 total',
      'Update Strategy:    RollingUpdate',
      '  Partition:        0',
      'Pods Status:        2 Running / 1 Waiting / 0 Succeeded / 0 Failed',
      'Pod Template:',
    ]);
    const claims = lines.indexOf('Volume Claims:');
    expect(lines.slice(claims, claims + 7)).toEqual([
      'Volume Claims:',
      '  Name:          www',
      '  StorageClass:  my-storage-class',
      '  Labels:        <none>',
      '  Annotations:   <none>',
      '  Capacity:      1Gi',
      '  Access Modes:  [ReadWriteOnce]',
    ]);
    expect(text).toMatch(/Events:\s+<none>/);
  });
});
