import { LabelSelector, type Deployment, type Pod, type ReplicaSet } from '@skiff/api';
import { deploymentOf, podOf, replicaSetOf, T0, withImage, type DeploymentOptions } from './deployment-fixtures.spec-helper';
import type { DeploymentPlan } from './deployment-plan';
import { getCondition, PROGRESSING, Reasons } from './deployment-status';
import { planDeployment } from './deployment-sync';
import { collisionStatus, createFailedStatus, isOwnNewReplicaSet, newReplicaSetIdentity } from './new-replica-set';
import { POD_TEMPLATE_HASH_LABEL } from './pod-template-hash';
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from './revision-annotations';

function plan(d: Readonly<Deployment>, replicaSets: readonly ReplicaSet[], now = T0, pods = new Map<string, Pod[]>()): DeploymentPlan {
  return planDeployment({ deployment: d, replicaSets, podsByReplicaSet: pods, now });
}

const messages = (p: DeploymentPlan) => p.writes.flatMap((w) => w.events.map((e) => e.message));

/**
 * A small world for the decisions: the store holds the Deployment and its ReplicaSets; "the
 * ReplicaSet controller" makes each ReplicaSet's pod count equal its spec (deleting not-ready
 * pods first); "the kubelet" makes pods ready, unless the template's image is bad. Pods being
 * deleted vanish at once (what the Deployment controller counts: non-terminating pods).
 */
class World {
  d: Deployment;
  readonly replicaSets = new Map<string, ReplicaSet>();
  /** ReplicaSet name -> its pods' readiness. */
  readonly pods = new Map<string, boolean[]>();
  now = T0;
  readonly events: string[] = [];
  private revision = 100;

  constructor(options: DeploymentOptions, readonly badImage = 'bad:image') {
    this.d = deploymentOf(options);
  }

  sync(): DeploymentPlan {
    const podsByReplicaSet = new Map<string, Pod[]>();
    for (const rs of this.replicaSets.values()) podsByReplicaSet.set(rs.metadata!.uid, (this.pods.get(rs.metadata!.name) ?? []).map((_, i) => podOf(rs, `${rs.metadata!.name}-${i}`)));
    const p = planDeployment({ deployment: this.d, replicaSets: [...this.replicaSets.values()].map((rs) => structuredClone(rs)), podsByReplicaSet, now: this.now });
    this.apply(p);
    return p;
  }

  private apply(p: DeploymentPlan): void {
    for (const w of p.writes) {
      const rs = structuredClone(w.replicaSet) as ReplicaSet;
      const name = rs.metadata!.name;
      if (w.action === 'delete') {
        this.replicaSets.delete(name);
        this.pods.delete(name);
        continue;
      }
      if (w.action === 'create') {
        if (this.replicaSets.has(name)) throw new Error(`${name} exists`);
        rs.metadata!.uid = `uid-${name}`;
        rs.metadata!.creationTimestamp = new Date(this.now);
        rs.metadata!.generation = 1;
      } else {
        const stored = this.replicaSets.get(name)!;
        if (stored.metadata!.resourceVersion !== rs.metadata!.resourceVersion) throw new Error(`conflict on ${name}`);
        rs.status = stored.status;
        if (JSON.stringify(stored.spec) !== JSON.stringify(rs.spec)) rs.metadata!.generation = stored.metadata!.generation + 1;
      }
      rs.metadata!.resourceVersion = String(++this.revision);
      this.replicaSets.set(name, rs);
      this.events.push(...w.events.map((e) => e.message));
    }
    if (p.annotations) this.d.metadata!.annotations = p.annotations;
    if (p.status) this.d.status = p.status;
    this.events.push(...p.events.map((e) => e.message));
  }

