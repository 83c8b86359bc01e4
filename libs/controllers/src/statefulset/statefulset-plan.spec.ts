import { ControllerRevision, PersistentVolumeClaim, StatefulSet, type Pod } from '@skiff/api';
import { planStatefulSet, type StatefulSetAction, type StatefulSetInput } from './statefulset-plan';
import { newClaims, newStatefulPod } from './stateful-pod';

const T0 = Date.parse('2024-05-01T10:00:00Z');

interface SetOptions {
  replicas?: number;
  parallel?: boolean;
  onDelete?: boolean;
  partition?: number;
  start?: number;
  claims?: boolean;
  whenDeleted?: string;
  whenScaled?: string;
  minReadySeconds?: number;
  deleting?: boolean;
}

/** StatefulSet "web" (app=nginx, service nginx), as the apiserver stores it. */
function setOf(o: SetOptions = {}): StatefulSet {
  return StatefulSet.fromPartial({
    metadata: { name: 'web', namespace: 'default', uid: 'uid-web', generation: 3, deletionTimestamp: o.deleting ? new Date(T0) : undefined },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: 'nginx' } },
      serviceName: 'nginx',
      template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx-slim:0.24', volumeMounts: o.claims ? [{ name: 'www', mountPath: '/usr/share/nginx/html' }] : [] }] } },
      volumeClaimTemplates: o.claims ? [{ metadata: { name: 'www', labels: { tier: 'data' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] : [],
      podManagementPolicy: o.parallel ? 'Parallel' : 'OrderedReady',
      updateStrategy: o.onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { partition: o.partition ?? 0 } },
      ordinals: { start: o.start ?? 0 },
      minReadySeconds: o.minReadySeconds ?? 0,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: o.whenDeleted ?? 'Retain', whenScaled: o.whenScaled ?? 'Retain' },
    },
  });
}

function revisionOf(sts: StatefulSet, name: string, image = 'nginx-slim:0.24'): ControllerRevision {
  const template = structuredClone(sts.spec!.template!);
  template.spec!.containers[0].image = image;
  return ControllerRevision.fromPartial({ metadata: { name, namespace: 'default' }, data: { spec: { template } }, revision: 1 });
}

interface PodState {
  ready?: boolean;
  phase?: string;
  deleting?: boolean;
  revision?: string;
  readySince?: number;
}

/** The set's pod of `ordinal` as stored, made from revision `web-a` unless told. */
function podOf(sts: StatefulSet, ordinal: number, s: PodState = {}): Pod {
  const pod = newStatefulPod(sts, sts.spec?.template, s.revision ?? 'web-a', ordinal);
  pod.metadata!.uid = `uid-${ordinal}`;
  if (s.deleting) pod.metadata!.deletionTimestamp = new Date(T0);
  const ready = s.ready ?? true;
  pod.status = {
    phase: s.phase ?? (ready ? 'Running' : 'Pending'),
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(s.readySince ?? T0 - 60_000), reason: '', message: '' }],
  } as Pod['status'];
  return pod;
}

function input(sts: StatefulSet, pods: Pod[], o: { current?: string; update?: string; claims?: PersistentVolumeClaim[] } = {}): StatefulSetInput {
  return {
    sts,
    pods,
    claims: new Map((o.claims ?? []).map((c) => [c.metadata!.name, c])),
    currentRevision: revisionOf(sts, o.current ?? 'web-a'),
    updateRevision: revisionOf(sts, o.update ?? 'web-a', o.update && o.update !== (o.current ?? 'web-a') ? 'nginx-slim:0.25' : 'nginx-slim:0.24'),
    now: T0,
  };
}

/** The plan's writes as short strings: "create-pod web-0", "delete-pod web-2 (update)". */
function writes(steps: StatefulSetAction[][]): string[][] {
  return steps.map((step) =>
    step.map((a) => {
      switch (a.action) {
        case 'createPod':
          return `create-pod ${a.pod.metadata?.name}`;
        case 'updatePod':
          return `update-pod ${a.pod.metadata?.name}`;
        case 'deletePod':
          return `delete-pod ${a.pod.metadata?.name} (${a.why})`;
        case 'createClaim':
          return `create-claim ${a.claim.metadata?.name}`;
        case 'updateClaim':
          return `update-claim ${a.claim.metadata?.name}`;
      }
    }),
  );
}

