/**
 * The persistentvolume binder's decisions (Kubernetes' pkg/controller/volume/persistentvolume
 * syncClaim / syncVolume), pure: from a claim or a volume and the cached world, the next write
 * that brings them closer to bound, or a wait. The I/O half (persistent-volume-binder.ts) does
 * the write and asks again with what the write returned, until the answer is a wait.
 *
 * A claim (spec.volumeName empty = unbound):
 *
 *   unbound ──class WaitForFirstConsumer, no selected-node──> wait (WaitForFirstConsumer event)
 *      │ a matching volume (findMatchingVolume; on the selected node)
 *      ├──> volume.claimRef = claim (+bound-by-controller) ─> volume phase Bound
 *      │    ─> claim.volumeName (+bind-completed, bound-by-controller) ─> claim phase Bound
 *      │ none, the class has a provisioner
 *      ├──> claim annotated volume.kubernetes.io/storage-provisioner (both names)
 *      │    ─> skiff.io/local-path: create the volume pvc-<uid>, pre-bound to the claim, a local
 *      │       directory on the selected node (`<node's local storage path>/pvc-<uid>_<ns>_<name>`,
 *      │       node affinity kubernetes.io/hostname In [node]); it is then bound as above
 *      │    ─> another provisioner: wait for it (ExternalProvisioning)
 *      └──> none and no provisioner: Pending (FailedBinding)
 *   bound (volumeName set): volume gone -> Lost; volume bound elsewhere -> Lost; a volume the
 *   user named that nobody claimed and that does not satisfy the claim -> Pending
 *   (VolumeMismatch); else the missing half of the bind is finished (volume claimRef, phases,
 *   annotations).
 *
 * A volume (also one being deleted: it must still be Released, for pv-protection to let it go):
 *   no claimRef -> Available; claimRef without uid (pre-bound by a user) -> Available;
 *   its claim exists (same uid) -> Bound; the claim is gone -> Released, then by reclaim policy:
 *   Retain stays Released; Delete: a skiff.io/local-path volume is deleted by its node's kubelet
 *   (which removes the directory, then the volume); any other is Failed (no deleter).
 *   A claim bound to another volume while this one names it (bound-by-controller) -> unbound.
 *
 * CONTRACT: pure; never mutates its inputs (writes carry copies).
 */
import {
  BETA_STORAGE_PROVISIONER_ANNOTATION,
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  claimClassName,
  findMatchingVolume,
  HOSTNAME_LABEL,
  isVolumeBoundToClaim,
  LOCAL_PATH_PROVISIONER,
  LOCAL_STORAGE_PATH_ANNOTATION,
  localPathVolumeDir,
  NO_PROVISIONER,
  PersistentVolume,
  PROVISIONED_BY_ANNOTATION,
  provisionedVolumeName,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
  volumeMismatch,
  type Node,
  type PersistentVolumeClaim,
  type StorageClass,
} from '@skiff/api';

/** An Event to record on the object being synced. */
export interface BinderEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The next step of a sync. */
export type BinderStep =
  | { type: 'updateVolume'; volume: PersistentVolume; event?: BinderEvent }
  | { type: 'volumeStatus'; volume: PersistentVolume; event?: BinderEvent }
  | { type: 'createVolume'; volume: PersistentVolume; event?: BinderEvent }
  | { type: 'updateClaim'; claim: PersistentVolumeClaim; event?: BinderEvent }
  | { type: 'claimStatus'; claim: PersistentVolumeClaim; event?: BinderEvent }
  /** Nothing to write now; `event` (if any) says why; `retry`: the cause may pass without an event (retry with backoff). */
  | { type: 'wait'; event?: BinderEvent; retry?: boolean };

/** What a sync reads (the caches). */
export interface BinderWorld {
  volumes: readonly Readonly<PersistentVolume>[];
  volume(name: string): Readonly<PersistentVolume> | undefined;
  claim(namespace: string, name: string): Readonly<PersistentVolumeClaim> | undefined;
  storageClass(name: string): Readonly<StorageClass> | undefined;
  node(name: string): Readonly<Node> | undefined;
  now(): Date;
}

const WAIT: BinderStep = { type: 'wait' };

function clone<T>(value: Readonly<T>): T {
  return structuredClone(value) as T;
}

function annotationsOf(object: { metadata?: { annotations?: Record<string, string> } }): Record<string, string> {
  return object.metadata?.annotations ?? {};
}

