/**
 * Encryption at rest (Kubernetes' EncryptionConfiguration, apiserver.config.k8s.io/v1): for each
 * listed resource, a list of providers; the first one encrypts what is written, every one can
 * read what it wrote (so a key rotation is: add the new key first, re-write every object, drop
 * the old key). Providers: aesgcm, aescbc, secretbox (each with named keys, the first one
 * writing) and identity (plain text). Stored values carry Kubernetes' prefix,
 * `k8s:enc:<provider>:v1:<key name>:`, then the nonce and the ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import nacl from 'tweetnacl';
import { parse } from 'yaml';

export type ProviderName = 'aesgcm' | 'aescbc' | 'secretbox' | 'identity';

interface Key {
  name: string;
  secret: Buffer;
}

/** One provider of one resource list. */
export interface Provider {
  name: ProviderName;
  keys: Key[];
}

export interface EncryptionConfig {
  /** resource ("secrets", "configmaps") -> providers, the first one writing. */
  resources: Map<string, Provider[]>;
}

export class EncryptionConfigError extends Error {
  override readonly name = 'EncryptionConfigError';
}

const KEY_SIZES: Record<Exclude<ProviderName, 'identity'>, number[]> = { aesgcm: [16, 24, 32], aescbc: [32], secretbox: [32] };

