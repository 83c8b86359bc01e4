/**
 * Node lifecycle, taint eviction and pod GC in-process (runControllerManager with only those
 * three, no leader election) against real etcd, NATS and the built apiserver (started with
 * --default-toleration-seconds 2). There is no kubelet: the test plays it, creating Nodes and
 * renewing their Leases in skiff-node-lease (every 200 ms), and stops renewing to "kill" a node.
 * Short tuning: grace period 2 s, orphan quarantine 0.5 s.
 */
import { Lease, Node, Pod, TAINT_UNREACHABLE, type Event, type Taint, type Toleration } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';
import { NODE_LEASE_NAMESPACE } from './node-health';

const NS = 'default';
const GRACE_MS = 2_000;
const DEFAULT_TOLERATION_S = 2;
const CONTROLLERS = ['nodelifecycle', 'taint-eviction-controller', 'podgc'];

describe('node lifecycle against the real apiserver', () => {
  /** A finalizer of the test's own, so that a deleted pod can be looked at. */
  const HOLD = 'skiff.test/hold';
  let env: ControllersTestEnv;
  let nodes: TypedClient<'node'>;
  let leases: TypedClient<'lease'>;
  let pods: TypedClient<'pod'>;
  /** The nodes whose "kubelet" renews the Lease. */
  const alive = new Set<string>();
  let heartbeats: ReturnType<typeof setInterval> | undefined;

  async function renew(name: string) {
    const lease = await leases.get(NODE_LEASE_NAMESPACE, name);
    await leases.update({ ...lease, spec: { ...(lease.spec as NonNullable<Lease['spec']>), renewTime: new Date() } });
  }

  beforeAll(async () => {
    env = await startControllersTestEnv({
      controllers: CONTROLLERS,
      tuning: { nodeMonitorGracePeriodMs: GRACE_MS, orphanPodQuarantineMs: 500 },
      apiserverArgs: ['--default-toleration-seconds', String(DEFAULT_TOLERATION_S)],
    });
    nodes = env.typed('node');
    leases = env.typed('lease');
    pods = env.typed('pod');
    heartbeats = setInterval(() => {
      for (const name of alive) void renew(name).catch(() => undefined);
    }, 200);
  }, 90_000);

  afterAll(async () => {
    if (heartbeats) clearInterval(heartbeats);
    await env?.stop();
  }, 30_000);

  /** Registers a Ready node with its Lease, renewed from now on (as a kubelet would). */
  async function addNode(name: string, taints: Taint[] = []): Promise<void> {
    const now = new Date();
    await nodes.create(
      Node.fromPartial({
        metadata: { name },
        spec: { taints },
        status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [readyCondition(now)] },
      }),
    );
    await leases.create(Lease.fromPartial({ metadata: { name, namespace: NODE_LEASE_NAMESPACE }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: now } }));
    alive.add(name);
  }

  function readyCondition(now: Date) {
    return { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now };
  }

  /** What a returning kubelet does: renew the Lease and post Ready=True. */
  async function revive(name: string): Promise<void> {
    alive.add(name);
    const node = await nodes.get('', name);
    await nodes.updateStatus({ ...node, status: { ...(node.status as NonNullable<Node['status']>), conditions: [readyCondition(new Date())] } });
  }

  /** A pod bound to `node`, Running and Ready (the test plays its kubelet). */
  async function runPod(name: string, node: string, tolerations: Toleration[] = [], finalizers: string[] = []): Promise<Pod> {
    const created = await pods.create(
      Pod.fromPartial({
        metadata: { name, namespace: NS, finalizers },
        spec: { nodeName: node, terminationGracePeriodSeconds: 1, tolerations, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] },
      }),
    );
    const now = new Date();
    return pods.updateStatus({
      ...created,
      status: { ...(created.status as NonNullable<Pod['status']>), phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now, reason: '', message: '' }] },
    });
  }

  const podOrUndefined = (name: string) => pods.get(NS, name).catch(() => undefined);
  const readyOf = (node: Node | Pod | undefined) => node?.status?.conditions?.find((c) => c.type === 'Ready');
  const taintIds = (node: Node) => (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();

  async function events(namespace: string, reason: string, name: string): Promise<Event[]> {
    return (await env.typed('event').list({ namespace })).items.filter((e) => e.reason === reason && e.involvedObject?.name === name);
  }

  it('every new pod gets the default not-ready/unreachable tolerations (--default-toleration-seconds), kept on update', async () => {
    await addNode('tol-node');
    const pod = await runPod('tolerations', 'tol-node', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', value: '', effect: 'NoExecute', tolerationSeconds: 7 }]);
    expect(pod.spec?.tolerations.map((t) => [t.key, t.effect, t.tolerationSeconds])).toEqual([
      ['node.kubernetes.io/unreachable', 'NoExecute', 7],
      ['node.kubernetes.io/not-ready', 'NoExecute', DEFAULT_TOLERATION_S],
    ]);
    // An update sending only the tolerations the user wrote (as `skiff apply` does) keeps them: admission runs on Update too.
    const updated = await pods.update({ ...pod, metadata: { ...(pod.metadata as NonNullable<Pod['metadata']>), labels: { touched: 'yes' } }, spec: { ...(pod.spec as NonNullable<Pod['spec']>), tolerations: pod.spec?.tolerations.slice(0, 1) ?? [] } });
    expect(updated.spec?.tolerations).toEqual(pod.spec?.tolerations);
    await pods.delete(NS, 'tolerations', { gracePeriodSeconds: 0 });
  });

  it('a node whose Lease stops: Unknown + unreachable taints, its pods not Ready and evicted by their tolerations; back: taints removed', async () => {
    await addNode('healthy-1');
    await addNode('dying', [{ key: 'dedicated', value: 'x', effect: 'NoSchedule', timeAdded: undefined }]);
    const forever: Toleration = { key: TAINT_UNREACHABLE, operator: 'Exists', value: '', effect: 'NoExecute', tolerationSeconds: undefined };
    const zero: Toleration = { ...forever, tolerationSeconds: 0 };
    await Promise.all([runPod('default-tol', 'dying'), runPod('zero-tol', 'dying', [zero]), runPod('forever-tol', 'dying', [forever]), runPod('elsewhere', 'healthy-1', [zero])]);
    // Healthy for well over the grace period: nothing happens.
    await new Promise((r) => setTimeout(r, GRACE_MS * 1.5)); // a span of healthy time, not a wait for a condition
    expect(readyOf(await nodes.get('', 'dying'))?.status).toBe('True');
    expect(taintIds(await nodes.get('', 'dying'))).toEqual(['dedicated:NoSchedule']);

    const killed = Date.now();
    alive.delete('dying');
    const unknown = await waitFor('dying to be Ready=Unknown', async () => {
      const n = await nodes.get('', 'dying');
      return readyOf(n)?.status === 'Unknown' ? n : undefined;
    }, { timeoutMs: GRACE_MS + 5_000 });
    expect(Date.now() - killed).toBeGreaterThanOrEqual(GRACE_MS - 300); // the last renewal may be up to 200 ms before
    expect(readyOf(unknown)).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    const tainted = await waitFor('the unreachable taints', async () => {
      const n = await nodes.get('', 'dying');
      return taintIds(n).length === 3 ? n : undefined;
    });
    expect(taintIds(tainted)).toEqual(['dedicated:NoSchedule', `${TAINT_UNREACHABLE}:NoExecute`, `${TAINT_UNREACHABLE}:NoSchedule`]);
    const timeAdded = tainted.spec?.taints.find((t) => t.effect === 'NoExecute')?.timeAdded?.getTime() ?? 0;
    expect(timeAdded).toBeGreaterThan(killed);

    // tolerationSeconds 0: evicted at once; no kubelet confirms, so pod GC force-deletes it after its 1 s grace.
    await waitFor('zero-tol to be deleted', async () => !!(await podOrUndefined('zero-tol'))?.metadata?.deletionTimestamp || !(await podOrUndefined('zero-tol')));
    await waitFor('zero-tol to be gone (force-deleted)', async () => !(await podOrUndefined('zero-tol')), { timeoutMs: 5_000 });
    expect(await events(NS, 'TaintManagerEviction', 'zero-tol')).toEqual([expect.objectContaining({ message: `Marking for deletion Pod ${NS}/zero-tol` })]);
    // The default toleration (2 s) runs out 2 s after the taint was added.
    await waitFor('default-tol to be deleted', async () => {
      const p = await podOrUndefined('default-tol');
      return !p || !!p.metadata?.deletionTimestamp;
    }, { timeoutMs: 6_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(timeAdded + DEFAULT_TOLERATION_S * 1000);
    await waitFor('default-tol to be gone', async () => !(await podOrUndefined('default-tol')), { timeoutMs: 5_000 });
    // Tolerating forever: kept, but no longer Ready.
    const kept = await waitFor('forever-tol marked not Ready', async () => {
      const p = await pods.get(NS, 'forever-tol');
      return readyOf(p)?.status === 'False' ? p : undefined;
    });
    expect(kept.metadata?.deletionTimestamp).toBeUndefined();
    expect(await events(NS, 'NodeNotReady', 'forever-tol')).toEqual([expect.objectContaining({ type: 'Warning', message: 'Node is not ready' })]);
    expect(await events('default', 'NodeNotReady', 'dying')).toEqual([expect.objectContaining({ message: 'Node dying status is now: NodeNotReady' })]);
    // The healthy node and its pod were never touched.
    expect(taintIds(await nodes.get('', 'healthy-1'))).toEqual([]);
    expect((await pods.get(NS, 'elsewhere')).metadata?.deletionTimestamp).toBeUndefined();

    // The kubelet comes back: the controller's taints go, the admin's stays.
    await revive('dying');
    await waitFor('the unreachable taints to be removed', async () => taintIds(await nodes.get('', 'dying')).join() === 'dedicated:NoSchedule', { timeoutMs: 5_000 });
    expect(readyOf(await nodes.get('', 'dying'))?.status).toBe('True');
    expect((await pods.get(NS, 'forever-tol')).metadata?.deletionTimestamp).toBeUndefined();
  }, 60_000);

  it('when no node is Ready (full disruption) nothing is evicted; once one is Ready again the dead ones are', async () => {
    const all = (await nodes.list()).items.map((n) => n.metadata?.name as string);
    await runPod('in-disruption', 'dying', [{ key: TAINT_UNREACHABLE, operator: 'Exists', value: '', effect: 'NoExecute', tolerationSeconds: 0 }]);
    // Every other node goes silent first; 'dying', the last one Ready, then follows.
    for (const name of all) if (name !== 'dying') alive.delete(name);
    await waitFor('the other nodes Unknown', async () => (await nodes.list()).items.every((n) => n.metadata?.name === 'dying' || readyOf(n)?.status === 'Unknown'), { timeoutMs: GRACE_MS + 5_000 });
    alive.delete('dying');
    await waitFor('every node Unknown with only NoSchedule taints', async () => {
      const items = (await nodes.list()).items;
      return items.every((n) => readyOf(n)?.status === 'Unknown' && taintIds(n).includes(`${TAINT_UNREACHABLE}:NoSchedule`) && !taintIds(n).includes(`${TAINT_UNREACHABLE}:NoExecute`));
    }, { timeoutMs: GRACE_MS + 5_000 });
    expect((await pods.get(NS, 'in-disruption')).metadata?.deletionTimestamp).toBeUndefined();

    // One node back: the others are NoExecute-tainted again, and the pod (0 s toleration) goes.
    await revive('healthy-1');
    await waitFor('in-disruption evicted', async () => {
      const p = await podOrUndefined('in-disruption');
      return !p || !!p.metadata?.deletionTimestamp;
    }, { timeoutMs: 10_000 });
    for (const name of all) if (name !== 'healthy-1') await revive(name);
    await waitFor('all nodes untainted', async () => (await nodes.list()).items.every((n) => !taintIds(n).some((t) => t.startsWith(TAINT_UNREACHABLE))), { timeoutMs: 5_000 });
  }, 60_000);

  it('a deleted Node: its pods are force-deleted (orphaned) after the quarantine', async () => {
    await addNode('doomed');
    await runPod('orphan', 'doomed');
    alive.delete('doomed');
    await nodes.delete('', 'doomed');
    await waitFor('orphan to be gone', async () => !(await podOrUndefined('orphan')), { timeoutMs: 10_000 });
  }, 30_000);

  it('a restarted controller-manager leaves a dead node as it is (no flapping) and still finishes its pods', async () => {
    await addNode('dead-2');
    await runPod('survivor', 'dead-2', [{ key: TAINT_UNREACHABLE, operator: 'Exists', value: '', effect: 'NoExecute', tolerationSeconds: 6 }]);
    alive.delete('dead-2');
    await waitFor('dead-2 tainted', async () => taintIds(await nodes.get('', 'dead-2')).includes(`${TAINT_UNREACHABLE}:NoExecute`), { timeoutMs: GRACE_MS + 5_000 });
    const before = await nodes.get('', 'dead-2');
    await env.restartControllers();
    // The taint keeps its timeAdded, so the pod's 6 s count from the first taint, not the restart.
    await waitFor('survivor evicted', async () => {
      const p = await podOrUndefined('survivor');
      return !p || !!p.metadata?.deletionTimestamp;
    }, { timeoutMs: 15_000 });
    const after = await nodes.get('', 'dead-2');
    expect(after.spec?.taints).toEqual(before.spec?.taints);
    expect(readyOf(after)).toEqual(readyOf(before));
  }, 60_000);

  /** Waits for the pod (held by the test's finalizer) to be deleted, then lets it go; resolves with it as deleted. */
  async function deletedHeld(name: string): Promise<Pod> {
    const deleted = await waitFor(`${name} to be deleted`, async () => {
      const p = await podOrUndefined(name);
      return p?.metadata?.deletionTimestamp ? p : undefined;
    }, { timeoutMs: 10_000 });
    await pods.update({ ...deleted, metadata: { ...deleted.metadata!, finalizers: [] } });
    return deleted;
  }

  it('taint eviction marks the pod DisruptionTarget=True (DeletionByTaintManager) before deleting it', async () => {
    await addNode('no-exec');
    await runPod('tainted', 'no-exec', [], [HOLD]);
    const node = await nodes.get('', 'no-exec');
    await nodes.update({ ...node, spec: { ...node.spec!, taints: [{ key: 'maintenance', value: '', effect: 'NoExecute', timeAdded: undefined }] } });
    const deleted = await deletedHeld('tainted');
    expect(deleted.status?.conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' }));
    alive.delete('no-exec');
    await nodes.delete('', 'no-exec');
  }, 30_000);

  it('pod GC marks a pod of a deleted Node Failed with DisruptionTarget=True (DeletionByPodGC) before deleting it', async () => {
    await addNode('vanished');
    await runPod('stranded', 'vanished', [], [HOLD]);
    alive.delete('vanished');
    await nodes.delete('', 'vanished');
    const deleted = await deletedHeld('stranded');
    expect(deleted.status?.phase).toBe('Failed');
    expect(deleted.status?.conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' }));
  }, 30_000);
});