function withAnnotations<T extends { metadata?: { annotations?: Record<string, string> } }>(object: Readonly<T>, add: Record<string, string>): T {
  const copy = clone(object);
  if (copy.metadata) copy.metadata.annotations = { ...(copy.metadata.annotations ?? {}), ...add };
  return copy;
}

function claimKey(claim: Readonly<PersistentVolumeClaim>): string {
  return `${claim.metadata?.namespace}/${claim.metadata?.name}`;
}

/** The claim's volume binding mode (its class's; Immediate without a class). */
export function bindingMode(claim: Readonly<PersistentVolumeClaim>, world: Pick<BinderWorld, 'storageClass'>): string {
  const name = claimClassName(claim);
  if (!name) return 'Immediate';
  return world.storageClass(name)?.volumeBindingMode || 'Immediate';
}

/** The volume's phase set to `phase` (with the transition time when it changes). */
function volumeInPhase(pv: Readonly<PersistentVolume>, phase: string, now: Date, message = ''): PersistentVolume {
  const copy = clone(pv);
  const changed = copy.status?.phase !== phase;
  copy.status = { phase, message, reason: '', lastPhaseTransitionTime: changed ? now : copy.status?.lastPhaseTransitionTime };
  return copy;
}

/** The claim reference a volume gets when bound to `claim`. */
function claimRefOf(claim: Readonly<PersistentVolumeClaim>) {
  return {
    kind: 'PersistentVolumeClaim',
    apiVersion: 'v1',
    namespace: claim.metadata?.namespace ?? '',
    name: claim.metadata?.name ?? '',
    uid: claim.metadata?.uid ?? '',
    resourceVersion: claim.metadata?.resourceVersion ?? '',
    fieldPath: '',
  };
}

/**
 * The steps binding `claim` and `pv` (Kubernetes' bind: volume first, then claim), from where
 * they stand; undefined once both halves and both phases are done.
 */
function bindStep(claim: Readonly<PersistentVolumeClaim>, pv: Readonly<PersistentVolume>, world: BinderWorld): BinderStep | undefined {
  const now = world.now();
  // 1. The volume names the claim (uid included).
  const ref = pv.spec?.claimRef;
  if (!ref || ref.uid !== claim.metadata?.uid || ref.name !== claim.metadata?.name || ref.namespace !== claim.metadata?.namespace) {
    const volume = clone(pv);
    if (!volume.spec) return WAIT;
    volume.spec.claimRef = claimRefOf(claim);
    if (!ref) volume.metadata = { ...volume.metadata!, annotations: { ...annotationsOf(volume), [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' } };
    return { type: 'updateVolume', volume };
  }
  // 2. The volume's phase.
  if (pv.status?.phase !== 'Bound') return { type: 'volumeStatus', volume: volumeInPhase(pv, 'Bound', now) };
  // 3. The claim names the volume, with the binder's annotations.
  const annotations = annotationsOf(claim);
  if (claim.spec?.volumeName !== pv.metadata?.name || annotations[BIND_COMPLETED_ANNOTATION] !== 'yes') {
    const add: Record<string, string> = { [BIND_COMPLETED_ANNOTATION]: 'yes' };
    if (!claim.spec?.volumeName) add[BOUND_BY_CONTROLLER_ANNOTATION] = 'yes';
    const next = withAnnotations(claim, add);
    if (next.spec) next.spec.volumeName = pv.metadata?.name ?? '';
    return { type: 'updateClaim', claim: next };
  }
  // 4. The claim's status: Bound with the volume's capacity and access modes.
  const status = claim.status;
  const capacity = pv.spec?.capacity ?? {};
  const modes = pv.spec?.accessModes ?? [];
  if (status?.phase !== 'Bound' || JSON.stringify(status.capacity ?? {}) !== JSON.stringify(capacity) || JSON.stringify(status.accessModes ?? []) !== JSON.stringify(modes)) {
    const next = clone(claim);
    next.status = { phase: 'Bound', accessModes: [...modes], capacity: { ...capacity }, conditions: next.status?.conditions ?? [] };
    return { type: 'claimStatus', claim: next };
  }
  return undefined;
}

function claimInPhase(claim: Readonly<PersistentVolumeClaim>, phase: string, event?: BinderEvent): BinderStep {
  if (claim.status?.phase === phase) return event ? { type: 'wait', event } : WAIT;
  const next = clone(claim);
  next.status = { phase, accessModes: phase === 'Pending' ? [] : (next.status?.accessModes ?? []), capacity: phase === 'Pending' ? {} : (next.status?.capacity ?? {}), conditions: next.status?.conditions ?? [] };
  return { type: 'claimStatus', claim: next, event };
}

/**
 * The local-path volume for a claim whose node was chosen: `pvc-<uid>` pre-bound to the claim,
 * under the node's local storage path. An error message instead when it cannot be made (the
 * ProvisioningFailed event).
 */
export function localPathVolume(claim: Readonly<PersistentVolumeClaim>, sc: Readonly<StorageClass>, node: Readonly<Node> | undefined, nodeName: string): PersistentVolume | string {
  const modes = claim.spec?.accessModes ?? [];
  if (modes.some((m) => m !== 'ReadWriteOnce' && m !== 'ReadWriteOncePod')) return 'the local-path provisioner only supports the ReadWriteOnce and ReadWriteOncePod access modes';
  if (!node) return `node "${nodeName}" not found`;
  const root = node.metadata?.annotations?.[LOCAL_STORAGE_PATH_ANNOTATION];
  if (!root?.startsWith('/')) return `node "${nodeName}" has no local storage path (annotation ${LOCAL_STORAGE_PATH_ANNOTATION}, from its kubelet's --local-storage-path)`;
  const hostname = node.metadata?.labels?.[HOSTNAME_LABEL] ?? nodeName;
  return PersistentVolume.fromPartial({
    metadata: { name: provisionedVolumeName(claim), annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER } },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? '' },
      accessModes: [...modes],
      claimRef: claimRefOf(claim),
      persistentVolumeReclaimPolicy: sc.reclaimPolicy || 'Delete',
      storageClassName: sc.metadata?.name ?? '',
      volumeMode: 'Filesystem',
      local: { path: localPathVolumeDir(root, claim) },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [hostname] }], matchFields: [] }] } },
    },
  });
}

