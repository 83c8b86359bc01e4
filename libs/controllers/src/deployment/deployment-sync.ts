/**
 * One sync of a Deployment as a pure decision (Kubernetes' syncDeployment):
 *
 *   empty selector ──────────────> Warning SelectingAll; only observedGeneration
 *   being deleted ───────────────> status only (no new ReplicaSet, no scaling)
 *   paused, or a scaling event ──> sync: proportional scaling, no rollout progress
 *                                  (paused: old ReplicaSets beyond the history limit go)
 *   Recreate ────────────────────> old to 0, wait for their pods, then the new one
 *   RollingUpdate ───────────────> one step: new up, else old down, else history cleanup
 *
 * then the status: counts and Available always; Progressing (with its deadline) only on the
 * rollout paths. Same input, same plan: it runs the same for create, update, resync and after
 * a restart.
 */
import { labelSelectorMatcher, type ReplicaSet } from '@skiff/api';
import { PlanBuilder, type DeploymentInput, type DeploymentPlan } from './deployment-plan';
import { calculateStatus, deadlineRecheckMs, deploymentComplete, rolloutStatus, setPausedCondition } from './deployment-status';
import { cleanupHistory } from './history-cleanup';
import { syncRevision } from './new-replica-set';
import { isScalingEvent, scaleDeployment } from './proportional-scaling';
import { oldPodsRunning, scaleDownOldForRecreate } from './recreate';
import { activeReplicaSets } from './replica-counts';
import { reconcileNewReplicaSet, reconcileOldReplicaSets } from './rolling-update';
import { desiredReplicas, isRecreate } from './rollout-limits';

function selectsEverything(b: PlanBuilder): boolean {
  try {
    return labelSelectorMatcher(b.deployment.spec?.selector).empty;
  } catch {
    return false;
  }
}

/** Counts and Available only (syncDeploymentStatus). */
function finishWithStatus(b: PlanBuilder, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): void {
  b.finish(calculateStatus(b.deployment, [...oldRSs, newRS], newRS, b.now));
}

/** The rollout status, and a recheck at the progress deadline (syncRolloutStatus). */
function finishRollout(b: PlanBuilder, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): void {
  const status = rolloutStatus(b.deployment, [...oldRSs, newRS], newRS, b.now);
  b.finish(status, deadlineRecheckMs(b.deployment, status, b.now));
}

/** Paused or scaling: sizes only (sync). */
function syncScaling(b: PlanBuilder): void {
  const { newRS, oldRSs } = syncRevision(b, false);
  scaleDeployment(b, newRS, oldRSs);
  if (b.deployment.spec?.paused) cleanupHistory(b, oldRSs);
  finishWithStatus(b, newRS, oldRSs);
}

function rolloutRolling(b: PlanBuilder): void {
  const { newRS, oldRSs } = syncRevision(b, true);
  const rs = newRS!;
  const all = [...oldRSs, rs];
  if (reconcileNewReplicaSet(b, all, rs)) return finishRollout(b, rs, oldRSs);
  if (reconcileOldReplicaSets(b, all, activeReplicaSets(oldRSs), rs)) return finishRollout(b, rs, oldRSs);
  if (deploymentComplete(b.deployment, b.deployment.status)) cleanupHistory(b, oldRSs);
  finishRollout(b, rs, oldRSs);
}

function rolloutRecreate(b: PlanBuilder): void {
  let { newRS, oldRSs } = syncRevision(b, false);
  if (scaleDownOldForRecreate(b, oldRSs)) return finishRollout(b, newRS, oldRSs);
  if (oldPodsRunning(newRS, oldRSs, b.podsByReplicaSet)) return finishRollout(b, newRS, oldRSs);
  if (!newRS) ({ newRS, oldRSs } = syncRevision(b, true));
  b.scaleIfNeeded(newRS!, desiredReplicas(b.deployment));
  if (deploymentComplete(b.deployment, b.deployment.status)) cleanupHistory(b, oldRSs);
  finishRollout(b, newRS, oldRSs);
}

/** Decides one sync of `input.deployment` (see the file comment). */
export function planDeployment(input: DeploymentInput): DeploymentPlan {
  const b = new PlanBuilder(input);
  const d = b.deployment;
  if (selectsEverything(b)) {
    b.event('Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
    b.finish({ ...d.status!, observedGeneration: d.metadata?.generation ?? 0 });
    return b.plan();
  }
  if (d.metadata?.deletionTimestamp) {
    const { newRS, oldRSs } = syncRevision(b, false);
    finishWithStatus(b, newRS, oldRSs);
    return b.plan();
  }
  setPausedCondition(d, d.status!, b.now);
  if (d.spec?.paused) {
    syncScaling(b);
    return b.plan();
  }
  if (isScalingEvent(d, b.replicaSets)) syncScaling(b);
  else if (isRecreate(d)) rolloutRecreate(b);
  else rolloutRolling(b);
  return b.plan();
}

