/**
 * StorageObjectInUseProtection's decisions (Kubernetes' pvcprotection and pvprotection
 * controllers), pure: when a claim or volume being deleted may lose its protection finalizer.
 *  - a claim: once no pod uses it: no pod of its namespace that is scheduled (spec.nodeName) and
 *    not finished (Succeeded or Failed) names it in a persistentVolumeClaim volume. A pod not
 *    scheduled yet does not count, as in Kubernetes: the scheduler refuses a claim being deleted
 *    and so does the kubelet, so such a pod can never start with it (counting it would keep the
 *    claim, and the pod Pending, for ever);
 *  - a volume: once it is not bound (phase other than Bound).
 */
import { podClaimNames, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER, type PersistentVolume, type PersistentVolumeClaim, type Pod } from '@skiff/api';

/** True when `pod` uses the claim `name` (of the pod's namespace), is scheduled and is not finished. */
export function podUsesClaim(pod: Readonly<Pod>, name: string): boolean {
  if (!pod.spec?.nodeName) return false;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  return podClaimNames(pod).includes(name);
}

/** The claim with its finalizer removed when it is being deleted, carries it and no pod of `pods` (its namespace's) uses it; else undefined. */
export function releasedClaim(claim: Readonly<PersistentVolumeClaim>, pods: readonly Readonly<Pod>[]): PersistentVolumeClaim | undefined {
  const finalizers = claim.metadata?.finalizers ?? [];
  if (!claim.metadata?.deletionTimestamp || !finalizers.includes(PVC_PROTECTION_FINALIZER)) return undefined;
  if (pods.some((p) => p.metadata?.namespace === claim.metadata?.namespace && podUsesClaim(p, claim.metadata?.name ?? ''))) return undefined;
  const next = structuredClone(claim) as PersistentVolumeClaim;
  next.metadata!.finalizers = finalizers.filter((f) => f !== PVC_PROTECTION_FINALIZER);
  return next;
}

/** The volume with its finalizer removed when it is being deleted, carries it and is not Bound; else undefined. */
export function releasedVolume(pv: Readonly<PersistentVolume>): PersistentVolume | undefined {
  const finalizers = pv.metadata?.finalizers ?? [];
  if (!pv.metadata?.deletionTimestamp || !finalizers.includes(PV_PROTECTION_FINALIZER)) return undefined;
  if (pv.status?.phase === 'Bound') return undefined;
  const next = structuredClone(pv) as PersistentVolume;
  next.metadata!.finalizers = finalizers.filter((f) => f !== PV_PROTECTION_FINALIZER);
  return next;
}
