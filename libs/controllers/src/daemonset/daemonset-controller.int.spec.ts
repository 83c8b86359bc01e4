/**
 * The DaemonSet controller and the real scheduler, both in-process, against real etcd, NATS and
 * the built apiserver. There is no kubelet: Node objects are created through the API and the
 * test plays the kubelets with a pod watch (a pod bound to a node of the test starts Running
 * and Ready; a terminating one is confirmed deleted). Each test selects its own group of nodes
 * (label "group"), so tests do not see each other's pods.
 */
import { ConflictError, DaemonSet, intOrString, Node, type DaemonSetStatus, type Pod, type Taint } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { runScheduler } from '@skiff/scheduler';
import { createLogger } from '@skiff/service';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';
import { CONTROLLER_REVISION_HASH_LABEL, POD_TEMPLATE_GENERATION_LABEL } from './daemon-pod';

const NS = 'default';

function nodeOf(name: string, group: string, taints: Taint[] = []): Node {
  const allocatable = { cpu: '4', memory: '8Gi', pods: '110' };
  return Node.fromPartial({
    metadata: { name, labels: { 'kubernetes.io/hostname': name, group } },
    spec: { taints },
    status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date() }] },
  });
}

function daemonSetOf(name: string, group: string, image = 'busybox:1'): DaemonSet {
  return DaemonSet.fromPartial({
    metadata: { name, namespace: NS },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { nodeSelector: { group }, containers: [{ name: 'main', image, command: ['sleep', '3600'] }] } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: intOrString(1), maxSurge: intOrString(0) } },
    },
  });
}