  /** The ReplicaSet controller and the kubelet: pods follow specs; good pods become ready one step after creation. */
  settle(): void {
    for (const rs of this.replicaSets.values()) {
      const name = rs.metadata!.name;
      const bad = rs.spec!.template!.spec!.containers[0].image === this.badImage;
      let pods = (this.pods.get(name) ?? []).map((ready) => ready || !bad);
      const want = rs.spec!.replicas!;
      while (pods.length < want) pods.push(false);
      while (pods.length > want) {
        const notReady = pods.indexOf(false);
        pods = notReady >= 0 ? pods.filter((_, i) => i !== notReady) : pods.slice(1);
      }
      this.pods.set(name, pods);
      const ready = pods.filter(Boolean).length;
      rs.status = { replicas: pods.length, fullyLabeledReplicas: pods.length, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.metadata!.generation, conditions: [] };
    }
  }

  totals(): { pods: number; ready: number } {
    const all = [...this.pods.values()].flat();
    return { pods: all.length, ready: all.filter(Boolean).length };
  }

  byImage(image: string): ReplicaSet | undefined {
    return [...this.replicaSets.values()].find((rs) => rs.spec!.template!.spec!.containers[0].image === image);
  }

  setImage(image: string): void {
    this.d = withImage(this.d, image);
  }

  /** Syncs and settles until nothing changes; checks `invariant` after every step. */
  converge(invariant: (w: World) => void = () => undefined, maxSteps = 100): number {
    for (let step = 1; step <= maxSteps; step++) {
      const p = this.sync();
      this.settle();
      invariant(this);
      this.now += 1000;
      if (p.writes.length === 0 && !p.status && !p.annotations) return step;
    }
    throw new Error(`no convergence in ${maxSteps} steps`);
  }
}

