/**
 * Which pods `skiff drain` evicts, as kubectl's drain helper (k8s.io/kubectl/pkg/drain/filters.go,
 * GetPodsForDeletion): each pod on the node goes through the filters in order, and the first that
 * does not let it be deleted decides; the last filter run gives its warning or error.
 *
 *   daemonSet     DaemonSet-managed (and not finished): error, or with --ignore-daemonsets a
 *                 warning and skipped; its DaemonSet missing: error, or with --force a warning
 *   mirror        a static pod's mirror (annotation kubernetes.io/config.mirror): skipped
 *   localStorage  an emptyDir volume (and not finished): error, or with --delete-emptydir-data a warning
 *   unreplicated  no controller (and not finished): error, or with --force a warning
 *
 * Errors and warnings are grouped by message: "cannot delete <msg>: ns/a, ns/b" (one per
 * message, joined with ", " in kubectl's aggregate "[...]"), "<msg>: ns/a; <msg2>: ns/b".
 * CONTRACT: pure.
 */
import type { Pod } from '@skiff/api';

export const DAEMONSET_FATAL = 'DaemonSet-managed Pods (use --ignore-daemonsets to ignore)';
export const DAEMONSET_WARNING = 'ignoring DaemonSet-managed Pods';
export const LOCAL_STORAGE_FATAL = 'Pods with local storage (use --delete-emptydir-data to override)';
export const LOCAL_STORAGE_WARNING = 'deleting Pods with local storage';
export const UNMANAGED_FATAL = 'Pods that declare no controller (use --force to override)';
export const UNMANAGED_WARNING = 'deleting Pods that declare no controller';
/** The annotation a kubelet puts on the API copy of a static pod. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export interface DrainFilterOptions {
  force: boolean;
  ignoreDaemonSets: boolean;
  deleteEmptyDirData: boolean;
}

/** A filter's verdict (kubectl's PodDeleteStatus). */
interface Verdict {
  delete: boolean;
  reason: 'okay' | 'skip' | 'warning' | 'error';
  message?: string;
}

const okay: Verdict = { delete: true, reason: 'okay' };

export interface PodsForDeletion {
  /** The pods to evict (or delete), in the order listed. */
  pods: Readonly<Pod>[];
  /** kubectl's list.Warnings(): printed as "Warning: ..." ("" when none). */
  warnings: string;
  /** kubectl's list.errors(): when any, nothing is evicted. */
  errors: string[];
}

const isFinished = (pod: Readonly<Pod>) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const controllerOf = (pod: Readonly<Pod>) => pod.metadata?.ownerReferences?.find((r) => r.controller);
const podRef = (pod: Readonly<Pod>) => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;

/**
 * The verdicts of kubectl's filters for one pod. `daemonSetExists(namespace, name)` answers
 * whether the DaemonSet a pod names exists (kubectl reads it: a missing one is an error unless
 * --force, then the pod is deleted with a warning).
 */
function filterPod(pod: Readonly<Pod>, options: DrainFilterOptions, daemonSetExists: (namespace: string, name: string) => boolean): Verdict {
  const filters: (() => Verdict)[] = [
    () => {
      const ref = controllerOf(pod);
      if (!ref || ref.kind !== 'DaemonSet' || isFinished(pod)) return okay;
      if (!daemonSetExists(pod.metadata?.namespace ?? '', ref.name)) {
        const message = `daemonsets.apps "${ref.name}" not found`;
        return options.force ? { delete: true, reason: 'warning', message } : { delete: false, reason: 'error', message };
      }
      return options.ignoreDaemonSets ? { delete: false, reason: 'warning', message: DAEMONSET_WARNING } : { delete: false, reason: 'error', message: DAEMONSET_FATAL };
    },
    () => (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined ? { delete: false, reason: 'skip' } : okay),
    () => {
      if (!(pod.spec?.volumes ?? []).some((v) => v.emptyDir !== undefined) || isFinished(pod)) return okay;
      return options.deleteEmptyDirData ? { delete: true, reason: 'warning', message: LOCAL_STORAGE_WARNING } : { delete: false, reason: 'error', message: LOCAL_STORAGE_FATAL };
    },
    () => {
      if (isFinished(pod) || controllerOf(pod)) return okay;
      return options.force ? { delete: true, reason: 'warning', message: UNMANAGED_WARNING } : { delete: false, reason: 'error', message: UNMANAGED_FATAL };
    },
  ];
  let verdict = okay;
  for (const filter of filters) {
    verdict = filter();
    if (!verdict.delete) break;
  }
  return verdict;
}

/** Groups pod references by message, in the order messages first appear: "msg: a, b". */
function grouped(entries: { message: string; pod: string }[]): { message: string; pods: string }[] {
  const byMessage = new Map<string, string[]>();
  for (const e of entries) byMessage.set(e.message, [...(byMessage.get(e.message) ?? []), e.pod]);
  return [...byMessage].map(([message, pods]) => ({ message, pods: pods.join(', ') }));
}

/** kubectl's GetPodsForDeletion over the pods of the node (already listed). */
export function podsForDeletion(pods: readonly Readonly<Pod>[], options: DrainFilterOptions, daemonSetExists: (namespace: string, name: string) => boolean): PodsForDeletion {
  const evict: Readonly<Pod>[] = [];
  const warnings: { message: string; pod: string }[] = [];
  const errors: { message: string; pod: string }[] = [];
  for (const pod of pods) {
    const verdict = filterPod(pod, options, daemonSetExists);
    if (verdict.delete) evict.push(pod);
    if (verdict.reason === 'warning') warnings.push({ message: verdict.message ?? '', pod: podRef(pod) });
    if (verdict.reason === 'error') errors.push({ message: verdict.message ?? '', pod: podRef(pod) });
  }
  return {
    pods: errors.length > 0 ? [] : evict,
    warnings: grouped(warnings)
      .map((g) => `${g.message}: ${g.pods}`)
      .join('; '),
    errors: grouped(errors).map((g) => `cannot delete ${g.message}: ${g.pods}`),
  };
}

/** kubectl's utilerrors.NewAggregate(...).Error(): one message as is, several as "[a, b]". */
export function aggregateMessage(messages: readonly string[]): string {
  return messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
}

/** What kubectl prints when an eviction is refused for now (429) and will be retried. */
export function evictionRetryMessage(pod: Readonly<Pod>, delaySeconds: number): string {
  return `error when evicting pods/"${pod.metadata?.name}" -n "${pod.metadata?.namespace}" (will retry after ${delaySeconds}s): Cannot evict pod as it would violate the pod's disruption budget.`;
}