describe('planStatefulSet: OrderedReady', () => {
  it('creates web-0 first, with its identity, hostname and subdomain', () => {
    const sts = setOf();
    const plan = planStatefulSet(input(sts, []));
    expect(writes(plan.steps)).toEqual([['create-pod web-0']]);
    const pod = (plan.steps[0][0] as { pod: Pod }).pod;
    expect(pod.metadata).toMatchObject({
      name: 'web-0',
      namespace: 'default',
      labels: { app: 'nginx', 'statefulset.kubernetes.io/pod-name': 'web-0', 'apps.kubernetes.io/pod-index': '0', 'controller-revision-hash': 'web-a' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'uid-web', controller: true, blockOwnerDeletion: true }],
    });
    expect(pod.spec).toMatchObject({ hostname: 'web-0', subdomain: 'nginx' });
    expect(plan.parallel).toBe(false);
  });

  it('creates web-1 only once web-0 is Running and Ready', () => {
    const sts = setOf();
    expect(writes(planStatefulSet(input(sts, [podOf(sts, 0, { ready: false })])).steps)).toEqual([]);
    expect(writes(planStatefulSet(input(sts, [podOf(sts, 0, { ready: false, phase: 'Running' })])).steps)).toEqual([]);
    expect(writes(planStatefulSet(input(sts, [podOf(sts, 0)])).steps)).toEqual([['create-pod web-1']]);
    expect(writes(planStatefulSet(input(sts, [podOf(sts, 0), podOf(sts, 1)])).steps)).toEqual([['create-pod web-2']]);
  });

  it('re-creates a missing lower ordinal before anything else', () => {
    const sts = setOf();
    expect(writes(planStatefulSet(input(sts, [podOf(sts, 1), podOf(sts, 2)])).steps)).toEqual([['create-pod web-0']]);
  });

  it('honours ordinals.start', () => {
    const sts = setOf({ start: 5, replicas: 2 });
    expect(writes(planStatefulSet(input(sts, [podOf(sts, 5)])).steps)).toEqual([['create-pod web-6']]);
    const plan = planStatefulSet(input(sts, [podOf(sts, 5), podOf(sts, 6), podOf(sts, 7)]));
    expect(writes(plan.steps)).toEqual([['delete-pod web-7 (scale-down)']]);
  });

  it('deletes a failed pod (re-created by the next sync) and waits', () => {
    const sts = setOf();
    const plan = planStatefulSet(input(sts, [podOf(sts, 0, { phase: 'Failed', ready: false }), podOf(sts, 1)]));
    expect(writes(plan.steps)).toEqual([['delete-pod web-0 (failed)']]);
    expect(writes(planStatefulSet(input(sts, [podOf(sts, 0, { phase: 'Failed', ready: false, deleting: true })])).steps)).toEqual([]);
  });

  it('scales down from the highest ordinal, one at a time, only when all others are healthy', () => {
    const sts = setOf({ replicas: 1 });
    const all = [podOf(sts, 0), podOf(sts, 1), podOf(sts, 2)];
    expect(writes(planStatefulSet(input(sts, all)).steps)).toEqual([['delete-pod web-2 (scale-down)']]);
    // web-2 terminating: wait for it to go.
    expect(writes(planStatefulSet(input(sts, [all[0], all[1], podOf(sts, 2, { deleting: true })])).steps)).toEqual([]);
    expect(writes(planStatefulSet(input(sts, [all[0], all[1]])).steps)).toEqual([['delete-pod web-1 (scale-down)']]);
    // web-0 not ready: nothing is removed.
    expect(writes(planStatefulSet(input(sts, [podOf(sts, 0, { ready: false }), all[1]])).steps)).toEqual([]);
    // the first unhealthy pod itself may go; an unhealthy one that is not the first blocks.
    expect(writes(planStatefulSet(input(sts, [all[0], podOf(sts, 1, { ready: false })])).steps)).toEqual([['delete-pod web-1 (scale-down)']]);
    expect(writes(planStatefulSet(input(sts, [all[0], podOf(sts, 1), podOf(sts, 2, { ready: false })])).steps)).toEqual([['delete-pod web-2 (scale-down)']]);
    expect(writes(planStatefulSet(input(sts, [all[0], podOf(sts, 1, { ready: false }), podOf(sts, 2, { ready: false })])).steps)).toEqual([]);
  });

  it('counts the status: replicas, ready, available, current and updated revisions', () => {
    const sts = setOf();
    const plan = planStatefulSet(input(sts, [podOf(sts, 0), podOf(sts, 1, { ready: false })]));
    expect(plan.status).toMatchObject({ observedGeneration: 3, replicas: 2, readyReplicas: 1, availableReplicas: 1, currentReplicas: 2, updatedReplicas: 2, currentRevision: 'web-a', updateRevision: 'web-a' });
  });

  it('waits minReadySeconds before the next pod, and asks to be synced when the pod becomes available', () => {
    const sts = setOf({ minReadySeconds: 10 });
    const plan = planStatefulSet(input(sts, [podOf(sts, 0, { readySince: T0 - 4_000 })]));
    expect(writes(plan.steps)).toEqual([]);
    expect(plan.requeueAfterMs).toBe(6_001);
    expect(plan.status).toMatchObject({ readyReplicas: 1, availableReplicas: 0 });
    expect(writes(planStatefulSet(input(sts, [podOf(sts, 0, { readySince: T0 - 11_000 })])).steps)).toEqual([['create-pod web-1']]);
  });

  it('does nothing but count while the set is being deleted', () => {
    const sts = setOf({ deleting: true });
    expect(planStatefulSet(input(sts, [])).steps).toEqual([]);
  });

  it('restores identity labels that were removed', () => {
    const sts = setOf({ replicas: 1 });
    const pod = podOf(sts, 0);
    delete pod.metadata!.labels!['apps.kubernetes.io/pod-index'];
    const plan = planStatefulSet(input(sts, [pod]));
    expect(writes(plan.steps)).toEqual([['update-pod web-0']]);
    expect((plan.steps[0][0] as { pod: Pod }).pod.metadata?.labels?.['apps.kubernetes.io/pod-index']).toBe('0');
  });
});

