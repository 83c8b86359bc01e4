/**
 * Validation of ReplicaSets, Deployments and DaemonSets: replicas, selector (required, non-empty,
 * matching the template's labels, immutable), the pod template, strategies and rollout limits;
 * ControllerRevisions (immutable data).
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { ControllerRevision, DaemonSet, Deployment, IntOrString, LabelSelector, PodTemplateSpec, ReplicaSet, StatefulSet } from '../gen';
import { isPercent } from '../names';
import { labelSelectorMatcher } from '../selectors';
import { deepEqual } from './deep-equal';
import { checkEnum, checkMin, forbidden, invalid, required, unsupported, type Errors } from './field-errors';
import { validateLabelSelector, validateMetaFields } from './object-meta';
import { validatePodSpec } from './pod';
import { validateClaimTemplates } from './storage';

interface WorkloadSpec {
  replicas?: number | undefined;
  minReadySeconds: number;
  selector?: LabelSelector | undefined;
  template?: PodTemplateSpec | undefined;
}

function validateWorkloadSpec(errs: Errors, spec: WorkloadSpec | undefined, kind: string): void {
  if (!spec) {
    errs.push(required('spec'));
    return;
  }
  checkMin(errs, 'spec.replicas', spec.replicas, 0);
  checkMin(errs, 'spec.minReadySeconds', spec.minReadySeconds, 0);
  const selector = spec.selector;
  let selectorOk = false;
  if (!selector) errs.push(required('spec.selector'));
  else if (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length) {
    errs.push(invalid('spec.selector', selector, `empty selector is invalid for ${kind.toLowerCase()}`));
  } else {
    const before = errs.length;
    validateLabelSelector(errs, selector, 'spec.selector');
    selectorOk = errs.length === before;
  }
  const template = spec.template;
  if (!template) {
    errs.push(required('spec.template'));
    return;
  }
  validateMetaFields(errs, template.metadata ?? {}, 'spec.template.metadata');
  const labels = template.metadata?.labels ?? {};
  if (selectorOk && selector && !labelSelectorMatcher(selector).matches(labels))
    errs.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  validatePodSpec(errs, template.spec, 'spec.template.spec');
  const restart = template.spec?.restartPolicy;
  if (restart && restart !== 'Always') errs.push(unsupported('spec.template.spec.restartPolicy', restart, ['Always']));
}

/** A ReplicaSet: replicas >= 0, a non-empty selector matching the template, a valid template. */
export function validateReplicaSet(errs: Errors, rs: ReplicaSet): void {
  validateWorkloadSpec(errs, rs.spec, 'ReplicaSet');
}

