/**
 * The identity of a StatefulSet's pods and claims (Kubernetes' statefulset/stateful_set_utils.go):
 *
 *   pod `<sts>-<ordinal>`, ordinals from spec.ordinals.start; labels
 *     statefulset.kubernetes.io/pod-name = the pod's name,
 *     apps.kubernetes.io/pod-index       = its ordinal,
 *     controller-revision-hash           = the name of the ControllerRevision it was made from;
 *   spec.hostname = the pod's name, spec.subdomain = spec.serviceName (set at creation only);
 *   one claim per volumeClaimTemplate and ordinal, `<template>-<sts>-<ordinal>`, labelled with the
 *     template's labels and the selector's matchLabels; the pod's volume named after the template
 *     becomes `persistentVolumeClaim {claimName}` (added when the template has no such volume).
 *
 * The persistentVolumeClaimRetentionPolicy decides the claims' owner references (Kubernetes'
 * updateClaimOwnerRefForSetAndPod): whenDeleted Delete makes the StatefulSet an owner (the garbage
 * collector removes the claim with it); whenScaled Delete makes a scaled-down pod the owner (the
 * claim goes with the pod); Retain removes that reference. These references are plain owners,
 * never controllers. CONTRACT: pure; inputs are never changed.
 */
import { PersistentVolumeClaim, Pod, type OwnerReference, type PodTemplateSpec, type StatefulSet, type Volume } from '@skiff/api';
import { newControllerRef } from '../owner-refs';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** The label holding the pod's revision (for a StatefulSet: the ControllerRevision's name). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

/** spec.replicas with its default (1). */
export function specReplicas(sts: Readonly<StatefulSet>): number {
  return sts.spec?.replicas ?? 1;
}

/** spec.ordinals.start (0). */
export function startOrdinal(sts: Readonly<StatefulSet>): number {
  return sts.spec?.ordinals?.start ?? 0;
}

/** The first ordinal past the set's range. */
export function endOrdinal(sts: Readonly<StatefulSet>): number {
  return startOrdinal(sts) + specReplicas(sts);
}

/** `<sts>-<ordinal>`. */
export function podName(sts: Readonly<StatefulSet>, ordinal: number): string {
  return `${sts.metadata?.name ?? ''}-${ordinal}`;
}

/** The parent name and ordinal a pod's name encodes (`web-2` -> web, 2); ordinal -1 when it has none. */
export function parentAndOrdinal(name: string): { parent: string; ordinal: number } {
  const m = /^(.*)-(\d+)$/.exec(name);
  if (!m || !Number.isSafeInteger(Number(m[2]))) return { parent: '', ordinal: -1 };
  return { parent: m[1], ordinal: Number(m[2]) };
}

/** The pod's ordinal, -1 when its name has none. */
export function ordinalOf(pod: Readonly<Pod>): number {
  return parentAndOrdinal(pod.metadata?.name ?? '').ordinal;
}

/** Whether the pod's name makes it one of the set's (Kubernetes' isMemberOf). */
export function isMemberOf(sts: Readonly<StatefulSet>, pod: Readonly<Pod>): boolean {
  return parentAndOrdinal(pod.metadata?.name ?? '').parent === sts.metadata?.name;
}

/** Whether the pod's ordinal lies in [start, start + replicas). */
export function inOrdinalRange(sts: Readonly<StatefulSet>, pod: Readonly<Pod>): boolean {
  const ordinal = ordinalOf(pod);
  return ordinal >= startOrdinal(sts) && ordinal < endOrdinal(sts);
}

/** The pod's revision: its controller-revision-hash label. */
export function podRevision(pod: Readonly<Pod>): string {
  return pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
}

/** The controller reference the set puts on its pods and revisions. */
export function statefulSetRef(sts: Readonly<StatefulSet>): OwnerReference {
  return newControllerRef(sts, 'apps/v1', 'StatefulSet');
}

/** `<template>-<sts>-<ordinal>`. */
export function claimName(templateName: string, sts: Readonly<StatefulSet>, ordinal: number): string {
  return `${templateName}-${podName(sts, ordinal)}`;
}

/** The names of the pod's claims by template name. */
export function claimNamesOf(sts: Readonly<StatefulSet>, ordinal: number): Map<string, string> {
  return new Map((sts.spec?.volumeClaimTemplates ?? []).map((t) => [t.metadata?.name ?? '', claimName(t.metadata?.name ?? '', sts, ordinal)]));
}

/**
 * The claims of ordinal `ordinal` as they are created (Kubernetes' getPersistentVolumeClaims):
 * the template's spec, labels plus the selector's matchLabels, annotations; the StatefulSet as
 * owner when whenDeleted is Delete.
 */
export function newClaims(sts: Readonly<StatefulSet>, ordinal: number): PersistentVolumeClaim[] {
  const matchLabels = sts.spec?.selector?.matchLabels ?? {};
  return (sts.spec?.volumeClaimTemplates ?? []).map((template) => {
    const claim = PersistentVolumeClaim.fromPartial({
      metadata: {
        name: claimName(template.metadata?.name ?? '', sts, ordinal),
        namespace: sts.metadata?.namespace ?? '',
        labels: { ...template.metadata?.labels, ...matchLabels },
        annotations: { ...template.metadata?.annotations },
      },
      spec: structuredClone(template.spec),
    });
    if (retentionPolicy(sts).whenDeleted === 'Delete') claim.metadata!.ownerReferences = [plainRef(sts, 'apps/v1', 'StatefulSet')];
    return claim;
  });
}

