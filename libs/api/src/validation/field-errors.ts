/**
 * Builders for field errors in Kubernetes' wording ("Invalid value: \"x\": ...", "Unsupported
 * value", "Duplicate value", "Forbidden"), plus the collector every validator appends to.
 * CONTRACT: pure; `required` says just "required", as the issue's examples do.
 */
import type { FieldError } from '../errors';

/** Collects field errors; validators take one and append. */
export type Errors = FieldError[];

/** A value as Kubernetes prints it in messages: strings quoted, numbers and objects as JSON. */
export function show(value: unknown): string {
  if (value === undefined) return '""';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `"<${value.length} bytes>"`;
  return JSON.stringify(value) ?? String(value);
}

export function required(field: string, detail?: string): FieldError {
  return { field, detail: detail ? `required: ${detail}` : 'required' };
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { field, detail: `Invalid value: ${show(value)}: ${detail}` };
}

export function unsupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  return { field, detail: `Unsupported value: ${show(value)}: supported values: ${[...supported].sort().map((s) => `"${s}"`).join(', ')}` };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { field, detail: `Duplicate value: ${show(value)}` };
}

export function forbidden(field: string, detail: string): FieldError {
  return { field, detail: `Forbidden: ${detail}` };
}

export function notFound(field: string, value: unknown): FieldError {
  return { field, detail: `Not found: ${show(value)}` };
}

export function tooLong(field: string, max: number): FieldError {
  return { field, detail: `Too long: must have at most ${max} bytes` };
}

/** Appends one Invalid error per problem message (from names.ts checks). */
export function invalidEach(errs: Errors, field: string, value: unknown, problems: readonly string[]): void {
  for (const p of problems) errs.push(invalid(field, value, p));
}

/** `value` must be one of `allowed`; empty is allowed when `allowEmpty` (defaults fill it). */
export function checkEnum(errs: Errors, field: string, value: string | undefined, allowed: readonly string[], allowEmpty = true): void {
  if (!value) {
    if (!allowEmpty) errs.push(required(field));
    return;
  }
  if (!allowed.includes(value)) errs.push(unsupported(field, value, allowed));
}

/** `value` (when set) must be >= min. */
export function checkMin(errs: Errors, field: string, value: number | undefined, min: number): void {
  if (value !== undefined && value < min) errs.push(invalid(field, value, `must be greater than or equal to ${min}`));
}

/** `value` must be a port number in 1..65535 (0 allowed when `allowZero`). */
export function checkPort(errs: Errors, field: string, value: number | undefined, allowZero: boolean): void {
  const v = value ?? 0;
  if (v === 0) {
    if (!allowZero) errs.push(required(field));
    return;
  }
  if (v < 1 || v > 65535) errs.push(invalid(field, v, 'must be between 1 and 65535, inclusive'));
}
