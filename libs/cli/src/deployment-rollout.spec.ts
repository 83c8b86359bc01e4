import { Deployment, Pod, ReplicaSet } from '@skiff/api';
import {
  CHANGE_CAUSE_ANNOTATION,
  controlledReplicaSets,
  historyTable,
  parseImageArgs,
  paused,
  planRollback,
  restarted,
  resumed,
  revisionTemplate,
  rolloutStatus,
  withImages,
} from './deployment-rollout';

function deployment(status: Partial<NonNullable<Deployment['status']>> = {}, generation = 2, image = 'busybox:2'): Deployment {
  return Deployment.fromPartial({
    metadata: { name: 'web', namespace: 'default', uid: 'd-1', generation, annotations: { 'deployment.kubernetes.io/revision': '2', 'skiff.io/last-applied-configuration': '{}', note: 'mine' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }, { name: 'log', image: 'busybox:1' }] } },
    },
    status: { observedGeneration: 2, ...status },
  });
}

function replicaSet(revision: string, image: string, extra: Record<string, string> = {}, owner = 'd-1'): ReplicaSet {
  return ReplicaSet.fromPartial({
    metadata: { name: `web-${revision}`, annotations: { 'deployment.kubernetes.io/revision': revision, ...extra }, ownerReferences: [{ kind: 'Deployment', name: 'web', uid: owner, controller: true }] },
    spec: {
      template: { metadata: { labels: { app: 'web', 'pod-template-hash': `h${revision}` } }, spec: { containers: [{ name: 'web', image }, { name: 'log', image: 'busybox:1' }] } },
    },
  });
}

describe('rolloutStatus (kubectl DeploymentStatusViewer)', () => {
  it('walks through the waiting messages to done', () => {
    expect(rolloutStatus(deployment({}, 3)).message).toBe('Waiting for deployment spec update to be observed...');
    expect(rolloutStatus(deployment({ updatedReplicas: 1, replicas: 4 }))).toEqual({ message: 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...', done: false });
    expect(rolloutStatus(deployment({ updatedReplicas: 3, replicas: 4 })).message).toBe('Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...');
    expect(rolloutStatus(deployment({ updatedReplicas: 3, replicas: 3, availableReplicas: 2 })).message).toBe('Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...');
    expect(rolloutStatus(deployment({ updatedReplicas: 3, replicas: 3, availableReplicas: 3 }))).toEqual({ message: 'deployment "web" successfully rolled out', done: true });
  });

  it('fails after the progress deadline', () => {
    const d = deployment({ conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: '' } as never] });
    expect(() => rolloutStatus(d)).toThrow('deployment "web" exceeded its progress deadline');
  });

  it('adds the reason a pod is stuck', () => {
    const pod = Pod.fromPartial({ status: { containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "bad"' } } }] } });
    expect(rolloutStatus(deployment({ updatedReplicas: 2, replicas: 4 }), [pod]).message).toBe(
      'Waiting for deployment "web" rollout to finish: 2 out of 3 new replicas have been updated... (Warning: ImagePullBackOff - Back-off pulling image "bad")',
    );
  });

  it('checks the revision when asked', () => {
    expect(() => rolloutStatus(deployment(), [], 3)).toThrow('desired revision (3) is different from the running revision (2)');
  });
});

describe('history and rollback', () => {
  const mine = [replicaSet('1', 'busybox:1', { [CHANGE_CAUSE_ANNOTATION]: 'first' }), replicaSet('2', 'busybox:2'), replicaSet('3', 'busybox:3', {}, 'other')];

  it('lists the revisions of the ReplicaSets the Deployment controls', () => {
    const owned = controlledReplicaSets(deployment(), mine);
    expect(owned.map((rs) => rs.metadata?.name)).toEqual(['web-1', 'web-2']);
    expect(historyTable(owned)).toBe('REVISION  CHANGE-CAUSE\n1         first\n2         <none>\n');
    expect(historyTable([])).toBe('No rollout history found.\n');
    expect(revisionTemplate(owned, 1).spec?.containers[0].image).toBe('busybox:1');
    expect(revisionTemplate(owned, 1).metadata?.annotations[CHANGE_CAUSE_ANNOTATION]).toBe('first');
    expect(() => revisionTemplate(owned, 9)).toThrow('unable to find the specified revision');
  });

  it('rolls back to the previous revision: its template without the hash, its annotations', () => {
    const owned = controlledReplicaSets(deployment(), mine);
    const decision = planRollback(deployment(), owned, 0);
    if (decision.action !== 'rollback') throw new Error('expected a rollback');
    expect(decision.deployment.spec?.template?.metadata?.labels).toEqual({ app: 'web' });
    expect(decision.deployment.spec?.template?.spec?.containers[0].image).toBe('busybox:1');
    expect(decision.deployment.metadata?.annotations).toEqual({ 'deployment.kubernetes.io/revision': '2', 'skiff.io/last-applied-configuration': '{}', [CHANGE_CAUSE_ANNOTATION]: 'first' });
  });

  it('skips a rollback to the current template, refuses paused or unknown revisions', () => {
    const owned = controlledReplicaSets(deployment(), mine);
    expect(planRollback(deployment(), owned, 2)).toEqual({ action: 'skip', message: 'skipped rollback (current template already matches revision 2)' });
    expect(() => planRollback(deployment(), owned, 7)).toThrow('unable to find specified revision 7 in history');
    const p = deployment();
    p.spec!.paused = true;
    expect(() => planRollback(p, owned, 0)).toThrow("you cannot rollback a paused deployment; resume it first with 'skiff rollout resume deployment/web' and try again");
    expect(() => planRollback(deployment(), owned.slice(1), 0)).toThrow('no rollout history found for deployment "web"');
  });
});

describe('pause, resume, restart, set image', () => {
  it('pauses and resumes once', () => {
    const p = paused(deployment());
    expect(p.spec?.paused).toBe(true);
    expect(() => paused(p)).toThrow('is already paused');
    expect(resumed(p).spec?.paused).toBe(false);
    expect(() => resumed(deployment())).toThrow('is not paused');
  });

  it('restarts through a restartedAt annotation on the template, not while paused', () => {
    const r = restarted(deployment(), new Date('2024-05-01T10:00:00.123Z'));
    expect(r.spec?.template?.metadata?.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': '2024-05-01T10:00:00Z' });
    expect(() => restarted(paused(deployment()), new Date())).toThrow("can't restart paused deployment (run rollout resume first)");
  });

  it('sets images by container name or *, and reports unknown names', () => {
    expect(withImages(deployment(), new Map([['web', 'busybox:3']]))?.spec?.template?.spec?.containers.map((c) => c.image)).toEqual(['busybox:3', 'busybox:1']);
    expect(withImages(deployment(), new Map([['*', 'x:1']]))?.spec?.template?.spec?.containers.map((c) => c.image)).toEqual(['x:1', 'x:1']);
    expect(withImages(deployment(), new Map([['web', 'busybox:2']]))).toBeUndefined();
    expect(() => withImages(deployment(), new Map([['db', 'x']]))).toThrow('unable to find container named "db"');
    expect(parseImageArgs(['web=busybox:3', 'log=a/b:c'])).toEqual(new Map([['web', 'busybox:3'], ['log', 'a/b:c']]));
    expect(() => parseImageArgs(['web='])).toThrow('invalid image argument "web="');
  });
});
