/**
 * What `skiff rollout` and `skiff set image` decide, as kubectl does (polymorphichelpers'
 * DeploymentStatusViewer, DeploymentHistoryViewer, DeploymentRollbacker, the pauser, resumer
 * and restarter, and set image). Pure: objects in, messages and changed copies out; errors are
 * plain Errors carrying kubectl's words.
 *
 * A Deployment's revisions are its ReplicaSets' deployment.kubernetes.io/revision annotations
 * (the deployment controller sets them); a rollback copies the chosen ReplicaSet's pod template,
 * without its pod-template-hash label, back into the Deployment.
 */
import { ObjectMeta, PodTemplateSpec, type Deployment, type Pod, type ReplicaSet } from '@skiff/api';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Annotations of the Deployment a rollback keeps rather than taking them from the ReplicaSet. */
const ROLLBACK_KEEPS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'skiff.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

/** Container waiting reasons `rollout status` warns about. */
const WARNED_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull', 'CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError']);

/** One look at a rollout: the line to print and whether it is finished. */
export interface RolloutStatus {
  message: string;
  done: boolean;
}

/** The Deployment's (or ReplicaSet's) revision; 0 when it has none, NaN when unreadable. */
export function revisionOf(object: { metadata?: { annotations?: Record<string, string> } }): number {
  const value = object.metadata?.annotations?.[REVISION_ANNOTATION];
  return value === undefined ? 0 : /^\d+$/.test(value) ? Number(value) : Number.NaN;
}

/** The first warning a pod of the rollout gives: unschedulable, or a container stuck on a bad image / crash. */
function podWarning(pods: readonly Readonly<Pod>[]): string | undefined {
  for (const pod of pods) {
    const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
    if (unschedulable) return unschedulable.message;
    for (const status of pod.status?.containerStatuses ?? []) {
      const waiting = status.state?.waiting;
      if (waiting && WARNED_REASONS.has(waiting.reason)) return `${waiting.reason} - ${waiting.message}`;
    }
  }
  return undefined;
}

/**
 * kubectl's DeploymentStatusViewer: waiting for the spec to be observed, for new replicas, for
 * old ones to go, for updated ones to be available, or done. `pods` (the Deployment's) add a
 * "(Warning: ...)" to a waiting line. Throws when the progress deadline was exceeded, or when
 * `revision` (> 0) is not the Deployment's.
 */
export function rolloutStatus(d: Readonly<Deployment>, pods: readonly Readonly<Pod>[] = [], revision = 0): RolloutStatus {
  const name = d.metadata?.name ?? '';
  if (revision > 0) {
    const current = revisionOf(d);
    if (Number.isNaN(current)) throw new Error(`cannot get the revision of deployment "${name}"`);
    if (current !== revision) throw new Error(`desired revision (${revision}) is different from the running revision (${current})`);
  }
  const s = d.status;
  const waiting = (text: string): RolloutStatus => {
    const warning = podWarning(pods);
    return { message: warning ? `${text} (Warning: ${warning})` : text, done: false };
  };
  if ((d.metadata?.generation ?? 0) > (s?.observedGeneration ?? 0)) return waiting('Waiting for deployment spec update to be observed...');
  const progressing = s?.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') throw new Error(`deployment "${name}" exceeded its progress deadline`);
  const desired = d.spec?.replicas ?? 1;
  const updated = s?.updatedReplicas ?? 0;
  const total = s?.replicas ?? 0;
  const available = s?.availableReplicas ?? 0;
  if (updated < desired) return waiting(`Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`);
  if (total > updated) return waiting(`Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`);
  if (available < updated) return waiting(`Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`);
  return { message: `deployment "${name}" successfully rolled out`, done: true };
}

/** The ReplicaSets `d` controls. */
export function controlledReplicaSets(d: Readonly<Deployment>, replicaSets: readonly Readonly<ReplicaSet>[]): Readonly<ReplicaSet>[] {
  return replicaSets.filter((rs) => rs.metadata?.ownerReferences?.some((ref) => ref.controller && ref.uid === d.metadata?.uid));
}

/** Revision -> the ReplicaSet holding it (unreadable revisions skipped). */
function byRevision(replicaSets: readonly Readonly<ReplicaSet>[]): Map<number, Readonly<ReplicaSet>> {
  const out = new Map<number, Readonly<ReplicaSet>>();
  for (const rs of replicaSets) {
    const revision = revisionOf(rs);
    if (!Number.isNaN(revision)) out.set(revision, rs);
  }
  return out;
}

/**
 * kubectl's history table ("REVISION  CHANGE-CAUSE", one row per revision, oldest first,
 * change-cause or <none>), or "No rollout history found.". Lines end with "\n".
 */
export function historyTable(replicaSets: readonly Readonly<ReplicaSet>[]): string {
  const revisions = byRevision(replicaSets);
  if (revisions.size === 0) return 'No rollout history found.\n';
  const rows = [...revisions.keys()].sort((a, b) => a - b).map((r) => [String(r), revisions.get(r)!.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION] || '<none>']);
  const width = Math.max('REVISION'.length, ...rows.map(([r]) => r.length)) + 2;
  return [['REVISION', 'CHANGE-CAUSE'], ...rows].map(([r, cause]) => `${r.padEnd(width)}${cause}\n`).join('');
}

/** The pod template of one revision, with its change-cause as a template annotation (as kubectl shows it). */
export function revisionTemplate(replicaSets: readonly Readonly<ReplicaSet>[], revision: number): PodTemplateSpec {
  const rs = byRevision(replicaSets).get(revision);
  if (!rs) throw new Error('unable to find the specified revision');
  const template = PodTemplateSpec.fromPartial(structuredClone(rs.spec?.template ?? {}) as PodTemplateSpec);
  const cause = rs.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION];
  if (cause && template.metadata) template.metadata.annotations = { ...template.metadata.annotations, [CHANGE_CAUSE_ANNOTATION]: cause };
  return template;
}

