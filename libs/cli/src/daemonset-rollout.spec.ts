import { ControllerRevision, DaemonSet, type DaemonSetStatus } from '@skiff/api';
import { controlledRevisions, daemonSetRolloutStatus, planDaemonSetRollback, revisionHistoryTable, revisionPodTemplate } from './daemonset-rollout';

const template = (image: string) => ({ metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image }] } });
function dsOf(image: string, status: Partial<DaemonSetStatus> = {}, generation = 2, type = 'RollingUpdate'): DaemonSet {
  return DaemonSet.fromPartial({
    metadata: { name: 'agent', namespace: 'default', uid: 'u1', generation },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: template(image), updateStrategy: { type } },
    status: { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, ...status },
  });
}
const revision = (n: number, image: string, cause?: string, uid = 'u1') =>
  ControllerRevision.fromPartial({
    metadata: { name: `agent-${n}`, annotations: cause ? { 'kubernetes.io/change-cause': cause } : {}, ownerReferences: [{ kind: 'DaemonSet', name: 'agent', uid, controller: true }] },
    data: { spec: { template: template(image) } },
    revision: n,
  });

describe('daemonSetRolloutStatus (kubectl DaemonSetStatusViewer)', () => {
  it('waits for the spec to be observed, pods to be updated, then to be available', () => {
    expect(daemonSetRolloutStatus(dsOf('b:2', {}, 3))).toEqual({ message: 'Waiting for daemon set spec update to be observed...', done: false });
    expect(daemonSetRolloutStatus(dsOf('b:2', { updatedNumberScheduled: 1 }))).toEqual({ message: 'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...', done: false });
    expect(daemonSetRolloutStatus(dsOf('b:2', { numberAvailable: 2 }))).toEqual({ message: 'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...', done: false });
    expect(daemonSetRolloutStatus(dsOf('b:2'))).toEqual({ message: 'daemon set "agent" successfully rolled out', done: true });
  });

  it('refuses OnDelete DaemonSets', () => {
    expect(() => daemonSetRolloutStatus(dsOf('b:2', {}, 2, 'OnDelete'))).toThrow('rollout status is only available for RollingUpdate strategy type');
  });
});

describe('DaemonSet history and rollback', () => {
  const revisions = [revision(2, 'b:2', 'set image'), revision(1, 'b:1'), revision(9, 'b:9', undefined, 'other')];
  const own = controlledRevisions(dsOf('b:2'), revisions);

  it('lists the revisions the DaemonSet controls, oldest first, with their change-cause', () => {
    expect(own.map((r) => r.revision)).toEqual([2, 1]);
    expect(revisionHistoryTable(own)).toBe('REVISION  CHANGE-CAUSE\n1         <none>\n2         set image\n');
    expect(revisionHistoryTable([])).toBe('No rollout history found.\n');
    expect(revisionPodTemplate(own, 1).spec?.containers[0].image).toBe('b:1');
    expect(() => revisionPodTemplate(own, 5)).toThrow('unable to find the specified revision');
  });

  it('rolls back to the previous revision or a given one; skips when the template already matches', () => {
    const back = planDaemonSetRollback(dsOf('b:2'), own, 0);
    expect(back.action === 'rollback' && back.object.spec?.template?.spec?.containers[0].image).toBe('b:1');
    expect(planDaemonSetRollback(dsOf('b:2'), own, 2)).toEqual({ action: 'skip', message: 'skipped rollback (current template already matches revision 2)' });
    expect(() => planDaemonSetRollback(dsOf('b:2'), own, 7)).toThrow('unable to find specified revision 7 in history');
    expect(() => planDaemonSetRollback(dsOf('b:2'), own.slice(0, 1), 0)).toThrow('no last revision to roll back to');
  });
});
