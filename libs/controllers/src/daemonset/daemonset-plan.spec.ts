import type { DaemonSet, Node, Pod } from '@skiff/api';
import { daemonPodOf, daemonSetOf, nodeOf, T0 } from './daemonset-fixtures.spec-helper';
import { planDaemonSet, rolloutLimits, statusChanged, type DaemonSetPlan } from './daemonset-plan';
import { daemonSetHash } from './daemonset-revisions';

function plan(ds: DaemonSet, nodes: Node[], pods: Pod[], o: { satisfied?: boolean; now?: number } = {}): DaemonSetPlan {
  return planDaemonSet({ daemonSet: ds, nodes, pods, hash: daemonSetHash(ds), expectationsSatisfied: o.satisfied ?? true, now: o.now ?? T0 });
}
const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata?.name).sort();
const nodes3 = [nodeOf('n1'), nodeOf('n2'), nodeOf('n3')];

describe('planDaemonSet: manage', () => {
  it('creates one pod per eligible node and none on a tainted or unselected one', () => {
    const ds = daemonSetOf({ spec: { nodeSelector: { role: 'worker' } } });
    const p = plan(ds, [nodeOf('n1', { role: 'worker' }), nodeOf('n2', { role: 'worker' }), nodeOf('n3', { role: 'worker' }, [{ key: 'gpu', effect: 'NoSchedule' }]), nodeOf('n4')], []);
    expect(p.createOn.sort()).toEqual(['n1', 'n2']);
    expect(p.delete).toEqual([]);
    expect(p.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 0, numberUnavailable: 2, observedGeneration: 1 });
  });

  it('creates nothing while expectations are pending (status only)', () => {
    const p = plan(daemonSetOf(), nodes3, [], { satisfied: false });
    expect(p.createOn).toEqual([]);
    expect(p.status.desiredNumberScheduled).toBe(3);
  });

  it('counts an unbound pod aimed at a node as that node\'s pod, and a new node gets one', () => {
    const ds = daemonSetOf();
    const p = plan(ds, nodes3, [daemonPodOf(ds, 'n1', { bound: false, ready: false, phase: 'Pending' }), daemonPodOf(ds, 'n2')]);
    expect(p.createOn).toEqual(['n3']);
    expect(p.status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 2, numberReady: 1, numberAvailable: 1, updatedNumberScheduled: 2, numberUnavailable: 2 });
  });

  it('deletes pods on nodes that became ineligible or are gone; a NoSchedule taint added later leaves the pod (misscheduled)', () => {
    const ds = daemonSetOf({ spec: { nodeSelector: { role: 'worker' } } });
    const onUnlabelled = daemonPodOf(ds, 'n1');
    const onGone = daemonPodOf(ds, 'n9');
    const onTainted = daemonPodOf(ds, 'n2');
    const p = plan(ds, [nodeOf('n1'), nodeOf('n2', { role: 'worker' }, [{ key: 'gpu', effect: 'NoSchedule' }])], [onUnlabelled, onGone, onTainted]);
    expect(names(p.delete)).toEqual(names([onUnlabelled, onGone]));
    expect(p.createOn).toEqual([]);
    expect(p.status).toMatchObject({ desiredNumberScheduled: 0, numberMisscheduled: 2 });
    const noExecute = plan(ds, [nodeOf('n2', { role: 'worker' }, [{ key: 'gpu', effect: 'NoExecute' }])], [onTainted]);
    expect(names(noExecute.delete)).toEqual(names([onTainted]));
  });

  it('deletes a failed pod (FailedDaemonPod) and replaces it only once it is gone', () => {
    const ds = daemonSetOf();
    const failed = daemonPodOf(ds, 'n1', { phase: 'Failed', ready: false });
    const p = plan(ds, [nodeOf('n1')], [failed]);
    expect(p.delete).toEqual([failed]);
    expect(p.createOn).toEqual([]);
    expect(p.events).toEqual([{ type: 'Warning', reason: 'FailedDaemonPod', message: `Found failed daemon pod default/${failed.metadata?.name} on node n1, will try to kill it` }]);
    expect(plan(ds, [nodeOf('n1')], [{ ...failed, metadata: { ...failed.metadata!, deletionTimestamp: new Date(T0) } }]).createOn).toEqual([]);
    expect(plan(ds, [nodeOf('n1')], []).createOn).toEqual(['n1']);
  });

  it('keeps the oldest of two running pods on a node (no surge)', () => {
    const ds = daemonSetOf();
    const older = daemonPodOf(ds, 'n1', { createdAt: 1 });
    const newer = daemonPodOf(ds, 'n1', { createdAt: 2 });
    expect(plan(ds, [nodeOf('n1')], [newer, older]).delete).toEqual([newer]);
  });

  it('does nothing for a DaemonSet being deleted', () => {
    const ds = daemonSetOf();
    ds.metadata!.deletionTimestamp = new Date(T0);
    expect(plan(ds, nodes3, [])).toMatchObject({ createOn: [], delete: [] });
  });
});

