/**
 * The autoscaler's status conditions (Kubernetes' setCondition for HPAs): AbleToScale (can the
 * target's scale be read and written), ScalingActive (can a replica count be computed from the
 * metrics) and ScalingLimited (did min/max or a rate limit cut the count). Pure.
 */
import type { Condition } from '@skiff/api';

/** A condition to set: type, status, reason, message. */
export interface ConditionChange {
  type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/**
 * `conditions` with `change` applied: the condition of that type gets the new status, reason and
 * message (appended when absent); its lastTransitionTime is `now` when the status changed, kept
 * otherwise. The input is not modified.
 */
export function setCondition(conditions: readonly Readonly<Condition>[], change: ConditionChange, now: Date): Condition[] {
  const out = conditions.map((c) => ({ ...c }));
  let existing = out.find((c) => c.type === change.type);
  if (!existing) {
    existing = { type: change.type, status: '', reason: '', message: '' };
    out.push(existing);
  }
  if (existing.status !== change.status) existing.lastTransitionTime = now;
  existing.status = change.status;
  existing.reason = change.reason;
  existing.message = change.message;
  return out;
}