/** The pod's volumes with each claim template's volume pointing at the ordinal's claim (Kubernetes' updateStorage). */
function storageVolumes(sts: Readonly<StatefulSet>, ordinal: number, volumes: readonly Readonly<Volume>[]): Volume[] {
  const claims = claimNamesOf(sts, ordinal);
  const out: Volume[] = [];
  for (const [template, claim] of claims) out.push({ name: template, persistentVolumeClaim: { claimName: claim, readOnly: false } } as Volume);
  for (const v of volumes) if (!claims.has(v.name)) out.push(structuredClone(v) as Volume);
  return out;
}

/**
 * The pod of `ordinal` made from `template` (the current or the update revision's), labelled
 * with `revision` (Kubernetes' newVersionedStatefulSetPod).
 */
export function newStatefulPod(sts: Readonly<StatefulSet>, template: Readonly<PodTemplateSpec> | undefined, revision: string, ordinal: number): Pod {
  const name = podName(sts, ordinal);
  const pod = Pod.fromPartial({
    metadata: {
      name,
      namespace: sts.metadata?.namespace ?? '',
      labels: { ...template?.metadata?.labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [CONTROLLER_REVISION_HASH_LABEL]: revision },
      annotations: { ...template?.metadata?.annotations },
      finalizers: [...(template?.metadata?.finalizers ?? [])],
      ownerReferences: [statefulSetRef(sts)],
    },
    spec: structuredClone(template?.spec),
  });
  pod.spec!.hostname = name;
  pod.spec!.subdomain = sts.spec?.serviceName ?? '';
  pod.spec!.volumes = storageVolumes(sts, ordinal, pod.spec!.volumes ?? []);
  return pod;
}

/** Kubernetes' identityMatches: name, namespace and identity labels as the set gives them. */
export function identityMatches(sts: Readonly<StatefulSet>, pod: Readonly<Pod>): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod.metadata?.name ?? '');
  const labels = pod.metadata?.labels ?? {};
  return (
    ordinal >= 0 &&
    parent === sts.metadata?.name &&
    pod.metadata?.namespace === sts.metadata?.namespace &&
    labels[POD_NAME_LABEL] === pod.metadata?.name &&
    labels[POD_INDEX_LABEL] === String(ordinal)
  );
}

/** Kubernetes' storageMatches: each claim template's volume names the ordinal's claim. */
export function storageMatches(sts: Readonly<StatefulSet>, pod: Readonly<Pod>): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const [template, claim] of claimNamesOf(sts, ordinal)) {
    if (volumes.get(template)?.persistentVolumeClaim?.claimName !== claim) return false;
  }
  return true;
}

/**
 * A copy of `pod` with its identity labels restored (Kubernetes' updateIdentity; hostname,
 * subdomain and volumes are immutable on a pod and stay as they are).
 */
export function withIdentity(sts: Readonly<StatefulSet>, pod: Readonly<Pod>): Pod {
  const copy = structuredClone(pod) as Pod;
  const ordinal = ordinalOf(pod);
  copy.metadata!.labels = { ...copy.metadata?.labels, [POD_NAME_LABEL]: copy.metadata?.name ?? '', [POD_INDEX_LABEL]: String(ordinal) };
  return copy;
}

/** The retention policy with its defaults (Retain, Retain). */
export function retentionPolicy(sts: Readonly<StatefulSet>): { whenDeleted: string; whenScaled: string } {
  const p = sts.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted || 'Retain', whenScaled: p?.whenScaled || 'Retain' };
}

/** A non-controller owner reference (what setOwnerRef adds). */
function plainRef(owner: Readonly<{ metadata?: { name?: string; uid?: string } }>, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '' } as OwnerReference;
}

const hasRef = (claim: Readonly<PersistentVolumeClaim>, uid: string | undefined) => Boolean(uid) && (claim.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);

/**
 * The claim with the owner references the retention policy asks for, given its pod (Kubernetes'
 * updateClaimOwnerRefForSetAndPod), or undefined when they already match.
 */
export function claimWithRetentionOwners(sts: Readonly<StatefulSet>, pod: Readonly<Pod>, claim: Readonly<PersistentVolumeClaim>): PersistentVolumeClaim | undefined {
  const policy = retentionPolicy(sts);
  const scaledDown = !inOrdinalRange(sts, pod);
  const wantSet = policy.whenDeleted === 'Delete' && !(policy.whenScaled === 'Delete' && scaledDown);
  const wantPod = policy.whenScaled === 'Delete' && scaledDown;
  const setUid = sts.metadata?.uid;
  const podUid = pod.metadata?.uid;
  if (hasRef(claim, setUid) === wantSet && hasRef(claim, podUid) === wantPod) return undefined;
  const copy = structuredClone(claim) as PersistentVolumeClaim;
  let refs = (copy.metadata?.ownerReferences ?? []).filter((r) => r.uid !== setUid && r.uid !== podUid);
  if (wantSet) refs = [...refs, plainRef(sts, 'apps/v1', 'StatefulSet')];
  if (wantPod) refs = [...refs, plainRef(pod, 'v1', 'Pod')];
  copy.metadata!.ownerReferences = refs;
  return copy;
}

/**
 * Kubernetes' PodClaimIsStale: a claim of a pod not yet (re)created that is still owned by an
 * earlier pod (scaled down under whenScaled Delete: the garbage collector is about to remove it),
 * or is being deleted. The pod must wait until the claim is gone.
 */
export function isClaimStale(claim: Readonly<PersistentVolumeClaim>): boolean {
  if (claim.metadata?.deletionTimestamp) return true;
  return (claim.metadata?.ownerReferences ?? []).some((r) => r.kind === 'Pod' && r.apiVersion === 'v1');
}