describe('planDeployment', () => {
  it('creates the first ReplicaSet at full size, revision 1, and says so', () => {
    const d = deploymentOf({ replicas: 3 });
    const p = plan(d, []);
    expect(p.writes).toHaveLength(1);
    const [write] = p.writes;
    expect(write.action).toBe('create');
    const rs = write.replicaSet;
    const { name, hash } = newReplicaSetIdentity(d);
    expect(rs.metadata).toMatchObject({ name, namespace: 'default', labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash } });
    expect(rs.metadata!.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true, blockOwnerDeletion: true }]);
    expect(rs.metadata!.annotations).toEqual({ [REVISION_ANNOTATION]: '1', [DESIRED_REPLICAS_ANNOTATION]: '3', [MAX_REPLICAS_ANNOTATION]: '4' });
    expect(rs.spec!.replicas).toBe(3);
    expect(rs.spec!.selector!.matchLabels).toEqual({ app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
    expect(rs.spec!.template!.metadata!.labels).toEqual({ app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
    expect(messages(p)).toEqual([`Scaled up replica set ${name} to 3`]);
    expect(p.annotations).toEqual({ [REVISION_ANNOTATION]: '1' });
    expect(p.status).toMatchObject({ observedGeneration: 1, replicas: 0, updatedReplicas: 0 });
    expect(getCondition(p.status, PROGRESSING)).toMatchObject({ status: 'True', reason: Reasons.NewReplicaSetCreated, message: `Created new replica set "${name}"` });
  });

  it('converges and then does nothing: same input, no writes', () => {
    const w = new World({ replicas: 3 });
    w.converge();
    const rs = w.byImage('busybox:1')!;
    expect(rs.spec!.replicas).toBe(3);
    expect(w.d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 });
    expect(getCondition(w.d.status, PROGRESSING)?.reason).toBe(Reasons.NewReplicaSetAvailable);
    expect(getCondition(w.d.status, 'Available')?.status).toBe('True');
    const again = plan(w.d, [...w.replicaSets.values()], w.now);
    expect(again).toEqual({ writes: [], annotations: undefined, status: undefined, events: [], requeueAfterMs: undefined });
  });

  it.each([
    { replicas: 3, maxSurge: 1, maxUnavailable: 1 },
    { replicas: 10, maxSurge: '25%', maxUnavailable: '25%' },
    { replicas: 5, maxSurge: 0, maxUnavailable: 2 },
    { replicas: 4, maxSurge: 2, maxUnavailable: 0 },
  ])('rolls %o within maxSurge and maxUnavailable at every step', (options) => {
    const w = new World(options);
    w.converge();
    const oldName = w.byImage('busybox:1')!.metadata!.name;
    w.setImage('busybox:2');
    const desired = options.replicas;
    const surge = typeof options.maxSurge === 'number' ? options.maxSurge : Math.ceil(desired / 4);
    const unavailable = typeof options.maxUnavailable === 'number' ? options.maxUnavailable : Math.floor(desired / 4);
    let maxPods = 0;
    let minReady = Infinity;
    w.converge((world) => {
      const t = world.totals();
      maxPods = Math.max(maxPods, t.pods);
      minReady = Math.min(minReady, t.ready);
    });
    expect(maxPods).toBeLessThanOrEqual(desired + surge);
    expect(minReady).toBeGreaterThanOrEqual(desired - unavailable);
    expect(w.replicaSets.get(oldName)!.spec!.replicas).toBe(0);
    expect(w.byImage('busybox:2')!.spec!.replicas).toBe(desired);
    expect(w.d.metadata!.annotations[REVISION_ANNOTATION]).toBe('2');
    expect(getCondition(w.d.status, PROGRESSING)?.reason).toBe(Reasons.NewReplicaSetAvailable);
  });

  it('records ScalingReplicaSet Events as kubectl shows them', () => {
    const w = new World({ replicas: 3, maxSurge: 1, maxUnavailable: 1 });
    w.converge();
    const oldName = w.byImage('busybox:1')!.metadata!.name;
    w.setImage('busybox:2');
    w.converge();
    const newName = w.byImage('busybox:2')!.metadata!.name;
    expect(w.events).toEqual([
      `Scaled up replica set ${oldName} to 3`,
      `Scaled up replica set ${newName} to 1`,
      `Scaled down replica set ${oldName} to 2`,
      `Scaled up replica set ${newName} to 2`,
      `Scaled down replica set ${oldName} to 1`,
      `Scaled up replica set ${newName} to 3`,
      `Scaled down replica set ${oldName} to 0`,
    ]);
  });

  it('stalls a bad template at maxUnavailable, then reports ProgressDeadlineExceeded', () => {
    const w = new World({ replicas: 3, maxSurge: 1, maxUnavailable: 1, progressDeadlineSeconds: 30 });
    w.converge();
    w.setImage('bad:image');
    w.converge();
    const bad = w.byImage('bad:image')!;
    const good = w.byImage('busybox:1')!;
    expect(bad.spec!.replicas).toBe(2);
    expect(good.spec!.replicas).toBe(2);
    expect(w.totals()).toEqual({ pods: 4, ready: 2 });
    const stalled = plan(w.d, [...w.replicaSets.values()], w.now);
    expect(stalled.writes).toEqual([]);
    const lastUpdate = getCondition(w.d.status, PROGRESSING)!.lastUpdateTime!.getTime();
    expect(stalled.requeueAfterMs).toBe(lastUpdate + 30_000 - w.now + 1000);
    const late = plan(w.d, [...w.replicaSets.values()], lastUpdate + 30_001);
    expect(getCondition(late.status, PROGRESSING)).toMatchObject({ status: 'False', reason: Reasons.ProgressDeadlineExceeded, message: `ReplicaSet "${bad.metadata!.name}" has timed out progressing.` });
    expect(late.requeueAfterMs).toBeUndefined();
  });

  it('rolls back: the old ReplicaSet becomes new again with the next revision and its old one in history', () => {
    const w = new World({ replicas: 3, maxSurge: 1, maxUnavailable: 1 });
    w.converge();
    w.setImage('busybox:2');
    w.converge();
    w.setImage('busybox:1');
    let minReady = Infinity;
    w.converge((world) => (minReady = Math.min(minReady, world.totals().ready)));
    const back = w.byImage('busybox:1')!;
    expect(back.spec!.replicas).toBe(3);
    expect(back.metadata!.annotations[REVISION_ANNOTATION]).toBe('3');
    expect(back.metadata!.annotations[REVISION_HISTORY_ANNOTATION]).toBe('1');
    expect(w.d.metadata!.annotations[REVISION_ANNOTATION]).toBe('3');
    expect(w.byImage('busybox:2')!.spec!.replicas).toBe(0);
    expect(minReady).toBeGreaterThanOrEqual(2);
  });

  it('Recreate: old ReplicaSets to 0, no new one while an old pod is left, then the new one at full size', () => {
    const w = new World({ replicas: 3, strategy: 'Recreate' });
    w.converge();
    const old = w.byImage('busybox:1')!;
    w.setImage('busybox:2');
    const first = w.sync();
    expect(first.writes.map((x) => [x.action, x.replicaSet.spec!.replicas])).toEqual([['update', 0]]);
    // The ReplicaSet says 0 but a (terminating) pod is still there: wait.
    const stored = w.replicaSets.get(old.metadata!.name)!;
    stored.status = { ...stored.status!, replicas: 0 };
    const leftover = new Map([[stored.metadata!.uid, [podOf(stored, 'web-old-0')]]]);
    expect(plan(w.d, [...w.replicaSets.values()], w.now, leftover).writes).toEqual([]);
    const finished = new Map([[stored.metadata!.uid, [podOf(stored, 'web-old-0', 'Succeeded')]]]);
    const next = plan(w.d, [...w.replicaSets.values()], w.now, finished);
    expect(next.writes.map((x) => [x.action, x.replicaSet.spec!.replicas])).toEqual([['create', 3]]);
    let overlap = false;
    w.settle();
    w.converge((world) => {
      const oldPods = world.pods.get(old.metadata!.name)?.length ?? 0;
      const newPods = world.pods.get(world.byImage('busybox:2')?.metadata?.name ?? '')?.length ?? 0;
      if (oldPods > 0 && newPods > 0) overlap = true;
    });
    expect(overlap).toBe(false);
    expect(w.byImage('busybox:2')!.spec!.replicas).toBe(3);
  });

  it('paused: a template change starts nothing, scaling still applies', () => {
    const w = new World({ replicas: 3 });
    w.converge();
    w.d.spec!.paused = true;
    w.setImage('busybox:2');
    w.d.spec!.replicas = 5;
    const p = w.sync();
    expect(p.writes.map((x) => [x.action, x.replicaSet.spec!.template!.spec!.containers[0].image, x.replicaSet.spec!.replicas])).toEqual([['update', 'busybox:1', 5]]);
    expect(getCondition(w.d.status, PROGRESSING)).toMatchObject({ status: 'Unknown', reason: Reasons.DeploymentPaused });
    w.converge();
    expect(w.byImage('busybox:2')).toBeUndefined();
    w.d.spec!.paused = false;
    w.converge();
    expect(w.byImage('busybox:2')!.spec!.replicas).toBe(5);
    expect(w.byImage('busybox:1')!.spec!.replicas).toBe(0);
  });

  it('scales proportionally mid-rollout', () => {
    const d0 = deploymentOf({ replicas: 5, maxSurge: 0, maxUnavailable: 1 });
    const d = withImage(d0, 'busybox:2');
    d.spec!.replicas = 10;
    const old = replicaSetOf(d0, { replicas: 3, desired: 5, max: 5 });
    const fresh = replicaSetOf(d, { replicas: 2, desired: 5, max: 5, revision: 2, createdAt: 0 });
    const p = plan(d, [old, fresh]);
    expect(p.writes.map((w) => [w.replicaSet.metadata!.name, w.replicaSet.spec!.replicas])).toEqual([
      [old.metadata!.name, 6],
      [fresh.metadata!.name, 4],
    ]);
    for (const w of p.writes) expect(w.replicaSet.metadata!.annotations).toMatchObject({ [DESIRED_REPLICAS_ANNOTATION]: '10', [MAX_REPLICAS_ANNOTATION]: '10' });
    d.spec!.replicas = 3;
    const down = plan(d, [old, fresh]);
    expect(down.writes.map((w) => [w.replicaSet.metadata!.name, w.replicaSet.spec!.replicas])).toEqual([
      [old.metadata!.name, 2],
      [fresh.metadata!.name, 1],
    ]);
  });

  it('deletes empty old ReplicaSets beyond revisionHistoryLimit, oldest revision first', () => {
    const d = deploymentOf({ replicas: 2, revisionHistoryLimit: 1, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 } });
    const current = replicaSetOf(d, { replicas: 2, revision: 4 });
    const olds = [1, 2, 3].map((revision) => {
      const rs = replicaSetOf(withImage(d, `busybox:old-${revision}`), { replicas: 0, revision });
      return rs;
    });
    const busy = olds[0];
    busy.status!.replicas = 1; // still has a pod: kept
    const p = plan(d, [current, ...olds]);
    expect(p.writes.filter((w) => w.action === 'delete').map((w) => w.replicaSet.metadata!.name)).toEqual([olds[1].metadata!.name]);
  });

  it('brings an adopted ReplicaSet without annotations into the history', () => {
    const d = deploymentOf({ replicas: 2 });
    const rs = replicaSetOf(d, { replicas: 2 });
    rs.metadata!.annotations = {};
    const p = plan(d, [rs]);
    expect(p.writes).toHaveLength(1);
    expect(p.writes[0].replicaSet.metadata!.annotations).toEqual({ [REVISION_ANNOTATION]: '1' });
    const next = plan(d, [p.writes[0].replicaSet]);
    expect(next.annotations).toEqual({ [REVISION_ANNOTATION]: '1' });
  });

  it('refuses to select everything', () => {
    const d = deploymentOf({ generation: 4 });
    d.spec!.selector = LabelSelector.fromPartial({});
    const p = plan(d, []);
    expect(p.writes).toEqual([]);
    expect(p.events).toEqual([{ type: 'Warning', reason: 'SelectingAll', message: 'This deployment is selecting all pods. A non-empty selector is required.' }]);
    expect(p.status?.observedGeneration).toBe(4);
  });

  it('only updates the status of a Deployment being deleted', () => {
    const d = deploymentOf();
    d.metadata!.deletionTimestamp = new Date(T0);
    const p = plan(d, [replicaSetOf(withImage(d, 'busybox:0'), { replicas: 3 })]);
    expect(p.writes).toEqual([]);
    expect(p.status).toMatchObject({ replicas: 3, updatedReplicas: 0 });
  });
});

