/**
 * The Deployment controller with the ReplicaSet controller in-process (runControllerManager with
 * "deployment" and "replicaset", no leader election) against real etcd, NATS and the built
 * apiserver. There are no kubelets: the test plays them, marking pods Running and Ready with
 * updateStatus unless their image is BAD_IMAGE (never pulled). Pods are never bound, so a
 * deleted pod is gone at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, Deployment, intOrString, NotFoundError, type Pod, type ReplicaSet } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';
import { controllerRefOf } from '../owner-refs';
import { getCondition, PROGRESSING, Reasons } from './deployment-status';
import { REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from './revision-annotations';

const NS = 'default';
const BAD_IMAGE = '127.0.0.1:5000/skiff/does-not-exist:1';

describe('deployment controller against the real apiserver', () => {
  let env: ControllersTestEnv;
  let pods: TypedClient<'pod'>;
  let replicaSets: TypedClient<'replicaSet'>;
  let deployments: TypedClient<'deployment'>;
  const kubelet = new AbortController();
  let kubeletDone: Promise<void>;

  /** The kubelets' part: every pod that is not being deleted and not of BAD_IMAGE becomes Running and Ready. */
  async function playKubelet(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const { items } = await pods.list({ namespace: NS }).catch(() => ({ items: [] as Pod[] }));
      for (const pod of items) {
        if (pod.metadata?.deletionTimestamp || isReady(pod) || pod.spec?.containers.some((c) => c.image === BAD_IMAGE)) continue;
        const now = new Date();
        const next = structuredClone(pod);
        next.status = { ...next.status!, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now, lastProbeTime: undefined, lastUpdateTime: undefined, lastHeartbeatTime: undefined, reason: '', message: '' }] };
        await pods.updateStatus(next).catch((err) => {
          if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
        });
      }
      await sleep(30, undefined, { signal }).catch(() => undefined);
    }
  }

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['replicaset', 'deployment'] });
    pods = env.typed('pod');
    replicaSets = env.typed('replicaSet');
    deployments = env.typed('deployment');
    kubeletDone = playKubelet(kubelet.signal);
  }, 90_000);

  afterAll(async () => {
    await env?.stopControllers();
    kubelet.abort();
    await kubeletDone;
    await env?.stop();
  }, 30_000);

  function isReady(pod: Readonly<Pod>): boolean {
    return pod.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  }

  function webDeployment(name: string, options: { replicas?: number; image?: string; strategy?: 'Recreate'; progressDeadlineSeconds?: number; revisionHistoryLimit?: number } = {}): Deployment {
    const labels = { app: name };
    return Deployment.fromPartial({
      metadata: { name, namespace: NS },
      spec: {
        replicas: options.replicas ?? 3,
        selector: { matchLabels: labels },
        strategy: options.strategy ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: intOrString(1), maxUnavailable: intOrString(1) } },
        progressDeadlineSeconds: options.progressDeadlineSeconds,
        revisionHistoryLimit: options.revisionHistoryLimit,
        template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: options.image ?? 'busybox:1', command: ['httpd', '-f', '-p', '8080'] }] } },
      },
    });
  }

  /** Reads, changes and writes a Deployment, retrying on conflicts (the controller writes it too). */
  async function change(name: string, edit: (d: Deployment) => void): Promise<Deployment> {
    for (;;) {
      const d = await deployments.get(NS, name);
      edit(d);
      try {
        return await deployments.update(d);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }

  async function ownedReplicaSets(d: Readonly<Deployment>): Promise<ReplicaSet[]> {
    const { items } = await replicaSets.list({ namespace: NS });
    return items.filter((rs) => controllerRefOf(rs)?.uid === d.metadata?.uid);
  }

  async function podsOf(app: string): Promise<Pod[]> {
    return (await pods.list({ namespace: NS, labelSelector: `app=${app}` })).items;
  }

  const imageOf = (o: { spec?: { template?: { spec?: { containers: { image: string }[] } } } }) => o.spec?.template?.spec?.containers[0]?.image;

  /** Waits until the Deployment reports a finished rollout of its current generation. */
  function rolledOut(name: string, replicas = 3, timeoutMs = 30_000): Promise<Deployment> {
    return waitFor(
      `${name} rolled out`,
      async () => {
        const d = await deployments.get(NS, name);
        const s = d.status;
        const done = s && s.observedGeneration >= (d.metadata?.generation ?? 0) && s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas;
        return done && getCondition(s, PROGRESSING)?.reason === Reasons.NewReplicaSetAvailable ? d : undefined;
      },
      { timeoutMs, intervalMs: 50 },
    );
  }

  it('brings a new Deployment to 3/3 available through one ReplicaSet, revision 1, with Events', async () => {
    const created = await deployments.create(webDeployment('web'));
    const d = await rolledOut('web');
    expect(d.metadata?.annotations[REVISION_ANNOTATION]).toBe('1');
    expect(getCondition(d.status, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    const [rs, ...others] = await ownedReplicaSets(created);
    expect(others).toEqual([]);
    const hash = rs.metadata!.labels['pod-template-hash'];
    expect(rs.metadata!.name).toBe(`web-${hash}`);
    expect(rs.spec!.selector!.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata!.annotations).toMatchObject({ [REVISION_ANNOTATION]: '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
    const webPods = await podsOf('web');
    expect(webPods).toHaveLength(3);
    for (const pod of webPods) expect(pod.metadata!.labels['pod-template-hash']).toBe(hash);
    const events = await waitFor('the ScalingReplicaSet event', async () => {
      const { items } = await env.typed('event').list({ namespace: NS });
      const mine = items.filter((e) => e.involvedObject?.kind === 'Deployment' && e.involvedObject.name === 'web');
      return mine.length > 0 ? mine : undefined;
    });
    expect(events.map((e) => [e.type, e.reason, e.message, e.source?.component])).toEqual([['Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs.metadata!.name} to 3`, 'deployment-controller']]);
  }, 60_000);

  it('rolls a new template with maxSurge=1, maxUnavailable=1: never above 4 pods nor below 2 ready; old ReplicaSet at 0', async () => {
    const before = await deployments.get(NS, 'web');
    const [oldRs] = await ownedReplicaSets(before);
    let maxPods = 0;
    let minReady = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const live = (await podsOf('web')).filter((p) => !p.metadata?.deletionTimestamp);
        maxPods = Math.max(maxPods, live.length);
        minReady = Math.min(minReady, live.filter(isReady).length);
        await sleep(20);
      }
    })();
    await change('web', (d) => (d.spec!.template!.spec!.containers[0].image = 'busybox:2'));
    const d = await rolledOut('web');
    sampling = false;
    await sampler;
    expect(maxPods).toBeLessThanOrEqual(4);
    expect(minReady).toBeGreaterThanOrEqual(2);
    expect(d.metadata?.annotations[REVISION_ANNOTATION]).toBe('2');
    const all = await ownedReplicaSets(d);
    expect(all.find((rs) => rs.metadata?.uid === oldRs.metadata?.uid)?.spec?.replicas).toBe(0);
    expect(all.find((rs) => imageOf(rs) === 'busybox:2')?.spec?.replicas).toBe(3);
    for (const pod of await podsOf('web')) expect(imageOf({ spec: { template: { spec: pod.spec } } })).toBe('busybox:2');
  }, 60_000);

  it('rolls back by template: the revision-1 ReplicaSet comes back as revision 3', async () => {
    await change('web', (d) => (d.spec!.template!.spec!.containers[0].image = 'busybox:1'));
    const d = await rolledOut('web');
    expect(d.metadata?.annotations[REVISION_ANNOTATION]).toBe('3');
    const back = (await ownedReplicaSets(d)).find((rs) => imageOf(rs) === 'busybox:1')!;
    expect(back.metadata?.annotations).toMatchObject({ [REVISION_ANNOTATION]: '3', [REVISION_HISTORY_ANNOTATION]: '1' });
    expect((await ownedReplicaSets(d)).length).toBe(2);
  }, 60_000);

  it('changes nothing after a restart of the controllers once converged', async () => {
    const before = await deployments.get(NS, 'web');
    const rsBefore = (await ownedReplicaSets(before)).map((rs) => rs.metadata?.resourceVersion).sort();
    await env.restartControllers();
    // A barrier instead of a sleep: the restarted controllers list everything first, so once a
    // Deployment created after the restart has rolled out, "web" has been synced too.
    await deployments.create(webDeployment('probe', { replicas: 1 }));
    await rolledOut('probe', 1);
    const after = await deployments.get(NS, 'web');
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect((await ownedReplicaSets(after)).map((rs) => rs.metadata?.resourceVersion).sort()).toEqual(rsBefore);
  }, 30_000);

  it('stalls a bad image at maxUnavailable and turns Progressing False after progressDeadlineSeconds', async () => {
    await deployments.create(webDeployment('stuck', { progressDeadlineSeconds: 3 }));
    await rolledOut('stuck');
    await change('stuck', (d) => (d.spec!.template!.spec!.containers[0].image = BAD_IMAGE));
    const d = await waitFor(
      'ProgressDeadlineExceeded',
      async () => {
        const current = await deployments.get(NS, 'stuck');
        return getCondition(current.status, PROGRESSING)?.reason === Reasons.ProgressDeadlineExceeded ? current : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const cond = getCondition(d.status, PROGRESSING)!;
    expect(cond.status).toBe('False');
    const all = await ownedReplicaSets(d);
    const bad = all.find((rs) => imageOf(rs) === BAD_IMAGE)!;
    expect(cond.message).toBe(`ReplicaSet "${bad.metadata?.name}" has timed out progressing.`);
    expect(bad.spec?.replicas).toBe(2);
    expect(all.find((rs) => imageOf(rs) === 'busybox:1')?.spec?.replicas).toBe(2);
    expect(d.status).toMatchObject({ replicas: 4, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 2 });
    expect(getCondition(d.status, 'Available')?.status).toBe('True');
  }, 60_000);

  it('Recreate: every old pod is gone before the first new one is created', async () => {
    await deployments.create(webDeployment('redo', { strategy: 'Recreate' }));
    await rolledOut('redo');
    const seen: { image: string; at: number; gone?: number }[] = [];
    const stopWatch = new AbortController();
    const watching = (async () => {
      const byName = new Map<string, { image: string; at: number; gone?: number }>();
      try {
        for await (const ev of pods.watch({ namespace: NS, labelSelector: 'app=redo' }, stopWatch.signal)) {
          const name = ev.object.metadata?.name ?? '';
          const image = ev.object.spec?.containers[0]?.image ?? '';
          if (!byName.has(name)) {
            const entry = { image, at: Date.now() };
            byName.set(name, entry);
            seen.push(entry);
          }
          if (ev.type === 'DELETED') byName.get(name)!.gone = Date.now();
        }
      } catch {
        // stopped
      }
    })();
    const oldPods = await podsOf('redo');
    await change('redo', (d) => (d.spec!.template!.spec!.containers[0].image = 'busybox:2'));
    await rolledOut('redo');
    stopWatch.abort();
    await watching;
    const firstNew = Math.min(...seen.filter((s) => s.image === 'busybox:2').map((s) => s.at));
    expect(oldPods).toHaveLength(3);
    const remaining = await podsOf('redo');
    for (const pod of oldPods) expect(remaining.find((p) => p.metadata?.uid === pod.metadata?.uid)).toBeUndefined();
    const oldGone = seen.filter((s) => s.image === 'busybox:1' && s.gone !== undefined).map((s) => s.gone!);
    expect(oldGone).toHaveLength(3);
    expect(Math.max(...oldGone)).toBeLessThanOrEqual(firstNew);
  }, 60_000);

  it('paused: scaling applies, a new template waits for resume; history beyond the limit is deleted', async () => {
    await deployments.create(webDeployment('hold', { revisionHistoryLimit: 1 }));
    await rolledOut('hold');
    await change('hold', (d) => {
      d.spec!.paused = true;
      d.spec!.replicas = 4;
      d.spec!.template!.spec!.containers[0].image = 'busybox:2';
    });
    const paused = await waitFor('4 pods of the old template', async () => {
      const current = await deployments.get(NS, 'hold');
      return current.status?.availableReplicas === 4 && getCondition(current.status, PROGRESSING)?.reason === Reasons.DeploymentPaused ? current : undefined;
    });
    expect((await ownedReplicaSets(paused)).map(imageOf)).toEqual(['busybox:1']);
    await change('hold', (d) => (d.spec!.paused = false));
    await rolledOut('hold', 4);
    await change('hold', (d) => (d.spec!.template!.spec!.containers[0].image = 'busybox:3'));
    const d = await rolledOut('hold', 4);
    // Revision 1 (busybox:1) is beyond revisionHistoryLimit 1 once revision 3 is complete.
    const images = await waitFor('the oldest ReplicaSet deleted', async () => {
      const all = (await ownedReplicaSets(d)).map(imageOf).sort();
      return all.length === 2 ? all : undefined;
    });
    expect(images).toEqual(['busybox:2', 'busybox:3']);
  }, 90_000);
});
