import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError, type Pod, type ReplicaSet } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, testLabel, waitFor } from '@skiff/testing';
import { isReady, livePodsOfApp, podContainerIds, startE2eCluster, waitNodesClean, type E2eCluster } from './e2e-fixture';

/**
 * The ReplicaSet controller end to end (issue 4): the built apiserver, scheduler,
 * controller-manager and two kubelets (DockerRuntime) as processes against real etcd, NATS and
 * dockerd; the pods run busybox httpd from TEST_IMAGE. The user's side goes through the built CLI
 * (apply, get, delete, scale); the test reads state through @skiff/client. Every container the
 * kubelets create carries `io.skiff.node=<node>`, and the last test checks none is left.
 */
const run = testLabel().value;
const NODE_1 = `rs-${run}-1`;
const NODE_2 = `rs-${run}-2`;
const NS = 'default';

const MANIFEST = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: httpd
          image: ${TEST_IMAGE}
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"]
`;

let e2e: E2eCluster;
let pods: TypedClient<'pod'>;
let replicaSets: TypedClient<'replicaSet'>;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-rs-e2e-'));
  e2e = await startE2eCluster({
    nodes: [
      { name: NODE_1, cpu: '2', memory: '4Gi' },
      { name: NODE_2, cpu: '2', memory: '4Gi' },
    ],
    kubeletArgs: ['--lease-interval', '1', '--resync-interval', '5'],
    controllerManagers: 1,
  });
  pods = e2e.typed('pod');
  replicaSets = e2e.typed('replicaSet');
}, 180_000);

afterAll(async () => {
  await e2e?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const skiff = (...args: string[]) => e2e.cli(args);

/** The pods of the ReplicaSet `web` that are neither terminating nor finished, by name. */
async function activePods(): Promise<Pod[]> {
  const live = await livePodsOfApp(pods, 'web', NS);
  return live.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

const names = (list: readonly Pod[]) => list.map((p) => p.metadata?.name ?? '');

/** Waits until `web` has `n` pods, all Running and Ready, and its status says so. */
async function waitReady(n: number, timeoutMs = 60_000): Promise<{ rs: ReplicaSet; pods: Pod[] }> {
  return waitFor(
    `web to be ${n}/${n} ready`,
    async () => {
      const [rs, list] = await Promise.all([replicaSets.get(NS, 'web'), activePods()]);
      const allReady = list.length === n && list.every((p) => p.status?.phase === 'Running' && isReady(p));
      const s = rs.status;
      const counted = s?.replicas === n && s.readyReplicas === n && s.availableReplicas === n && s.observedGeneration === rs.metadata?.generation;
      return allReady && counted ? { rs, pods: list } : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Waits until no container of the pod with this uid exists any more. */
const containersGone = (uid: string | undefined) =>
  waitFor(`the containers of pod ${uid} to be removed`, async () => (await podContainerIds([uid])).length === 0, { timeoutMs: 30_000, intervalMs: 200 });

describe('ReplicaSets on a cluster of kubelets on Docker', () => {
  it('(1) a 3-replica ReplicaSet of a busybox web server becomes 3/3 ready; deleting one pod by hand brings a replacement', async () => {
    const file = join(dir, 'web.yaml');
    writeFileSync(file, MANIFEST);
    expect(await skiff('apply', '-f', file)).toBe('replicaset.apps/web created\n');

    const { pods: first } = await waitReady(3);
    for (const pod of first) {
      expect(pod.metadata?.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect([NODE_1, NODE_2]).toContain(pod.spec?.nodeName);
      expect(await podContainerIds([pod.metadata?.uid])).toHaveLength(2); // sandbox + httpd
    }
    const table = await skiff('get', 'rs', 'web');
    expect(table.split('\n')[0].split(/\s+/)).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    expect(table.split('\n')[1].split(/\s+/).slice(0, 4)).toEqual(['web', '3', '3', '3']);

    const victim = first[0];
    expect(await skiff('delete', 'pod', victim.metadata?.name ?? '')).toBe(`pod "${victim.metadata?.name}" deleted\n`);
    const { pods: after } = await waitReady(3);
    expect(names(after)).not.toContain(victim.metadata?.name);
    expect(names(after)).toEqual(expect.arrayContaining(names(first.slice(1))));
    await containersGone(victim.metadata?.uid);

    // Events are written in the background: one SuccessfulCreate per pod, the replacement's included.
    const expected = [...names(first), ...names(after).filter((n) => !names(first).includes(n))].map((n) => `Created pod: ${n}`).sort();
    const created = await waitFor('a SuccessfulCreate event per pod', async () => {
      const { items } = await e2e.typed('event').list({ namespace: NS });
      const list = items.filter((e) => e.involvedObject?.name === 'web' && e.reason === 'SuccessfulCreate').map((e) => e.message);
      return list.length >= expected.length ? list.sort() : undefined;
    });
    expect(created).toEqual(expected);
  }, 120_000);

  it('(2) `skiff scale` sets the replicas: 3 -> 5 -> 1; a wrong --current-replicas changes nothing', async () => {
    const before = await activePods();
    expect(await skiff('scale', 'rs', 'web', '--replicas', '5')).toBe('replicaset.apps/web scaled\n');
    const { pods: five } = await waitReady(5);
    expect(names(five)).toEqual(expect.arrayContaining(names(before)));

    await expect(skiff('scale', 'rs/web', '--replicas', '1', '--current-replicas', '3')).rejects.toMatchObject({ stderr: 'error: Expected replicas to be 3, was 5\n' });
    expect((await replicaSets.get(NS, 'web')).spec?.replicas).toBe(5);

    expect(await skiff('scale', 'rs/web', '--replicas', '1', '--current-replicas', '5')).toBe('replicaset.apps/web scaled\n');
    const { pods: one } = await waitReady(1);
    // Every pod had been ready about as long: the survivor is one of the first three (ready for longest).
    expect(names(before)).toContain(names(one)[0]);
    for (const pod of five.filter((p) => p.metadata?.uid !== one[0].metadata?.uid)) await containersGone(pod.metadata?.uid);
  }, 120_000);

  it('(3) deleting the ReplicaSet (background) and then its pods leaves no container behind', async () => {
    const rs = await replicaSets.get(NS, 'web');
    await replicaSets.delete(NS, 'web', { propagationPolicy: 'Background' });
    await waitFor('the ReplicaSet to be gone', async () => (await replicaSets.list({ namespace: NS })).items.length === 0);
    // Delete what it owned ourselves (the garbage collector may also be doing it).
    const { items } = await pods.list({ namespace: NS });
    for (const pod of items.filter((p) => p.metadata?.ownerReferences.some((r) => r.uid === rs.metadata?.uid))) {
      await pods.delete(NS, pod.metadata?.name ?? '').catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
    }
    await waitFor('every pod to be gone', async () => (await pods.list({ namespace: NS })).items.length === 0, { timeoutMs: 30_000, intervalMs: 200 });
    await waitNodesClean([NODE_1, NODE_2], { timeoutMs: 30_000, intervalMs: 200 });
  }, 60_000);
});