describe('planStatefulSet: Parallel', () => {
  it('creates every missing pod at once and deletes every condemned one', () => {
    const sts = setOf({ parallel: true });
    const plan = planStatefulSet(input(sts, [podOf(sts, 1, { ready: false })]));
    expect(plan.parallel).toBe(true);
    expect(writes(plan.steps)).toEqual([['create-pod web-0'], ['create-pod web-2']]);
    const down = setOf({ parallel: true, replicas: 1 });
    expect(writes(planStatefulSet(input(down, [podOf(down, 0, { ready: false }), podOf(down, 1), podOf(down, 2, { ready: false })])).steps)).toEqual([
      ['delete-pod web-2 (scale-down)'],
      ['delete-pod web-1 (scale-down)'],
    ]);
  });
});

describe('planStatefulSet: claims', () => {
  it('creates the claims before the pod, labelled with the template and selector labels; the pod mounts them', () => {
    const sts = setOf({ claims: true });
    const plan = planStatefulSet(input(sts, []));
    expect(writes(plan.steps)).toEqual([['create-claim www-web-0', 'create-pod web-0']]);
    const claim = (plan.steps[0][0] as { claim: PersistentVolumeClaim }).claim;
    expect(claim.metadata).toMatchObject({ name: 'www-web-0', namespace: 'default', labels: { tier: 'data', app: 'nginx' } });
    expect(claim.metadata?.ownerReferences ?? []).toEqual([]);
    expect(claim.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
    const pod = (plan.steps[0][1] as { pod: Pod }).pod;
    expect(pod.spec?.volumes).toEqual([{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-0', readOnly: false } }]);
  });

  it('keeps existing claims (a re-created pod gets the same claim)', () => {
    const sts = setOf({ claims: true });
    expect(writes(planStatefulSet(input(sts, [], { claims: newClaims(sts, 0) })).steps)).toEqual([['create-pod web-0']]);
  });

  it('whenDeleted Delete: the set owns the claims', () => {
    const sts = setOf({ claims: true, whenDeleted: 'Delete' });
    const claim = (planStatefulSet(input(sts, [])).steps[0][0] as { claim: PersistentVolumeClaim }).claim;
    expect(claim.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'uid-web' }]);
    // An existing claim without the reference gets it.
    const old = setOf({ claims: true });
    const plan = planStatefulSet(input(sts, [podOf(sts, 0), podOf(sts, 1), podOf(sts, 2)], { claims: [...newClaims(old, 0), ...newClaims(sts, 1), ...newClaims(sts, 2)] }));
    expect(writes(plan.steps)).toEqual([['update-claim www-web-0']]);
  });

  it('whenScaled Delete: the scaled-down pod becomes its claim\'s owner before it is deleted', () => {
    const sts = setOf({ claims: true, whenScaled: 'Delete', replicas: 1 });
    const plan = planStatefulSet(input(sts, [podOf(sts, 0), podOf(sts, 1), podOf(sts, 2)], { claims: [...newClaims(sts, 0), ...newClaims(sts, 1), ...newClaims(sts, 2)] }));
    expect(writes(plan.steps)).toEqual([['update-claim www-web-2', 'delete-pod web-2 (scale-down)'], ['update-claim www-web-1']]);
    const claim = (plan.steps[0][0] as { claim: PersistentVolumeClaim }).claim;
    expect(claim.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'web-2', uid: 'uid-2' }]);
  });

  it('waits while a claim is still owned by a scaled-down pod (the garbage collector removes it)', () => {
    const sts = setOf({ claims: true, whenScaled: 'Delete' });
    const [stale] = newClaims(sts, 2);
    stale.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'web-2', uid: 'old-uid' }];
    const plan = planStatefulSet(input(sts, [podOf(sts, 0), podOf(sts, 1)], { claims: [...newClaims(sts, 0), ...newClaims(sts, 1), stale] }));
    expect(writes(plan.steps)).toEqual([]);
    expect(plan.requeueAfterMs).toBeGreaterThan(0);
  });
});

