/**
 * Validation of Jobs and CronJobs (batch/v1), as Kubernetes' ValidateJob / ValidateCronJob:
 * counts and deadlines non-negative, completion modes, the generated or manual selector, a pod
 * template that restarts OnFailure or Never, pod failure policy rules, cron schedules and time
 * zones; immutable fields on update.
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import { CronScheduleError, isKnownTimeZone, parseCronSchedule } from '../cron-schedule';
import type { CronJob, Job, JobSpec, PodFailurePolicy } from '../gen';
import { JOB_CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_JOB_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL } from '../job-labels';
import { labelSelectorMatcher } from '../selectors';
import { deepEqual } from './deep-equal';
import { checkEnum, checkMin, duplicate, invalid, required, unsupported, type Errors } from './field-errors';
import { validateLabelSelector, validateMetaFields } from './object-meta';
import { validatePodSpec } from './pod';

const COMPLETION_MODES = ['NonIndexed', 'Indexed'] as const;
const RESTART_POLICIES = ['OnFailure', 'Never'] as const;
const FAILURE_ACTIONS = ['Count', 'FailJob', 'Ignore'] as const;
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'] as const;
/** Indexed Jobs: at most this many completions and parallelism (Kubernetes' maxParallelismForIndexedJob). */
const MAX_INDEXED = 100_000;
const MAX_FAILURE_RULES = 20;
const MAX_EXIT_CODES = 255;
const MAX_POD_CONDITIONS = 20;
/** A CronJob's name leaves room for the 11 characters its Jobs' names add. */
const MAX_CRONJOB_NAME = 52;

