import { labelSelectorMatcher, Pod, ReplicaSet, type OwnerReference } from '@skiff/api';
import { adoptedCopy, claimPods, releasedCopy, replicaSetRef } from './claim-pods';

const RS = ReplicaSet.fromPartial({
  metadata: { name: 'web', namespace: 'default', uid: 'rs-uid' },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } } } },
});
const selector = labelSelectorMatcher(RS.spec?.selector);
const ours: OwnerReference = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true };
const theirs: OwnerReference = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: 'other-uid', controller: true, blockOwnerDeletion: true };

function pod(name: string, labels: Record<string, string>, owners: OwnerReference[] = [], extra: { namespace?: string; deleting?: boolean } = {}): Pod {
  return Pod.fromPartial({ metadata: { name, namespace: extra.namespace ?? 'default', labels, ownerReferences: owners, deletionTimestamp: extra.deleting ? new Date() : undefined, resourceVersion: '7' } });
}
const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata?.name);

describe('claimPods', () => {
  const pods = [
    pod('owned', { app: 'web' }, [ours]),
    pod('relabelled', { app: 'db' }, [ours]),
    pod('orphan', { app: 'web', extra: 'x' }),
    pod('orphan-deleting', { app: 'web' }, [], { deleting: true }),
    pod('orphan-other-labels', { app: 'db' }),
    pod('someone-elses', { app: 'web' }, [theirs]),
    pod('non-controller-owner', { app: 'web' }, [{ ...theirs, controller: false }]),
    pod('other-namespace', { app: 'web' }, [], { namespace: 'prod' }),
  ];

  it('owns matching controlled pods, adopts matching orphans, releases controlled pods that no longer match', () => {
    const claims = claimPods(RS, selector, pods);
    expect(names(claims.owned)).toEqual(['owned']);
    expect(names(claims.adopt)).toEqual(['orphan', 'non-controller-owner']);
    expect(names(claims.release)).toEqual(['relabelled']);
  });

  it('an RS being deleted neither adopts nor releases, and keeps what it owns', () => {
    const deleting = { ...RS, metadata: { ...RS.metadata!, deletionTimestamp: new Date() } };
    const claims = claimPods(deleting, selector, pods);
    expect(names(claims.owned)).toEqual(['owned']);
    expect(claims.adopt).toEqual([]);
    expect(claims.release).toEqual([]);
  });
});

describe('adoption and release copies', () => {
  it('adoption adds the RS as controller (blockOwnerDeletion) and keeps other owners; the cached pod is untouched', () => {
    const cached = pod('p', { app: 'web' }, [{ ...theirs, controller: false }]);
    const adopted = adoptedCopy(cached, RS);
    expect(adopted.metadata?.ownerReferences).toEqual([{ ...theirs, controller: false }, ours]);
    expect(adopted.metadata?.resourceVersion).toBe('7');
    expect(cached.metadata?.ownerReferences).toHaveLength(1);
    expect(replicaSetRef(RS)).toEqual(ours);
  });

  it('release removes only the reference to the RS', () => {
    const cached = pod('p', { app: 'db' }, [{ ...theirs, controller: false }, ours]);
    expect(releasedCopy(cached, 'rs-uid').metadata?.ownerReferences).toEqual([{ ...theirs, controller: false }]);
    expect(cached.metadata?.ownerReferences).toHaveLength(2);
  });
});
