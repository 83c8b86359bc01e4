import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, testLabel, waitFor } from '@skiff/testing';
import { isRunning, startE2eCluster, type E2eCluster } from './e2e-fixture';

/**
 * Persistent storage end to end: the built apiserver, scheduler, controller-manager and two
 * kubelets on real Docker. A pod's persistentVolumeClaim of the default class (local-path,
 * WaitForFirstConsumer, created by the apiserver at start) gets a node from the scheduler
 * (volume.kubernetes.io/selected-node), a PersistentVolume from the binder pinned to that node,
 * and a directory made by that node's kubelet under its --local-storage-path (each kubelet here
 * keeps it under its own root dir: `<rootDir>/storage`, the default). The data outlives the pod;
 * a readOnly claim volume cannot be written; reclaim Delete removes the volume and its directory
 * on the node, reclaim Retain keeps both.
 */
const run = testLabel().value;
const NODES = [`pv-${run}-1`, `pv-${run}-2`];
const NS = 'default';
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;
let claims: TypedClient<'persistentVolumeClaim'>;
let volumes: TypedClient<'persistentVolume'>;

beforeAll(async () => {
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    controllerManagers: 1,
    kubeletArgs: ['--backoff-base', '0.5', '--backoff-max', '4', '--lease-interval', '1', '--resync-interval', '10'],
    logLevel: 'debug',
  });
  pods = e2e.typed('pod');
  claims = e2e.typed('persistentVolumeClaim');
  volumes = e2e.typed('persistentVolume');
}, 180_000);

afterAll(() => e2e?.stop(), 60_000);

const skiff = (...args: string[]) => e2e.cli(args, 30_000);
const orUndefined = <T>(p: Promise<T>) => p.catch(() => undefined);

function waitRunning(name: string, timeoutMs = 60_000): Promise<Pod> {
  return waitFor(`${name} to run`, async () => {
    const pod = await pods.get(NS, name);
    return isRunning(pod) ? pod : undefined;
  }, { timeoutMs, intervalMs: 200 });
}

async function deleteAndWaitGone(name: string): Promise<void> {
  await skiff('delete', 'pod', name, '--wait=false');
  await waitFor(`${name} to be gone`, async () => !(await orUndefined(pods.get(NS, name))), { timeoutMs: 30_000, intervalMs: 100 });
}

/** The volume's directory on its node: the kubelet's default --local-storage-path is <root-dir>/storage. */
function storageDir(node: string): string {
  const kubelet = e2e.cluster.kubelets.get(node);
  if (!kubelet) throw new Error(`no kubelet for ${node}`);
  return `${kubelet.rootDir}/storage`;
}

const claimYaml = (name: string, storageClassName?: string) => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
${storageClassName ? `  storageClassName: ${storageClassName}\n` : ''}`;

const podYaml = (name: string, claimName: string, script: string, readOnly = false) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: ${claimName}, readOnly: ${readOnly}}
  containers:
  - name: main
    image: ${TEST_IMAGE}
    command: [sh, -c, '${script}']
    volumeMounts: [{name: data, mountPath: /data}]
`;

async function boundVolume(claimName: string): Promise<{ claim: PersistentVolumeClaim; pv: PersistentVolume }> {
  return waitFor(`${claimName} to be Bound`, async () => {
    const claim = await claims.get(NS, claimName);
    if (claim.status?.phase !== 'Bound' || !claim.spec?.volumeName) return undefined;
    const pv = await volumes.get('', claim.spec.volumeName);
    return pv.status?.phase === 'Bound' ? { claim, pv } : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200 });
}

