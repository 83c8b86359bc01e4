/**
 * Which pod `skiff logs TYPE/NAME` reads, as kubectl's logsForObject: the object's label
 * selector (Job, Deployment, ReplicaSet: spec.selector; Service: spec.selector), then the first
 * of its pods in kubectl's ByLogging order. Pure: objects in, a selector or a pod out.
 */
import type { Deployment, Job, KindInfo, KubeObject, Pod, ReplicaSet, Service } from '@skiff/api';
import { formatLabels, formatLabelSelector } from './table-columns';

/**
 * The label selector string of the pods an object runs (kubectl's SelectorsForObject); throws an
 * Error for kinds without one, or an object whose selector is empty.
 */
export function podSelectorOf(info: KindInfo, object: Readonly<KubeObject>): string {
  const name = object.metadata?.name ?? '';
  switch (info.resource) {
    case 'jobs':
    case 'deployments':
    case 'replicasets': {
      const selector = formatLabelSelector((object as Job | Deployment | ReplicaSet).spec?.selector);
      if (selector === '<none>') throw new Error(`invalid ${info.singular} '${name}': ${info.kind} is defined without a selector`);
      return selector;
    }
    case 'services': {
      const selector = (object as Service).spec?.selector;
      if (!selector || Object.keys(selector).length === 0) throw new Error(`invalid service '${name}': Service is defined without a selector`);
      return formatLabels(selector);
    }
    default:
      throw new Error(`cannot get the logs of ${info.resource}: selector for ${info.kind} not implemented`);
  }
}

function isReady(pod: Readonly<Pod>): boolean {
  return pod.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function readySince(pod: Readonly<Pod>): number | undefined {
  return pod.status?.conditions.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime?.getTime();
}

function maxRestarts(pod: Readonly<Pod>): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((s) => s.restartCount));
}

/** Go's map lookup default: phases other than these (Succeeded, Failed) rank as Running, as in kubectl. */
const PHASE_RANK: Record<string, number> = { Running: 0, Unknown: 1, Pending: 2 };

/** "a before b" for times where a missing time sorts last (kubectl's afterOrZero, reversed). */
function earlier(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return b === undefined && a !== undefined;
  return a < b;
}

/**
 * kubectl's podutils.ByLogging: scheduled before unscheduled; Running before Unknown before
 * Pending; ready before not ready; ready longer first; more restarts first; older first.
 */
export function compareForLogs(a: Readonly<Pod>, b: Readonly<Pod>): number {
  const nodeA = a.spec?.nodeName ?? '';
  const nodeB = b.spec?.nodeName ?? '';
  if (nodeA !== nodeB && (!nodeA || !nodeB)) return nodeA ? -1 : 1;
  const rankA = PHASE_RANK[a.status?.phase ?? ''] ?? 0;
  const rankB = PHASE_RANK[b.status?.phase ?? ''] ?? 0;
  if (rankA !== rankB) return rankA - rankB;
  if (isReady(a) !== isReady(b)) return isReady(a) ? -1 : 1;
  if (isReady(a) && isReady(b)) {
    const [ra, rb] = [readySince(a), readySince(b)];
    if (ra !== rb) return earlier(ra, rb) ? -1 : 1;
  }
  if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(b) - maxRestarts(a);
  const [ca, cb] = [a.metadata?.creationTimestamp?.getTime(), b.metadata?.creationTimestamp?.getTime()];
  if (ca !== cb) return earlier(ca, cb) ? -1 : 1;
  return 0;
}

/** The pod kubectl's GetFirstPod picks for logs (undefined when there is none). */
export function podForLogs(pods: readonly Readonly<Pod>[]): Readonly<Pod> | undefined {
  return [...pods].sort(compareForLogs)[0];
}