function validatePodFailurePolicy(errs: Errors, policy: PodFailurePolicy, spec: JobSpec, jobPath: string): void {
  const path = `${jobPath}.podFailurePolicy`;
  const rules = policy.rules ?? [];
  if (rules.length > MAX_FAILURE_RULES) errs.push({ field: `${path}.rules`, detail: `Too many: ${rules.length}: must have at most ${MAX_FAILURE_RULES} items` });
  const containers = new Set([...(spec.template?.spec?.containers ?? []), ...(spec.template?.spec?.initContainers ?? [])].map((c) => c.name));
  rules.forEach((rule, i) => {
    const p = `${path}.rules[${i}]`;
    checkEnum(errs, `${p}.action`, rule.action, FAILURE_ACTIONS, false);
    const exit = rule.onExitCodes;
    const conditions = rule.onPodConditions ?? [];
    if (exit && conditions.length) errs.push(invalid(p, 'specifying both OnExitCodes and OnPodConditions is not supported', 'specifying both OnExitCodes and OnPodConditions is not supported'));
    else if (!exit && !conditions.length) errs.push(invalid(p, 'specifying one of OnExitCodes and OnPodConditions is required', 'specifying one of OnExitCodes and OnPodConditions is required'));
    if (exit) {
      const q = `${p}.onExitCodes`;
      if (exit.containerName !== undefined && !containers.has(exit.containerName)) errs.push(invalid(`${q}.containerName`, exit.containerName, 'must be one of the container or initContainer names in the pod template'));
      checkEnum(errs, `${q}.operator`, exit.operator, ['In', 'NotIn'], false);
      const values = exit.values ?? [];
      if (!values.length) errs.push(invalid(`${q}.values`, values, 'at least one value is required'));
      if (values.length > MAX_EXIT_CODES) errs.push({ field: `${q}.values`, detail: `Too many: ${values.length}: must have at most ${MAX_EXIT_CODES} items` });
      const seen = new Set<number>();
      values.forEach((v, j) => {
        if (seen.has(v)) errs.push(duplicate(`${q}.values[${j}]`, v));
        else if (j > 0 && v < values[j - 1]) errs.push(invalid(`${q}.values[${j}]`, v, 'must be ordered'));
        if (exit.operator === 'In' && v === 0) errs.push(invalid(`${q}.values[${j}]`, v, 'must not be 0 for the In operator'));
        seen.add(v);
      });
    }
    if (conditions.length > MAX_POD_CONDITIONS) errs.push({ field: `${p}.onPodConditions`, detail: `Too many: ${conditions.length}: must have at most ${MAX_POD_CONDITIONS} items` });
    conditions.forEach((c, j) => {
      const q = `${p}.onPodConditions[${j}]`;
      if (!c.type) errs.push(required(`${q}.type`));
      checkEnum(errs, `${q}.status`, c.status, ['True', 'False', 'Unknown'], false);
    });
  });
  if (spec.template?.spec?.restartPolicy && spec.template.spec.restartPolicy !== 'Never') {
    errs.push(invalid(`${jobPath}.template.spec.restartPolicy`, spec.template.spec.restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  }
}

/**
 * A JobSpec at `path` ("spec", or "spec.jobTemplate.spec" in a CronJob). `generated`: the
 * selector is the apiserver's to generate (a Job being created without manualSelector, or a
 * CronJob's template), so the user may not set one.
 */
export function validateJobSpec(errs: Errors, spec: JobSpec | undefined, path: string, generated: boolean): void {
  if (!spec) {
    errs.push(required(path));
    return;
  }
  checkMin(errs, `${path}.parallelism`, spec.parallelism, 0);
  checkMin(errs, `${path}.completions`, spec.completions, 0);
  checkMin(errs, `${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 0);
  checkMin(errs, `${path}.backoffLimit`, spec.backoffLimit, 0);
  checkMin(errs, `${path}.ttlSecondsAfterFinished`, spec.ttlSecondsAfterFinished, 0);
  checkEnum(errs, `${path}.completionMode`, spec.completionMode, COMPLETION_MODES);
  if (spec.completionMode === 'Indexed') {
    if (spec.completions === undefined) errs.push(required(`${path}.completions`, 'when completion mode is Indexed'));
    else if (spec.completions > MAX_INDEXED) errs.push(invalid(`${path}.completions`, spec.completions, `must be less than or equal to ${MAX_INDEXED} when completion mode is Indexed`));
    if ((spec.parallelism ?? 0) > MAX_INDEXED) errs.push(invalid(`${path}.parallelism`, spec.parallelism, `must be less than or equal to ${MAX_INDEXED} when completion mode is Indexed`));
  }

  const selector = spec.selector;
  let selectorOk = false;
  if (spec.manualSelector) {
    if (!selector) errs.push(required(`${path}.selector`));
    else if (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length) errs.push(invalid(`${path}.selector`, selector, 'empty selector is invalid for job'));
    else {
      const before = errs.length;
      validateLabelSelector(errs, selector, `${path}.selector`);
      selectorOk = errs.length === before;
    }
  } else if (generated && selector) {
    errs.push(invalid(`${path}.selector`, selector, '`selector` will be auto-generated'));
  }

  const template = spec.template;
  if (!template) {
    errs.push(required(`${path}.template`));
    return;
  }
  validateMetaFields(errs, template.metadata ?? {}, `${path}.template.metadata`);
  const labels = template.metadata?.labels ?? {};
  if (selectorOk && selector && !labelSelectorMatcher(selector).matches(labels)) errs.push(invalid(`${path}.template.metadata.labels`, labels, '`selector` does not match template `labels`'));
  validatePodSpec(errs, template.spec, `${path}.template.spec`);
  const restart = template.spec?.restartPolicy;
  if (!restart) errs.push(required(`${path}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'));
  else if (!(RESTART_POLICIES as readonly string[]).includes(restart)) errs.push(unsupported(`${path}.template.spec.restartPolicy`, restart, RESTART_POLICIES));
  if (spec.podFailurePolicy) validatePodFailurePolicy(errs, spec.podFailurePolicy, spec, path);
}

/**
 * The selector and pod labels the apiserver generated for a Job without manualSelector, checked
 * after generation (Kubernetes' validateGeneratedSelector): the selector must be exactly
 * {batch.kubernetes.io/controller-uid: <uid>}, the template's controller-uid / job-name labels
 * (new and legacy keys) must be the Job's uid and name, and the selector must match the
 * template's labels. A user's own value for one of those labels is caught here: it would leave
 * the Job with a selector that matches none of its pods.
 */
export function validateGeneratedJobSelector(job: Job): Errors {
  const errs: Errors = [];
  const spec = job.spec;
  if (!spec || spec.manualSelector) return errs;
  const uid = job.metadata?.uid ?? '';
  const name = job.metadata?.name ?? '';
  const labels = spec.template?.metadata?.labels;
  if (!labels) return [required('spec.template.metadata.labels', 'expected non-nil labels')];
  const selector = spec.selector;
  if (!selector) return [required('spec.selector')];
  if ((selector.matchExpressions ?? []).length > 0) errs.push(invalid('spec.selector.matchExpressions', selector.matchExpressions, '`selector` not auto-generated'));
  const matchLabels = selector.matchLabels ?? {};
  if (!(JOB_CONTROLLER_UID_LABEL in matchLabels)) errs.push(invalid('spec.selector', selector, '`selector` not auto-generated'));
  else if (matchLabels[JOB_CONTROLLER_UID_LABEL] !== uid) errs.push(invalid('spec.selector.matchLabels', matchLabels, 'controller-uid does not match uid'));
  if (Object.keys(matchLabels).length > 1) errs.push(invalid('spec.selector.matchLabels', matchLabels, '`selector` not auto-generated'));
  for (const [key, want] of [
    [LEGACY_JOB_CONTROLLER_UID_LABEL, uid],
    [LEGACY_JOB_NAME_LABEL, name],
    [JOB_CONTROLLER_UID_LABEL, uid],
    [JOB_NAME_LABEL, name],
  ] as const) {
    const field = `spec.template.metadata.labels[${key}]`;
    if (!(key in labels)) errs.push(required(field));
    else if (labels[key] !== want) errs.push(invalid(field, labels[key], `must be '${want}'`));
  }
  if (errs.length === 0 && !labelSelectorMatcher(selector).matches(labels)) errs.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  return errs;
}

/** A Job as created or updated (`old`: the stored Job on update, whose selector is generated). */
export function validateJob(errs: Errors, job: Job, old?: Job): void {
  validateJobSpec(errs, job.spec, 'spec', !old);
}

/**
 * What a Job update may not change (Kubernetes' ValidateJobSpecUpdate): selector, template,
 * completions, completionMode, podFailurePolicy and manualSelector. Parallelism, deadlines,
 * backoffLimit, suspend and ttlSecondsAfterFinished may change.
 */
export function validateJobUpdate(errs: Errors, job: Job, old: Job): void {
  const spec = job.spec;
  const before = old.spec;
  if (!spec || !before) return;
  const same = (field: keyof JobSpec) => {
    if (!deepEqual(spec[field] ?? null, before[field] ?? null)) errs.push(invalid(`spec.${String(field)}`, spec[field] ?? null, 'field is immutable'));
  };
  for (const field of ['selector', 'template', 'completions', 'completionMode', 'podFailurePolicy', 'manualSelector'] as const) same(field);
}

/** A CronJob: name length, schedule (5 fields or a macro), time zone, policies, the Job template. */
export function validateCronJob(errs: Errors, cronJob: CronJob): void {
  const name = cronJob.metadata?.name ?? '';
  if (name.length > MAX_CRONJOB_NAME) errs.push(invalid('metadata.name', name, `must be no more than ${MAX_CRONJOB_NAME} characters`));
  const spec = cronJob.spec;
  if (!spec) {
    errs.push(required('spec'));
    return;
  }
  if (!spec.schedule) errs.push(required('spec.schedule'));
  else {
    try {
      parseCronSchedule(spec.schedule);
    } catch (err) {
      if (!(err instanceof CronScheduleError)) throw err;
      errs.push(invalid('spec.schedule', spec.schedule, err.message));
    }
  }
  if (spec.timeZone !== undefined) {
    if (spec.timeZone === '') errs.push(invalid('spec.timeZone', spec.timeZone, 'timeZone must be nil or non-empty string'));
    else if (spec.timeZone.toLowerCase() === 'local') errs.push(invalid('spec.timeZone', spec.timeZone, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
    else if (!isKnownTimeZone(spec.timeZone)) errs.push(invalid('spec.timeZone', spec.timeZone, `unknown time zone ${spec.timeZone}`));
  }
  checkMin(errs, 'spec.startingDeadlineSeconds', spec.startingDeadlineSeconds, 0);
  checkEnum(errs, 'spec.concurrencyPolicy', spec.concurrencyPolicy, CONCURRENCY_POLICIES);
  checkMin(errs, 'spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit, 0);
  checkMin(errs, 'spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit, 0);
  const template = spec.jobTemplate;
  if (!template) {
    errs.push(required('spec.jobTemplate'));
    return;
  }
  validateMetaFields(errs, template.metadata ?? {}, 'spec.jobTemplate.metadata');
  // Kubernetes' ValidateJobTemplateSpec: the selector is always generated for the Jobs.
  if (template.spec?.manualSelector) errs.push(unsupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  validateJobSpec(errs, template.spec && { ...template.spec, manualSelector: undefined }, 'spec.jobTemplate.spec', true);
}