describe('persistent volumes', () => {
  it('has the local-path default StorageClass', async () => {
    const out = await skiff('get', 'storageclass');
    expect(out).toMatch(/^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$/m);
    expect(out).toMatch(/^local-path \(default\)\s+skiff\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+/m);
  }, 30_000);

  it('keeps a pod whose claim does not exist unschedulable, with Kubernetes\' message', async () => {
    await e2e.apply('orphan.yaml', podYaml('orphan', 'missing', 'sleep 3600'));
    const pod = await waitFor('orphan unschedulable', async () => {
      const p = await pods.get(NS, 'orphan');
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') ? p : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toBe('0/2 nodes are available: persistentvolumeclaim "missing" not found.');
    await deleteAndWaitGone('orphan');
  }, 60_000);

  it('provisions a claim of the default class on the pod\'s node, keeps its data across pods, and deletes volume and directory with the claim', async () => {
    await e2e.apply('data.yaml', claimYaml('data'));
    const pending = await claims.get(NS, 'data');
    expect(pending.spec?.storageClassName).toBe('local-path');
    expect(pending.metadata?.finalizers).toContain('kubernetes.io/pvc-protection');
    expect(pending.status?.phase).toBe('Pending'); // WaitForFirstConsumer: no volume before a pod

    await e2e.apply('writer.yaml', podYaml('writer', 'data', 'echo hello > /data/greeting; exec sleep 3600'));
    const writer = await waitRunning('writer');
    const node = writer.spec?.nodeName ?? '';
    const { claim, pv } = await boundVolume('data');
    expect(claim.metadata?.annotations).toMatchObject({
      'volume.kubernetes.io/selected-node': node,
      'volume.kubernetes.io/storage-provisioner': 'skiff.io/local-path',
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
    });
    expect(pv.metadata?.name).toBe(`pvc-${claim.metadata?.uid}`);
    expect(pv.metadata?.finalizers).toContain('kubernetes.io/pv-protection');
    expect(pv.spec?.persistentVolumeReclaimPolicy).toBe('Delete');
    expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms[0].matchExpressions[0]).toMatchObject({ key: 'kubernetes.io/hostname', operator: 'In', values: [node] });
    const dir = `${storageDir(node)}/pvc-${claim.metadata?.uid}_default_data`;
    expect(pv.spec?.local?.path).toBe(dir);
    await waitFor('the file on the node', () => existsSync(`${dir}/greeting`) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
    expect(readFileSync(`${dir}/greeting`, 'utf8')).toBe('hello\n');

    const table = await skiff('get', 'pvc', 'data');
    expect(table).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$/m);
    expect(table).toMatch(new RegExp(`^data\\s+Bound\\s+${pv.metadata?.name}\\s+64Mi\\s+RWO\\s+local-path\\s+<unset>\\s+`, 'm'));
    expect(await skiff('get', 'pv')).toMatch(new RegExp(`^${pv.metadata?.name}\\s+64Mi\\s+RWO\\s+Delete\\s+Bound\\s+default/data\\s+local-path\\s+<unset>\\s+`, 'm'));
    expect(await skiff('describe', 'pvc', 'data')).toMatch(/^Used By:\s+writer$/m);

    // A new pod with the claim lands on the same node and reads what the first one wrote.
    await deleteAndWaitGone('writer');
    expect(existsSync(`${dir}/greeting`)).toBe(true);
    await e2e.apply('reader.yaml', podYaml('reader', 'data', 'exec sleep 3600'));
    const reader = await waitRunning('reader');
    expect(reader.spec?.nodeName).toBe(node);
    expect(await skiff('exec', 'reader', '--', 'cat', '/data/greeting')).toBe('hello\n');

    // readOnly: the same claim mounted read-only cannot be written.
    await e2e.apply('ro.yaml', podYaml('ro', 'data', 'exec sleep 3600', true));
    await waitRunning('ro');
    expect(await skiff('exec', 'ro', '--', 'cat', '/data/greeting')).toBe('hello\n');
    await expect(skiff('exec', 'ro', '--', 'sh', '-c', 'echo no > /data/other')).rejects.toThrow(/Read-only file system/);

    // Deleting the claim waits for its pods (pvc-protection), then reclaim Delete removes the volume and the directory on the node.
    await skiff('delete', 'pvc', 'data', '--wait=false');
    await waitFor('data to be Terminating', async () => ((await claims.get(NS, 'data')).metadata?.deletionTimestamp ? true : undefined), { timeoutMs: 10_000, intervalMs: 100 });
    expect((await claims.get(NS, 'data')).metadata?.finalizers).toContain('kubernetes.io/pvc-protection');
    await deleteAndWaitGone('reader');
    await deleteAndWaitGone('ro');
    await waitFor('data gone', async () => !(await orUndefined(claims.get(NS, 'data'))), { timeoutMs: 30_000, intervalMs: 200 });
    await waitFor('the volume gone', async () => !(await orUndefined(volumes.get('', pv.metadata?.name ?? ''))), { timeoutMs: 30_000, intervalMs: 200 });
    await waitFor('the directory gone', () => !existsSync(dir) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
  }, 240_000);

  it('keeps a Released volume and its directory for a Retain class', async () => {
    await e2e.apply('keep-class.yaml', `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: keep}
provisioner: skiff.io/local-path
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
`);
    await e2e.apply('kept.yaml', claimYaml('kept', 'keep'));
    await e2e.apply('keeper.yaml', podYaml('keeper', 'kept', 'echo kept > /data/file; exec sleep 3600'));
    const keeper = await waitRunning('keeper');
    const { claim, pv } = await boundVolume('kept');
    expect(pv.spec?.persistentVolumeReclaimPolicy).toBe('Retain');
    const dir = `${storageDir(keeper.spec?.nodeName ?? '')}/pvc-${claim.metadata?.uid}_default_kept`;
    await waitFor('the file on the node', () => existsSync(`${dir}/file`) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
    await deleteAndWaitGone('keeper');
    await skiff('delete', 'pvc', 'kept');
    const released = await waitFor('the volume Released', async () => {
      const v = await volumes.get('', pv.metadata?.name ?? '');
      return v.status?.phase === 'Released' ? v : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(released.spec?.claimRef?.name).toBe('kept');
    expect(await skiff('get', 'pv', pv.metadata?.name ?? '')).toMatch(/\sRetain\s+Released\s+default\/kept\s+keep\s/);
    // Nothing reclaims it: the directory and the Released volume stay.
    expect(readFileSync(`${dir}/file`, 'utf8')).toBe('kept\n');
    expect((await volumes.get('', pv.metadata?.name ?? '')).status?.phase).toBe('Released');
    // An administrator's cleanup.
    await skiff('delete', 'pv', pv.metadata?.name ?? '');
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
