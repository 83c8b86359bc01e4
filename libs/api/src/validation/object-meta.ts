/**
 * Validation of metadata (names, namespace, labels, annotations, finalizers, owner references)
 * and of label maps and LabelSelector messages wherever they appear.
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { LabelSelector, ObjectMeta } from '../gen';
import type { KindInfo } from '../kinds';
import { checkDns1123Label, checkDns1123Subdomain, checkLabelValue, checkQualifiedName, TOTAL_ANNOTATION_SIZE_MAX } from '../names';
import { forbidden, invalid, invalidEach, required, tooLong, unsupported, type Errors } from './field-errors';

/** Kinds whose names are DNS-1123 labels (<= 63); every other kind uses DNS-1123 subdomains. */
const LABEL_NAMED_KINDS = new Set(['Namespace', 'Service']);

/** The name rule of a kind, as a checker returning problem messages. */
export function nameChecker(info: KindInfo): (name: string) => string[] {
  return LABEL_NAMED_KINDS.has(info.kind) ? checkDns1123Label : checkDns1123Subdomain;
}

/** Label keys are qualified names; values are label values. Errors name `field` (Kubernetes style). */
export function validateLabels(errs: Errors, labels: Readonly<Record<string, string>> | undefined, field: string): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    invalidEach(errs, field, key, checkQualifiedName(key));
    invalidEach(errs, field, value, checkLabelValue(value));
  }
}

function validateAnnotations(errs: Errors, annotations: Readonly<Record<string, string>> | undefined, field: string): void {
  let size = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    invalidEach(errs, field, key, checkQualifiedName(key.toLowerCase()));
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (size > TOTAL_ANNOTATION_SIZE_MAX) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE_MAX));
}

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** A LabelSelector message: matchLabels as labels, matchExpressions with known operators and values. */
export function validateLabelSelector(errs: Errors, selector: LabelSelector, field: string): void {
  validateLabels(errs, selector.matchLabels, `${field}.matchLabels`);
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const path = `${field}.matchExpressions[${i}]`;
    if (!e.key) errs.push(required(`${path}.key`));
    else invalidEach(errs, `${path}.key`, e.key, checkQualifiedName(e.key));
    const values = e.values ?? [];
    if (!SELECTOR_OPERATORS.includes(e.operator)) errs.push(unsupported(`${path}.operator`, e.operator, SELECTOR_OPERATORS));
    else if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0)
      errs.push(required(`${path}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
    else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0)
      errs.push(forbidden(`${path}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
    values.forEach((v, j) => invalidEach(errs, `${path}.values[${j}]`, v, checkLabelValue(v)));
  });
}

/**
 * Metadata of a top-level object: name (or generateName), namespace presence by scope, labels,
 * annotations, finalizers, owner references.
 */
export function validateObjectMeta(errs: Errors, info: KindInfo, meta: ObjectMeta | undefined): void {
  const m = meta ?? ({} as Partial<ObjectMeta>);
  const checkName = nameChecker(info);
  if (!m.name) {
    if (!m.generateName) errs.push(required('metadata.name', 'name or generateName is required'));
    else invalidEach(errs, 'metadata.generateName', m.generateName, checkName(m.generateName.replace(/-$/, '')));
  } else {
    invalidEach(errs, 'metadata.name', m.name, checkName(m.name));
  }
  if (info.namespaced) {
    if (!m.namespace) errs.push(required('metadata.namespace'));
    else invalidEach(errs, 'metadata.namespace', m.namespace, checkDns1123Label(m.namespace));
  } else if (m.namespace) {
    errs.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  validateMetaFields(errs, m, 'metadata');
}

/** Labels, annotations, finalizers and owner references under `field` (also used for templates). */
export function validateMetaFields(errs: Errors, m: Partial<ObjectMeta>, field: string): void {
  validateLabels(errs, m.labels, `${field}.labels`);
  validateAnnotations(errs, m.annotations, `${field}.annotations`);
  (m.finalizers ?? []).forEach((f, i) => invalidEach(errs, `${field}.finalizers[${i}]`, f, checkQualifiedName(f)));
  if ((m.generation ?? 0) < 0) errs.push(invalid(`${field}.generation`, m.generation, 'must be greater than or equal to 0'));
  let controllers = 0;
  (m.ownerReferences ?? []).forEach((ref, i) => {
    const path = `${field}.ownerReferences[${i}]`;
    if (!ref.apiVersion) errs.push(required(`${path}.apiVersion`, 'version must not be empty'));
    if (!ref.kind) errs.push(required(`${path}.kind`, 'kind must not be empty'));
    if (!ref.name) errs.push(required(`${path}.name`, 'name must not be empty'));
    if (!ref.uid) errs.push(required(`${path}.uid`, 'uid must not be empty'));
    if (ref.controller) controllers++;
  });
  if (controllers > 1) errs.push(invalid(`${field}.ownerReferences`, controllers, 'Only one reference can have Controller set to true'));
}

/** Immutable metadata on update: name, namespace, uid (when both set), creationTimestamp. */
export function validateObjectMetaUpdate(errs: Errors, meta: ObjectMeta | undefined, old: ObjectMeta | undefined): void {
  const m = meta ?? ({} as Partial<ObjectMeta>);
  const o = old ?? ({} as Partial<ObjectMeta>);
  if ((m.name ?? '') !== (o.name ?? '')) errs.push(invalid('metadata.name', m.name, 'field is immutable'));
  if ((m.namespace ?? '') !== (o.namespace ?? '')) errs.push(invalid('metadata.namespace', m.namespace, 'field is immutable'));
  if (m.uid && o.uid && m.uid !== o.uid) errs.push(invalid('metadata.uid', m.uid, 'field is immutable'));
  if (m.creationTimestamp && o.creationTimestamp && m.creationTimestamp.getTime() !== o.creationTimestamp.getTime())
    errs.push(invalid('metadata.creationTimestamp', m.creationTimestamp.toISOString(), 'field is immutable'));
}
