/**
 * How a pod-owning controller (ReplicaSet, DaemonSet, Job) lowers its ControllerExpectations from
 * the pod informer's events, as Kubernetes' addPod / updatePod / deletePod do: a new pod is a
 * creation observed, a pod marked for deletion or gone a deletion observed, each counted for its
 * controller's key, and only while that controller is the cached one (same uid), so that a pod of
 * an earlier object of the same name counts for nothing.
 */
import { keyOf, type KubeObject, type Pod } from '@skiff/api';
import type { InformerHandler } from '@skiff/client';
import type { ControllerExpectations } from './controller-expectations';
import { controllerRefOf } from './owner-refs';

/**
 * The pod handler that keeps `expectations`: `controllingKey` names the key of the pod's
 * controller when it is of this controller's kind; `cachedOwner` reads that controller from the
 * owner informer's cache.
 */
export function podExpectationEvents(
  expectations: ControllerExpectations,
  controllingKey: (pod: Readonly<Pod>) => string | undefined,
  cachedOwner: (key: string) => Readonly<KubeObject> | undefined,
): Required<InformerHandler<Pod>> {
  const expectationKey = (pod: Readonly<Pod>): string | undefined => {
    const key = controllingKey(pod);
    if (!key) return undefined;
    const cached = cachedOwner(key);
    return cached && cached.metadata?.uid !== controllerRefOf(pod)?.uid ? undefined : key;
  };
  const observeDeletion = (pod: Readonly<Pod>) => {
    const key = expectationKey(pod);
    if (key) expectations.deletionObserved(key, keyOf(pod.metadata));
  };
  return {
    onAdd(pod) {
      if (pod.metadata?.deletionTimestamp) return observeDeletion(pod);
      const key = expectationKey(pod);
      if (key) expectations.creationObserved(key);
    },
    onUpdate(_old, pod) {
      if (pod.metadata?.deletionTimestamp) observeDeletion(pod);
    },
    onDelete: observeDeletion,
  };
}