describe('planStatefulSet: updates', () => {
  const upd = { current: 'web-a', update: 'web-b' };

  it('RollingUpdate deletes the highest pod not at the update revision, then waits for it to be healthy', () => {
    const sts = setOf();
    const old = [podOf(sts, 0), podOf(sts, 1), podOf(sts, 2)];
    const plan = planStatefulSet(input(sts, old, upd));
    expect(writes(plan.steps)).toEqual([['delete-pod web-2 (update)']]);
    expect(plan.status).toMatchObject({ currentReplicas: 2, updatedReplicas: 0, currentRevision: 'web-a', updateRevision: 'web-b' });
    // web-2 is re-created from the update revision.
    const next = planStatefulSet(input(sts, [old[0], old[1]], upd));
    expect(writes(next.steps)).toEqual([['create-pod web-2']]);
    const created = (next.steps[0][0] as { pod: Pod }).pod;
    expect(created.metadata?.labels?.['controller-revision-hash']).toBe('web-b');
    expect(created.spec?.containers[0].image).toBe('nginx-slim:0.25');
    // web-2 updated but not ready: wait.
    expect(writes(planStatefulSet(input(sts, [old[0], old[1], podOf(sts, 2, { revision: 'web-b', ready: false })], upd)).steps)).toEqual([]);
    expect(writes(planStatefulSet(input(sts, [old[0], old[1], podOf(sts, 2, { revision: 'web-b' })], upd)).steps)).toEqual([['delete-pod web-1 (update)']]);
  });

  it('completes the rollout: every pod updated and ready makes the update revision current', () => {
    const sts = setOf();
    const plan = planStatefulSet(input(sts, [0, 1, 2].map((i) => podOf(sts, i, { revision: 'web-b' })), upd));
    expect(plan.steps).toEqual([]);
    expect(plan.status).toMatchObject({ currentRevision: 'web-b', updateRevision: 'web-b', currentReplicas: 3, updatedReplicas: 3 });
  });

  it('honours the partition: pods below it keep (and are re-created at) the current revision', () => {
    const sts = setOf({ partition: 2 });
    const plan = planStatefulSet(input(sts, [podOf(sts, 0), podOf(sts, 1), podOf(sts, 2, { revision: 'web-b' })], upd));
    expect(plan.steps).toEqual([]);
    expect(plan.status).toMatchObject({ currentRevision: 'web-a', currentReplicas: 2, updatedReplicas: 1 });
    const recreate = planStatefulSet(input(sts, [podOf(sts, 1), podOf(sts, 2, { revision: 'web-b' })], upd));
    expect((recreate.steps[0][0] as { pod: Pod }).pod.metadata?.labels?.['controller-revision-hash']).toBe('web-a');
  });

  it('OnDelete deletes nothing; a deleted pod comes back at the update revision', () => {
    const sts = setOf({ onDelete: true });
    expect(planStatefulSet(input(sts, [0, 1, 2].map((i) => podOf(sts, i)), upd)).steps).toEqual([]);
    const plan = planStatefulSet(input(sts, [podOf(sts, 0), podOf(sts, 1)], upd));
    expect((plan.steps[0][0] as { pod: Pod }).pod.metadata?.labels?.['controller-revision-hash']).toBe('web-b');
  });
});
