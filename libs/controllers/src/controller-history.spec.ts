import { ControllerRevision, PodTemplateSpec } from '@skiff/api';
import { CONTROLLER_HASH_LABEL, controllerRevisionName, planRevisionHistory, revisionHash, type RevisionOwner } from './controller-history';

const template = (image: string) => PodTemplateSpec.fromPartial({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });
const owner = (image: string, limit = 2): RevisionOwner => ({
  name: 'web',
  namespace: 'default',
  template: template(image),
  revisionHistoryLimit: limit,
  ownerRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true },
  hashLabel: CONTROLLER_HASH_LABEL,
});
const revision = (image: string, n: number) => {
  const hash = revisionHash(owner(image));
  return ControllerRevision.fromPartial({ metadata: { name: controllerRevisionName('web', hash), labels: { [CONTROLLER_HASH_LABEL]: hash } }, data: { spec: { template: template(image) } }, revision: n });
};
const none = () => false;

describe('planRevisionHistory', () => {
  it('creates revision 1 of a new template: named <owner>-<hash>, labelled, owned', () => {
    const plan = planRevisionHistory(owner('a'), [], none);
    expect(plan.create).toBe(true);
    expect(plan.update.metadata).toMatchObject({ name: `web-${plan.hash}`, namespace: 'default', labels: { app: 'web', [CONTROLLER_HASH_LABEL]: plan.hash } });
    expect(plan.update.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'StatefulSet', uid: 'u1', controller: true });
    expect(plan.update.revision).toBe(1);
    expect(plan.update.data?.spec?.template?.spec?.containers[0].image).toBe('a');
  });

  it('reuses the revision holding the template; an older one (rollback) is renumbered to the highest + 1', () => {
    const revs = [revision('a', 1), revision('b', 2)];
    expect(planRevisionHistory(owner('b'), revs, none)).toMatchObject({ create: false, renumber: false, update: { revision: 2 } });
    expect(planRevisionHistory(owner('a'), revs, none)).toMatchObject({ create: false, renumber: true, update: { revision: 3, metadata: { name: revs[0].metadata?.name } } });
    expect(planRevisionHistory(owner('c'), revs, none)).toMatchObject({ create: true, update: { revision: 3 } });
  });

  it('deletes the oldest revisions past the limit, never live ones', () => {
    const revs = [revision('a', 1), revision('b', 2), revision('c', 3), revision('d', 4)];
    expect(planRevisionHistory(owner('e', 2), revs, none).delete.map((r) => r.revision)).toEqual([1, 2]);
    expect(planRevisionHistory(owner('e', 2), revs, (r) => r.revision === 1).delete.map((r) => r.revision)).toEqual([2]);
    expect(planRevisionHistory(owner('d', 2), revs, none).delete.map((r) => r.revision)).toEqual([1]);
  });
});