/** The next step for a claim (see the module comment). */
export function syncClaim(claim: Readonly<PersistentVolumeClaim>, world: BinderWorld): BinderStep {
  if (claim.metadata?.deletionTimestamp) return WAIT;
  const volumeName = claim.spec?.volumeName ?? '';
  const annotations = annotationsOf(claim);
  if (volumeName) {
    const pv = world.volume(volumeName);
    if (!pv) {
      if (annotations[BIND_COMPLETED_ANNOTATION] === 'yes') return claimInPhase(claim, 'Lost', { type: 'Warning', reason: 'ClaimLost', message: 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!' });
      return claimInPhase(claim, 'Pending', { type: 'Normal', reason: 'FailedBinding', message: `volume "${volumeName}" not found` });
    }
    const ref = pv.spec?.claimRef;
    if (ref && !isVolumeBoundToClaim(pv, claim)) {
      if (annotations[BIND_COMPLETED_ANNOTATION] === 'yes') return claimInPhase(claim, 'Lost', { type: 'Warning', reason: 'ClaimMisbound', message: 'Two claims are bound to the same volume, this one is bound incorrectly' });
      return claimInPhase(claim, 'Pending', { type: 'Warning', reason: 'FailedBinding', message: `volume "${volumeName}" already bound to a different claim.` });
    }
    // A volume the user named but nobody claimed must satisfy the claim (Kubernetes' checkVolumeSatisfyClaim).
    const mismatch = ref ? undefined : volumeMismatch(pv, claim);
    if (mismatch) return claimInPhase(claim, 'Pending', { type: 'Warning', reason: 'VolumeMismatch', message: `Cannot bind to requested volume "${volumeName}": ${mismatch}` });
    return bindStep(claim, pv, world) ?? WAIT;
  }

  const className = claimClassName(claim);
  const sc = className ? world.storageClass(className) : undefined;
  const delayed = bindingMode(claim, world) === 'WaitForFirstConsumer';
  const selectedNode = annotations[SELECTED_NODE_ANNOTATION] ?? '';
  if (delayed && !selectedNode) {
    return claimInPhase(claim, 'Pending', { type: 'Normal', reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding' });
  }
  const node = delayed ? world.node(selectedNode) : undefined;
  if (delayed && !node) return claimInPhase(claim, 'Pending', { type: 'Warning', reason: 'ProvisioningFailed', message: `node "${selectedNode}" not found` });
  const pv = findMatchingVolume(claim, world.volumes, node);
  if (pv) return bindStep(claim, pv, world) ?? WAIT;

  if (!className) return claimInPhase(claim, 'Pending', { type: 'Normal', reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' });
  if (!sc) return claimInPhase(claim, 'Pending', { type: 'Warning', reason: 'ProvisioningFailed', message: `storageclass.storage.k8s.io "${className}" not found` });
  if (!sc.provisioner || sc.provisioner === NO_PROVISIONER) {
    return claimInPhase(claim, 'Pending', { type: 'Normal', reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' });
  }
  // Provisioning: the claim says which provisioner it waits for.
  if (annotations[STORAGE_PROVISIONER_ANNOTATION] !== sc.provisioner || annotations[BETA_STORAGE_PROVISIONER_ANNOTATION] !== sc.provisioner) {
    return { type: 'updateClaim', claim: withAnnotations(claim, { [STORAGE_PROVISIONER_ANNOTATION]: sc.provisioner, [BETA_STORAGE_PROVISIONER_ANNOTATION]: sc.provisioner }) };
  }
  if (claim.status?.phase !== 'Pending') return claimInPhase(claim, 'Pending');
  if (sc.provisioner !== LOCAL_PATH_PROVISIONER) {
    return {
      type: 'wait',
      event: { type: 'Normal', reason: 'ExternalProvisioning', message: `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.` },
    };
  }
  if (!delayed) {
    return { type: 'wait', event: { type: 'Warning', reason: 'ProvisioningFailed', message: `the ${LOCAL_PATH_PROVISIONER} provisioner needs volumeBindingMode WaitForFirstConsumer: a local volume is made on the node its first pod is scheduled to` } };
  }
  const existing = world.volume(provisionedVolumeName(claim));
  if (existing) return WAIT; // made already; bound once its claimRef matches (next sync)
  const made = localPathVolume(claim, sc, node, selectedNode);
  if (typeof made === 'string') return { type: 'wait', retry: true, event: { type: 'Warning', reason: 'ProvisioningFailed', message: `failed to provision volume with StorageClass "${className}": ${made}` } };
  return { type: 'createVolume', volume: made, event: { type: 'Normal', reason: 'ProvisioningSucceeded', message: `Successfully provisioned volume ${made.metadata?.name} for claim ${claimKey(claim)} on node ${selectedNode}` } };
}

/** The next step for a volume (see the module comment). */
export function syncVolume(pv: Readonly<PersistentVolume>, world: BinderWorld): BinderStep {
  // A volume being deleted is still synced: it must become Released when its claim goes, or
  // pv-protection (which waits for "not Bound") would keep it for ever.
  const now = world.now();
  const ref = pv.spec?.claimRef;
  const phase = pv.status?.phase ?? '';
  if (!ref || !ref.uid) return phase === 'Available' ? WAIT : { type: 'volumeStatus', volume: volumeInPhase(pv, 'Available', now) };
  const claim = world.claim(ref.namespace, ref.name);
  if (!claim || claim.metadata?.uid !== ref.uid) {
    // The claim is gone: released, then reclaimed.
    if (phase === 'Failed') return WAIT;
    if (phase !== 'Released') return { type: 'volumeStatus', volume: volumeInPhase(pv, 'Released', now) };
    if (pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return WAIT;
    if (annotationsOf(pv)[PROVISIONED_BY_ANNOTATION] === LOCAL_PATH_PROVISIONER) return WAIT; // its node's kubelet deletes it
    const message = `error getting deleter volume plugin for volume "${pv.metadata?.name}": no deletable volume plugin matched`;
    return { type: 'volumeStatus', volume: volumeInPhase(pv, 'Failed', now, message), event: { type: 'Warning', reason: 'VolumeFailedDelete', message } };
  }
  if (claim.spec?.volumeName && claim.spec.volumeName !== pv.metadata?.name) {
    // The claim went to another volume: a volume the binder bound is freed again.
    if (annotationsOf(pv)[BOUND_BY_CONTROLLER_ANNOTATION] === 'yes' && annotationsOf(pv)[PROVISIONED_BY_ANNOTATION] === undefined) {
      const next = clone(pv);
      if (next.spec) next.spec.claimRef = undefined;
      if (next.metadata?.annotations) delete next.metadata.annotations[BOUND_BY_CONTROLLER_ANNOTATION];
      return { type: 'updateVolume', volume: next };
    }
    return WAIT;
  }
  return phase === 'Bound' ? WAIT : { type: 'volumeStatus', volume: volumeInPhase(pv, 'Bound', now) };
}
