/**
 * What the CLI shows and decides for StatefulSets, as kubectl 1.32 does. Pure: objects in,
 * cells, lines, messages and changed copies out; errors are plain Errors carrying kubectl's words.
 *
 *   get:       statefulset-columns.ts
 *   describe:  kubectl's describeStatefulSet (Replicas, Update Strategy, Pods Status, the pod
 *              template, Volume Claims)
 *   rollout:   kubectl's StatefulSetStatusViewer, and its history viewer and rollbacker over the
 *              ControllerRevisions the set controls (the same table and template as DaemonSets')
 */
import { PodTemplateSpec, type ControllerRevision, type KubeObject, type Pod, type StatefulSet } from '@skiff/api';
import type { RollbackOutcome, RolloutStatus } from './deployment-rollout';
import { annotationRows, labelRows, type JobDescribeLines } from './describe-job';
import { formatLabelSelector } from './table-columns';

const replicasOf = (sts: Readonly<StatefulSet>) => sts.spec?.replicas ?? 1;

/** Whether `pod` is controlled by the object with `uid`. */
const controlledBy = (object: Readonly<KubeObject>, uid: string | undefined) => Boolean(uid) && (object.metadata?.ownerReferences ?? []).some((r) => r.controller && r.uid === uid);

/** "Wed, 01 May 2024 12:00:00 +0000": Go's RFC1123Z, in UTC. */
function rfc1123z(date: Date | undefined): string {
  return date ? date.toUTCString().replace('GMT', '+0000') : '<unknown>';
}

/** "3 Running / 0 Waiting / 0 Succeeded / 0 Failed" over the pods the set controls. */
export function statefulSetPodsStatus(sts: Readonly<StatefulSet>, pods: readonly Readonly<Pod>[]): string {
  const counts: Record<string, number> = { Running: 0, Pending: 0, Succeeded: 0, Failed: 0 };
  for (const pod of pods) {
    if (!controlledBy(pod, sts.metadata?.uid)) continue;
    const phase = pod.status?.phase || 'Pending';
    if (phase in counts) counts[phase]++;
  }
  return `${counts.Running} Running / ${counts.Pending} Waiting / ${counts.Succeeded} Succeeded / ${counts.Failed} Failed`;
}

/** Writes a StatefulSet as kubectl's describeStatefulSet (without the events). */
export function describeStatefulSet(d: JobDescribeLines, sts: Readonly<StatefulSet>, pods: readonly Readonly<Pod>[]): void {
  const meta = sts.metadata;
  const strategy = sts.spec?.updateStrategy;
  d.rows(0, [
    ['Name:', meta?.name ?? ''],
    ['Namespace:', meta?.namespace ?? ''],
    ['CreationTimestamp:', rfc1123z(meta?.creationTimestamp)],
    ['Selector:', formatLabelSelector(sts.spec?.selector)],
    ...labelRows('Labels', meta?.labels),
    ...annotationRows('Annotations', meta?.annotations),
    ['Replicas:', `${replicasOf(sts)} desired | ${sts.status?.replicas ?? 0} total`],
    ['Update Strategy:', strategy?.type ?? ''],
    // One tab block, as kubectl's writer aligns it: the partition line is only indented.
    ...(strategy?.rollingUpdate?.partition !== undefined ? [['  Partition:', String(strategy.rollingUpdate.partition)]] : []),
    ['Pods Status:', statefulSetPodsStatus(sts, pods)],
  ]);
  d.podTemplate(sts.spec?.template);
  const templates = sts.spec?.volumeClaimTemplates ?? [];
  if (templates.length === 0) {
    d.rows(0, [['Volume Claims:', '<none>']]);
    return;
  }
  d.rows(0, [['Volume Claims:']]);
  for (const claim of templates) {
    d.rows(1, [
      ['Name:', claim.metadata?.name ?? ''],
      ['StorageClass:', claim.spec?.storageClassName ?? ''],
      ...labelRows('Labels', claim.metadata?.labels),
      ...annotationRows('Annotations', claim.metadata?.annotations),
      ['Capacity:', claim.spec?.resources?.requests?.storage ?? '<default>'],
      ['Access Modes:', `[${(claim.spec?.accessModes ?? []).join(' ')}]`],
    ]);
  }
}

/**
 * kubectl's StatefulSetStatusViewer. Throws for an OnDelete set ("rollout status is only
 * available for RollingUpdate strategy type").
 */
export function statefulSetRolloutStatus(sts: Readonly<StatefulSet>): RolloutStatus {
  const strategy = sts.spec?.updateStrategy;
  if ((strategy?.type || 'RollingUpdate') !== 'RollingUpdate') throw new Error('rollout status is only available for RollingUpdate strategy type');
  const s = sts.status;
  const observed = Number(s?.observedGeneration ?? 0);
  if (observed === 0 || Number(sts.metadata?.generation ?? 0) > observed) return { message: 'Waiting for statefulset spec update to be observed...', done: false };
  const replicas = replicasOf(sts);
  const ready = s?.readyReplicas ?? 0;
  if (ready < replicas) return { message: `Waiting for ${replicas - ready} pods to be ready...`, done: false };
  const updated = s?.updatedReplicas ?? 0;
  if (strategy?.rollingUpdate) {
    const partition = strategy.rollingUpdate.partition;
    if (partition !== undefined && updated < replicas - partition) {
      return { message: `Waiting for partitioned roll out to finish: ${updated} out of ${replicas - partition} new pods have been updated...`, done: false };
    }
    return { message: `partitioned roll out complete: ${updated} new pods have been updated...`, done: true };
  }
  if (s?.updateRevision !== s?.currentRevision) return { message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${s?.updateRevision}...`, done: false };
  return { message: `statefulset rolling update complete ${s?.currentReplicas ?? 0} pods at revision ${s?.currentRevision}...`, done: true };
}

/** The ControllerRevisions `sts` controls. */
export function statefulSetRevisions(sts: Readonly<StatefulSet>, revisions: readonly Readonly<ControllerRevision>[]): Readonly<ControllerRevision>[] {
  return revisions.filter((r) => controlledBy(r, sts.metadata?.uid));
}

const templateKey = (t: Readonly<PodTemplateSpec> | undefined) => JSON.stringify(PodTemplateSpec.toJSON(PodTemplateSpec.fromPartial(structuredClone(t ?? {}) as PodTemplateSpec)));

/**
 * kubectl's StatefulSetRollbacker: revision 0 means the one before the newest. Returns the set
 * with that revision's template, or a skip when it already has it. Throws "no last revision to
 * roll back to" or "unable to find specified revision N in history".
 */
export function planStatefulSetRollback(sts: Readonly<StatefulSet>, revisions: readonly Readonly<ControllerRevision>[], toRevision: number): RollbackOutcome<StatefulSet> {
  const sorted = [...revisions].sort((a, b) => a.revision - b.revision);
  if (toRevision === 0 && sorted.length <= 1) throw new Error('no last revision to roll back to');
  const target = toRevision > 0 ? sorted.find((r) => r.revision === toRevision) : sorted[sorted.length - 2];
  if (!target) throw new Error(`unable to find specified revision ${toRevision} in history`);
  if (templateKey(target.data?.spec?.template) === templateKey(sts.spec?.template)) {
    return { action: 'skip', message: `skipped rollback (current template already matches revision ${toRevision})` };
  }
  const next = structuredClone(sts) as StatefulSet;
  next.spec!.template = PodTemplateSpec.fromPartial(structuredClone(target.data?.spec?.template ?? {}) as PodTemplateSpec);
  return { action: 'rollback', object: next };
}
