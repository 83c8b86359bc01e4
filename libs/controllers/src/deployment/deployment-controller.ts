/**
 * The Deployment controller (Kubernetes' pkg/controller/deployment), the thin I/O half: the
 * decisions are pure (deployment-sync and the modules it uses); this file reads the caches,
 * performs the plan's writes and records Events on the Deployment.
 *
 * One reconcile of "ns/name":
 *   1. Deployment gone from the cache -> done (the garbage collector removes its ReplicaSets).
 *   2. claim the ReplicaSets of the namespace: adopt matching orphans (after re-reading the
 *      Deployment from the apiserver: never adopt for a deleted or replaced one), release owned
 *      ones that no longer match.
 *   3. planDeployment over the owned ReplicaSets (and, for Recreate, their pods).
 *   4. the plan's ReplicaSet writes in order (ScalingReplicaSet Events after each success); the
 *      first failure throws (retried with backoff; the next sync plans again from the store).
 *      Creating the new ReplicaSet under a name another template holds is a hash collision:
 *      status.collisionCount goes up and the sync is retried under the next name.
 *   5. the Deployment's revision annotation (update), then its status (updateStatus).
 *   6. requeue at the progress deadline while a rollout is under way.
 *
 * ReplicaSets map to their controlling Deployment (orphans: to every Deployment of the
 * namespace selecting them); pods matter only to Recreate Deployments (old pods gone).
 */
import { AlreadyExistsError, keyOf, labelSelectorMatcher, NotFoundError, type Deployment, type DeploymentStatus, type Pod, type ReplicaSet } from '@skiff/api';
import { typed, type Informer } from '@skiff/client';
import { Controller, TerminalError, type ReconcileResult } from '@skiff/reconcile';
import type { Logger } from 'pino';
import type { ControllerContext } from '../controller-context';
import { errorMessage } from '../controller-errors';
import { BY_CONTROLLER_UID, controllerRefOf, controllerUidIndex } from '../owner-refs';
import type { DeploymentPlan, PlannedEvent } from './deployment-plan';
import { planDeployment } from './deployment-sync';
import { collisionStatus, createFailedStatus, isOwnNewReplicaSet } from './new-replica-set';
import { claimReplicaSets, deploymentRef } from './replica-set-claims';
import { applyClaims } from '../controller-ref-manager';
import { isRecreate } from './rollout-limits';

const KIND = 'Deployment';
/** The component name on Events. */
export const DEPLOYMENT_COMPONENT = 'deployment-controller';

type DeploymentInformer = Informer<'deployment'>;
type ReplicaSetInformer = Informer<'replicaSet'>;


/** Keys to sync when `rs` changes: its controlling Deployment, or (an orphan) every Deployment selecting it. */
export function deploymentKeysForReplicaSet(rs: Readonly<ReplicaSet>, deployments: DeploymentInformer): string[] {
  const ref = controllerRefOf(rs);
  const namespace = rs.metadata?.namespace ?? '';
  if (ref) return ref.kind === KIND ? [keyOf({ namespace, name: ref.name })] : [];
  return deployments
    .byNamespace(namespace)
    .filter((d) => {
      try {
        const selector = labelSelectorMatcher(d.spec?.selector);
        return !selector.empty && selector.matches(rs.metadata?.labels);
      } catch {
        return false;
      }
    })
    .map((d) => keyOf(d.metadata));
}

/** The key of the Recreate Deployment whose ReplicaSet controls `pod`, if any. */
export function recreateDeploymentKeyForPod(pod: Readonly<Pod>, replicaSets: ReplicaSetInformer, deployments: DeploymentInformer): string | undefined {
  const podRef = controllerRefOf(pod);
  const namespace = pod.metadata?.namespace ?? '';
  if (podRef?.kind !== 'ReplicaSet') return undefined;
  const rs = replicaSets.get(keyOf({ namespace, name: podRef.name }));
  if (!rs || rs.metadata?.uid !== podRef.uid) return undefined;
  const rsRef = controllerRefOf(rs);
  if (rsRef?.kind !== KIND) return undefined;
  const key = keyOf({ namespace, name: rsRef.name });
  const d = deployments.get(key);
  return d && d.metadata?.uid === rsRef.uid && isRecreate(d) ? key : undefined;
}

