import { deploymentOf, replicaSetOf, T0, withImage } from './deployment-fixtures.spec-helper';
import {
  AVAILABLE,
  calculateStatus,
  deadlineRecheckMs,
  getCondition,
  newCondition,
  PROGRESSING,
  Reasons,
  rolloutStatus,
  sameStatus,
  setCondition,
  setPausedCondition,
} from './deployment-status';

describe('deployment status', () => {
  const d0 = deploymentOf({ replicas: 3, maxSurge: 1, maxUnavailable: 1, generation: 2 });
  const d = withImage(d0, 'busybox:2');

  it('counts from the ReplicaSets: updated = the new one, unavailable against spec sizes', () => {
    const old = replicaSetOf(d0, { replicas: 2, actual: 3, available: 3 });
    const fresh = replicaSetOf(d, { replicas: 2, actual: 2, ready: 1, available: 0, revision: 2 });
    const status = calculateStatus(d, [old, fresh], fresh, T0);
    expect(status).toMatchObject({ observedGeneration: 3, replicas: 5, updatedReplicas: 2, readyReplicas: 4, availableReplicas: 3, unavailableReplicas: 1 });
    expect(getCondition(status, AVAILABLE)).toMatchObject({ status: 'True', reason: Reasons.MinimumReplicasAvailable, message: 'Deployment has minimum availability.' });
  });

  it('says MinimumReplicasUnavailable below replicas - maxUnavailable', () => {
    const fresh = replicaSetOf(d, { replicas: 3, available: 1, revision: 2 });
    expect(getCondition(calculateStatus(d, [fresh], fresh, T0), AVAILABLE)).toMatchObject({ status: 'False', reason: Reasons.MinimumReplicasUnavailable });
  });

  it('keeps lastTransitionTime while the status stays, and ignores a same-reason set', () => {
    const status = calculateStatus(d, [], undefined, T0);
    setCondition(status, newCondition(PROGRESSING, 'True', Reasons.NewReplicaSetCreated, 'a', T0));
    setCondition(status, newCondition(PROGRESSING, 'True', Reasons.ReplicaSetUpdated, 'b', T0 + 5000));
    expect(getCondition(status, PROGRESSING)).toMatchObject({ reason: Reasons.ReplicaSetUpdated, lastTransitionTime: new Date(T0), lastUpdateTime: new Date(T0 + 5000) });
    setCondition(status, newCondition(PROGRESSING, 'True', Reasons.ReplicaSetUpdated, 'c', T0 + 9000));
    expect(getCondition(status, PROGRESSING)?.message).toBe('b');
  });

  it('refreshes Progressing on progress, then times out after progressDeadlineSeconds without any', () => {
    const started = withImage(d0, 'busybox:2');
    started.spec!.progressDeadlineSeconds = 30;
    started.status!.conditions = [newCondition(PROGRESSING, 'True', Reasons.NewReplicaSetCreated, 'Created new replica set', T0)];
    const old = replicaSetOf(d0, { replicas: 2 });
    const fresh = replicaSetOf(started, { replicas: 2, actual: 2, available: 0, revision: 2 });

    const progressed = rolloutStatus(started, [old, fresh], fresh, T0 + 10_000);
    const cond = getCondition(progressed, PROGRESSING)!;
    expect(cond).toMatchObject({ status: 'True', reason: Reasons.ReplicaSetUpdated, message: `ReplicaSet "${fresh.metadata!.name}" is progressing.` });
    expect(cond.lastUpdateTime).toEqual(new Date(T0 + 10_000));
    expect(cond.lastTransitionTime).toEqual(new Date(T0));

    const stalled = structuredClone(started);
    stalled.status = progressed;
    expect(getCondition(rolloutStatus(stalled, [old, fresh], fresh, T0 + 39_000), PROGRESSING)?.reason).toBe(Reasons.ReplicaSetUpdated);
    expect(deadlineRecheckMs(stalled, progressed, T0 + 39_000)).toBe(2_000);
    const timedOut = getCondition(rolloutStatus(stalled, [old, fresh], fresh, T0 + 40_001), PROGRESSING)!;
    expect(timedOut).toMatchObject({ status: 'False', reason: Reasons.ProgressDeadlineExceeded, message: `ReplicaSet "${fresh.metadata!.name}" has timed out progressing.` });
  });

  it('says NewReplicaSetAvailable once complete, then stops rechecking', () => {
    const done = structuredClone(d);
    done.status!.conditions = [newCondition(PROGRESSING, 'True', Reasons.ReplicaSetUpdated, 'x', T0)];
    const fresh = replicaSetOf(d, { replicas: 3, revision: 2 });
    const status = rolloutStatus(done, [fresh], fresh, T0 + 1000);
    expect(getCondition(status, PROGRESSING)).toMatchObject({ status: 'True', reason: Reasons.NewReplicaSetAvailable, message: `ReplicaSet "${fresh.metadata!.name}" has successfully progressed.` });
    expect(deadlineRecheckMs(done, status, T0 + 1000)).toBeUndefined();
  });

  it('drops Progressing without a deadline', () => {
    const none = structuredClone(d);
    none.spec!.progressDeadlineSeconds = undefined;
    none.status!.conditions = [newCondition(PROGRESSING, 'True', Reasons.ReplicaSetUpdated, 'x', T0)];
    expect(getCondition(rolloutStatus(none, [], undefined, T0), PROGRESSING)).toBeUndefined();
  });

  it('copies a ReplicaSet failure into ReplicaFailure', () => {
    const fresh = replicaSetOf(d, { replicas: 3, actual: 0, revision: 2 });
    fresh.status!.conditions = [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota', lastTransitionTime: new Date(T0), lastUpdateTime: undefined, lastProbeTime: undefined, lastHeartbeatTime: undefined }];
    expect(getCondition(rolloutStatus(d, [fresh], fresh, T0), 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreate', message: 'quota' });
  });

  it('shows pause and resume in Progressing, never over a deadline failure', () => {
    const paused = deploymentOf({ paused: true });
    setPausedCondition(paused, paused.status!, T0);
    expect(getCondition(paused.status, PROGRESSING)).toMatchObject({ status: 'Unknown', reason: Reasons.DeploymentPaused, message: 'Deployment is paused' });
    const resumed = structuredClone(paused);
    resumed.spec!.paused = false;
    setPausedCondition(resumed, resumed.status!, T0);
    expect(getCondition(resumed.status, PROGRESSING)).toMatchObject({ reason: Reasons.DeploymentResumed, message: 'Deployment is resumed' });
    const failed = deploymentOf({ paused: true });
    failed.status!.conditions = [newCondition(PROGRESSING, 'False', Reasons.ProgressDeadlineExceeded, 'x', T0)];
    setPausedCondition(failed, failed.status!, T0);
    expect(getCondition(failed.status, PROGRESSING)?.reason).toBe(Reasons.ProgressDeadlineExceeded);
  });

  it('compares statuses by value', () => {
    const a = calculateStatus(d, [], undefined, T0);
    expect(sameStatus(a, structuredClone(a))).toBe(true);
    expect(sameStatus(a, { ...a, replicas: 1 })).toBe(false);
    expect(sameStatus(a, calculateStatus(d, [], undefined, T0 + 1))).toBe(false);
  });
});
