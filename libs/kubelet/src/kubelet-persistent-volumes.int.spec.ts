import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, PersistentVolume, PersistentVolumeClaim, Pod, type Event } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { DockerRuntime } from '@skiff/runtime';
import { createLogger } from '@skiff/service';
import {
  TEST_IMAGE,
  dockerApi,
  ensureTestImages,
  randomClusterCidr,
  removeLabelledDockerObjects,
  startApiserver,
  startEtcd,
  startNats,
  tempDir,
  testLabel,
  waitFor,
  type ApiserverProcess,
  type EtcdServer,
  type NatsServer,
} from '@skiff/testing';
import { runKubelet } from './kubelet';

/**
 * The kubelet's side of persistent storage, in-process on the DockerRuntime against real etcd,
 * NATS and the apiserver: persistentVolumeClaim volumes (the pod waits for its claim to be
 * bound, then gets the volume's local directory, made when missing, bound into its containers)
 * and the local-path cleaner (the directory and the PersistentVolume of a Released Delete
 * local-path volume of this node go; nothing else is touched). No binder runs: the test plays it
 * by writing claims and volumes as the persistentvolume binder would. Everything the test makes
 * carries its label or lives in its temp dirs, removed at the end.
 */
const label = testLabel();
const NODE = `pv-${label.value}`;
const NS = 'default';
let etcd: EtcdServer;
let nats: NatsServer;
let apiserver: ApiserverProcess;
let client: SkiffClient;
let kubelet: { stop: AbortController; done: Promise<void> } | undefined;
const rootDir = tempDir('kubelet-pv-root');
/** The node's --local-storage-path (not made in advance: the kubelet makes it for the first volume). */
const storageRoot = join(rootDir.path, 'local-storage');
/** A directory outside the node's storage root, which the cleaner must never touch. */
const outside = tempDir('kubelet-pv-outside');
const podCIDR = randomClusterCidr().replace(/\/\d+$/, '/24');
const claims = () => typed(client, 'persistentVolumeClaim');
const volumes = () => typed(client, 'persistentVolume');
const pods = () => typed(client, 'pod');

beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats(), ensureTestImages()]);
  apiserver = await startApiserver({ etcd, nats, logLevel: 'warn' });
  client = connect(apiserver.address);
  const stop = new AbortController();
  const runtime = new DockerRuntime({ nodeName: NODE, hostIP: '127.0.0.1', extraLabels: label.labels });
  kubelet = {
    stop,
    done: runKubelet(
      {
        nodeName: NODE,
        server: apiserver.address,
        nats: [nats.url],
        nodeIP: '127.0.0.1',
        listen: '127.0.0.1:0',
        runtime,
        podCIDR,
        rootDir: rootDir.path,
        localStoragePath: storageRoot,
        clusterDNS: ['10.96.0.10'],
        leaseIntervalMs: 1_000,
        backoff: { baseMs: 500, maxMs: 2_000 },
        logger: createLogger('kubelet', 'warn'),
      },
      stop.signal,
    ),
  };
}, 300_000);

afterAll(async () => {
  kubelet?.stop.abort();
  await kubelet?.done;
  client?.close();
  await apiserver?.stop();
  await Promise.all([nats?.stop(), etcd?.stop()]);
  await removeLabelledDockerObjects(label.filter);
  rootDir.remove();
  outside.remove();
}, 60_000);

const orUndefined = <T>(p: Promise<T>) =>
  p.catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });

async function podEvents(name: string): Promise<string[]> {
  const { items } = await typed(client, 'event').list({ namespace: NS });
  return items.filter((e: Event) => e.involvedObject?.kind === 'Pod' && e.involvedObject.name === name).map((e: Event) => `${e.type} ${e.reason} ${e.message}`);
}

/** This test run's Docker containers of one pod (sandboxes and app containers, any state). */
async function podContainers(name: string): Promise<unknown[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label.filter, `io.skiff.pod.name=${name}`] }));
  return (await dockerApi('GET', `/containers/json?all=1&filters=${filters}`)).body as unknown[];
}

async function podText(name: string, container: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of client.podLogs({ namespace: NS, name, container, follow: false, previous: false, timestamps: false }, AbortSignal.timeout(5_000))) chunks.push(Buffer.from(c.data));
  return Buffer.concat(chunks).toString();
}

const pinnedTo = (node: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }], matchFields: [] }] } });

