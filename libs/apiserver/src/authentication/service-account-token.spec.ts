import { generateKeyPairSync } from 'node:crypto';
import { InvalidTokenError, issueServiceAccountToken, publicKeyOf, verifyServiceAccountToken, type TokenBinding } from './service-account-token';

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('bound service account tokens', () => {
  const key = newKey();
  const binding: TokenBinding = { namespace: 'shop', serviceAccount: { name: 'builder', uid: 'sa-uid' }, pod: { name: 'web-1', uid: 'pod-uid' }, node: { name: 'node-1', uid: 'node-uid' } };
  const now = new Date('2026-12-07T12:00:00Z');

  it('round-trips the binding, subject, audience and expiry', async () => {
    const token = await issueServiceAccountToken({ privateKeyPem: key }, binding, { expirationSeconds: 3600, now });
    const verified = await verifyServiceAccountToken(token, { publicKeyPems: [publicKeyOf(key)], now: new Date(now.getTime() + 60_000) });
    expect(verified).toMatchObject({ ...binding, subject: 'system:serviceaccount:shop:builder', audiences: ['https://kubernetes.default.svc.cluster.local'], expiresAt: new Date(now.getTime() + 3_600_000) });
    expect(verified.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('finds its key among several (a rotation), and refuses unknown keys, expiry, other audiences and tampering', async () => {
    const token = await issueServiceAccountToken({ privateKeyPem: key }, binding, { now });
    const other = newKey();
    const later = new Date(now.getTime() + 60_000);
    await expect(verifyServiceAccountToken(token, { publicKeyPems: [publicKeyOf(other), publicKeyOf(key)], now: later })).resolves.toMatchObject({ namespace: 'shop' });
    await expect(verifyServiceAccountToken(token, { publicKeyPems: [publicKeyOf(other)], now: later })).rejects.toThrow(InvalidTokenError);
    await expect(verifyServiceAccountToken(token, { publicKeyPems: [publicKeyOf(key)], now: new Date(now.getTime() + 3_601_000) })).rejects.toThrow(/exp/);
    await expect(verifyServiceAccountToken(token, { publicKeyPems: [publicKeyOf(key)], audiences: ['vault'], now: later })).rejects.toThrow(/aud/);
    const [h, p, s] = token.split('.');
    const forged = Buffer.from(p, 'base64url').toString().replace('builder', 'admin');
    await expect(verifyServiceAccountToken(`${h}.${Buffer.from(forged).toString('base64url')}.${s}`, { publicKeyPems: [publicKeyOf(key)], now: later })).rejects.toThrow(InvalidTokenError);
    await expect(verifyServiceAccountToken('not-a-token', { publicKeyPems: [publicKeyOf(key)] })).rejects.toThrow('not a JWT');
  });

  it('a token signed by the right key but for another issuer or without a service account is refused', async () => {
    const token = await issueServiceAccountToken({ privateKeyPem: key }, binding, { issuer: 'https://elsewhere', now });
    await expect(verifyServiceAccountToken(token, { publicKeyPems: [publicKeyOf(key)], now })).rejects.toThrow(/iss/);
    const nameless = await issueServiceAccountToken({ privateKeyPem: key }, { ...binding, namespace: '' }, { now });
    await expect(verifyServiceAccountToken(nameless, { publicKeyPems: [publicKeyOf(key)], now })).rejects.toThrow('do not name a service account');
  });
});
