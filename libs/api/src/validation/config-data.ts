/**
 * Validation of ConfigMaps and Secrets: keys, total size, Secret types, immutability.
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { ConfigMap, Secret } from '../gen';
import { checkConfigMapKey } from '../names';
import { duplicate, forbidden, invalidEach, required, tooLong, invalid, type Errors } from './field-errors';

/** The most data a ConfigMap or Secret may hold, as Kubernetes: 1 MiB. */
export const MAX_DATA_BYTES = 1024 * 1024;

function checkKeys(errs: Errors, keys: readonly string[], field: string): void {
  for (const key of keys) invalidEach(errs, `${field}[${key}]`, key, checkConfigMapKey(key));
}

/** A ConfigMap: keys, no key in both data and binaryData, at most 1 MiB of data. */
export function validateConfigMap(errs: Errors, cm: ConfigMap): void {
  const data = cm.data ?? {};
  const binary = cm.binaryData ?? {};
  checkKeys(errs, Object.keys(data), 'data');
  checkKeys(errs, Object.keys(binary), 'binaryData');
  let size = 0;
  for (const [key, value] of Object.entries(data)) size += Buffer.byteLength(key) + Buffer.byteLength(value);
  for (const [key, value] of Object.entries(binary)) {
    if (key in data) errs.push(duplicate(`binaryData[${key}]`, key));
    size += Buffer.byteLength(key) + value.length;
  }
  if (size > MAX_DATA_BYTES) errs.push(tooLong('data', MAX_DATA_BYTES));
}

const SECRET_REQUIRED_KEYS: Readonly<Record<string, readonly string[]>> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

/** A Secret: keys (data and stringData), at most 1 MiB, the keys its type requires. */
export function validateSecret(errs: Errors, secret: Secret): void {
  const data = secret.data ?? {};
  const stringData = secret.stringData ?? {};
  checkKeys(errs, Object.keys(data), 'data');
  checkKeys(errs, Object.keys(stringData), 'stringData');
  let size = 0;
  for (const [key, value] of Object.entries(data)) size += Buffer.byteLength(key) + value.length;
  for (const [key, value] of Object.entries(stringData)) size += Buffer.byteLength(key) + Buffer.byteLength(value);
  if (size > MAX_DATA_BYTES) errs.push(tooLong('data', MAX_DATA_BYTES));
  for (const key of SECRET_REQUIRED_KEYS[secret.type] ?? []) {
    if (!(key in data) && !(key in stringData)) errs.push(required(`data[${key}]`));
  }
  if (secret.type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data) && !('username' in stringData) && !('password' in stringData))
    errs.push(required('data[username]', 'must have at least one of username or password'));
}

/** Updates of data-holding objects: `immutable: true` freezes data and cannot be undone. */
export function validateImmutableDataUpdate(
  errs: Errors,
  next: { immutable?: boolean | undefined; data?: unknown; binaryData?: unknown },
  old: { immutable?: boolean | undefined; data?: unknown; binaryData?: unknown },
  same: (a: unknown, b: unknown) => boolean,
): void {
  if (!old.immutable) return;
  if (!next.immutable) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  if (!same(next.data ?? {}, old.data ?? {})) errs.push(forbidden('data', 'field is immutable when `immutable` is set'));
  if (!same(next.binaryData ?? {}, old.binaryData ?? {})) errs.push(forbidden('binaryData', 'field is immutable when `immutable` is set'));
}

/** A Secret's type may not change. */
export function validateSecretUpdate(errs: Errors, secret: Secret, old: Secret): void {
  if ((secret.type || 'Opaque') !== (old.type || 'Opaque')) errs.push(invalid('type', secret.type, 'field is immutable'));
}
