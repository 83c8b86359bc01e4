import { once } from 'node:events';
import { connect, createServer, type TLSSocket } from 'node:tls';
import {
  createCertificateAuthority,
  createCertificateRequest,
  describeCertificate,
  isIssuedBy,
  issueCertificate,
  needsRenewal,
  readCertificateRequest,
  signCertificateRequest,
  type CertificateAndKey,
} from './certificates';

const DAY = 24 * 60 * 60 * 1000;

/** A TLS server on loopback that requires a client certificate from `ca`; resolves with the client's CN, or rejects with the TLS error. */
async function handshake(server: CertificateAndKey, ca: string, client: CertificateAndKey | undefined, serverName = 'localhost'): Promise<string> {
  const tls = createServer({ cert: server.certificate, key: server.key, ca, requestCert: true, rejectUnauthorized: true }, (socket: TLSSocket) => {
    const cn = socket.getPeerCertificate().subject?.CN;
    socket.end(String(cn));
  });
  tls.on('tlsClientError', () => undefined);
  tls.listen(0, '127.0.0.1');
  await once(tls, 'listening');
  const port = (tls.address() as { port: number }).port;
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, servername: serverName, ca, cert: client?.certificate, key: client?.key }, () => undefined);
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => (data ? resolve(data) : reject(new Error('closed without an answer'))));
      socket.on('error', reject);
    });
  } finally {
    tls.close();
  }
}

describe('cluster certificates', () => {
  let ca: CertificateAndKey;
  let server: CertificateAndKey;
  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'skiff-ca@1' });
    server = await issueCertificate(ca, { commonName: 'skiff-apiserver', hosts: ['localhost', '127.0.0.1', 'skiff-apiserver.example'], usages: ['server'] });
  });

  it('a CA valid 10 years, leaves valid 1 year, with the subject, groups and names asked for', async () => {
    const now = new Date('2026-12-07T00:00:00Z');
    const caInfo = describeCertificate((await createCertificateAuthority({ commonName: 'skiff-ca@2', now })).certificate);
    expect(caInfo).toMatchObject({ commonName: 'skiff-ca@2', isCA: true, issuerCommonName: 'skiff-ca@2' });
    expect(Math.round((caInfo.notAfter.getTime() - now.getTime()) / DAY)).toBe(3650);

    const alice = await issueCertificate(ca, { commonName: 'alice', organizations: ['dev', 'system:authenticated'], usages: ['client'], now });
    const info = describeCertificate(alice.certificate);
    expect(info).toMatchObject({ commonName: 'alice', organizations: ['dev', 'system:authenticated'], issuerCommonName: 'skiff-ca@1', isCA: false });
    expect(Math.round((info.notAfter.getTime() - now.getTime()) / DAY)).toBe(365);
    expect(describeCertificate(server.certificate)).toMatchObject({ dnsNames: ['localhost', 'skiff-apiserver.example'], ipAddresses: ['127.0.0.1'] });
    expect(isIssuedBy(alice.certificate, ca.certificate)).toBe(true);
    expect(isIssuedBy(alice.certificate, (await createCertificateAuthority({ commonName: 'other' })).certificate)).toBe(false);
  });

  it('subject names with separators stay one value', async () => {
    const odd = await issueCertificate(ca, { commonName: 'system:node:n1, O=system:masters', organizations: ['a+b'], usages: ['client'] });
    expect(describeCertificate(odd.certificate)).toMatchObject({ commonName: 'system:node:n1, O=system:masters', organizations: ['a+b'] });
  });

  it('a real TLS handshake: the server takes a client certificate of its CA and knows its CN', async () => {
    const client = await issueCertificate(ca, { commonName: 'system:kube-scheduler', usages: ['client'] });
    await expect(handshake(server, ca.certificate, client)).resolves.toBe('system:kube-scheduler');
    await expect(handshake(server, ca.certificate, client, '127.0.0.1')).resolves.toBe('system:kube-scheduler');
  });

  it('refuses no certificate, another CA, an expired one, a server-only one, and a host the server certificate does not name', async () => {
    const other = await createCertificateAuthority({ commonName: 'someone-else' });
    const stranger = await issueCertificate(other, { commonName: 'mallory', usages: ['client'] });
    const expired = await issueCertificate(ca, { commonName: 'old', usages: ['client'], now: new Date(Date.now() - 400 * DAY) });
    const serverOnly = await issueCertificate(ca, { commonName: 'srv', usages: ['server'] });
    const good = await issueCertificate(ca, { commonName: 'good', usages: ['client'] });
    await expect(handshake(server, ca.certificate, undefined)).rejects.toThrow();
    await expect(handshake(server, ca.certificate, stranger)).rejects.toThrow();
    await expect(handshake(server, ca.certificate, expired)).rejects.toThrow();
    await expect(handshake(server, ca.certificate, serverOnly)).rejects.toThrow();
    await expect(handshake(server, ca.certificate, good, 'elsewhere.example')).rejects.toThrow(/altnames|Hostname/);
  });

  it('a CSR: the subject is read back after its signature is checked, and the signed certificate works with the requester key', async () => {
    const { request, key } = await createCertificateRequest({ commonName: 'system:node:node-1', organizations: ['system:nodes'] });
    expect(await readCertificateRequest(request)).toEqual({ commonName: 'system:node:node-1', organizations: ['system:nodes'] });
    const certificate = await signCertificateRequest(ca, request, { usages: ['client'] });
    expect(describeCertificate(certificate)).toMatchObject({ commonName: 'system:node:node-1', organizations: ['system:nodes'] });
    await expect(handshake(server, ca.certificate, { certificate, key })).resolves.toBe('system:node:node-1');
    await expect(readCertificateRequest('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----')).rejects.toThrow(/certificate request/);
  });

  it('renewal: within 90 days of expiry, or not valid yet', async () => {
    const now = new Date('2027-01-01T00:00:00Z');
    const fresh = await issueCertificate(ca, { commonName: 'x', usages: ['client'], now });
    expect(needsRenewal(fresh.certificate, now)).toBe(false);
    expect(needsRenewal(fresh.certificate, new Date(now.getTime() + 274 * DAY))).toBe(false);
    expect(needsRenewal(fresh.certificate, new Date(now.getTime() + 276 * DAY))).toBe(true);
    expect(needsRenewal(fresh.certificate, new Date(now.getTime() - DAY))).toBe(true);
  });
});
