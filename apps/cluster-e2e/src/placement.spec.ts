import { ConflictError, Pod, parseCpuMillis, parseQuantity, type Affinity, type Node, type Toleration } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, testLabel, waitFor } from '@skiff/testing';
import { isRunning, nodeContainerIds, podContainerIds, startE2eCluster, waitPodRunning, type E2eCluster } from './e2e-fixture';

/**
 * Issue 3's placement acceptance end to end (items 2 and 8): the built apiserver, scheduler and
 * two kubelets (DockerRuntime) as processes against real etcd, NATS and dockerd; pods run
 * TEST_IMAGE from the local registry. Nodes get their labels and taint the way Kubernetes nodes
 * do: at registration from the kubelet's --node-labels / --register-with-taints, and later from
 * an admin's edit through the API (what `kubectl label` / `kubectl taint` do).
 *
 *   node-1: 1 CPU, 2Gi    zone=a             taint dedicated=placement:NoSchedule
 *   node-2: 2 CPUs, 640Mi zone=b, disk=ssd
 *
 * Without its taint node-1 is the emptier node for a pod with no requests (LeastAllocated counts
 * 100m / 200Mi for it), so pods that avoid it do so because of the taint.
 */
const run = testLabel().value;
const NODE_1 = `place-${run}-1`;
const NODE_2 = `place-${run}-2`;
const NS = 'default';
const ZONE = 'e2e.skiff.io/zone';
const DISK = 'e2e.skiff.io/disk';
const GPU = 'e2e.skiff.io/gpu';
const DEDICATED = 'e2e.skiff.io/dedicated';
const HOSTNAME = 'kubernetes.io/hostname';
const TAINT_MESSAGE = `node(s) had untolerated taint {${DEDICATED}: placement}`;
const AFFINITY_MESSAGE = "node(s) didn't match Pod's node affinity/selector";
/** Tolerates node-1's taint (operator Equal, as `key=value:NoSchedule`). */
const TOLERATE_DEDICATED: Toleration = { key: DEDICATED, operator: 'Equal', value: 'placement', effect: 'NoSchedule' };
/** Tolerates node-1's taint whatever its value (operator Exists). */
const TOLERATE_DEDICATED_ANY: Toleration = { key: DEDICATED, operator: 'Exists', value: '', effect: '' };

let e2e: E2eCluster;
let pods: TypedClient<'pod'>;
let nodes: TypedClient<'node'>;

beforeAll(async () => {
  e2e = await startE2eCluster({
    nodes: [
      { name: NODE_1, cpu: '1', memory: '2Gi', labels: { [ZONE]: 'a' }, taints: [`${DEDICATED}=placement:NoSchedule`] },
      { name: NODE_2, cpu: '2', memory: '640Mi', labels: { [ZONE]: 'b', [DISK]: 'ssd' } },
    ],
    kubeletArgs: ['--lease-interval', '1', '--resync-interval', '5'],
  });
  pods = e2e.typed('pod');
  nodes = e2e.typed('node');
}, 180_000);

afterAll(() => e2e?.stop(), 60_000);

interface PlacementOptions {
  cpu?: string;
  memory?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
}

/** A pod that sleeps, with the given requests and placement constraints. */
function podOf(name: string, { cpu, memory, nodeSelector = {}, affinity, tolerations = [] }: PlacementOptions = {}): Pod {
  const requests: Record<string, string> = {};
  if (cpu) requests['cpu'] = cpu;
  if (memory) requests['memory'] = memory;
  return Pod.fromPartial({
    metadata: { name, namespace: NS },
    spec: {
      terminationGracePeriodSeconds: 1,
      nodeSelector,
      affinity,
      tolerations,
      containers: [{ name: 'main', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: { requests } }],
    },
  });
}

/** Required node affinity with one term of one requirement. */
function requiredAffinity(key: string, operator: string, values: string[] = []): Affinity {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator, values }], matchFields: [] }] },
      preferredDuringSchedulingIgnoredDuringExecution: [],
    },
  };
}

/** Preferred node affinity: `weight` for nodes whose `key` is one of `values`. */
function preferredAffinity(weight: number, key: string, values: string[]): Affinity {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: undefined,
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight, preference: { matchExpressions: [{ key, operator: 'In', values }], matchFields: [] } }],
    },
  };
}

