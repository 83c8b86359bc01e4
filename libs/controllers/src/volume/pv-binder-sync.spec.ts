import { defaultLocalPathStorageClass, Node, PersistentVolume, PersistentVolumeClaim, StorageClass } from '@skiff/api';
import { syncClaim, syncVolume, type BinderStep, type BinderWorld } from './pv-binder-sync';

const NOW = new Date('2026-12-07T12:00:00Z');

function claim(name: string, over: Partial<PersistentVolumeClaim['spec']> = {}, annotations: Record<string, string> = {}): PersistentVolumeClaim {
  return PersistentVolumeClaim.fromPartial({
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '5', annotations },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'manual', volumeMode: 'Filesystem', ...over },
    status: { phase: 'Pending' },
  });
}

function volume(name: string, size: string, over: Partial<PersistentVolume['spec']> = {}, phase = 'Available', labels: Record<string, string> = {}): PersistentVolume {
  return PersistentVolume.fromPartial({
    metadata: { name, labels },
    spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: 'manual', volumeMode: 'Filesystem', hostPath: { path: `/data/${name}`, type: '' }, ...over },
    status: { phase },
  });
}

const immediate = StorageClass.fromPartial({ metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner', reclaimPolicy: 'Retain', volumeBindingMode: 'Immediate' });
const node1 = Node.fromPartial({ metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' }, annotations: { 'skiff.io/local-storage-path': '/var/lib/skiff/storage' } } });

function world(volumes: PersistentVolume[], claims: PersistentVolumeClaim[] = [], classes: StorageClass[] = [immediate, defaultLocalPathStorageClass()], nodes: Node[] = [node1]): BinderWorld {
  return {
    volumes,
    volume: (n) => volumes.find((v) => v.metadata?.name === n),
    claim: (ns, n) => claims.find((c) => c.metadata?.namespace === ns && c.metadata?.name === n),
    storageClass: (n) => classes.find((c) => c.metadata?.name === n),
    node: (n) => nodes.find((x) => x.metadata?.name === n),
    now: () => NOW,
  };
}

/** Applies steps to the world until a wait, as the controller does; returns the steps' types. */
function converge(c: PersistentVolumeClaim, volumes: PersistentVolume[], classes?: StorageClass[]): { steps: string[]; claim: PersistentVolumeClaim; volumes: PersistentVolume[]; last: BinderStep } {
  const steps: string[] = [];
  let current = c;
  const vols = [...volumes];
  for (let i = 0; i < 10; i++) {
    const step = syncClaim(current, world(vols, [current], classes));
    if (step.type === 'wait') return { steps, claim: current, volumes: vols, last: step };
    steps.push(step.type);
    if ('claim' in step) current = step.claim;
    else {
      const at = vols.findIndex((v) => v.metadata?.name === step.volume.metadata?.name);
      if (at >= 0) vols[at] = step.volume;
      else vols.push(step.volume);
    }
  }
  throw new Error('no convergence');
}

describe('syncClaim: binding to existing volumes', () => {
  it('binds an Immediate claim to the smallest matching Available volume, volume first, both phases Bound', () => {
    const { steps, claim: bound, volumes } = converge(claim('data'), [volume('big', '10Gi'), volume('small', '2Gi'), volume('tiny', '512Mi'), volume('ro', '1Gi', { accessModes: ['ReadOnlyMany'] })]);
    expect(steps).toEqual(['updateVolume', 'volumeStatus', 'updateClaim', 'claimStatus']);
    expect(bound.spec?.volumeName).toBe('small');
    expect(bound.metadata?.annotations).toEqual({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(bound.status).toMatchObject({ phase: 'Bound', capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'] });
    const small = volumes.find((v) => v.metadata?.name === 'small')!;
    expect(small.spec?.claimRef).toMatchObject({ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: 'uid-data' });
    expect(small.metadata?.annotations).toEqual({ 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(small.status).toMatchObject({ phase: 'Bound', lastPhaseTransitionTime: NOW });
  });

  it('honours class, selector, capacity and a volume pre-bound to the claim', () => {
    const labelled = volume('fast', '5Gi', {}, 'Available', { speed: 'fast' });
    const withSelector = claim('sel', { selector: { matchLabels: { speed: 'fast' }, matchExpressions: [] } });
    expect(converge(withSelector, [volume('plain', '1Gi'), labelled]).claim.spec?.volumeName).toBe('fast');
    expect(converge(claim('other-class', { storageClassName: 'gold' }), [volume('plain', '1Gi')], [immediate, StorageClass.fromPartial({ metadata: { name: 'gold' }, provisioner: 'kubernetes.io/no-provisioner' })]).claim.spec?.volumeName).toBe('');
    expect(converge(claim('huge', { resources: { requests: { storage: '20Gi' }, limits: {} } }), [volume('plain', '1Gi')]).claim.spec?.volumeName).toBe('');
    const prebound = volume('mine', '1Gi', { claimRef: { kind: '', apiVersion: '', namespace: 'default', name: 'data', uid: '', resourceVersion: '', fieldPath: '' }, storageClassName: 'other' });
    const r = converge(claim('data'), [volume('plain', '1Gi'), prebound]);
    expect(r.claim.spec?.volumeName).toBe('mine');
    expect(r.volumes.find((v) => v.metadata?.name === 'mine')?.metadata?.annotations).toEqual({}); // the user bound it
  });

  it('leaves a claim with no volume and no provisioner Pending with a FailedBinding event', () => {
    const { steps, last } = converge(claim('data'), [volume('taken', '1Gi', { claimRef: { kind: '', apiVersion: '', namespace: 'default', name: 'x', uid: 'u', resourceVersion: '', fieldPath: '' } }, 'Bound')]);
    expect(steps).toEqual([]);
    expect(last).toEqual({ type: 'wait', event: { type: 'Normal', reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' } });
  });

  it('binds a claim that names its volume, and finishes a half-done bind', () => {
    const named = claim('data', { volumeName: 'plain2' });
    const r = converge(named, [volume('plain', '1Gi'), volume('plain2', '1Gi')]);
    expect(r.claim.spec?.volumeName).toBe('plain2');
    expect(r.claim.metadata?.annotations).toEqual({ 'pv.kubernetes.io/bind-completed': 'yes' });
    expect(r.steps).toEqual(['updateVolume', 'volumeStatus', 'updateClaim', 'claimStatus']);
  });

  it('does not bind a named, unclaimed volume that does not satisfy the claim (VolumeMismatch), as Kubernetes', () => {
    const cases: [PersistentVolume, string][] = [
      [volume('v', '512Mi'), 'requested PV is too small'],
      [volume('v', '1Gi', { storageClassName: 'gold' }), 'storageClassName does not match'],
      [volume('v', '1Gi', { accessModes: ['ReadOnlyMany'] }), 'incompatible accessMode'],
    ];
    for (const [pv, why] of cases) {
      const r = converge(claim('data', { volumeName: 'v' }), [pv]);
      expect(r.steps).toEqual([]);
      expect(r.last).toEqual({ type: 'wait', event: { type: 'Warning', reason: 'VolumeMismatch', message: `Cannot bind to requested volume "v": ${why}` } });
    }
    // A volume pre-bound to the claim is taken as the user bound it.
    const prebound = volume('v', '1Gi', { storageClassName: 'gold', claimRef: { kind: '', apiVersion: '', namespace: 'default', name: 'data', uid: '', resourceVersion: '', fieldPath: '' } });
    expect(converge(claim('data', { volumeName: 'v' }), [prebound]).claim.status?.phase).toBe('Bound');
  });

  it('marks a bound claim Lost when its volume is gone', () => {
    const lost = claim('data', { volumeName: 'gone' }, { 'pv.kubernetes.io/bind-completed': 'yes' });
    const step = syncClaim(lost, world([]));
    expect(step).toMatchObject({ type: 'claimStatus', claim: { status: { phase: 'Lost' } }, event: { reason: 'ClaimLost' } });
  });
});

describe('syncClaim: WaitForFirstConsumer and the local-path provisioner', () => {
  const local = (annotations: Record<string, string> = {}) => claim('www-web-0', { storageClassName: 'local-path' }, annotations);

  it('waits for the first consumer until the scheduler selects a node', () => {
    expect(syncClaim(local(), world([]))).toEqual({ type: 'wait', event: { type: 'Normal', reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding' } });
  });

  it('provisions a local volume on the selected node, pre-bound to the claim, then binds it', () => {
    const { steps, claim: bound, volumes } = converge(local({ 'volume.kubernetes.io/selected-node': 'node-1' }), []);
    expect(steps).toEqual(['updateClaim', 'createVolume', 'volumeStatus', 'updateClaim', 'claimStatus']);
    expect(bound.metadata?.annotations).toMatchObject({
      'volume.kubernetes.io/storage-provisioner': 'skiff.io/local-path',
      'volume.beta.kubernetes.io/storage-provisioner': 'skiff.io/local-path',
      'pv.kubernetes.io/bind-completed': 'yes',
      'volume.kubernetes.io/selected-node': 'node-1',
    });
    expect(bound.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller']).toBe('yes');
    expect(bound.spec?.volumeName).toBe('pvc-uid-www-web-0');
    const [pv] = volumes;
    expect(pv.metadata).toMatchObject({ name: 'pvc-uid-www-web-0', annotations: { 'pv.kubernetes.io/provisioned-by': 'skiff.io/local-path' } });
    expect(pv.spec).toMatchObject({
      capacity: { storage: '1Gi' },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'local-path',
      local: { path: '/var/lib/skiff/storage/pvc-uid-www-web-0_default_www-web-0' },
      claimRef: { name: 'www-web-0', namespace: 'default', uid: 'uid-www-web-0' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }] }] } },
    });
    expect(pv.status?.phase).toBe('Bound');
  });

  it('prefers a matching static volume on the selected node; refuses nodes without a storage path and RWX', () => {
    const onNode = volume('static', '1Gi', { storageClassName: 'local-path', local: { path: '/mnt/disk' }, hostPath: undefined, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }], matchFields: [] }] } } });
    const elsewhere = volume('other', '1Gi', { storageClassName: 'local-path', local: { path: '/mnt/disk' }, hostPath: undefined, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-2'] }], matchFields: [] }] } } });
    expect(converge(local({ 'volume.kubernetes.io/selected-node': 'node-1' }), [elsewhere, onNode]).claim.spec?.volumeName).toBe('static');

    const bare = Node.fromPartial({ metadata: { name: 'node-2', labels: {} } });
    const c = local({ 'volume.kubernetes.io/selected-node': 'node-2', 'volume.kubernetes.io/storage-provisioner': 'skiff.io/local-path', 'volume.beta.kubernetes.io/storage-provisioner': 'skiff.io/local-path' });
    expect(syncClaim(c, world([], [c], undefined, [bare]))).toMatchObject({ type: 'wait', retry: true, event: { reason: 'ProvisioningFailed', message: expect.stringContaining('node "node-2" has no local storage path') } });
    const rwx = claim('shared', { storageClassName: 'local-path', accessModes: ['ReadWriteMany'] }, { 'volume.kubernetes.io/selected-node': 'node-1', 'volume.kubernetes.io/storage-provisioner': 'skiff.io/local-path', 'volume.beta.kubernetes.io/storage-provisioner': 'skiff.io/local-path' });
    expect(syncClaim(rwx, world([]))).toMatchObject({ type: 'wait', event: { reason: 'ProvisioningFailed', message: expect.stringContaining('only supports the ReadWriteOnce and ReadWriteOncePod') } });
  });

  it('waits for an external provisioner, and reports a missing class', () => {
    const ext = StorageClass.fromPartial({ metadata: { name: 'ebs' }, provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'Immediate' });
    const c = claim('data', { storageClassName: 'ebs' });
    const r = converge(c, [], [ext]);
    expect(r.steps).toEqual(['updateClaim']);
    expect(r.last).toMatchObject({ type: 'wait', event: { reason: 'ExternalProvisioning' } });
    expect(syncClaim(claim('x', { storageClassName: 'nope' }), world([]))).toMatchObject({ type: 'wait', event: { reason: 'ProvisioningFailed', message: 'storageclass.storage.k8s.io "nope" not found' } });
  });
});

describe('syncVolume', () => {
  const ref = (name: string, uid: string) => ({ kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'default', name, uid, resourceVersion: '', fieldPath: '' });

  it('makes a new volume Available, keeps a bound one Bound', () => {
    expect(syncVolume(volume('v', '1Gi', {}, 'Pending'), world([]))).toMatchObject({ type: 'volumeStatus', volume: { status: { phase: 'Available' } } });
    expect(syncVolume(volume('v', '1Gi'), world([]))).toEqual({ type: 'wait' });
    const c = claim('data', { volumeName: 'v' });
    expect(syncVolume(volume('v', '1Gi', { claimRef: ref('data', 'uid-data') }, 'Bound'), world([], [c]))).toEqual({ type: 'wait' });
  });

  it('releases a volume whose claim is gone (or replaced by a new claim of that name); Retain stays Released', () => {
    const pv = volume('v', '1Gi', { claimRef: ref('data', 'uid-old') }, 'Bound');
    expect(syncVolume(pv, world([], [claim('data')]))).toMatchObject({ type: 'volumeStatus', volume: { status: { phase: 'Released' } } });
    expect(syncVolume({ ...pv, status: { phase: 'Released', message: '', reason: '', lastPhaseTransitionTime: undefined } }, world([]))).toEqual({ type: 'wait' });
  });

  it('releases a volume being deleted when its claim is gone (so that pv-protection lets it go)', () => {
    const deleting = PersistentVolume.fromPartial({ ...volume('v', '1Gi', { claimRef: ref('data', 'uid-data') }, 'Bound'), metadata: { name: 'v', deletionTimestamp: NOW, finalizers: ['kubernetes.io/pv-protection'] } });
    expect(syncVolume(deleting, world([], [claim('data')]))).toEqual({ type: 'wait' });
    expect(syncVolume(deleting, world([]))).toMatchObject({ type: 'volumeStatus', volume: { status: { phase: 'Released' } } });
  });

  it('leaves a Released local-path Delete volume to its kubelet; fails other Delete volumes', () => {
    const released = (annotations: Record<string, string>) =>
      PersistentVolume.fromPartial({ ...volume('v', '1Gi', { claimRef: ref('data', 'uid-old'), persistentVolumeReclaimPolicy: 'Delete' }, 'Released'), metadata: { name: 'v', annotations } });
    expect(syncVolume(released({ 'pv.kubernetes.io/provisioned-by': 'skiff.io/local-path' }), world([]))).toEqual({ type: 'wait' });
    expect(syncVolume(released({}), world([]))).toMatchObject({ type: 'volumeStatus', volume: { status: { phase: 'Failed', message: 'error getting deleter volume plugin for volume "v": no deletable volume plugin matched' } }, event: { reason: 'VolumeFailedDelete' } });
  });

  it('frees a volume the binder bound when its claim went to another volume', () => {
    const pv = PersistentVolume.fromPartial({ ...volume('v', '1Gi', { claimRef: ref('data', 'uid-data') }, 'Bound'), metadata: { name: 'v', annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' } } });
    const step = syncVolume(pv, world([], [claim('data', { volumeName: 'w' })]));
    expect(step).toMatchObject({ type: 'updateVolume' });
    expect((step as { volume: PersistentVolume }).volume.spec?.claimRef).toBeUndefined();
  });
});
