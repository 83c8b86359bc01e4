import type { ReplicaSet } from '@skiff/api';
import { deploymentOf, replicaSetOf, T0, withImage } from './deployment-fixtures.spec-helper';
import { adoptedCopy, claimReplicaSets, releasedCopy } from './replica-set-claims';

describe('claimReplicaSets', () => {
  const d = deploymentOf();
  const named = (rs: ReplicaSet, name: string) => {
    rs.metadata!.name = name;
    rs.metadata!.uid = `uid-${name}`;
    return rs;
  };
  const owned = named(replicaSetOf(d, { replicas: 3 }), 'owned');
  const orphan = named(replicaSetOf(withImage(d, 'x:1'), { replicas: 1 }), 'orphan');
  orphan.metadata!.ownerReferences = [];
  const foreign = named(replicaSetOf(d, { replicas: 1 }), 'foreign');
  foreign.metadata!.ownerReferences = [{ ...foreign.metadata!.ownerReferences[0], uid: 'uid-other', name: 'other' }];
  const mislabelled = named(replicaSetOf(d, { replicas: 1 }), 'mislabelled');
  mislabelled.metadata!.labels = { app: 'db' };
  const otherNamespace = named(replicaSetOf(d, { replicas: 1 }), 'elsewhere');
  otherNamespace.metadata!.namespace = 'prod';
  otherNamespace.metadata!.ownerReferences = [];

  it('owns, adopts and releases as ControllerRefManager does', () => {
    const claims = claimReplicaSets(d, [owned, orphan, foreign, mislabelled, otherNamespace]);
    expect(claims.owned.map((rs) => rs.metadata!.name)).toEqual(['owned']);
    expect(claims.adopt.map((rs) => rs.metadata!.name)).toEqual(['orphan']);
    expect(claims.release.map((rs) => rs.metadata!.name)).toEqual(['mislabelled']);
  });

  it('neither adopts nor releases while the Deployment is being deleted, and never adopts a deleted ReplicaSet', () => {
    const deleting = structuredClone(d);
    deleting.metadata!.deletionTimestamp = new Date(T0);
    const claims = claimReplicaSets(deleting, [owned, orphan, mislabelled]);
    expect(claims).toEqual({ owned: [owned], adopt: [], release: [] });
    const gone = structuredClone(orphan);
    gone.metadata!.deletionTimestamp = new Date(T0);
    expect(claimReplicaSets(d, [gone]).adopt).toEqual([]);
  });

  it('adopts and releases on copies', () => {
    const adopted = adoptedCopy(orphan, d);
    expect(adopted.metadata!.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true, blockOwnerDeletion: true }]);
    expect(orphan.metadata!.ownerReferences).toEqual([]);
    expect(releasedCopy(adopted, 'uid-web').metadata!.ownerReferences).toEqual([]);
  });
});
