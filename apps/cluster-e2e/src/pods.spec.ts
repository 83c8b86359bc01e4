import { Pod, type ContainerStatus, type PodStatus } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, dockerApi, testLabel, waitFor } from '@skiff/testing';
import { podContainerIds, startE2eCluster, waitNodesClean, waitPodRunning, type E2eCluster } from './e2e-fixture';

/**
 * Issue 3's acceptance end to end: the built apiserver, scheduler and kubelets (DockerRuntime) as
 * processes against real etcd, NATS and dockerd; pods run TEST_IMAGE pulled from the local
 * registry. The API is driven through @skiff/client, logs and exec through the built CLI.
 * Docker is shared per machine, so node names are unique to this run; every container the
 * kubelets create carries `io.skiff.node=<node>` and the last test checks that none is left.
 */
const run = testLabel().value;
const NODE_1 = `e2e-${run}-1`; // 1 CPU
const NODE_2 = `e2e-${run}-2`; // 3 CPUs
const NODE_3 = `e2e-${run}-3`; // 8 CPUs, joins later
const NS = 'default';
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;

beforeAll(async () => {
  e2e = await startE2eCluster({
    nodes: [
      { name: NODE_1, cpu: '1', memory: '4Gi' },
      { name: NODE_2, cpu: '3', memory: '4Gi' },
    ],
    kubeletArgs: ['--backoff-base', '0.5', '--backoff-max', '8', '--lease-interval', '1', '--resync-interval', '5'],
  });
  pods = e2e.typed('pod');
}, 180_000);

afterAll(() => e2e?.stop(), 60_000);

interface PodOptions {
  command?: string[];
  cpu?: string;
  memoryLimit?: string;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
}

function podOf(name: string, { command = ['sh', '-c', 'echo started; exec sleep 3600'], cpu, memoryLimit, restartPolicy = 'Always' }: PodOptions = {}): Pod {
  return Pod.fromPartial({
    metadata: { name, namespace: NS },
    spec: {
      restartPolicy,
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: TEST_IMAGE,
          imagePullPolicy: 'IfNotPresent',
          command,
          resources: { requests: cpu ? { cpu } : {}, limits: memoryLimit ? { memory: memoryLimit } : {} },
        },
      ],
    },
  });
}

async function status(name: string): Promise<PodStatus | undefined> {
  return (await pods.get(NS, name)).status;
}

function main(s: PodStatus | undefined): ContainerStatus | undefined {
  return s?.containerStatuses.find((c) => c.name === 'main');
}

const waitRunning = (name: string): Promise<Pod> => waitPodRunning(pods, NS, name, { timeoutMs: 30_000, intervalMs: 100 });

function dockerId(containerID: string | undefined): string {
  if (!containerID?.startsWith('docker://')) throw new Error(`not a Docker container id: ${containerID}`);
  return containerID.slice('docker://'.length);
}

async function inspect(id: string): Promise<{ Id: string; State: { StartedAt: string; Running: boolean }; Labels: Record<string, string> }> {
  const { status: code, body } = await dockerApi('GET', `/containers/${id}/json`);
  if (code !== 200) throw new Error(`inspecting ${id}: ${code}`);
  const c = body as { Id: string; State: { StartedAt: string; Running: boolean }; Config: { Labels: Record<string, string> } };
  return { Id: c.Id, State: c.State, Labels: c.Config.Labels };
}

/** Running containers of a pod (sandbox included) as "id startedAt", sorted. */
async function podContainers(uid: string): Promise<string[]> {
  const ids = await podContainerIds([uid]);
  const all = await Promise.all(ids.map(inspect));
  return all.map((c) => `${c.Id} ${c.State.StartedAt} ${c.State.Running}`).sort();
}

async function deletePod(name: string): Promise<void> {
  const pod = await pods.get(NS, name);
  await pods.delete(NS, name);
  await waitFor(`${name}'s containers to be removed`, async () => (await podContainerIds([pod.metadata?.uid])).length === 0, {
    timeoutMs: 20_000,
    intervalMs: 100,
  });
}