/** maxSurge / maxUnavailable: an int >= 0 or "N%". Returns the value as a number or percent. */
export function checkIntOrPercent(errs: Errors, value: IntOrString | undefined, field: string): { n: number; percent: boolean } | undefined {
  const v = value?.value;
  if (!v) return undefined;
  if (v.$case === 'intVal') {
    if (v.value < 0) errs.push(invalid(field, v.value, 'must be greater than or equal to 0'));
    return { n: v.value, percent: false };
  }
  if (!isPercent(v.value)) {
    errs.push(invalid(field, v.value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
    return undefined;
  }
  return { n: Number(v.value.slice(0, -1)), percent: true };
}

/** Rolling update bounds: each an int >= 0 or a percentage <= 100%, not both 0. */
function checkRollingBounds(errs: Errors, p: string, maxUnavailable: IntOrString | undefined, maxSurge: IntOrString | undefined): void {
  const unavailable = checkIntOrPercent(errs, maxUnavailable, `${p}.maxUnavailable`);
  const surge = checkIntOrPercent(errs, maxSurge, `${p}.maxSurge`);
  if (unavailable?.percent && unavailable.n > 100) errs.push(invalid(`${p}.maxUnavailable`, `${unavailable.n}%`, 'must not be greater than 100%'));
  if (surge?.percent && surge.n > 100) errs.push(invalid(`${p}.maxSurge`, `${surge.n}%`, 'must not be greater than 100%'));
  if (unavailable && surge && unavailable.n === 0 && surge.n === 0) errs.push(invalid(`${p}.maxUnavailable`, intOrStringText(maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
}

/** A DaemonSet: selector and template as a ReplicaSet's (no replicas), update strategy and history. */
export function validateDaemonSet(errs: Errors, ds: DaemonSet): void {
  validateWorkloadSpec(errs, ds.spec && { ...ds.spec, replicas: undefined }, 'DaemonSet');
  const spec = ds.spec;
  if (!spec) return;
  const strategy = spec.updateStrategy;
  if (strategy) {
    checkEnum(errs, 'spec.updateStrategy.type', strategy.type, ['RollingUpdate', 'OnDelete']);
    if (strategy.type === 'OnDelete' && strategy.rollingUpdate) errs.push(forbidden('spec.updateStrategy.rollingUpdate', "may not be specified when strategy `type` is 'OnDelete'"));
    else if (strategy.rollingUpdate) checkRollingBounds(errs, 'spec.updateStrategy.rollingUpdate', strategy.rollingUpdate.maxUnavailable, strategy.rollingUpdate.maxSurge);
  }
  checkMin(errs, 'spec.revisionHistoryLimit', spec.revisionHistoryLimit, 0);
}

/**
 * A StatefulSet: the ReplicaSet rules, pod management and update policies, claim templates,
 * claim retention policy and ordinals. maxUnavailable is refused: Kubernetes keeps it behind an
 * alpha feature gate, and Skiff rolls one pod at a time.
 */
export function validateStatefulSet(errs: Errors, sts: StatefulSet): void {
  validateWorkloadSpec(errs, sts.spec && withClaimVolumes(sts.spec), 'StatefulSet');
  const spec = sts.spec;
  if (!spec) return;
  checkEnum(errs, 'spec.podManagementPolicy', spec.podManagementPolicy, ['OrderedReady', 'Parallel']);
  const strategy = spec.updateStrategy;
  if (strategy) {
    checkEnum(errs, 'spec.updateStrategy.type', strategy.type, ['RollingUpdate', 'OnDelete']);
    if (strategy.type === 'OnDelete' && strategy.rollingUpdate) errs.push(forbidden('spec.updateStrategy.rollingUpdate', "only allowed for updateStrategy 'RollingUpdate'"));
    checkMin(errs, 'spec.updateStrategy.rollingUpdate.partition', strategy.rollingUpdate?.partition, 0);
    if (strategy.rollingUpdate?.maxUnavailable?.value) errs.push(forbidden('spec.updateStrategy.rollingUpdate.maxUnavailable', 'not supported (the MaxUnavailableStatefulSet feature is alpha in Kubernetes)'));
  }
  checkMin(errs, 'spec.revisionHistoryLimit', spec.revisionHistoryLimit, 0);
  checkMin(errs, 'spec.ordinals.start', spec.ordinals?.start, 0);
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  if (retention) {
    checkEnum(errs, 'spec.persistentVolumeClaimRetentionPolicy.whenDeleted', retention.whenDeleted, ['Retain', 'Delete']);
    checkEnum(errs, 'spec.persistentVolumeClaimRetentionPolicy.whenScaled', retention.whenScaled, ['Retain', 'Delete']);
  }
  validateClaimTemplates(errs, spec.volumeClaimTemplates ?? [], 'spec.volumeClaimTemplates');
}

/**
 * The spec with each claim template as a volume of its pod template (an emptyDir stand-in, for
 * validation only), so that containers may mount the claims by name as in Kubernetes, where the
 * controller puts a persistentVolumeClaim volume of that name into each pod.
 */
function withClaimVolumes(spec: NonNullable<StatefulSet['spec']>): NonNullable<StatefulSet['spec']> {
  const claims = (spec.volumeClaimTemplates ?? []).map((c) => c.metadata?.name ?? '').filter(Boolean);
  const podSpec = spec.template?.spec;
  if (!claims.length || !podSpec) return spec;
  const have = new Set((podSpec.volumes ?? []).map((v) => v.name));
  const extra = claims.filter((name) => !have.has(name)).map((name) => ({ name, emptyDir: { medium: '', sizeLimit: '' } }));
  return { ...spec, template: { ...spec.template, metadata: spec.template?.metadata, spec: { ...podSpec, volumes: [...(podSpec.volumes ?? []), ...extra] as never } } };
}

/** Only replicas, ordinals, template, updateStrategy, revisionHistoryLimit, the claim retention policy and minReadySeconds may change (Kubernetes' wording). */
export function validateStatefulSetUpdate(errs: Errors, sts: StatefulSet, old: StatefulSet): void {
  const fixed = (s: StatefulSet) => ({ ...s.spec, replicas: 0, ordinals: null, template: null, updateStrategy: null, revisionHistoryLimit: 0, persistentVolumeClaimRetentionPolicy: null, minReadySeconds: 0 });
  if (!deepEqual(fixed(sts), fixed(old))) {
    errs.push(
      forbidden(
        'spec',
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
}

/** A ControllerRevision: revision >= 0; its data never changes (checked on update). */
export function validateControllerRevision(errs: Errors, cr: ControllerRevision, old?: ControllerRevision): void {
  checkMin(errs, 'revision', cr.revision, 0);
  if (old && !deepEqual(cr.data ?? null, old.data ?? null)) errs.push(invalid('data', '', 'field is immutable'));
}

/** A Deployment: the ReplicaSet rules plus strategy, rollout limits and history/deadline. */
export function validateDeployment(errs: Errors, d: Deployment): void {
  validateWorkloadSpec(errs, d.spec, 'Deployment');
  const spec = d.spec;
  if (!spec) return;
  const strategy = spec.strategy;
  if (strategy) {
    checkEnum(errs, 'spec.strategy.type', strategy.type, ['RollingUpdate', 'Recreate']);
    if (strategy.type === 'Recreate' && strategy.rollingUpdate) {
      errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    } else if (strategy.rollingUpdate) {
      const p = 'spec.strategy.rollingUpdate';
      const unavailable = checkIntOrPercent(errs, strategy.rollingUpdate.maxUnavailable, `${p}.maxUnavailable`);
      const surge = checkIntOrPercent(errs, strategy.rollingUpdate.maxSurge, `${p}.maxSurge`);
      if (unavailable?.percent && unavailable.n > 100) errs.push(invalid(`${p}.maxUnavailable`, `${unavailable.n}%`, 'must not be greater than 100%'));
      if (unavailable && surge && unavailable.n === 0 && surge.n === 0)
        errs.push(invalid(`${p}.maxUnavailable`, intOrStringText(strategy.rollingUpdate.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
    }
  }
  checkMin(errs, 'spec.revisionHistoryLimit', spec.revisionHistoryLimit, 0);
  if (spec.progressDeadlineSeconds !== undefined) {
    if (spec.progressDeadlineSeconds <= 0) errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than 0'));
    else if (spec.progressDeadlineSeconds <= spec.minReadySeconds)
      errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
}

function intOrStringText(value: IntOrString | undefined): unknown {
  return value?.value?.value;
}

/** In apps/v1 the selector of a ReplicaSet or Deployment is immutable. */
export function validateSelectorUpdate(errs: Errors, selector: LabelSelector | undefined, old: LabelSelector | undefined): void {
  if (!deepEqual(selector ?? {}, old ?? {})) errs.push(invalid('spec.selector', selector, 'field is immutable'));
}