describe('planDaemonSet: RollingUpdate', () => {
  const v1 = daemonSetOf({ image: 'busybox:1' });

  it('computes maxUnavailable and maxSurge from ints and percentages, rounding up; both 0 gives 1 unavailable', () => {
    expect(rolloutLimits(daemonSetOf({ maxUnavailable: '25%' }), 10)).toEqual({ maxSurge: 0, maxUnavailable: 3 });
    expect(rolloutLimits(daemonSetOf({ maxUnavailable: 0, maxSurge: '10%' }), 10)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(rolloutLimits(daemonSetOf({ maxUnavailable: 0, maxSurge: 0 }), 3)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('with maxUnavailable 1 deletes one old pod at a time, and the next only once the new pod is available', () => {
    const v2 = daemonSetOf({ image: 'busybox:2', generation: 2 });
    const old = nodes3.map((n) => daemonPodOf(v1, n.metadata!.name!));
    const first = plan(v2, nodes3, old);
    expect(first.createOn).toEqual([]);
    expect(first.delete).toEqual([old[0]]);
    expect(first.status).toMatchObject({ updatedNumberScheduled: 0, numberAvailable: 3 });
    // The old pod is terminating: its node counts as unavailable, nothing else moves, and no pod is created beside it.
    const terminating = { ...old[0], metadata: { ...old[0].metadata!, deletionTimestamp: new Date(T0) } };
    expect(plan(v2, nodes3, [terminating, old[1], old[2]])).toMatchObject({ createOn: [], delete: [] });
    // Gone: manage creates its replacement.
    expect(plan(v2, nodes3, [old[1], old[2]]).createOn).toEqual(['n1']);
    // The replacement is not ready yet: wait.
    const fresh = daemonPodOf(v2, 'n1', { ready: false });
    expect(plan(v2, nodes3, [fresh, old[1], old[2]])).toMatchObject({ createOn: [], delete: [] });
    // Ready: the next node.
    const ready = daemonPodOf(v2, 'n1');
    const next = plan(v2, nodes3, [ready, old[1], old[2]]);
    expect(next.delete).toEqual([old[1]]);
    expect(next.status.updatedNumberScheduled).toBe(1);
  });

  it('with maxUnavailable 2 deletes two at once, and replaces an unavailable old pod at any time', () => {
    const v2 = daemonSetOf({ image: 'busybox:2', maxUnavailable: 2 });
    const old = nodes3.map((n) => daemonPodOf(v1, n.metadata!.name!));
    expect(names(plan(v2, nodes3, old).delete)).toEqual(names(old.slice(0, 2)));
    const v2one = daemonSetOf({ image: 'busybox:2' });
    const broken = daemonPodOf(v1, 'n3', { ready: false });
    const pending = daemonPodOf(v2one, 'n1', { ready: false });
    expect(names(plan(v2one, nodes3, [pending, old[1], broken]).delete)).toEqual(names([broken]));
  });

  it('waits minReadySeconds before a new pod counts as available, and asks to be synced then', () => {
    const v2 = daemonSetOf({ image: 'busybox:2', minReadySeconds: 10 });
    const fresh = daemonPodOf(v2, 'n1', { readySince: T0 - 4_000 });
    const old = [daemonPodOf(v1, 'n2', { readySince: T0 - 60_000 })];
    const p = plan(v2, nodes3.slice(0, 2), [fresh, ...old]);
    expect(p.delete).toEqual([]);
    expect(p.requeueAfterMs).toBe(6_001);
    expect(plan(v2, nodes3.slice(0, 2), [fresh, ...old], { now: T0 + 7_000 }).delete).toEqual(old);
  });

  it('with maxSurge 1 (maxUnavailable 0) starts a new pod beside an old one, then deletes the old one once the new one is available', () => {
    const v2 = daemonSetOf({ image: 'busybox:2', maxSurge: 1, maxUnavailable: 0 });
    const old = nodes3.map((n) => daemonPodOf(v1, n.metadata!.name!));
    expect(plan(v2, nodes3, old)).toMatchObject({ createOn: ['n1'], delete: [] });
    const surging = daemonPodOf(v2, 'n1', { ready: false });
    expect(plan(v2, nodes3, [surging, ...old])).toMatchObject({ createOn: [], delete: [] });
    const available = daemonPodOf(v2, 'n1');
    const p = plan(v2, nodes3, [available, ...old]);
    expect(p.delete).toEqual([old[0]]);
  });

  it('OnDelete replaces nothing until a pod is deleted; the replacement has the new template', () => {
    const v2 = daemonSetOf({ image: 'busybox:2', strategy: 'OnDelete' });
    const old = nodes3.map((n) => daemonPodOf(v1, n.metadata!.name!));
    expect(plan(v2, nodes3, old)).toMatchObject({ createOn: [], delete: [] });
    expect(plan(v2, nodes3, old.slice(1)).createOn).toEqual(['n1']);
  });
});

describe('statusChanged', () => {
  it('compares the counts and observedGeneration', () => {
    const p = plan(daemonSetOf(), nodes3, []);
    expect(statusChanged(undefined, p.status)).toBe(true);
    expect(statusChanged(p.status, { ...p.status })).toBe(false);
    expect(statusChanged(p.status, { ...p.status, numberReady: 1 })).toBe(true);
  });
});