interface LocalPvOptions {
  path: string;
  node?: string;
  reclaim?: 'Retain' | 'Delete';
  provisioned?: boolean;
  claim?: PersistentVolumeClaim;
}
/** A local volume as the local-path provisioner makes it (or, with provisioned false, as an administrator would). */
function localPv(name: string, o: LocalPvOptions): PersistentVolume {
  const claim = o.claim;
  return PersistentVolume.fromPartial({
    metadata: { name, annotations: o.provisioned === false ? {} : { 'pv.kubernetes.io/provisioned-by': 'skiff.io/local-path' } },
    spec: {
      capacity: { storage: '64Mi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: o.reclaim ?? 'Delete',
      storageClassName: 'local-path',
      volumeMode: 'Filesystem',
      local: { path: o.path },
      nodeAffinity: pinnedTo(o.node ?? NODE),
      claimRef: claim
        ? { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: NS, name: claim.metadata?.name ?? '', uid: claim.metadata?.uid ?? '', resourceVersion: '', fieldPath: '' }
        : { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: NS, name: `gone-${name}`, uid: `uid-gone-${name}`, resourceVersion: '', fieldPath: '' },
    },
  });
}

/** Creates the volume and sets its phase, as the binder would. */
async function createPv(pv: PersistentVolume, phase: string): Promise<PersistentVolume> {
  const created = await volumes().create(pv);
  return volumes().updateStatus({ ...created, status: { phase, message: '', reason: '', lastPhaseTransitionTime: new Date() } });
}

async function setPvPhase(name: string, phase: string): Promise<void> {
  const pv = await volumes().get('', name);
  await volumes().updateStatus({ ...pv, status: { phase, message: '', reason: '', lastPhaseTransitionTime: new Date() } });
}

/** The volume was deleted by someone (it keeps its pv-protection finalizer here: no controller removes it) or is gone. */
async function deletedOrGone(name: string): Promise<boolean> {
  const pv = await orUndefined(volumes().get('', name));
  return !pv || !!pv.metadata?.deletionTimestamp;
}

describe('kubelet: persistentVolumeClaim volumes and the local-path cleaner (Docker)', () => {
  it('publishes its local storage path on its Node', async () => {
    const node = await waitFor('the node', () => orUndefined(typed(client, 'node').get('', NODE)));
    expect(node.metadata?.annotations?.['skiff.io/local-storage-path']).toBe(storageRoot);
  });

  it('starts a pod only once its claim is bound, with the local directory made and bound, readOnly honoured; the data outlives the pod', async () => {
    const claim = await claims().create(
      PersistentVolumeClaim.fromPartial({ metadata: { name: 'data', namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } }, storageClassName: 'local-path' } }),
    );
    const script = 'echo hello > /data/greeting; cat /data/greeting; if touch /ro/probe 2>/dev/null; then echo ro-writable; else echo ro-refused; fi; cat /ro/greeting; exec sleep 3600';
    await pods().create(
      Pod.fromPartial({
        metadata: { name: 'writer', namespace: NS },
        spec: {
          terminationGracePeriodSeconds: 1,
          volumes: [
            { name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: false } },
            { name: 'data-ro', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
          ],
          containers: [
            {
              name: 'main',
              image: TEST_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', script],
              volumeMounts: [
                { name: 'data', mountPath: '/data' },
                { name: 'data-ro', mountPath: '/ro' },
              ],
            },
          ],
        },
      }),
    );
    await client.bind({ namespace: NS, name: 'writer', nodeName: NODE, uid: '', resourceVersion: '' });

    // Unbound: FailedMount naming the claim, and nothing is created.
    await waitFor('FailedMount naming the claim', async () => (await podEvents('writer')).includes('Warning FailedMount MountVolume.SetUp failed for volume "data" : PVC default/data is not bound'));
    expect(await podContainers('writer')).toEqual([]);
    expect((await pods().get(NS, 'writer')).status?.phase).toBe('Pending');
    expect(existsSync(storageRoot)).toBe(false);

    // Play the binder: a provisioned volume, pre-bound and Bound, then the claim.
    const dir = join(storageRoot, `pvc-${claim.metadata?.uid}_${NS}_data`);
    const pvName = `pvc-${claim.metadata?.uid}`;
    await createPv(localPv(pvName, { path: dir, claim }), 'Bound');
    const fresh = await claims().get(NS, 'data');
    const bound = await claims().update({ ...fresh, spec: { ...fresh.spec!, volumeName: pvName } });
    await claims().updateStatus({ ...bound, status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '64Mi' }, conditions: [] } });

    await waitFor('the writer to run', async () => (await pods().get(NS, 'writer')).status?.phase === 'Running', { timeoutMs: 30_000, intervalMs: 200 });
    const text = await waitFor('the writer to report', async () => {
      const out = await podText('writer', 'main');
      return out.split('\n').length >= 4 ? out : undefined;
    });
    expect(text).toBe('hello\nro-refused\nhello\n');
    expect(readFileSync(join(dir, 'greeting'), 'utf8')).toBe('hello\n');
    expect(existsSync(join(dir, 'probe'))).toBe(false);
    expect(statSync(dir).mode & 0o777).toBe(0o777);

    // The data outlives the pod.
    await pods().delete(NS, 'writer');
    await waitFor('the writer to be gone', async () => !(await orUndefined(pods().get(NS, 'writer'))) && (await podContainers('writer')).length === 0, { timeoutMs: 30_000, intervalMs: 200 });
    expect(readFileSync(join(dir, 'greeting'), 'utf8')).toBe('hello\n');

    // The claim goes; the binder would release the volume: its directory and the volume go.
    await claims().delete(NS, 'data');
    await setPvPhase(pvName, 'Released');
    await waitFor('the cleaner to delete the volume', () => deletedOrGone(pvName), { timeoutMs: 15_000 });
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(storageRoot)).toBe(true);
  }, 120_000);

  it("refuses a local-path volume whose directory is outside the node's storage path", async () => {
    const claim = await claims().create(
      PersistentVolumeClaim.fromPartial({ metadata: { name: 'escape', namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } }, storageClassName: 'local-path' } }),
    );
    const dir = join(outside.path, 'pvc-escape');
    await createPv(localPv('pv-escape', { path: dir, claim }), 'Bound');
    const fresh = await claims().get(NS, 'escape');
    const bound = await claims().update({ ...fresh, spec: { ...fresh.spec!, volumeName: 'pv-escape' } });
    await claims().updateStatus({ ...bound, status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '64Mi' }, conditions: [] } });
    await pods().create(
      Pod.fromPartial({
        metadata: { name: 'escaper', namespace: NS },
        spec: {
          terminationGracePeriodSeconds: 1,
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'escape', readOnly: false } }],
          containers: [{ name: 'main', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        },
      }),
    );
    await client.bind({ namespace: NS, name: 'escaper', nodeName: NODE, uid: '', resourceVersion: '' });
    await waitFor('FailedMount for the escaping volume', async () =>
      (await podEvents('escaper')).includes(`Warning FailedMount MountVolume.SetUp failed for volume "data" : local-path volume "pv-escape" at ${dir} is not under this node's local storage path ${storageRoot}`),
    );
    expect(existsSync(dir)).toBe(false);
    expect(await podContainers('escaper')).toEqual([]);
    await pods().delete(NS, 'escaper');
    await waitFor('the escaper to be gone', async () => !(await orUndefined(pods().get(NS, 'escaper'))), { timeoutMs: 30_000, intervalMs: 200 });
  }, 60_000);

  it('does not mount a volume pinned to another node (no empty directory made here)', async () => {
    const claim = await claims().create(
      PersistentVolumeClaim.fromPartial({ metadata: { name: 'elsewhere', namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } }, storageClassName: 'local-path' } }),
    );
    // Same storage path layout as this node's: only the node affinity tells them apart.
    const dir = join(storageRoot, `pvc-${claim.metadata?.uid}_${NS}_elsewhere`);
    await createPv(localPv('pv-elsewhere', { path: dir, claim, node: 'some-other-node' }), 'Bound');
    const fresh = await claims().get(NS, 'elsewhere');
    const bound = await claims().update({ ...fresh, spec: { ...fresh.spec!, volumeName: 'pv-elsewhere' } });
    await claims().updateStatus({ ...bound, status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '64Mi' }, conditions: [] } });
    await pods().create(
      Pod.fromPartial({
        metadata: { name: 'misplaced', namespace: NS },
        spec: {
          terminationGracePeriodSeconds: 1,
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'elsewhere', readOnly: false } }],
          containers: [{ name: 'main', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        },
      }),
    );
    await client.bind({ namespace: NS, name: 'misplaced', nodeName: NODE, uid: '', resourceVersion: '' });
    await waitFor('FailedMount for the volume of another node', async () =>
      (await podEvents('misplaced')).includes(`Warning FailedMount MountVolume.SetUp failed for volume "data" : node affinity of persistentvolume "pv-elsewhere" does not match node "${NODE}"`),
    );
    expect(existsSync(dir)).toBe(false);
    expect(await podContainers('misplaced')).toEqual([]);
    await pods().delete(NS, 'misplaced');
    await waitFor('the misplaced pod to be gone', async () => !(await orUndefined(pods().get(NS, 'misplaced'))), { timeoutMs: 30_000, intervalMs: 200 });
  }, 60_000);

  it('does not mount a claim that is being deleted', async () => {
    const claim = await claims().create(
      PersistentVolumeClaim.fromPartial({ metadata: { name: 'going', namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } }, storageClassName: 'local-path' } }),
    );
    const dir = join(storageRoot, `pvc-${claim.metadata?.uid}_${NS}_going`);
    await createPv(localPv('pv-going', { path: dir, claim }), 'Bound');
    const fresh = await claims().get(NS, 'going');
    const bound = await claims().update({ ...fresh, spec: { ...fresh.spec!, volumeName: 'pv-going' } });
    await claims().updateStatus({ ...bound, status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '64Mi' }, conditions: [] } });
    // Deleted: its pvc-protection finalizer keeps it (no controller runs here).
    await claims().delete(NS, 'going');
    expect((await claims().get(NS, 'going')).metadata?.deletionTimestamp).toBeDefined();
    await pods().create(
      Pod.fromPartial({
        metadata: { name: 'late', namespace: NS },
        spec: {
          terminationGracePeriodSeconds: 1,
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'going', readOnly: false } }],
          containers: [{ name: 'main', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        },
      }),
    );
    await client.bind({ namespace: NS, name: 'late', nodeName: NODE, uid: '', resourceVersion: '' });
    await waitFor('FailedMount for the claim being deleted', async () =>
      (await podEvents('late')).includes(`Warning FailedMount MountVolume.SetUp failed for volume "data" : can't start pod because PVC ${NS}/going is being deleted`),
    );
    expect(existsSync(dir)).toBe(false);
    expect(await podContainers('late')).toEqual([]);
    await pods().delete(NS, 'late');
    await waitFor('the late pod to be gone', async () => !(await orUndefined(pods().get(NS, 'late'))), { timeoutMs: 30_000, intervalMs: 200 });
  }, 60_000);

  it('the cleaner leaves alone directories outside its root, volumes of other nodes, Retain volumes and volumes it did not provision', async () => {
    const keep = {
      'pv-outside': join(outside.path, 'pvc-outside'),
      'pv-nested': join(storageRoot, 'nested', 'pvc-nested'),
      'pv-other-node': join(storageRoot, 'pvc-other-node'),
      'pv-retain': join(storageRoot, 'pvc-retain'),
      'pv-static': join(storageRoot, 'pvc-static'),
      'pv-bound': join(storageRoot, 'pvc-bound'),
    };
    for (const dir of Object.values(keep)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'precious'), 'keep me');
    }
    await createPv(localPv('pv-outside', { path: keep['pv-outside'] }), 'Released');
    await createPv(localPv('pv-nested', { path: keep['pv-nested'] }), 'Released');
    await createPv(localPv('pv-other-node', { path: keep['pv-other-node'], node: 'some-other-node' }), 'Released');
    await createPv(localPv('pv-retain', { path: keep['pv-retain'], reclaim: 'Retain' }), 'Released');
    await createPv(localPv('pv-static', { path: keep['pv-static'], provisioned: false }), 'Released');
    await createPv(localPv('pv-bound', { path: keep['pv-bound'] }), 'Bound');

    // Last, one the cleaner must take: once it has, it has seen all of the above.
    const doomed = join(storageRoot, 'pvc-doomed');
    mkdirSync(join(doomed, 'deep'), { recursive: true });
    writeFileSync(join(doomed, 'deep', 'file'), 'x');
    await createPv(localPv('pv-doomed', { path: doomed }), 'Released');
    await waitFor('the cleaner to delete pv-doomed', () => deletedOrGone('pv-doomed'), { timeoutMs: 15_000 });
    expect(existsSync(doomed)).toBe(false);

    for (const [name, dir] of Object.entries(keep)) {
      expect([name, readFileSync(join(dir, 'precious'), 'utf8')]).toEqual([name, 'keep me']);
      const pv = await volumes().get('', name);
      expect([name, pv.metadata?.deletionTimestamp]).toEqual([name, undefined]);
    }
  }, 60_000);
});
