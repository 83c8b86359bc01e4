import type { ControllerRevision } from '@skiff/api';
import { CONTROLLER_REVISION_HASH_LABEL } from './daemon-pod';
import { daemonPodOf, daemonSetOf } from './daemonset-fixtures.spec-helper';
import { daemonSetHash, newRevision, planHistory, revisionName } from './daemonset-revisions';

const v1 = daemonSetOf({ image: 'busybox:1' });
const v2 = daemonSetOf({ image: 'busybox:2' });
const v3 = daemonSetOf({ image: 'busybox:3' });
const stored = (ds = v1, n = 1): ControllerRevision => newRevision(ds, daemonSetHash(ds), n);

describe('DaemonSet history', () => {
  it('hashes templates stably, differently per template and per collisionCount', () => {
    expect(daemonSetHash(v1)).toBe(daemonSetHash(daemonSetOf({ image: 'busybox:1' })));
    expect(daemonSetHash(v1)).not.toBe(daemonSetHash(v2));
    expect(daemonSetHash({ ...v1, status: { ...v1.status!, collisionCount: 1 } })).not.toBe(daemonSetHash(v1));
    expect(revisionName(v1, 'abc')).toBe('agent-abc');
  });

  it('creates revision 1 for a new DaemonSet, labelled and owned like its pods', () => {
    const plan = planHistory(v1, [], []);
    expect(plan.hash).toBe(daemonSetHash(v1));
    expect(plan.create?.revision).toBe(1);
    expect(plan.create?.metadata?.name).toBe(`agent-${plan.hash}`);
    expect(plan.create?.metadata?.labels).toEqual({ app: 'agent', [CONTROLLER_REVISION_HASH_LABEL]: plan.hash });
    expect(plan.create?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', uid: 'uid-agent', controller: true });
    expect(plan.create?.data?.spec?.template).toEqual(v1.spec?.template);
  });

  it('does nothing when the current template has the newest revision; creates max + 1 after a change', () => {
    expect(planHistory(v1, [stored(v1, 1)], [])).toEqual({ hash: daemonSetHash(v1), delete: [] });
    const plan = planHistory(v2, [stored(v1, 1)], []);
    expect(plan.create?.revision).toBe(2);
    expect(plan.renumber).toBeUndefined();
  });

  it('renumbers an old revision that is current again (undo) and keeps its hash', () => {
    const old = stored(v1, 1);
    old.metadata!.labels![CONTROLLER_REVISION_HASH_LABEL] = 'kept';
    const plan = planHistory(v1, [old, stored(v2, 2)], []);
    expect(plan.create).toBeUndefined();
    expect(plan.renumber?.revision).toBe(3);
    expect(plan.renumber?.metadata?.name).toBe(old.metadata?.name);
    expect(plan.hash).toBe('kept');
  });

  it('prunes old revisions beyond revisionHistoryLimit, oldest first, but never one a pod still carries', () => {
    const ds = daemonSetOf({ image: 'busybox:3', revisionHistoryLimit: 1 });
    const r1 = stored(v1, 1);
    const r2 = stored(v2, 2);
    const r3 = stored(v3, 3);
    expect(planHistory(ds, [r1, r2, r3], []).delete).toEqual([r1]);
    const podOfV1 = daemonPodOf(v1, 'n1');
    expect(planHistory(ds, [r1, r2, r3], [podOfV1]).delete).toEqual([r2]);
    expect(planHistory({ ...ds, spec: { ...ds.spec!, revisionHistoryLimit: 0 } }, [r1, r2, r3], []).delete).toEqual([r1, r2]);
  });
});
