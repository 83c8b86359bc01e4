/**
 * Validation of Leases and Events, the objects components write about themselves.
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { Event, Lease } from '../gen';
import { checkEnum, checkMin, invalid, required, type Errors } from './field-errors';

/** A Lease: a positive duration and non-negative transitions when set. */
export function validateLease(errs: Errors, lease: Lease): void {
  const spec = lease.spec;
  if (!spec) return;
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0)
    errs.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  checkMin(errs, 'spec.leaseTransitions', spec.leaseTransitions, 0);
}

/** An Event: involvedObject kind and name, its namespace matching the event's, type, count. */
export function validateEvent(errs: Errors, ev: Event): void {
  const ref = ev.involvedObject;
  if (!ref) errs.push(required('involvedObject'));
  else {
    if (!ref.kind) errs.push(required('involvedObject.kind'));
    if (!ref.name) errs.push(required('involvedObject.name'));
    if (ref.namespace && ev.metadata?.namespace && ref.namespace !== ev.metadata.namespace)
      errs.push(invalid('involvedObject.namespace', ref.namespace, 'does not match event.namespace'));
  }
  checkEnum(errs, 'type', ev.type, ['Normal', 'Warning']);
  checkMin(errs, 'count', ev.count, 0);
}