/** Builds the Deployment controller from the shared context (registered as "deployment"). */
export function deploymentController(ctx: ControllerContext): Controller {
  const deploymentInformer = ctx.informers.get('deployment');
  const rsInformer = ctx.informers.get('replicaSet');
  const podInformer = ctx.informers.get('pod', { [BY_CONTROLLER_UID]: controllerUidIndex });
  const deployments = typed(ctx.client, 'deployment');
  const replicaSets = typed(ctx.client, 'replicaSet');
  const recorder = ctx.recorder(DEPLOYMENT_COMPONENT);
  const baseLog = ctx.log.child({ controller: 'deployment' });

  const record = (d: Readonly<Deployment>, events: readonly PlannedEvent[]) => {
    for (const e of events) recorder.record(d, e.type, e.reason, e.message, KIND);
  };

  /** Adopts and releases as claimReplicaSets decides; resolves with the ReplicaSets the Deployment now owns. */
  function claim(d: Readonly<Deployment>, log: Logger, signal: AbortSignal): Promise<Readonly<ReplicaSet>[]> {
    return applyClaims(d, claimReplicaSets(d, rsInformer.byNamespace(d.metadata?.namespace ?? '')), {
      readOwner: () => deployments.get(d.metadata?.namespace ?? '', d.metadata?.name ?? '', { signal }),
      update: (rs) => replicaSets.update(rs, { signal }),
      ownerRef: deploymentRef(d),
      what: 'replicaSet',
      log,
    });
  }

  /** Creates the new ReplicaSet; a taken name is either the cache lagging or a hash collision (both throw to retry). */
  async function createReplicaSet(d: Readonly<Deployment>, rs: ReplicaSet, log: Logger, signal: AbortSignal): Promise<void> {
    const name = rs.metadata?.name ?? '';
    try {
      await replicaSets.create({ ...rs, status: undefined }, { signal });
      log.info({ replicaSet: name, replicas: rs.spec?.replicas }, 'created replica set');
    } catch (err) {
      if (err instanceof AlreadyExistsError) {
        const existing = await replicaSets.get(rs.metadata?.namespace ?? '', name, { signal });
        if (isOwnNewReplicaSet(d, existing)) throw new Error(`replica set ${name} exists already (not yet in the cache); syncing again`, { cause: err });
        const status = collisionStatus(d);
        await deployments.updateStatus({ ...structuredClone(d), status } as Deployment, { signal });
        log.info({ replicaSet: name, collisionCount: status.collisionCount }, 'found a hash collision for deployment - bumping collisionCount to resolve it');
        throw new Error(`hash collision on replica set ${name}; collisionCount is now ${status.collisionCount}`, { cause: err });
      }
      const message = `Failed to create new replica set "${name}": ${errorMessage(err)}`;
      recorder.warning(d, 'ReplicaSetCreateError', message, KIND);
      const status = createFailedStatus(d, message, ctx.now());
      if (status) await deployments.updateStatus({ ...structuredClone(d), status } as Deployment, { signal }).catch((e) => log.debug({ err: errorMessage(e) }, 'status update failed'));
      throw err;
    }
  }

  /** Performs the plan: ReplicaSet writes, then the Deployment's annotations and status. */
  async function execute(d: Readonly<Deployment>, plan: DeploymentPlan, log: Logger, signal: AbortSignal): Promise<void> {
    for (const write of plan.writes) {
      const rs = write.replicaSet;
      if (write.action === 'create') {
        await createReplicaSet(d, write.replicaSet, log, signal);
      } else if (write.action === 'update') {
        await replicaSets.update(write.replicaSet, { signal });
        log.info({ replicaSet: rs.metadata?.name, replicas: rs.spec?.replicas }, 'updated replica set');
      } else {
        try {
          await replicaSets.delete(rs.metadata?.namespace ?? '', rs.metadata?.name ?? '', { preconditions: { uid: rs.metadata?.uid }, signal });
          log.info({ replicaSet: rs.metadata?.name }, 'deleted old replica set (revision history limit)');
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      record(d, write.events);
    }
    let current: Readonly<Deployment> = d;
    if (plan.annotations) {
      const next = structuredClone(d) as Deployment;
      next.metadata!.annotations = plan.annotations;
      current = await deployments.update(next, { signal });
    }
    if (plan.status) await deployments.updateStatus({ ...structuredClone(current), status: plan.status as DeploymentStatus } as Deployment, { signal });
    record(d, plan.events);
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const d = deploymentInformer.get(key);
    if (!d) return;
    const log = baseLog.child({ deployment: key });
    try {
      labelSelectorMatcher(d.spec?.selector);
    } catch (err) {
      throw new TerminalError(`Deployment ${key} has an invalid selector: ${errorMessage(err)}`, { cause: err });
    }
    const owned = await claim(d, log, signal);
    const podsByReplicaSet = new Map<string, Readonly<Pod>[]>();
    if (isRecreate(d)) for (const rs of owned) podsByReplicaSet.set(rs.metadata?.uid ?? '', podInformer.byIndex(BY_CONTROLLER_UID, rs.metadata?.uid ?? ''));
    const plan = planDeployment({ deployment: d, replicaSets: owned, podsByReplicaSet, now: ctx.now() });
    await execute(d, plan, log, signal);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  }

  const controller = new Controller({ name: 'deployment', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  controller
    .watch(deploymentInformer)
    .watch(rsInformer, (rs) => deploymentKeysForReplicaSet(rs, deploymentInformer))
    .watch(podInformer, (pod) => recreateDeploymentKeyForPod(pod, rsInformer, deploymentInformer));
  return controller;
}