describe('new ReplicaSet creation conflicts', () => {
  const d = deploymentOf();
  it('tells our lagging cache from a hash collision', () => {
    const ours = replicaSetOf(d, { replicas: 1 });
    expect(isOwnNewReplicaSet(d, ours)).toBe(true);
    expect(isOwnNewReplicaSet(d, replicaSetOf(withImage(d, 'other:1'), { replicas: 1 }))).toBe(false);
    const foreign = structuredClone(ours);
    foreign.metadata!.ownerReferences = [];
    expect(isOwnNewReplicaSet(d, foreign)).toBe(false);
  });

  it('bumps collisionCount, which changes the name', () => {
    const status = collisionStatus(d);
    expect(status.collisionCount).toBe(1);
    const bumped = structuredClone(d);
    bumped.status = status;
    expect(newReplicaSetIdentity(bumped).name).not.toBe(newReplicaSetIdentity(d).name);
    expect(collisionStatus(bumped).collisionCount).toBe(2);
  });

  it('reports a failed creation in Progressing', () => {
    expect(getCondition(createFailedStatus(d, 'Failed to create new replica set "x": quota', T0), PROGRESSING)).toMatchObject({
      status: 'False',
      reason: Reasons.ReplicaSetCreateError,
      message: 'Failed to create new replica set "x": quota',
    });
  });
});
