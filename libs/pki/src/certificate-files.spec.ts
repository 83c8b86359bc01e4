import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCertificate, ensureCertificateAuthority } from './certificate-files';
import { createCertificateAuthority, describeCertificate, isIssuedBy, issueCertificate } from './certificates';

const DAY = 24 * 60 * 60 * 1000;

describe('certificate files', () => {
  let dir: string;
  beforeEach(() => (dir = join(mkdtempSync(join(tmpdir(), 'skiff-pki-')), 'tls')));
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('creates the CA once, with private files', async () => {
    const first = await ensureCertificateAuthority(dir);
    expect(first.issued).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(describeCertificate(first.certificate)).toMatchObject({ isCA: true, commonName: expect.stringMatching(/^skiff-ca@\d+$/) });
    const again = await ensureCertificateAuthority(dir);
    expect(again).toEqual({ ...first, issued: false });
  });

  it('issues a leaf once, and again when it nears expiry, when what is asked changes, or when the CA changed', async () => {
    const ca = await ensureCertificateAuthority(dir);
    const opts = { commonName: 'system:kube-scheduler', usages: ['client'] as const };
    const first = await ensureCertificate(dir, 'scheduler', ca, { ...opts, usages: [...opts.usages] });
    expect(first.issued).toBe(true);
    expect(statSync(first.keyFile).mode & 0o777).toBe(0o600);
    const cert = readFileSync(first.certFile, 'utf8');
    expect(isIssuedBy(cert, ca.certificate)).toBe(true);
    expect((await ensureCertificate(dir, 'scheduler', ca, { ...opts, usages: ['client'] })).issued).toBe(false);
    expect(readFileSync(first.certFile, 'utf8')).toBe(cert);

    expect((await ensureCertificate(dir, 'scheduler', ca, { ...opts, usages: ['client'], now: new Date(Date.now() + 300 * DAY) })).issued).toBe(true);
    expect((await ensureCertificate(dir, 'scheduler', ca, { ...opts, usages: ['client'], organizations: ['g'] })).issued).toBe(true);
    expect((await ensureCertificate(dir, 'scheduler', ca, { ...opts, usages: ['client'], organizations: ['g'] })).issued).toBe(false);
    expect((await ensureCertificate(dir, 'scheduler', ca, { ...opts, usages: ['client', 'server'], organizations: ['g'] })).issued).toBe(true);

    const otherCa = await createCertificateAuthority({ commonName: 'other' });
    const renewed = await ensureCertificate(dir, 'scheduler', otherCa, { ...opts, usages: ['client', 'server'], organizations: ['g'] });
    expect(renewed.issued).toBe(true);
    expect(isIssuedBy(readFileSync(renewed.certFile, 'utf8'), otherCa.certificate)).toBe(true);
  });

  it('issues again over an unreadable certificate, and refuses a path as a name', async () => {
    const ca = await ensureCertificateAuthority(dir);
    writeFileSync(join(dir, 'kubelet.crt'), 'garbage');
    writeFileSync(join(dir, 'kubelet.key'), 'garbage');
    expect((await ensureCertificate(dir, 'kubelet', ca, { commonName: 'system:node:n1', usages: ['client'] })).issued).toBe(true);
    await expect(ensureCertificate(dir, '../escape', ca, { commonName: 'x', usages: ['client'] })).rejects.toThrow(/file name/);
    expect(describeCertificate((await issueCertificate(ca, { commonName: 'y', usages: ['server', 'client'] })).certificate).usages).toEqual(['server', 'client']);
  });
});