describe('DaemonSet controller with the scheduler against the real apiserver', () => {
  let env: ControllersTestEnv;
  let pods: TypedClient<'pod'>;
  let nodes: TypedClient<'node'>;
  let daemonSets: TypedClient<'daemonSet'>;
  const stop = new AbortController();
  let scheduler: Promise<void>;
  let kubelets: Promise<void>;

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['daemonset'] });
    pods = env.typed('pod');
    nodes = env.typed('node');
    daemonSets = env.typed('daemonSet');
    scheduler = runScheduler({ server: env.services.apiserver.address, nats: [env.services.nats.url], metricsListen: '127.0.0.1:0', logger: createLogger('scheduler', 'warn'), leaderElection: false }, stop.signal);
    kubelets = playKubelets(stop.signal);
  }, 90_000);

  afterAll(async () => {
    stop.abort();
    await Promise.allSettled([scheduler, kubelets]);
    await env?.stop();
  }, 30_000);

  /** Plays every kubelet: bound pods become Running and Ready; terminating pods are removed (grace 0). */
  async function playKubelets(signal: AbortSignal): Promise<void> {
    try {
      for await (const { type, object: pod } of pods.watch({ namespace: NS }, signal)) {
        if (type === 'DELETED') continue;
        const name = pod.metadata?.name ?? '';
        const act = pod.metadata?.deletionTimestamp
          ? pods.delete(NS, name, { gracePeriodSeconds: 0 })
          : pod.spec?.nodeName && pod.status?.phase === 'Pending'
            ? pods.updateStatus({ ...pod, status: { ...pod.status!, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(), reason: '', message: '' }] } })
            : undefined;
        act?.catch(() => undefined); // a newer event acts again
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  }

  const live = (p: Pod) => !p.metadata?.deletionTimestamp;
  async function podsOf(app: string): Promise<Pod[]> {
    return (await pods.list({ namespace: NS, labelSelector: `app=${app}` })).items.filter(live);
  }

  async function waitStatus(name: string, want: Partial<DaemonSetStatus>): Promise<DaemonSet> {
    return waitFor(
      `${name}'s status to be ${JSON.stringify(want)}`,
      async () => {
        const ds = await daemonSets.get(NS, name);
        const status = ds.status as unknown as Record<string, unknown> | undefined;
        return Object.entries(want).every(([k, v]) => status?.[k] === v) ? ds : undefined;
      },
      { timeoutMs: 20_000 },
    );
  }

  /** Pods per node, once every pod is bound and each listed node has exactly one. */
  async function onePodPerNode(app: string, nodeNames: string[]): Promise<Map<string, Pod>> {
    return waitFor(
      `one bound pod of ${app} on each of ${nodeNames.join(', ')}`,
      async () => {
        const list = await podsOf(app);
        const byNode = new Map(list.map((p) => [p.spec?.nodeName ?? '', p]));
        return list.length === nodeNames.length && nodeNames.every((n) => byNode.has(n)) ? byNode : undefined;
      },
      { timeoutMs: 20_000 },
    );
  }

  async function updateDaemonSet(name: string, change: (ds: DaemonSet) => void): Promise<DaemonSet> {
    for (;;) {
      const ds = await daemonSets.get(NS, name);
      change(ds);
      try {
        return await daemonSets.update(ds);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }

  it('runs one pod on each eligible node (bound by the scheduler), none on a tainted one; revision 1, labels, tolerations and status', async () => {
    await nodes.create(nodeOf('a-1', 'a'));
    await nodes.create(nodeOf('a-2', 'a'));
    await nodes.create(nodeOf('a-3', 'a', [{ key: 'dedicated', value: 'db', effect: 'NoSchedule', timeAdded: undefined }]));
    const ds = await daemonSets.create(daemonSetOf('logs', 'a'));
    const byNode = await onePodPerNode('logs', ['a-1', 'a-2']);
    const status = await waitStatus('logs', { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, numberAvailable: 2, updatedNumberScheduled: 2, numberMisscheduled: 0, observedGeneration: 1 });
    expect(status.status?.numberUnavailable).toBe(0);

    const revisions = (await env.typed('controllerRevision').list({ namespace: NS })).items.filter((r) => r.metadata?.ownerReferences?.[0]?.uid === ds.metadata?.uid);
    expect(revisions).toHaveLength(1);
    expect(revisions[0].revision).toBe(1);
    const hash = revisions[0].metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
    expect(revisions[0].metadata?.name).toBe(`logs-${hash}`);
    for (const [node, pod] of byNode) {
      expect(pod.metadata?.labels).toMatchObject({ app: 'logs', [CONTROLLER_REVISION_HASH_LABEL]: hash, [POD_TEMPLATE_GENERATION_LABEL]: '1' });
      expect(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([{ matchExpressions: [], matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }]);
      expect(pod.spec?.tolerations?.map((t) => t.key)).toContain('node.kubernetes.io/unreachable');
      expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: 'logs', controller: true });
    }
    const events = (await env.typed('event').list({ namespace: NS })).items.filter((e) => e.involvedObject?.name === 'logs' && e.reason === 'SuccessfulCreate');
    expect(events.length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('gives a new node its pod, replaces a failed pod, and removes the pod of a node that is deleted or no longer selected', async () => {
    await nodes.create(nodeOf('b-1', 'b'));
    await daemonSets.create(daemonSetOf('agent', 'b'));
    const first = await onePodPerNode('agent', ['b-1']);
    await nodes.create(nodeOf('b-2', 'b'));
    await onePodPerNode('agent', ['b-1', 'b-2']);

    const failed = first.get('b-1')!;
    const fresh = await pods.get(NS, failed.metadata!.name!);
    await pods.updateStatus({ ...fresh, status: { ...fresh.status!, phase: 'Failed', conditions: [] } });
    const replaced = await waitFor('a new pod on b-1', async () => {
      const p = (await onePodPerNode('agent', ['b-1', 'b-2'])).get('b-1');
      return p && p.metadata?.uid !== failed.metadata?.uid ? p : undefined;
    }, { timeoutMs: 20_000 });
    expect(replaced.status?.phase).not.toBe('Failed');

    await nodes.delete('', 'b-2');
    await onePodPerNode('agent', ['b-1']);
    const node = await nodes.get('', 'b-1');
    await nodes.update({ ...node, metadata: { ...node.metadata!, labels: { ...node.metadata!.labels, group: 'none' } } });
    await waitFor('no pods of agent', async () => ((await podsOf('agent')).length === 0 ? true : undefined), { timeoutMs: 20_000 });
    await waitStatus('agent', { desiredNumberScheduled: 0, currentNumberScheduled: 0 });
  }, 60_000);

  it('rolls an image update node by node with maxUnavailable 1, keeps history and undoes to revision 1 (renumbered 3)', async () => {
    for (const n of ['c-1', 'c-2', 'c-3']) await nodes.create(nodeOf(n, 'c'));
    const ds = await daemonSets.create(daemonSetOf('roll', 'c', 'busybox:1'));
    await onePodPerNode('roll', ['c-1', 'c-2', 'c-3']);
    await waitStatus('roll', { numberAvailable: 3, updatedNumberScheduled: 3 });

    // Watch the pods during the rollout: never more than one node without a ready pod.
    const sampler = new AbortController();
    const ready = new Map<string, Set<string>>(); // node -> ready pod names
    let worst = 0;
    const sampling = (async () => {
      const state = new Map((await podsOf('roll')).map((p) => [p.metadata!.name!, p]));
      const measure = () => {
        ready.clear();
        for (const p of state.values()) {
          if (p.metadata?.deletionTimestamp || !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
          const set = ready.get(p.spec?.nodeName ?? '') ?? new Set();
          set.add(p.metadata!.name!);
          ready.set(p.spec?.nodeName ?? '', set);
        }
        worst = Math.max(worst, ['c-1', 'c-2', 'c-3'].filter((n) => !ready.has(n)).length);
      };
      try {
        for await (const { type, object } of pods.watch({ namespace: NS, labelSelector: 'app=roll' }, sampler.signal)) {
          if (type === 'DELETED') state.delete(object.metadata!.name!);
          else state.set(object.metadata!.name!, object);
          measure();
        }
      } catch {
        // stopped
      }
    })();

    await updateDaemonSet('roll', (d) => {
      d.spec!.template!.spec!.containers[0].image = 'busybox:2';
    });
    await waitStatus('roll', { observedGeneration: 2, updatedNumberScheduled: 3, numberAvailable: 3 });
    const updated = await onePodPerNode('roll', ['c-1', 'c-2', 'c-3']);
    for (const p of updated.values()) expect(p.spec?.containers[0].image).toBe('busybox:2');
    sampler.abort();
    await sampling;
    expect(worst).toBe(1);

    const revisionsOf = async () => (await env.typed('controllerRevision').list({ namespace: NS })).items.filter((r) => r.metadata?.ownerReferences?.[0]?.uid === ds.metadata?.uid).sort((a, b) => a.revision - b.revision);
    expect((await revisionsOf()).map((r) => r.revision)).toEqual([1, 2]);
    const [r1] = await revisionsOf();

    // Undo: the old template goes back; its revision becomes 3 and the pods carry its hash again.
    await updateDaemonSet('roll', (d) => {
      d.spec!.template = r1.data!.spec!.template;
    });
    await waitStatus('roll', { observedGeneration: 3, updatedNumberScheduled: 3, numberAvailable: 3 });
    const back = await onePodPerNode('roll', ['c-1', 'c-2', 'c-3']);
    for (const p of back.values()) {
      expect(p.spec?.containers[0].image).toBe('busybox:1');
      expect(p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL]).toBe(r1.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL]);
    }
    const after = await revisionsOf();
    expect(after.map((r) => [r.metadata?.name, r.revision])).toEqual([
      [expect.any(String), 2],
      [r1.metadata?.name, 3],
    ]);
  }, 90_000);

  it('OnDelete leaves old pods until they are deleted; the replacement has the new template', async () => {
    await nodes.create(nodeOf('d-1', 'd'));
    const ds = daemonSetOf('ondelete', 'd');
    ds.spec!.updateStrategy = { type: 'OnDelete', rollingUpdate: undefined };
    await daemonSets.create(ds);
    const [old] = (await onePodPerNode('ondelete', ['d-1'])).values();
    await updateDaemonSet('ondelete', (d) => {
      d.spec!.template!.spec!.containers[0].image = 'busybox:2';
    });
    await waitStatus('ondelete', { observedGeneration: 2, updatedNumberScheduled: 0, currentNumberScheduled: 1 });
    expect((await pods.get(NS, old.metadata!.name!)).metadata?.deletionTimestamp).toBeUndefined();
    await pods.delete(NS, old.metadata!.name!);
    const next = await waitFor('the replacement', async () => {
      const [p] = (await onePodPerNode('ondelete', ['d-1'])).values();
      return p.metadata?.uid !== old.metadata?.uid ? p : undefined;
    }, { timeoutMs: 20_000 });
    expect(next.spec?.containers[0].image).toBe('busybox:2');
  }, 60_000);
});
