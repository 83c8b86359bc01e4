/**
 * Validation of PodDisruptionBudgets (policy/v1), as Kubernetes' ValidatePodDisruptionBudgetSpec:
 * exactly one of minAvailable and maxUnavailable, each an int >= 0 or a percentage <= 100%; a
 * valid selector (an empty one selects every pod of the namespace); the unhealthy pod eviction
 * policy. The spec may change (policy/v1).
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { PodDisruptionBudget } from '../gen';
import { checkEnum, invalid, required, type Errors } from './field-errors';
import { validateLabelSelector } from './object-meta';
import { checkIntOrPercent } from './workloads';

export function validatePodDisruptionBudget(errs: Errors, pdb: PodDisruptionBudget): void {
  const spec = pdb.spec;
  if (!spec) {
    errs.push(required('spec'));
    return;
  }
  const min = spec.minAvailable?.value;
  const max = spec.maxUnavailable?.value;
  if (min && max) errs.push(invalid('spec', '', 'minAvailable and maxUnavailable cannot be both set'));
  for (const [field, value] of [
    ['spec.minAvailable', spec.minAvailable],
    ['spec.maxUnavailable', spec.maxUnavailable],
  ] as const) {
    const checked = checkIntOrPercent(errs, value, field);
    if (checked?.percent && checked.n > 100) errs.push(invalid(field, `${checked.n}%`, 'must not be greater than 100%'));
  }
  if (spec.selector) validateLabelSelector(errs, spec.selector, 'spec.selector');
  checkEnum(errs, 'spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, ['IfHealthyBudget', 'AlwaysAllow']);
}