/** A template without the pod-template-hash label, as JSON with sorted keys (for comparisons). */
function templateKey(template: Readonly<PodTemplateSpec> | undefined): string {
  const json = PodTemplateSpec.toJSON(PodTemplateSpec.fromPartial(structuredClone(template ?? {}) as PodTemplateSpec)) as { metadata?: { labels?: Record<string, string> } };
  if (json.metadata?.labels) delete json.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sort(json));
}

/** What a rollback does: nothing (with kubectl's message) or write the changed object. */
export type RollbackOutcome<T> = { action: 'skip'; message: string } | { action: 'rollback'; object: T };
export type RollbackDecision = { action: 'skip'; message: string } | { action: 'rollback'; deployment: Deployment };

/**
 * kubectl's DeploymentRollbacker: revision 0 means the one before the newest. The Deployment
 * gets that ReplicaSet's template (without pod-template-hash) and its annotations (but those a
 * rollback keeps); nothing happens when the template is already the Deployment's. Throws for a
 * paused Deployment, an unknown revision, or no previous one.
 */
export function planRollback(d: Readonly<Deployment>, replicaSets: readonly Readonly<ReplicaSet>[], toRevision: number): RollbackDecision {
  const name = d.metadata?.name ?? '';
  if (toRevision < 0) throw new Error(`unable to find specified revision ${toRevision} in history`);
  if (d.spec?.paused) throw new Error(`you cannot rollback a paused deployment; resume it first with 'skiff rollout resume deployment/${name}' and try again`);
  const revisions = byRevision(replicaSets);
  let target: Readonly<ReplicaSet> | undefined;
  if (toRevision > 0) {
    target = revisions.get(toRevision);
    if (!target) throw new Error(`unable to find specified revision ${toRevision} in history`);
  } else {
    const sorted = [...revisions.keys()].sort((a, b) => b - a);
    if (sorted.length < 2) throw new Error(`no rollout history found for deployment "${name}"`);
    target = revisions.get(sorted[1]);
  }
  if (templateKey(target?.spec?.template) === templateKey(d.spec?.template)) {
    return { action: 'skip', message: `skipped rollback (current template already matches revision ${toRevision})` };
  }
  const next = structuredClone(d) as Deployment;
  const template = PodTemplateSpec.fromPartial(structuredClone(target?.spec?.template ?? {}) as PodTemplateSpec);
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  next.spec!.template = template;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (ROLLBACK_KEEPS.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(target?.metadata?.annotations ?? {})) if (!ROLLBACK_KEEPS.has(k)) annotations[k] = v;
  next.metadata!.annotations = annotations;
  return { action: 'rollback', deployment: next };
}

/** A paused copy; throws "is already paused". */
export function paused(d: Readonly<Deployment>): Deployment {
  if (d.spec?.paused) throw new Error('is already paused');
  const next = structuredClone(d) as Deployment;
  next.spec!.paused = true;
  return next;
}

/** A resumed copy; throws "is not paused". */
export function resumed(d: Readonly<Deployment>): Deployment {
  if (!d.spec?.paused) throw new Error('is not paused');
  const next = structuredClone(d) as Deployment;
  next.spec!.paused = false;
  return next;
}

/** What `rollout restart` changes: a workload with a pod template (Deployment, DaemonSet, StatefulSet). */
interface TemplateOwner {
  spec?: { paused?: boolean; template?: PodTemplateSpec };
}

/**
 * A copy whose pod template carries kubectl.kubernetes.io/restartedAt = `now` (RFC 3339,
 * seconds), which rolls every pod; throws for a paused Deployment.
 */
export function restarted<T extends TemplateOwner>(workload: Readonly<T>, now: Date): T {
  if (workload.spec?.paused) throw new Error("can't restart paused deployment (run rollout resume first)");
  const next = structuredClone(workload) as T;
  const template = (next.spec!.template ??= PodTemplateSpec.fromPartial({}));
  const meta = (template.metadata ??= ObjectMeta.fromPartial({}));
  meta.annotations = { ...meta.annotations, [RESTARTED_AT_ANNOTATION]: now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  return next;
}

/**
 * `set image` on a Deployment: each `name=image` (name "*" for every container). Returns the
 * changed copy, or undefined when nothing changes; throws `unable to find container named "x"`
 * for a name that matches no container.
 */
export function withImages(d: Readonly<Deployment>, images: ReadonlyMap<string, string>): Deployment | undefined {
  const next = structuredClone(d) as Deployment;
  const spec = next.spec?.template?.spec;
  const containers = spec?.containers ?? [];
  const missing: string[] = [];
  let changed = false;
  for (const [name, image] of images) {
    const targets = containers.filter((c) => name === '*' || c.name === name);
    if (targets.length === 0) missing.push(name);
    for (const c of targets) {
      if (c.image !== image) changed = true;
      c.image = image;
    }
  }
  if (missing.length) throw new Error(missing.map((n) => `unable to find container named "${n}"`).join(', '));
  return changed ? next : undefined;
}

/** Parses `name=image` arguments; throws for anything else (kubectl's wording). */
export function parseImageArgs(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0 || eq === arg.length - 1) throw new Error(`invalid image argument "${arg}": expected CONTAINER_NAME_1=CONTAINER_IMAGE_1`);
    out.set(arg.slice(0, eq), arg.slice(eq + 1));
  }
  if (out.size === 0) throw new Error('at least one image update is required');
  return out;
}
