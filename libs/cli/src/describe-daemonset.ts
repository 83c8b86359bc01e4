/**
 * The DaemonSet part of `skiff describe`, as kubectl's describeDaemonSet lays it out: Name,
 * Selector, Node-Selector, Labels, Annotations, the status counts as plain lines, "Pods Status"
 * (from the pods the DaemonSet controls), then the pod template. Pure: writes lines through the
 * describer it is given; the caller adds the events.
 */
import type { DaemonSet, Pod } from '@skiff/api';
import { annotationRows, labelRows, type JobDescribeLines } from './describe-job';
import { formatLabels, formatLabelSelector } from './table-columns';

/** "2 Running / 1 Waiting / 0 Succeeded / 0 Failed" over the pods controlled by `ds` (kubectl's getPodStatusForController). */
export function daemonPodsStatus(ds: Readonly<DaemonSet>, pods: readonly Readonly<Pod>[]): string {
  const counts = { Running: 0, Pending: 0, Succeeded: 0, Failed: 0 } as Record<string, number>;
  for (const pod of pods) {
    if (!pod.metadata?.ownerReferences?.some((r) => r.controller && r.uid === ds.metadata?.uid)) continue;
    const phase = pod.status?.phase || 'Pending';
    if (phase in counts) counts[phase]++;
  }
  return `${counts.Running} Running / ${counts.Pending} Waiting / ${counts.Succeeded} Succeeded / ${counts.Failed} Failed`;
}

/** Writes a DaemonSet as kubectl's describeDaemonSet (without the events). */
export function describeDaemonSet(d: JobDescribeLines, ds: Readonly<DaemonSet>, pods: readonly Readonly<Pod>[]): void {
  const s = ds.status;
  d.rows(0, [
    ['Name:', ds.metadata?.name ?? ''],
    ['Selector:', formatLabelSelector(ds.spec?.selector)],
    ['Node-Selector:', formatLabels(ds.spec?.template?.spec?.nodeSelector)],
    ...labelRows('Labels', ds.metadata?.labels),
    ...annotationRows('Annotations', ds.metadata?.annotations),
    [`Desired Number of Nodes Scheduled: ${s?.desiredNumberScheduled ?? 0}`],
    [`Current Number of Nodes Scheduled: ${s?.currentNumberScheduled ?? 0}`],
    [`Number of Nodes Scheduled with Up-to-date Pods: ${s?.updatedNumberScheduled ?? 0}`],
    [`Number of Nodes Scheduled with Available Pods: ${s?.numberAvailable ?? 0}`],
    [`Number of Nodes Misscheduled: ${s?.numberMisscheduled ?? 0}`],
    ['Pods Status:', daemonPodsStatus(ds, pods)],
  ]);
  d.podTemplate(ds.spec?.template);
}