function fail(field: string, detail: string): never {
  throw new EncryptionConfigError(`encryption config: ${field}: ${detail}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** Parses and checks an EncryptionConfiguration (YAML or JSON text); throws EncryptionConfigError naming the field. */
export function parseEncryptionConfig(text: string): EncryptionConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    fail('(file)', `not YAML: ${(err as Error).message}`);
  }
  if (!isRecord(doc)) fail('(file)', 'not an object');
  if (doc.kind !== 'EncryptionConfiguration') fail('kind', `must be EncryptionConfiguration, not ${JSON.stringify(doc.kind)}`);
  if (doc.apiVersion !== 'apiserver.config.k8s.io/v1') fail('apiVersion', `must be apiserver.config.k8s.io/v1, not ${JSON.stringify(doc.apiVersion)}`);
  for (const key of Object.keys(doc)) if (!['kind', 'apiVersion', 'resources'].includes(key)) fail(key, 'unknown field');
  if (!Array.isArray(doc.resources) || doc.resources.length === 0) fail('resources', 'must list at least one entry');
  const resources = new Map<string, Provider[]>();
  doc.resources.forEach((entry: unknown, i: number) => {
    const at = `resources[${i}]`;
    if (!isRecord(entry)) fail(at, 'must be an object');
    for (const key of Object.keys(entry)) if (!['resources', 'providers'].includes(key)) fail(`${at}.${key}`, 'unknown field');
    if (!Array.isArray(entry.resources) || entry.resources.length === 0) fail(`${at}.resources`, 'must name at least one resource');
    if (!Array.isArray(entry.providers) || entry.providers.length === 0) fail(`${at}.providers`, 'must list at least one provider');
    const providers = entry.providers.map((p: unknown, j: number) => parseProvider(p, `${at}.providers[${j}]`));
    entry.resources.forEach((r: unknown, j: number) => {
      if (typeof r !== 'string' || !/^[a-z0-9.]+$/.test(r)) fail(`${at}.resources[${j}]`, `must be a resource name such as "secrets", not ${JSON.stringify(r)}`);
      if (r.includes('*')) fail(`${at}.resources[${j}]`, 'wildcards are not supported');
      if (resources.has(r)) fail(`${at}.resources[${j}]`, `"${r}" is listed twice`);
      resources.set(r, providers);
    });
  });
  return { resources };
}

function parseProvider(value: unknown, at: string): Provider {
  if (!isRecord(value) || Object.keys(value).length !== 1) fail(at, 'must hold exactly one of aesgcm, aescbc, secretbox, identity');
  const [name, body] = Object.entries(value)[0];
  if (name === 'identity') {
    if (body !== null && !(isRecord(body) && Object.keys(body).length === 0)) fail(`${at}.identity`, 'takes no settings');
    return { name, keys: [] };
  }
  if (name !== 'aesgcm' && name !== 'aescbc' && name !== 'secretbox') fail(`${at}.${name}`, 'unsupported provider (supported: aesgcm, aescbc, secretbox, identity)');
  if (!isRecord(body) || !Array.isArray(body.keys) || body.keys.length === 0) fail(`${at}.${name}.keys`, 'must list at least one key');
  for (const key of Object.keys(body)) if (key !== 'keys') fail(`${at}.${name}.${key}`, 'unknown field');
  const seen = new Set<string>();
  const keys = body.keys.map((k: unknown, i: number) => {
    const kat = `${at}.${name}.keys[${i}]`;
    if (!isRecord(k) || typeof k.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(k.name)) fail(`${kat}.name`, 'must be letters, digits, "_", "." or "-"');
    if (seen.has(k.name)) fail(`${kat}.name`, `"${k.name}" is listed twice`);
    seen.add(k.name);
    if (typeof k.secret !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(k.secret)) fail(`${kat}.secret`, 'must be base64');
    const secret = Buffer.from(k.secret, 'base64');
    if (!KEY_SIZES[name].includes(secret.length)) fail(`${kat}.secret`, `must be ${KEY_SIZES[name].join(', ')} bytes for ${name}, not ${secret.length}`);
    return { name: k.name, secret };
  });
  return { name, keys };
}

const prefixOf = (provider: ProviderName, key: string) => Buffer.from(`k8s:enc:${provider}:v1:${key}:`);
const ENCRYPTED_PREFIX = Buffer.from('k8s:enc:');

export class DecryptError extends Error {
  override readonly name = 'DecryptError';
}

/**
 * Encrypts and decrypts the stored values of one resource with its providers. `context` is the
 * storage key: aesgcm binds it as authenticated data, so a value copied under another key does
 * not decrypt.
 */
export class ValueTransformer {
  constructor(private readonly providers: readonly Provider[]) {}

  /** Whether values written now are encrypted (the first provider is not identity). */
  get encrypts(): boolean {
    return this.providers[0]?.name !== 'identity';
  }

  /** The stored form of `plain` (the first provider, its first key). */
  write(plain: Uint8Array, context: string): Uint8Array {
    const provider = this.providers[0];
    if (!provider || provider.name === 'identity') return plain;
    const key = provider.keys[0];
    const prefix = prefixOf(provider.name, key.name);
    if (provider.name === 'aesgcm') {
      const nonce = randomBytes(12);
      const cipher = createCipheriv(`aes-${key.secret.length * 8}-gcm` as CipherGCMTypes, key.secret, nonce);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([prefix, nonce, body, cipher.getAuthTag()]);
    }
    if (provider.name === 'aescbc') {
      const iv = randomBytes(16);
      const cipher = createCipheriv('aes-256-cbc', key.secret, iv);
      return Buffer.concat([prefix, iv, cipher.update(plain), cipher.final()]);
    }
    const nonce = randomBytes(24);
    return Buffer.concat([prefix, nonce, nacl.secretbox(plain, nonce, key.secret)]);
  }

  /**
   * The plain form of a stored value, and whether it should be written again (written with a
   * provider or key other than the first: what a key rotation re-writes). Throws DecryptError when
   * no provider can read it.
   */
  read(stored: Uint8Array, context: string): { plain: Uint8Array; stale: boolean } {
    const value = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
    const first = this.providers[0];
    if (!value.subarray(0, ENCRYPTED_PREFIX.length).equals(ENCRYPTED_PREFIX)) {
      if (!this.providers.some((p) => p.name === 'identity')) throw new DecryptError('the value is not encrypted and identity is not a provider');
      return { plain: stored, stale: first?.name !== 'identity' };
    }
    for (const [pi, provider] of this.providers.entries()) {
      for (const [ki, key] of provider.keys.entries()) {
        const prefix = prefixOf(provider.name, key.name);
        if (!value.subarray(0, prefix.length).equals(prefix)) continue;
        const plain = decrypt(provider.name, key.secret, value.subarray(prefix.length), context);
        return { plain, stale: pi !== 0 || ki !== 0 };
      }
    }
    throw new DecryptError(`no provider has the key this value was written with (${value.subarray(0, 64).toString('latin1').split(':').slice(2, 5).join(':')})`);
  }
}

function decrypt(provider: ProviderName, secret: Buffer, data: Buffer, context: string): Uint8Array {
  try {
    if (provider === 'aesgcm') {
      const decipher = createDecipheriv(`aes-${secret.length * 8}-gcm` as CipherGCMTypes, secret, data.subarray(0, 12));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
    }
    if (provider === 'aescbc') {
      const decipher = createDecipheriv('aes-256-cbc', secret, data.subarray(0, 16));
      return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]);
    }
    const opened = nacl.secretbox.open(data.subarray(24), data.subarray(0, 24), secret);
    if (!opened) throw new Error('authentication failed');
    return opened;
  } catch (err) {
    throw new DecryptError(`${provider}: cannot decrypt: ${(err as Error).message}`);
  }
}

/** The transformer of `resource` under `config`, or undefined when it is stored as it is. */
export function transformerFor(config: EncryptionConfig | undefined, resource: string): ValueTransformer | undefined {
  const providers = config?.resources.get(resource);
  return providers ? new ValueTransformer(providers) : undefined;
}
