import { checkDns1123Subdomain, Condition, ConflictError, InvalidError, PodSpec, PodStatus, type BindRequest, type Pod } from '@skiff/api';
import { metaOf, type StoredObject } from './object-access';

/**
 * The binding's own validation (Kubernetes' ValidatePodBinding): a node must be named, with a
 * valid node name. InvalidError on field "nodeName" otherwise. The pod itself is not validated
 * again: a bind changes nothing but spec.nodeName and the PodScheduled condition.
 */
export function validateBinding(request: BindRequest): void {
  if (!request.nodeName) throw new InvalidError([{ field: 'nodeName', detail: 'required' }]);
  const problems = checkDns1123Subdomain(request.nodeName);
  if (problems.length) throw new InvalidError(problems.map((detail) => ({ field: 'nodeName', detail: `Invalid value: "${request.nodeName}": ${detail}` })));
}

/**
 * Binds a stored pod to request.nodeName (pure; returns a new object, or undefined when the pod
 * is already bound to that node). Refuses with ConflictError when the uid or resourceVersion
 * preconditions do not hold, when the pod is bound to another node or is being deleted; with
 * InvalidError when no valid node is named. Sets spec.nodeName and the PodScheduled=True
 * condition. The result shares every part it does not change with `stored` (metadata, spec
 * and status are fresh copies, one level deep): change neither in place afterwards except
 * through metaOf(result).
 */
export function bindPod(stored: StoredObject, request: BindRequest, now: Date): StoredObject | undefined {
  validateBinding(request);
  const meta = metaOf(stored);
  const what = `pod ${meta.namespace}/${meta.name}`;
  if (request.uid && request.uid !== meta.uid) throw new ConflictError(`${what}: uid is ${meta.uid}, not ${request.uid}`);
  if (request.resourceVersion && request.resourceVersion !== meta.resourceVersion) {
    throw new ConflictError(`${what} was modified (resourceVersion ${meta.resourceVersion}, expected ${request.resourceVersion})`);
  }
  if (meta.deletionTimestamp) throw new ConflictError(`${what} is being deleted, cannot be assigned to a node`);
  const pod = stored as Pod;
  const current = pod.spec?.nodeName;
  if (current === request.nodeName) return undefined;
  if (current) throw new ConflictError(`${what} is already assigned to node "${current}"`);

  const scheduled = Condition.fromPartial({ type: 'PodScheduled', status: 'True', lastTransitionTime: now });
  const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), scheduled];
  const next: Pod = {
    ...pod,
    metadata: { ...meta },
    spec: pod.spec ? { ...pod.spec, nodeName: request.nodeName } : PodSpec.fromPartial({ nodeName: request.nodeName }),
    status: pod.status ? { ...pod.status, conditions } : PodStatus.fromPartial({ conditions }),
  };
  return next as StoredObject;
}
