/**
 * What `skiff rollout status|history|undo daemonset/x` decide, as kubectl does (polymorphichelpers'
 * DaemonSetStatusViewer, DaemonSetHistoryViewer and DaemonSetRollbacker). Pure: objects in,
 * messages and changed copies out; errors are plain Errors carrying kubectl's words.
 *
 * A DaemonSet's revisions are the ControllerRevisions it controls (the daemonset controller
 * writes one per template, numbered); a rollback writes the chosen revision's template back
 * into the DaemonSet, and the controller renumbers that revision as the newest.
 */
import { PodTemplateSpec, type ControllerRevision, type DaemonSet } from '@skiff/api';
import { CHANGE_CAUSE_ANNOTATION, type RollbackOutcome, type RolloutStatus } from './deployment-rollout';

/**
 * kubectl's DaemonSetStatusViewer: waiting for the spec to be observed, for pods to be updated,
 * for updated pods to be available, or done. Throws for a DaemonSet that does not roll (OnDelete).
 */
export function daemonSetRolloutStatus(ds: Readonly<DaemonSet>): RolloutStatus {
  const name = ds.metadata?.name ?? '';
  if ((ds.spec?.updateStrategy?.type || 'RollingUpdate') !== 'RollingUpdate') throw new Error('rollout status is only available for RollingUpdate strategy type');
  const s = ds.status;
  if ((ds.metadata?.generation ?? 0) > (s?.observedGeneration ?? 0)) return { message: 'Waiting for daemon set spec update to be observed...', done: false };
  const desired = s?.desiredNumberScheduled ?? 0;
  const updated = s?.updatedNumberScheduled ?? 0;
  const available = s?.numberAvailable ?? 0;
  if (updated < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`, done: false };
  if (available < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`, done: false };
  return { message: `daemon set "${name}" successfully rolled out`, done: true };
}

/** The ControllerRevisions `ds` controls. */
export function controlledRevisions(ds: Readonly<DaemonSet>, revisions: readonly Readonly<ControllerRevision>[]): Readonly<ControllerRevision>[] {
  return revisions.filter((r) => r.metadata?.ownerReferences?.some((ref) => ref.controller && ref.uid === ds.metadata?.uid));
}

function byNumber(revisions: readonly Readonly<ControllerRevision>[]): Map<number, Readonly<ControllerRevision>> {
  return new Map([...revisions].sort((a, b) => a.revision - b.revision).map((r) => [r.revision, r]));
}

/** kubectl's history table ("REVISION  CHANGE-CAUSE", oldest first), or "No rollout history found.". Lines end with "\n". */
export function revisionHistoryTable(revisions: readonly Readonly<ControllerRevision>[]): string {
  const all = byNumber(revisions);
  if (all.size === 0) return 'No rollout history found.\n';
  const rows = [...all.values()].map((r) => [String(r.revision), r.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION] || '<none>']);
  const width = Math.max('REVISION'.length, ...rows.map(([r]) => r.length)) + 2;
  return [['REVISION', 'CHANGE-CAUSE'], ...rows].map(([r, cause]) => `${r.padEnd(width)}${cause}\n`).join('');
}

/** The pod template of one revision; throws "unable to find the specified revision". */
export function revisionPodTemplate(revisions: readonly Readonly<ControllerRevision>[], revision: number): PodTemplateSpec {
  const r = byNumber(revisions).get(revision);
  if (!r) throw new Error('unable to find the specified revision');
  return PodTemplateSpec.fromPartial(structuredClone(r.data?.spec?.template ?? {}) as PodTemplateSpec);
}

const templateKey = (t: Readonly<PodTemplateSpec> | undefined) => JSON.stringify(PodTemplateSpec.toJSON(PodTemplateSpec.fromPartial(structuredClone(t ?? {}) as PodTemplateSpec)));

/**
 * kubectl's DaemonSetRollbacker: revision 0 means the one before the newest. Returns the
 * DaemonSet with that revision's template, or a skip when it already has it. Throws "no last
 * revision to roll back to" or "unable to find specified revision N in history".
 */
export function planDaemonSetRollback(ds: Readonly<DaemonSet>, revisions: readonly Readonly<ControllerRevision>[], toRevision: number): RollbackOutcome<DaemonSet> {
  const all = byNumber(revisions);
  if (toRevision === 0 && all.size <= 1) throw new Error('no last revision to roll back to');
  let target: Readonly<ControllerRevision> | undefined;
  if (toRevision > 0) target = all.get(toRevision);
  else if (toRevision === 0) target = all.get([...all.keys()].sort((a, b) => b - a)[1]);
  if (!target) throw new Error(`unable to find specified revision ${toRevision} in history`);
  if (templateKey(target.data?.spec?.template) === templateKey(ds.spec?.template)) {
    return { action: 'skip', message: `skipped rollback (current template already matches revision ${toRevision})` };
  }
  const next = structuredClone(ds) as DaemonSet;
  next.spec!.template = PodTemplateSpec.fromPartial(structuredClone(target.data?.spec?.template ?? {}) as PodTemplateSpec);
  return { action: 'rollback', object: next };
}
