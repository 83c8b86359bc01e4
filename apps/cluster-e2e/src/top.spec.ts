import { Pod } from '@skiff/api';
import { podUsageByName, type TypedClient } from '@skiff/client';
import { TEST_IMAGE, testLabel, waitFor } from '@skiff/testing';
import { startE2eCluster, waitPodRunning, type E2eCluster } from './e2e-fixture';

/**
 * Issue 6, acceptance 5, end to end: the built apiserver, scheduler and two kubelets on real
 * Docker sampling their containers every second (--housekeeping-interval 1); `skiff top` (the
 * built CLI) through the apiserver's metrics API. A container that busy-loops under a 500m CPU
 * limit must show 500m within 25%; one that holds 100 MiB (dd's 100 MiB block, filled from
 * /dev/zero and stuck writing into a pipe nobody reads: nothing else in it is sizeable) must show
 * 100Mi within 15%. Each pod is pinned to its own node, so `skiff top nodes` shows each node's
 * share (node figures are the sum of the node's pods: the kubelet's --node-usage pods).
 */
const run = testLabel().value;
const NODES = [`top-${run}-1`, `top-${run}-2`];
const NS = 'default';
const CPU_LIMIT_MILLIS = 500;
const HELD_MIB = 100;
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;

function pinnedPod(name: string, node: string, script: string, limits: Record<string, string>): Pod {
  return Pod.fromPartial({
    metadata: { name, namespace: NS, labels: { app: 'top', run } },
    spec: {
      terminationGracePeriodSeconds: 0,
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: [{ name: 'main', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], resources: { limits } }],
    },
  });
}

/** The rows of a kubectl-style table, each cell by its header. */
function table(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trim().split('\n').map((line) => line.trim().split(/\s{2,}/));
  return rows.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i]])));
}

const millis = (cell: string) => Number(/^(\d+)m$/.exec(cell)?.[1] ?? NaN);
const mebibytes = (cell: string) => Number(/^(\d+)Mi$/.exec(cell)?.[1] ?? NaN);

beforeAll(async () => {
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    kubeletArgs: ['--housekeeping-interval', '1', '--lease-interval', '1'],
  });
  pods = e2e.typed('pod');
}, 180_000);

afterAll(() => e2e?.stop(), 60_000);

describe('skiff top (issue 6, acceptance 5)', () => {
  it('says metrics are not available yet until a pod has two samples, then shows it', async () => {
    await expect(e2e.cli(['top', 'pods', '-l', `run=${run}`])).resolves.toBe(''); // no pods: "No resources found" on stderr
    await pods.create(pinnedPod('early', NODES[0], 'exec sleep 3600', {}));
    // Created a moment ago: not even running yet, let alone sampled twice a second apart.
    await expect(e2e.cli(['top', 'pods', '-l', `run=${run}`])).rejects.toMatchObject({ stderr: 'error: metrics not available yet\n' });
    const shown = await waitFor(
      'early in skiff top pods',
      async () => {
        const out = await e2e.cli(['top', 'pods', '-l', `run=${run}`]).catch(() => '');
        return table(out).find((r) => r.NAME === 'early');
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(shown['CPU(cores)']).toMatch(/^\d+m$/);
    expect(shown['MEMORY(bytes)']).toMatch(/^\d+Mi$/);
    await pods.delete(NS, 'early', { gracePeriodSeconds: 0 });
  }, 90_000);

  it('reports a busy loop at its CPU limit and a 100 MiB holder at 100 MiB; top nodes shows both nodes', async () => {
    await pods.create(pinnedPod('busy', NODES[0], 'while :; do :; done', { cpu: `${CPU_LIMIT_MILLIS}m` }));
    await pods.create(pinnedPod('holder', NODES[1], 'mkfifo /tmp/hold; sleep 3600 </tmp/hold & exec dd if=/dev/zero of=/tmp/hold bs=100M count=1', { memory: '256Mi' }));
    await Promise.all(['busy', 'holder'].map((name) => waitPodRunning(pods, NS, name, { timeoutMs: 60_000, intervalMs: 200 })));

    // Wait for figures whose CPU window starts after both containers settled (2 s after Running).
    const settled = Date.now() + 2_000;
    await waitFor(
      'metrics of both pods sampled after they settled',
      async () => {
        const usage = await podUsageByName(e2e.client, NS, `run=${run}`);
        const fresh = (name: string) => {
          const u = usage.get(name);
          return u && u.timestamp.getTime() - u.windowMs > settled;
        };
        return fresh('busy') && fresh('holder');
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );

    const top = table(await e2e.cli(['top', 'pods', '-l', `run=${run}`, '--sort-by', 'cpu']));
    expect(top.map((r) => r.NAME)).toEqual(['busy', 'holder']);
    const [busy, holder] = top;
    expect(millis(busy['CPU(cores)'])).toBeGreaterThanOrEqual(CPU_LIMIT_MILLIS * 0.75);
    expect(millis(busy['CPU(cores)'])).toBeLessThanOrEqual(CPU_LIMIT_MILLIS * 1.25);
    expect(mebibytes(holder['MEMORY(bytes)'])).toBeGreaterThanOrEqual(HELD_MIB * 0.85);
    expect(mebibytes(holder['MEMORY(bytes)'])).toBeLessThanOrEqual(HELD_MIB * 1.15);
    expect(millis(holder['CPU(cores)'])).toBeLessThan(50);
    process.stdout.write(`skiff top pods:\n${await e2e.cli(['top', 'pods', '-l', `run=${run}`, '--containers'])}`);

    const nodes = table(await e2e.cli(['top', 'nodes']));
    const row = (name: string) => nodes.find((r) => r.NAME === name);
    for (const name of NODES) expect(row(name)).toBeDefined();
    const [first, second] = NODES.map((n) => row(n)!);
    expect(millis(first['CPU(cores)'])).toBeGreaterThanOrEqual(CPU_LIMIT_MILLIS * 0.75);
    expect(first['CPU%']).toMatch(/^(1[89]|2\d|3[01])%$/); // 500m of 2 cores: 25% (+-25%)
    expect(mebibytes(second['MEMORY(bytes)'])).toBeGreaterThanOrEqual(HELD_MIB * 0.85);
    expect(second['MEMORY%']).toMatch(/^\d+%$/);
    process.stdout.write(`skiff top nodes:\n${await e2e.cli(['top', 'nodes'])}`);
  }, 120_000);
});