/** The PodScheduled=False/Unschedulable condition of a pod the scheduler could not place. */
function unschedulable(pod: Readonly<Pod>): { message: string } | undefined {
  if (pod.spec?.nodeName) return undefined;
  return pod.status?.conditions.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
}

/** Waits until the pod runs and returns the node it runs on. */
async function nodeOf(name: string, timeoutMs = 60_000): Promise<string> {
  const pod = await waitPodRunning(pods, NS, name, { timeoutMs, intervalMs: 200 });
  return pod.spec?.nodeName ?? '';
}

/** Waits until the scheduler reports the pod unschedulable and returns its message. */
async function unschedulableMessage(name: string, timeoutMs = 30_000): Promise<string> {
  const condition = await waitFor(`${name} to be unschedulable`, async () => unschedulable(await pods.get(NS, name)), { timeoutMs, intervalMs: 200 });
  return condition.message;
}

/**
 * Changes a Node as an admin does with `kubectl label` / `kubectl taint`: read, edit a copy,
 * write back with the read resourceVersion, again on a conflict (the kubelet writes status).
 */
async function editNode(name: string, edit: (node: Node) => void): Promise<void> {
  for (;;) {
    const node = structuredClone(await nodes.get('', name));
    edit(node);
    try {
      await nodes.update(node);
      return;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
}

/** Deletes the pods and waits until they are gone from the API and their containers from Docker. */
async function deletePods(names: readonly string[]): Promise<void> {
  const uids = (await Promise.all(names.map((n) => pods.get(NS, n)))).map((p) => p.metadata?.uid ?? '');
  await Promise.all(names.map((n) => pods.delete(NS, n)));
  await waitFor(
    `${names.length} pods and their containers to be removed`,
    async () => {
      const left = new Set((await pods.list({ namespace: NS })).items.map((p) => p.metadata?.name));
      if (names.some((n) => left.has(n))) return false;
      for (const uid of uids) if ((await podContainerIds([uid])).length) return false;
      return true;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
}

/** A pod's total requests in millicores and bytes. */
function requestsOf(pod: Readonly<Pod>): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    const r = c.resources?.requests ?? {};
    if (r['cpu']) cpu += parseCpuMillis(r['cpu']);
    if (r['memory']) memory += parseQuantity(r['memory']);
  }
  return { cpu, memory };
}

describe('placement on a cluster of kubelets on Docker', () => {
  it('(2) 100 pods created at once: the requests bound to each node stay within its allocatable, no kubelet refuses one, and every pod left Pending fits nowhere', async () => {
    const COUNT = 100;
    const names = Array.from({ length: COUNT }, (_, i) => `burst-${String(i).padStart(3, '0')}`);
    // 50m..100m CPU and 16..40Mi memory: about 13 pods fill node-1's CPU and about 22 node-2's
    // memory. They tolerate node-1's taint so that both nodes take them.
    await Promise.all(
      names.map((name, i) => pods.create(podOf(name, { cpu: `${50 + (i % 6) * 10}m`, memory: `${16 + (i % 4) * 8}Mi`, tolerations: [TOLERATE_DEDICATED] }))),
    );

    // Settled: every pod runs, was refused by a kubelet (Failed), or is reported unschedulable.
    // Nothing terminates and nothing unbinds, so the final sums bound every earlier one.
    const settled = await waitFor(
      'every burst pod to run or be unschedulable',
      async () => {
        const items = (await pods.list({ namespace: NS })).items.filter((p) => p.metadata?.name?.startsWith('burst-'));
        return items.length === COUNT && items.every((p) => isRunning(p) || unschedulable(p) || p.status?.phase === 'Failed') ? items : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );

    const failed = settled.filter((p) => p.status?.phase === 'Failed').map((p) => `${p.metadata?.name}: ${p.status?.reason} ${p.status?.message}`);
    expect(failed).toEqual([]); // in particular no OutOfcpu / OutOfmemory from kubelet admission

    const allocatable = new Map<string, { cpu: number; memory: number }>();
    for (const name of [NODE_1, NODE_2]) {
      const a = (await nodes.get('', name)).status?.allocatable ?? {};
      allocatable.set(name, { cpu: parseCpuMillis(a['cpu'] ?? '0'), memory: parseQuantity(a['memory'] ?? '0') });
    }
    expect(allocatable.get(NODE_1)).toEqual({ cpu: 1000, memory: 2 * 2 ** 30 });
    expect(allocatable.get(NODE_2)).toEqual({ cpu: 2000, memory: 640 * 2 ** 20 });

    const used = new Map([NODE_1, NODE_2].map((n) => [n, { cpu: 0, memory: 0, pods: 0 }]));
    for (const p of settled) {
      const node = p.spec?.nodeName;
      if (!node) continue;
      const u = used.get(node);
      if (!u) throw new Error(`${p.metadata?.name} is bound to ${node}, not a node of this test`);
      const r = requestsOf(p);
      u.cpu += r.cpu;
      u.memory += r.memory;
      u.pods++;
    }
    for (const [node, u] of used) {
      const a = allocatable.get(node) ?? { cpu: 0, memory: 0 };
      expect({ node, cpuWithin: u.cpu <= a.cpu, memoryWithin: u.memory <= a.memory }).toEqual({ node, cpuWithin: true, memoryWithin: true });
      expect(u.pods).toBeGreaterThan(0);
    }

    // Exactly as many run as fit: every bound pod runs, no Pending pod fits on either node next to
    // those bound, and each says why in kube-scheduler's words. The message is its last attempt's:
    // as kube-scheduler, binding other pods (which only takes room) does not retry a pod, so a
    // node may have had room for one resource then and none now. Room only shrank here, so each
    // reason counts at most the nodes short of it now, and every node is counted at least once.
    const pending = settled.filter((p) => !p.spec?.nodeName);
    const running = settled.filter(isRunning);
    expect(running.length + pending.length).toBe(COUNT);
    expect(running.length).toBe([...used.values()].reduce((sum, u) => sum + u.pods, 0));
    const free = (node: string) => {
      const a = allocatable.get(node) ?? { cpu: 0, memory: 0 };
      const u = used.get(node) ?? { cpu: 0, memory: 0 };
      return { cpu: a.cpu - u.cpu, memory: a.memory - u.memory };
    };
    const fitsSomewhere = pending.filter((p) => {
      const r = requestsOf(p);
      return [NODE_1, NODE_2].some((node) => r.cpu <= free(node).cpu && r.memory <= free(node).memory);
    });
    expect(fitsSomewhere.map((p) => p.metadata?.name)).toEqual([]);
    const shortOf = new Map<string, Map<string, number>>();
    for (const p of pending) {
      const r = requestsOf(p);
      const counts = new Map<string, number>();
      for (const node of [NODE_1, NODE_2]) {
        if (r.cpu > free(node).cpu) counts.set('Insufficient cpu', (counts.get('Insufficient cpu') ?? 0) + 1);
        if (r.memory > free(node).memory) counts.set('Insufficient memory', (counts.get('Insufficient memory') ?? 0) + 1);
      }
      shortOf.set(p.metadata?.name ?? '', counts);
    }
    /** Why the message does not fit the pod's final shortfalls; undefined when it does. */
    const wrongMessage = (name: string, message: string | undefined): string | undefined => {
      const match = /^0\/2 nodes are available: (.+)\.$/.exec(message ?? '');
      if (!match) return `not kube-scheduler's format`;
      const now = shortOf.get(name) ?? new Map<string, number>();
      let counted = 0;
      for (const part of match[1].split(', ')) {
        const [, n, reason] = /^(\d+) (.+)$/.exec(part) ?? [];
        if (Number(n) > (now.get(reason) ?? 0)) return `"${part}": only ${now.get(reason) ?? 0} node(s) are short of it now`;
        counted += Number(n);
      }
      return counted >= 2 ? undefined : 'a node is not accounted for';
    };
    await waitFor(
      'the Pending pods to report why they fit nowhere',
      async () => {
        const items = (await pods.list({ namespace: NS })).items.filter((p) => shortOf.has(p.metadata?.name ?? ''));
        for (const p of items) {
          const why = wrongMessage(p.metadata?.name ?? '', unschedulable(p)?.message);
          if (why) throw new Error(`${p.metadata?.name}: "${unschedulable(p)?.message}": ${why}`);
        }
        return items.length === shortOf.size;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    await deletePods(names);
    expect(await nodeContainerIds([NODE_1, NODE_2])).toEqual([]);
  }, 420_000);

  it('(8) nodeSelector picks the node with the label; a selector no node matches stays Pending with the reason, then runs once a node is labelled', async () => {
    // All three tolerate node-1's taint: the selector alone decides.
    await pods.create(podOf('wants-ssd', { nodeSelector: { [DISK]: 'ssd' }, tolerations: [TOLERATE_DEDICATED] }));
    await pods.create(podOf('wants-zone-a', { nodeSelector: { [ZONE]: 'a' }, tolerations: [TOLERATE_DEDICATED] }));
    await pods.create(podOf('wants-gpu', { nodeSelector: { [GPU]: 'true' }, tolerations: [TOLERATE_DEDICATED] }));
    expect(await nodeOf('wants-ssd')).toBe(NODE_2);
    expect(await nodeOf('wants-zone-a')).toBe(NODE_1);
    expect(await unschedulableMessage('wants-gpu')).toBe(`0/2 nodes are available: 2 ${AFFINITY_MESSAGE}.`);
    expect((await pods.get(NS, 'wants-gpu')).status?.phase).toBe('Pending');

    await editNode(NODE_2, (node) => {
      node.metadata!.labels[GPU] = 'true';
    });
    expect(await nodeOf('wants-gpu')).toBe(NODE_2);
    await editNode(NODE_2, (node) => {
      delete node.metadata!.labels[GPU];
    });
    await deletePods(['wants-ssd', 'wants-zone-a', 'wants-gpu']);
  }, 240_000);

  it('(8) required node affinity (In, NotIn, Exists, DoesNotExist) decides the node; preferred node affinity steers the choice', async () => {
    const tolerations = [TOLERATE_DEDICATED_ANY];
    const cases: [string, Affinity, string][] = [
      ['zone-in-a', requiredAffinity(ZONE, 'In', ['a']), NODE_1],
      ['zone-not-in-a', requiredAffinity(ZONE, 'NotIn', ['a']), NODE_2],
      ['disk-exists', requiredAffinity(DISK, 'Exists'), NODE_2],
      ['disk-does-not-exist', requiredAffinity(DISK, 'DoesNotExist'), NODE_1],
      ['prefers-zone-a', preferredAffinity(50, ZONE, ['a']), NODE_1],
      ['prefers-zone-b', preferredAffinity(50, ZONE, ['b']), NODE_2],
    ];
    await Promise.all(cases.map(([name, affinity]) => pods.create(podOf(name, { affinity, tolerations }))));
    await pods.create(podOf('zone-in-c', { affinity: requiredAffinity(ZONE, 'In', ['c']), tolerations }));
    const placed = await Promise.all(cases.map(async ([name]) => [name, await nodeOf(name)]));
    expect(placed).toEqual(cases.map(([name, , node]) => [name, node]));
    expect(await unschedulableMessage('zone-in-c')).toBe(`0/2 nodes are available: 2 ${AFFINITY_MESSAGE}.`);
    await deletePods([...cases.map(([name]) => name), 'zone-in-c']);
  }, 240_000);

  it('(8) a NoSchedule taint keeps pods without a toleration off the node, a toleration lets one land, and removing the taint lets the others in', async () => {
    const free = ['free-0', 'free-1', 'free-2', 'free-3'];
    await Promise.all(free.map((name) => pods.create(podOf(name))));
    await pods.create(podOf('untolerated', { nodeSelector: { [HOSTNAME]: NODE_1 } }));
    await pods.create(podOf('tolerated', { nodeSelector: { [HOSTNAME]: NODE_1 }, tolerations: [TOLERATE_DEDICATED] }));

    expect(await Promise.all(free.map((name) => nodeOf(name)))).toEqual(free.map(() => NODE_2));
    expect(await nodeOf('tolerated')).toBe(NODE_1);
    expect(await unschedulableMessage('untolerated')).toBe(`0/2 nodes are available: 1 ${AFFINITY_MESSAGE}, 1 ${TAINT_MESSAGE}.`);

    // `kubectl taint node node-1 dedicated:NoSchedule-`, then back as it was.
    await editNode(NODE_1, (node) => {
      node.spec!.taints = node.spec!.taints.filter((t) => t.key !== DEDICATED);
    });
    expect(await nodeOf('untolerated')).toBe(NODE_1);
    await editNode(NODE_1, (node) => {
      node.spec!.taints.push({ key: DEDICATED, value: 'placement', effect: 'NoSchedule', timeAdded: undefined });
    });
    await deletePods([...free, 'untolerated', 'tolerated']);
    expect(await nodeContainerIds([NODE_1, NODE_2])).toEqual([]);
  }, 240_000);
});
