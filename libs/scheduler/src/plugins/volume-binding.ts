/**
 * VolumeBinding (kube-scheduler's plugin of that name), pure, in three parts:
 *
 *   preFilterVolumes(pod)   the pod's claims, each: missing -> `persistentvolumeclaim "x" not found`;
 *                           being deleted -> `persistentvolumeclaim "x" is being deleted`;
 *                           bound -> its volume (missing: "pvc(s) bound to non-existent pv(s)");
 *                           unbound Immediate -> "pod has unbound immediate PersistentVolumeClaims"
 *                           (the binder binds it first; the pod is retried when claims change);
 *                           unbound WaitForFirstConsumer -> chosen with the node. Any failure
 *                           rejects the pod before a node is looked at (UnschedulableAndUnresolvable).
 *   volumeBindingFilter     per node: every bound volume's node affinity admits the node
 *                           ("node(s) had volume node affinity conflict"); each delayed claim
 *                           has a matching static volume on the node or a class that provisions
 *                           ("node(s) didn't find available persistent volumes to bind"); a claim
 *                           whose node was selected earlier only fits that node.
 *   claimsToSelect          PreBind: the delayed claims that must be annotated
 *                           volume.kubernetes.io/selected-node: <node> before the pod is bound
 *                           (the binder then provisions there).
 *
 * CONTRACT: pure over the lister (the scheduler's caches); never throws for "does not fit".
 */
import {
  claimClassName,
  findMatchingVolume,
  NO_PROVISIONER,
  podClaimNames,
  SELECTED_NODE_ANNOTATION,
  volumeFitsNode,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type Pod,
  type StorageClass,
} from '@skiff/api';
import type { NodeInfo } from '../framework/node-info';
import type { FilterPlugin } from '../framework/plugin';
import type { PodInfo } from '../framework/pod-info';
import { SUCCESS, unresolvable, type Status } from '../framework/status';

/** What the plugin reads: the scheduler's claim, volume and class caches. */
export interface VolumeLister {
  claim(namespace: string, name: string): Readonly<PersistentVolumeClaim> | undefined;
  volume(name: string): Readonly<PersistentVolume> | undefined;
  volumes(): readonly Readonly<PersistentVolume>[];
  storageClass(name: string): Readonly<StorageClass> | undefined;
}

/** A pod's claims as PreFilter found them. */
export interface PodVolumes {
  /** Volumes of the bound claims. */
  readonly bound: readonly Readonly<PersistentVolume>[];
  /** Unbound WaitForFirstConsumer claims, decided with the node. */
  readonly delayed: readonly Readonly<PersistentVolumeClaim>[];
}

export const VOLUME_NODE_AFFINITY_CONFLICT = 'node(s) had volume node affinity conflict';
export const NO_VOLUMES_TO_BIND = "node(s) didn't find available persistent volumes to bind";
export const SELECTED_NODE_CONFLICT = "node(s) didn't match the node selected for the pod's unbound volumes";
export const UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
export const BOUND_TO_MISSING_VOLUME = 'pvc(s) bound to non-existent pv(s)';

/** True when the pod has persistentVolumeClaim volumes (else the plugin is skipped). */
export function hasClaims(pod: Readonly<Pod>): boolean {
  return (pod.spec?.volumes ?? []).some((v) => !!v.persistentVolumeClaim);
}

/** The pod's claims (see the module comment): its PodVolumes, or the status that rejects it. */
export function preFilterVolumes(pod: Readonly<Pod>, lister: VolumeLister): PodVolumes | Status {
  const namespace = pod.metadata?.namespace ?? '';
  const bound: Readonly<PersistentVolume>[] = [];
  const delayed: Readonly<PersistentVolumeClaim>[] = [];
  for (const name of podClaimNames(pod)) {
    const claim = lister.claim(namespace, name);
    if (!claim) return unresolvable(`persistentvolumeclaim "${name}" not found`);
    if (claim.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
    const volumeName = claim.spec?.volumeName;
    if (volumeName) {
      const pv = lister.volume(volumeName);
      if (!pv) return unresolvable(BOUND_TO_MISSING_VOLUME);
      bound.push(pv);
      continue;
    }
    const className = claimClassName(claim);
    const mode = className ? lister.storageClass(className)?.volumeBindingMode : undefined;
    if (mode !== 'WaitForFirstConsumer') return unresolvable(UNBOUND_IMMEDIATE);
    delayed.push(claim);
  }
  return { bound, delayed };
}

/** True when the class of the claim provisions volumes dynamically. */
function provisions(claim: Readonly<PersistentVolumeClaim>, lister: VolumeLister): boolean {
  const sc = lister.storageClass(claimClassName(claim));
  return !!sc?.provisioner && sc.provisioner !== NO_PROVISIONER;
}

/** Whether the node suits the pod's volumes (see the module comment). */
export function checkVolumes(volumes: PodVolumes, node: NodeInfo, lister: VolumeLister): Status {
  for (const pv of volumes.bound) if (!volumeFitsNode(pv, node.node)) return unresolvable(VOLUME_NODE_AFFINITY_CONFLICT);
  if (!volumes.delayed.length) return SUCCESS;
  const all = lister.volumes();
  const taken = new Set<string>();
  for (const claim of volumes.delayed) {
    const selected = claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
    if (selected && selected !== node.name) return unresolvable(SELECTED_NODE_CONFLICT);
    const pv = findMatchingVolume(claim, all.filter((v) => !taken.has(v.metadata?.name ?? '')), node.node);
    if (pv) {
      taken.add(pv.metadata?.name ?? '');
      continue;
    }
    if (!provisions(claim, lister)) return unresolvable(NO_VOLUMES_TO_BIND);
  }
  return SUCCESS;
}

/** The filter of one cycle over the pod's PodVolumes (PreFilter's result is its cycle state). */
export function volumeBindingFilter(volumes: PodVolumes, lister: VolumeLister): FilterPlugin {
  return {
    name: 'VolumeBinding',
    skip: (pod: PodInfo) => !hasClaims(pod.pod),
    filter: (_pod: PodInfo, node: NodeInfo) => checkVolumes(volumes, node, lister),
  };
}

/** PreBind: the delayed claims to annotate with the chosen node (those not annotated with it yet). */
export function claimsToSelect(volumes: PodVolumes, node: string): Readonly<PersistentVolumeClaim>[] {
  return volumes.delayed.filter((c) => c.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] !== node);
}
