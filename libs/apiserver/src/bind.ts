import { Condition, ConflictError, InvalidError, type BindRequest } from '@skiff/api';
import { deepCopy, metaOf, type StoredObject } from './object-access';

interface PodParts {
  spec?: { nodeName: string };
  status?: { conditions: Condition[] };
}

/**
 * Binds a stored pod to request.nodeName (pure; returns a new object, or undefined when the pod
 * is already bound to that node). Refuses with ConflictError when the uid or resourceVersion
 * preconditions do not hold, when the pod is bound to another node or is being deleted; with
 * InvalidError when no node is named. Sets spec.nodeName and the PodScheduled=True condition.
 */
export function bindPod(stored: StoredObject, request: BindRequest, now: Date): StoredObject | undefined {
  const meta = metaOf(stored);
  const what = `pod ${meta.namespace}/${meta.name}`;
  if (!request.nodeName) throw new InvalidError([{ field: 'nodeName', detail: 'required' }]);
  if (request.uid && request.uid !== meta.uid) throw new ConflictError(`${what}: uid is ${meta.uid}, not ${request.uid}`);
  if (request.resourceVersion && request.resourceVersion !== meta.resourceVersion) {
    throw new ConflictError(`${what} was modified (resourceVersion ${meta.resourceVersion}, expected ${request.resourceVersion})`);
  }
  if (meta.deletionTimestamp) throw new ConflictError(`${what} is being deleted, cannot be assigned to a node`);
  const current = (stored as PodParts).spec?.nodeName;
  if (current === request.nodeName) return undefined;
  if (current) throw new ConflictError(`${what} is already assigned to node "${current}"`);

  const next = deepCopy(stored) as StoredObject & PodParts;
  next.spec = { ...(next.spec as object), nodeName: request.nodeName } as PodParts['spec'];
  const status = (next.status ??= { conditions: [] } as never) as { conditions: Condition[] };
  const scheduled = Condition.fromPartial({ type: 'PodScheduled', status: 'True', lastTransitionTime: now });
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), scheduled];
  return next;
}
