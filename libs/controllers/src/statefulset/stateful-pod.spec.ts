import { Pod, StatefulSet } from '@skiff/api';
import { claimWithRetentionOwners, identityMatches, isClaimStale, newClaims, parentAndOrdinal, storageMatches } from './stateful-pod';

const setOf = (whenDeleted: string, whenScaled: string, replicas = 2) =>
  StatefulSet.fromPartial({
    metadata: { name: 'db', namespace: 'default', uid: 'uid-db' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } } },
      volumeClaimTemplates: [{ metadata: { name: 'data' } }],
      persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled },
    },
  });
const podOf = (ordinal: number) => Pod.fromPartial({ metadata: { name: `db-${ordinal}`, namespace: 'default', uid: `uid-${ordinal}` } });
const SET_REF = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'uid-db' };
const podRef = (ordinal: number) => ({ apiVersion: 'v1', kind: 'Pod', name: `db-${ordinal}`, uid: `uid-${ordinal}` });

describe('stateful pod identity', () => {
  it('reads the parent and ordinal from a name', () => {
    expect(parentAndOrdinal('web-12')).toEqual({ parent: 'web', ordinal: 12 });
    expect(parentAndOrdinal('my-web-0')).toEqual({ parent: 'my-web', ordinal: 0 });
    expect(parentAndOrdinal('web')).toEqual({ parent: '', ordinal: -1 });
  });

  it('matches identity and storage only as the set makes them', () => {
    const sts = setOf('Retain', 'Retain');
    const pod = Pod.fromPartial({
      metadata: { name: 'db-1', namespace: 'default', labels: { 'statefulset.kubernetes.io/pod-name': 'db-1', 'apps.kubernetes.io/pod-index': '1' } },
      spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } }] },
    });
    expect(identityMatches(sts, pod)).toBe(true);
    expect(storageMatches(sts, pod)).toBe(true);
    expect(identityMatches(sts, { ...pod, metadata: { ...pod.metadata!, namespace: 'other' } })).toBe(false);
    expect(storageMatches(sts, { ...pod, spec: { ...pod.spec!, volumes: [] } })).toBe(false);
  });
});

describe('claim owners under the retention policy', () => {
  const claimOf = (sts: StatefulSet, ordinal: number, refs: object[] = []) => {
    const [claim] = newClaims(sts, ordinal);
    claim.metadata!.ownerReferences = refs as never;
    return claim;
  };
  const owners = (sts: StatefulSet, ordinal: number, refs: object[] = []) => {
    const fixed = claimWithRetentionOwners(sts, podOf(ordinal), claimOf(sts, ordinal, refs));
    return fixed ? fixed.metadata?.ownerReferences : 'unchanged';
  };

  it('Retain/Retain: no owner', () => {
    const sts = setOf('Retain', 'Retain');
    expect(owners(sts, 0)).toBe('unchanged');
    expect(owners(sts, 0, [SET_REF])).toEqual([]);
  });

  it('whenDeleted Delete: the set owns every claim; whenScaled Delete: a scaled-down pod owns its own instead', () => {
    expect(owners(setOf('Delete', 'Retain'), 0)).toEqual([SET_REF]);
    expect(owners(setOf('Delete', 'Retain'), 3)).toEqual([SET_REF]);
    expect(owners(setOf('Retain', 'Delete'), 0)).toBe('unchanged');
    expect(owners(setOf('Retain', 'Delete'), 3)).toEqual([podRef(3)]);
    expect(owners(setOf('Delete', 'Delete'), 0)).toEqual([SET_REF]);
    expect(owners(setOf('Delete', 'Delete'), 3, [SET_REF])).toEqual([podRef(3)]);
    // Scaled back up: the pod reference goes again.
    expect(owners(setOf('Retain', 'Delete'), 1, [podRef(1)])).toEqual([]);
  });

  it('a claim still owned by a pod, or being deleted, is stale for a pod to come', () => {
    const sts = setOf('Retain', 'Delete');
    expect(isClaimStale(claimOf(sts, 1))).toBe(false);
    expect(isClaimStale(claimOf(sts, 1, [{ apiVersion: 'v1', kind: 'Pod', name: 'db-1', uid: 'gone' }]))).toBe(true);
    const deleting = claimOf(sts, 1);
    deleting.metadata!.deletionTimestamp = new Date();
    expect(isClaimStale(deleting)).toBe(true);
  });
});
