/**
 * Validation of HorizontalPodAutoscalers (autoscaling/v2 with Resource metrics only).
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { HorizontalPodAutoscaler, HPAScalingRules } from '../gen';
import { checkDns1123Subdomain } from '../names';
import { compareQuantities, isQuantity } from '../quantity';
import { checkEnum, checkMin, invalid, invalidEach, required, unsupported, type Errors } from './field-errors';

const MAX_STABILIZATION_SECONDS = 3600;
const MAX_POLICY_PERIOD_SECONDS = 1800;

function validateQuantityTarget(errs: Errors, value: string, field: string): void {
  if (!value) errs.push(required(field));
  else if (!isQuantity(value)) errs.push(invalid(field, value, 'must be a valid quantity'));
  else if (compareQuantities(value, '0') <= 0) errs.push(invalid(field, value, 'must be positive'));
}

function validateRules(errs: Errors, rules: HPAScalingRules | undefined, field: string): void {
  if (!rules) return;
  const w = rules.stabilizationWindowSeconds;
  if (w !== undefined && (w < 0 || w > MAX_STABILIZATION_SECONDS))
    errs.push(invalid(`${field}.stabilizationWindowSeconds`, w, `must be less than or equal to ${MAX_STABILIZATION_SECONDS}`));
  checkEnum(errs, `${field}.selectPolicy`, rules.selectPolicy, ['Max', 'Min', 'Disabled']);
  (rules.policies ?? []).forEach((p, i) => {
    const pp = `${field}.policies[${i}]`;
    checkEnum(errs, `${pp}.type`, p.type, ['Pods', 'Percent'], false);
    if (p.value <= 0) errs.push(invalid(`${pp}.value`, p.value, 'must be greater than zero'));
    if (p.periodSeconds <= 0 || p.periodSeconds > MAX_POLICY_PERIOD_SECONDS)
      errs.push(invalid(`${pp}.periodSeconds`, p.periodSeconds, `must be greater than zero and less than or equal to ${MAX_POLICY_PERIOD_SECONDS}`));
  });
}

/** An HPA: scaleTargetRef, replica bounds, Resource metrics (cpu|memory) with a target, behaviour. */
export function validateHpa(errs: Errors, hpa: HorizontalPodAutoscaler): void {
  const spec = hpa.spec;
  if (!spec) {
    errs.push(required('spec'));
    return;
  }
  const ref = spec.scaleTargetRef;
  if (!ref) errs.push(required('spec.scaleTargetRef'));
  else {
    if (!ref.kind) errs.push(required('spec.scaleTargetRef.kind'));
    if (!ref.name) errs.push(required('spec.scaleTargetRef.name'));
    else invalidEach(errs, 'spec.scaleTargetRef.name', ref.name, checkDns1123Subdomain(ref.name));
  }
  const min = spec.minReplicas ?? 1;
  checkMin(errs, 'spec.minReplicas', spec.minReplicas, 1);
  if (spec.maxReplicas < 1) errs.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than 0'));
  else if (spec.maxReplicas < min) errs.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  (spec.metrics ?? []).forEach((m, i) => {
    const p = `spec.metrics[${i}]`;
    if (!m.type) errs.push(required(`${p}.type`));
    else if (m.type !== 'Resource') errs.push(unsupported(`${p}.type`, m.type, ['Resource']));
    if (!m.resource) {
      errs.push(required(`${p}.resource`, 'must populate information for the given metric source'));
      return;
    }
    const rp = `${p}.resource`;
    if (!m.resource.name) errs.push(required(`${rp}.name`));
    else if (!['cpu', 'memory'].includes(m.resource.name)) errs.push(unsupported(`${rp}.name`, m.resource.name, ['cpu', 'memory']));
    const t = m.resource.target;
    if (!t) {
      errs.push(required(`${rp}.target`));
      return;
    }
    const tp = `${rp}.target`;
    if (!t.type) errs.push(required(`${tp}.type`));
    else if (t.type === 'Utilization') {
      if (t.averageUtilization === undefined) errs.push(required(`${tp}.averageUtilization`));
      else if (t.averageUtilization <= 0) errs.push(invalid(`${tp}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
    } else if (t.type === 'AverageValue') validateQuantityTarget(errs, t.averageValue, `${tp}.averageValue`);
    // A Value target is for Object and External metrics: a Resource metric is averaged over pods (Kubernetes' wording).
    else if (t.type === 'Value') errs.push(required(`${tp}.averageUtilization`, 'must set either a target raw value or a target utilization'));
    else errs.push(unsupported(`${tp}.type`, t.type, ['AverageValue', 'Utilization', 'Value']));
  });
  validateRules(errs, spec.behavior?.scaleUp, 'spec.behavior.scaleUp');
  validateRules(errs, spec.behavior?.scaleDown, 'spec.behavior.scaleDown');
}
