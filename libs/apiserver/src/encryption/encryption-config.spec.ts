import { randomBytes } from 'node:crypto';
import { DecryptError, EncryptionConfigError, parseEncryptionConfig, transformerFor } from './encryption-config';

const key = (n = 32) => randomBytes(n).toString('base64');
const config = (providers: string) => `
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
${providers}
`;

describe('EncryptionConfiguration', () => {
  const secret = Buffer.from('password=hunter2');
  const ctx = '/registry/secrets/default/db';

  it.each(['aesgcm', 'aescbc', 'secretbox'])('%s: the stored value has the prefix, not the plain text, and reads back', (provider) => {
    const t = transformerFor(parseEncryptionConfig(config(`      - ${provider}:\n          keys: [{ name: k1, secret: ${key()} }]`)), 'secrets')!;
    const stored = t.write(secret, ctx);
    expect(Buffer.from(stored).toString('latin1')).toMatch(new RegExp(`^k8s:enc:${provider}:v1:k1:`));
    expect(Buffer.from(stored).includes(secret)).toBe(false);
    expect(t.write(secret, ctx)).not.toEqual(stored);
    expect(Buffer.from(t.read(stored, ctx).plain).toString()).toBe('password=hunter2');
    expect(t.read(stored, ctx).stale).toBe(false);
    expect(t.encrypts).toBe(true);
  });

  it('aesgcm binds the storage key: a value moved under another key does not decrypt; a changed byte does not either', () => {
    const t = transformerFor(parseEncryptionConfig(config(`      - aesgcm:\n          keys: [{ name: k1, secret: ${key()} }]`)), 'secrets')!;
    const stored = Buffer.from(t.write(secret, ctx));
    expect(() => t.read(stored, '/registry/secrets/default/other')).toThrow(DecryptError);
    stored[stored.length - 20] ^= 1;
    expect(() => t.read(stored, ctx)).toThrow(DecryptError);
  });

  it('rotation: old values read with the second key and are stale; identity reads plain values; without the key nothing reads', () => {
    const oldKey = key();
    const before = transformerFor(parseEncryptionConfig(config(`      - aescbc:\n          keys: [{ name: old, secret: ${oldKey} }]\n      - identity: {}`)), 'secrets')!;
    const storedOld = before.write(secret, ctx);
    expect(before.read(secret, ctx)).toEqual({ plain: secret, stale: true });
    const after = transformerFor(parseEncryptionConfig(config(`      - aescbc:\n          keys: [{ name: new, secret: ${key()} }, { name: old, secret: ${oldKey} }]`)), 'secrets')!;
    expect(after.read(storedOld, ctx)).toEqual({ plain: secret, stale: true });
    expect(after.read(after.write(secret, ctx), ctx).stale).toBe(false);
    expect(() => after.read(secret, ctx)).toThrow(/not encrypted/);
    const withoutOld = transformerFor(parseEncryptionConfig(config(`      - aescbc:\n          keys: [{ name: new, secret: ${key()} }]`)), 'secrets')!;
    expect(() => withoutOld.read(storedOld, ctx)).toThrow(/no provider has the key/);
    const identityFirst = transformerFor(parseEncryptionConfig(config(`      - identity: {}\n      - aescbc:\n          keys: [{ name: old, secret: ${oldKey} }]`)), 'secrets')!;
    expect(identityFirst.encrypts).toBe(false);
    expect(identityFirst.write(secret, ctx)).toEqual(secret);
    expect(identityFirst.read(storedOld, ctx)).toEqual({ plain: secret, stale: true });
  });

  it('only the listed resources are transformed', () => {
    const cfg = parseEncryptionConfig(config(`      - secretbox:\n          keys: [{ name: k, secret: ${key()} }]`));
    expect(transformerFor(cfg, 'configmaps')).toBeUndefined();
    expect(transformerFor(undefined, 'secrets')).toBeUndefined();
  });

  it.each([
    ['kind: Other\napiVersion: apiserver.config.k8s.io/v1\nresources: []', /kind: must be EncryptionConfiguration/],
    [config(`      - kms:\n          name: vault`), /providers\[0\]\.kms: unsupported provider/],
    [config(`      - aesgcm:\n          keys: [{ name: k, secret: ${key(20)} }]`), /keys\[0\]\.secret: must be 16, 24, 32 bytes for aesgcm, not 20/],
    [config(`      - aescbc:\n          keys: [{ name: k, secret: "not base64!" }]`), /secret: must be base64/],
    [config(`      - aescbc:\n          keys: [{ name: k, secret: ${key()} }, { name: k, secret: ${key()} }]`), /keys\[1\]\.name: "k" is listed twice/],
    [config(`      - aescbc:\n          keys: []`), /aescbc\.keys: must list at least one key/],
    [config(`      - identity: {}\n        aescbc: { keys: [] }`), /exactly one of/],
    [config(`      - identity: {}`).replace('[secrets]', '["*.*"]'), /resources\[0\]\.resources\[0\]/],
    [config(`      - identity: {}`) + 'extra: 1\n', /extra: unknown field/],
  ])('refuses %#', (text, message) => {
    expect(() => parseEncryptionConfig(text)).toThrow(EncryptionConfigError);
    expect(() => parseEncryptionConfig(text)).toThrow(message);
  });
});