describe('pods on a cluster of kubelets on Docker', () => {
  it('(1) places a pod where its CPU request fits; a pod larger than any node stays Pending with the reason, then runs on a node that joins with room', async () => {
    await pods.create(podOf('fits-node-2', { cpu: '1500m' }));
    await pods.create(podOf('too-big', { cpu: '5' }));
    const placed = await waitRunning('fits-node-2');
    expect(placed.spec?.nodeName).toBe(NODE_2);

    const pending = await waitFor(
      'too-big to be unschedulable',
      async () => {
        const s = await status('too-big');
        return s?.conditions.find((c) => c.type === 'PodScheduled' && c.status === 'False') ? s : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(pending.phase).toBe('Pending');
    expect(pending.conditions.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: 2 Insufficient cpu.' });
    expect((await pods.get(NS, 'too-big')).spec?.nodeName).toBe('');

    await e2e.cluster.addNode({ name: NODE_3, cpu: '8', memory: '4Gi' });
    const joined = await waitRunning('too-big');
    expect(joined.spec?.nodeName).toBe(NODE_3);
    await Promise.all([deletePod('fits-node-2'), deletePod('too-big')]);
  }, 60_000);

  it('(3) restarts a container killed from outside; a failing command reaches CrashLoopBackOff with growing delays; restartPolicy Never ends Failed with the exit code', async () => {
    await Promise.all([
      pods.create(podOf('killed')),
      pods.create(podOf('crashing', { command: ['sh', '-c', 'echo crash; exit 1'] })),
      pods.create(podOf('never', { command: ['sh', '-c', 'exit 3'], restartPolicy: 'Never' })),
    ]);

    // Every finished attempt of the crashing container (Docker's attempt label), with its times.
    const attempts = new Map<number, { startedAt: number; finishedAt: number }>();
    const seen = new Set<string>();
    let sawCrashLoop = false;
    const watching = new AbortController();
    const watched = (async () => {
      for await (const event of pods.watch({ namespace: NS, fieldSelector: 'metadata.name=crashing' }, watching.signal)) {
        const c = main(event.object.status);
        if (c?.state?.waiting?.reason === 'CrashLoopBackOff') sawCrashLoop = true;
        for (const t of [c?.state?.terminated, c?.lastState?.terminated]) {
          if (!t?.containerID || !t.startedAt || !t.finishedAt || seen.has(t.containerID)) continue;
          seen.add(t.containerID);
          const attempt = await inspect(dockerId(t.containerID)).then((i) => Number(i.Labels['io.skiff.container.attempt']), () => undefined);
          if (attempt !== undefined) attempts.set(attempt, { startedAt: t.startedAt.getTime(), finishedAt: t.finishedAt.getTime() });
        }
      }
    })().catch((err: Error) => {
      if (!watching.signal.aborted) throw err;
    });

    const before = main((await waitRunning('killed')).status);
    expect(before?.restartCount).toBe(0);
    const { status: code } = await dockerApi('POST', `/containers/${dockerId(before?.containerID)}/kill?signal=KILL`);
    expect(code).toBe(204);
    const after = await waitFor(
      'killed to run again',
      async () => {
        const c = main(await status('killed'));
        return c?.state?.running && c.restartCount === 1 ? c : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(after.containerID).not.toBe(before?.containerID);
    expect(after.lastState?.terminated).toMatchObject({ exitCode: 137, containerID: before?.containerID });

    const never = await waitFor(
      'never to fail',
      async () => {
        const s = await status('never');
        return s?.phase === 'Failed' ? s : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(main(never)?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(main(never)?.restartCount).toBe(0);

    // The first restart is immediate, then the backoff (0.5 s base) doubles: before attempt k >= 2
    // the container waits at least 0.5 s * 2^(k-2) after attempt k-1 finished (Docker's times are
    // exact; 50 ms for rounding). Scheduling overhead only adds, so growth shows as a later gap
    // well above an earlier one.
    await waitFor('attempts 1 to 4 of crashing', () => [1, 2, 3, 4].every((k) => attempts.has(k)) && sawCrashLoop, { timeoutMs: 20_000, intervalMs: 100 });
    watching.abort();
    await watched;
    const gap = (k: number) => (attempts.get(k)?.startedAt ?? NaN) - (attempts.get(k - 1)?.finishedAt ?? NaN);
    for (const k of [2, 3, 4]) expect(gap(k)).toBeGreaterThanOrEqual(500 * 2 ** (k - 2) - 50);
    expect(gap(4)).toBeGreaterThan(gap(2) + 1_000);
    const crashing = await status('crashing');
    expect(crashing?.phase).toBe('Running');
    expect(main(crashing)?.restartCount).toBeGreaterThanOrEqual(4);

    await Promise.all([deletePod('killed'), deletePod('crashing'), deletePod('never')]);
  }, 60_000);

  it('(4) puts limits.memory in the cgroup and reports a container that allocates more as OOMKilled', async () => {
    await pods.create(podOf('limited', { memoryLimit: '64Mi' }));
    await pods.create(podOf('hungry', { memoryLimit: '64Mi', restartPolicy: 'Never', command: ['sh', '-c', 'x=0123456789abcdef; while true; do x="$x$x"; done'] }));
    await waitRunning('limited');
    const limit = await e2e.cli([
      'exec', 'limited', '--', 'sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
    ]);
    expect(limit.trim()).toBe(String(64 * 1024 * 1024));

    const oom = await waitFor(
      'hungry to be OOMKilled',
      async () => {
        const s = await status('hungry');
        return s?.phase === 'Failed' ? s : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(main(oom)?.state?.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    await Promise.all([deletePod('limited'), deletePod('hungry')]);
  }, 60_000);

  it('(5) a kubelet killed and restarted leaves its running containers untouched and adopts them', async () => {
    await pods.create(podOf('survivor'));
    const pod = await waitRunning('survivor');
    const node = pod.spec?.nodeName ?? '';
    const uid = pod.metadata?.uid ?? '';
    const before = await podContainers(uid);
    expect(before).toHaveLength(2); // sandbox + main
    const kubelet = e2e.cluster.kubelets.get(node);
    if (!kubelet) throw new Error(`no kubelet for ${node}`);

    await kubelet.kill();
    await kubelet.restart();
    // A pod bound to the same node after the restart runs: the new kubelet has synced its pods.
    await pods.create(Pod.fromPartial({ ...podOf('after-restart'), spec: { ...podOf('after-restart').spec, nodeName: node } }));
    await waitRunning('after-restart');

    expect(await podContainers(uid)).toEqual(before);
    const s = await status('survivor');
    expect(s?.phase).toBe('Running');
    expect(main(s)?.restartCount).toBe(0);
    expect(main(s)?.containerID).toBe(main(pod.status)?.containerID);
    await Promise.all([deletePod('survivor'), deletePod('after-restart')]);
  }, 60_000);

  it('(6) `skiff logs` returns the output and `skiff exec` runs a command in the container', async () => {
    await pods.create(podOf('chatty', { command: ['sh', '-c', 'echo hello from chatty; echo line two; exec sleep 3600'] }));
    await waitRunning('chatty');
    const logs = await waitFor('chatty to log', async () => {
      const out = await e2e.cli(['logs', 'chatty']);
      return out.includes('line two') ? out : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    expect(logs).toBe('hello from chatty\nline two\n');
    expect(await e2e.cli(['exec', 'chatty', '--', 'sh', '-c', 'echo hi'])).toBe('hi\n');
    await expect(e2e.cli(['exec', 'chatty', '--', 'sh', '-c', 'exit 5'])).rejects.toMatchObject({ cause: { code: 5 } });
    await deletePod('chatty');
  }, 60_000);

  it('(7) deleting pods removes their containers: nothing the kubelets created outlives the test', async () => {
    await pods.create(podOf('last'));
    const pod = await waitRunning('last');
    expect(await podContainerIds([pod.metadata?.uid])).toHaveLength(2);
    for (const p of (await pods.list({ namespace: NS })).items) await pods.delete(NS, p.metadata?.name ?? '');
    await waitNodesClean([NODE_1, NODE_2, NODE_3], { timeoutMs: 20_000, intervalMs: 100 });
    // The kubelet removes a pod's API object after its containers are gone: wait for that too.
    await waitFor('the deleted pods to leave the API', async () => (await pods.list({ namespace: NS })).items.length === 0, {
      timeoutMs: 10_000,
      intervalMs: 100,
    }).catch(() => undefined);
    expect((await pods.list({ namespace: NS })).items).toEqual([]);
  }, 60_000);
});
