/**
 * Validation of Nodes (taints, pod CIDR set once, status quantities) and Namespaces (finalizers, phase).
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { Namespace, Node } from '../gen';
import { checkLabelValue, checkQualifiedName } from '../names';
import { isQuantity } from '../quantity';
import { checkEnum, duplicate, forbidden, invalid, invalidEach, required, type Errors } from './field-errors';
import { TAINT_EFFECTS } from './pod';

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function isCidr(value: string): boolean {
  const m = CIDR.exec(value);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

/** A Node: taints (key, value, effect; unique key+effect), podCIDR, capacity/allocatable quantities. */
export function validateNode(errs: Errors, node: Node): void {
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    const p = `spec.taints[${i}]`;
    if (!t.key) errs.push(required(`${p}.key`));
    else invalidEach(errs, `${p}.key`, t.key, checkQualifiedName(t.key));
    if (t.value) invalidEach(errs, `${p}.value`, t.value, checkLabelValue(t.value));
    checkEnum(errs, `${p}.effect`, t.effect, TAINT_EFFECTS, false);
    const key = `${t.key}:${t.effect}`;
    if (seen.has(key)) errs.push(duplicate(p, key));
    seen.add(key);
  });
  if (node.spec?.podCIDR && !isCidr(node.spec.podCIDR)) errs.push(invalid('spec.podCIDR', node.spec.podCIDR, 'must be a valid CIDR'));
  for (const list of ['capacity', 'allocatable'] as const) {
    for (const [name, value] of Object.entries(node.status?.[list] ?? {})) {
      if (!isQuantity(value)) errs.push(invalid(`status.${list}[${name}]`, value, 'must be a valid quantity'));
    }
  }
}

/**
 * Node updates, as Kubernetes' ValidateNodeUpdate: spec.podCIDR may be set once (from '' to a
 * CIDR, by node IPAM or the kubelet's static --pod-cidr) and never changed or cleared after.
 */
export function validateNodeUpdate(errs: Errors, node: Node, old: Node): void {
  const before = old.spec?.podCIDR ?? '';
  const after = node.spec?.podCIDR ?? '';
  if (before && after !== before) errs.push(forbidden('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid'));
}

/** A Namespace: finalizer names and phase. */
export function validateNamespace(errs: Errors, ns: Namespace): void {
  (ns.spec?.finalizers ?? []).forEach((f, i) => invalidEach(errs, `spec.finalizers[${i}]`, f, checkQualifiedName(f)));
  checkEnum(errs, 'status.phase', ns.status?.phase, ['Active', 'Terminating']);
}
