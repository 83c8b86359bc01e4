/**
 * The cluster's certificates (k3s' shape): one self-signed CA, valid 10 years, and leaf
 * certificates it signs, valid 1 year, for components, nodes and users (CN = user or component,
 * O = groups, as Kubernetes reads a client certificate). Keys are ECDSA P-256, signatures
 * ECDSA-SHA256, PEM text in and out (the CA key in PKCS#8). Built on @peculiar/x509 with Node's
 * WebCrypto: no hand-written ASN.1.
 */
// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { createHash, randomBytes, webcrypto, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate and its private key, PEM. */
export interface CertificateAndKey {
  certificate: string;
  key: string;
}

export type CertificateUsage = 'server' | 'client';

export interface CertificateAuthorityOptions {
  /** e.g. "skiff-ca@1733568000" (k3s names its CA "k3s-server-ca@<time>"). */
  commonName: string;
  /** Default 3650 (10 years). */
  validityDays?: number;
  now?: Date;
}

export interface LeafOptions {
  /** The user or component name ("system:kube-scheduler", "system:node:node-1", "alice"). */
  commonName: string;
  /** Groups ("system:masters", "system:nodes"). */
  organizations?: readonly string[];
  /** Subject alternative names: DNS names and IP addresses a server answers on. */
  hosts?: readonly string[];
  usages: readonly CertificateUsage[];
  /** Default 365. */
  validityDays?: number;
  now?: Date;
}

/** What a certificate says, read back (for renewal checks, `skiff certificate`, tests). */
export interface CertificateInfo {
  commonName: string;
  organizations: string[];
  issuerCommonName: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  /** Extended key usages: 'server', 'client'. */
  usages: CertificateUsage[];
  dnsNames: string[];
  ipAddresses: string[];
  /** SHA-256 of the DER, lower-case hex. */
  fingerprint: string;
  serialNumber: string;
}

/** A distinguished name's text, with `,` `+` `"` `\` `<` `>` `;` `=` escaped (RFC 4514). */
function rdnValue(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
}

function subjectName(commonName: string, organizations: readonly string[] = []): string {
  return [...organizations.map((o) => `O=${rdnValue(o)}`), `CN=${rdnValue(commonName)}`].join(', ');
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  if (!der) throw new Error('no PEM block in the private key');
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, true, ['sign']);
}

/** A random positive serial number (16 bytes, high bit clear). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

function validity(now: Date | undefined, days: number): { notBefore: Date; notAfter: Date } {
  const start = now ?? new Date();
  // Back-dated a little, so that a peer whose clock runs behind accepts it at once.
  return { notBefore: new Date(start.getTime() - 5 * 60 * 1000), notAfter: new Date(start.getTime() + days * DAY_MS) };
}

/** A new self-signed CA certificate and key. */
export async function createCertificateAuthority(opts: CertificateAuthorityOptions): Promise<CertificateAndKey> {
  const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subjectName(opts.commonName),
    ...validity(opts.now, opts.validityDays ?? 3650),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

function leafExtensions(usages: readonly CertificateUsage[], hosts: readonly string[]): x509.Extension[] {
  if (usages.length === 0) throw new Error('a certificate needs at least one usage (server, client)');
  const extendedUsages = usages.map((u) => (u === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth));
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(extendedUsages, false),
  ];
  if (hosts.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }))));
  }
  return extensions;
}

async function signLeaf(ca: CertificateAndKey, publicKey: CryptoKey | x509.PublicKey, name: string, opts: Pick<LeafOptions, 'hosts' | 'usages' | 'validityDays' | 'now'>): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certificate);
  const caKey = await importKey(ca.key);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: name,
    issuer: caCert.subject,
    ...validity(opts.now, opts.validityDays ?? 365),
    publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      ...leafExtensions(opts.usages, opts.hosts ?? []),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return cert.toString('pem');
}

/** A new key and a certificate for it signed by `ca`. */
export async function issueCertificate(ca: CertificateAndKey, opts: LeafOptions): Promise<CertificateAndKey> {
  const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await signLeaf(ca, keys.publicKey, subjectName(opts.commonName, opts.organizations), opts);
  return { certificate, key: await exportKey(keys.privateKey) };
}

/** A PKCS#10 certificate signing request for a new key (CN = commonName, O = organizations): what a joining node or a user sends. */
export async function createCertificateRequest(opts: { commonName: string; organizations?: readonly string[] }): Promise<{ request: string; key: string }> {
  const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subjectName(opts.commonName, opts.organizations), keys, signingAlgorithm: SIGNING_ALGORITHM });
  return { request: csr.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** The subject (CN, O) a CSR asks for, after checking its self-signature; throws on a bad or unsigned request. */
export async function readCertificateRequest(pem: string): Promise<{ commonName: string; organizations: string[] }> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (err) {
    throw new Error(`not a PEM certificate request: ${(err as Error).message}`);
  }
  if (!(await csr.verify())) throw new Error('the certificate request is not signed by its own key');
  return { commonName: csr.subjectName.getField('CN')[0] ?? '', organizations: csr.subjectName.getField('O') };
}

/** Signs a CSR with `ca` for the subject it asks for (call readCertificateRequest first to decide whether to). */
export async function signCertificateRequest(ca: CertificateAndKey, pem: string, opts: Pick<LeafOptions, 'hosts' | 'usages' | 'validityDays' | 'now'>): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(pem);
  if (!(await csr.verify())) throw new Error('the certificate request is not signed by its own key');
  return signLeaf(ca, csr.publicKey, csr.subject, opts);
}

/** Reads a PEM certificate (the first one in `pem`). */
export function describeCertificate(pem: string): CertificateInfo {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.toJSON() ?? [];
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const extended = cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [];
  const usages: CertificateUsage[] = [];
  if (extended.includes(x509.ExtendedKeyUsage.serverAuth)) usages.push('server');
  if (extended.includes(x509.ExtendedKeyUsage.clientAuth)) usages.push('client');
  return {
    commonName: cert.subjectName.getField('CN')[0] ?? '',
    organizations: cert.subjectName.getField('O'),
    issuerCommonName: cert.issuerName.getField('CN')[0] ?? '',
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCA: basic?.ca ?? false,
    usages,
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
    ipAddresses: names.filter((n) => n.type === 'ip').map((n) => n.value),
    fingerprint: createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex'),
    serialNumber: cert.serialNumber,
  };
}

/** True when `certificate` was signed by `caCertificate`'s key and names it as issuer (Node's own X.509 check). */
export function isIssuedBy(certificate: string, caCertificate: string): boolean {
  const leaf = new NodeX509Certificate(certificate);
  const ca = new NodeX509Certificate(caCertificate);
  return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
}

/**
 * Whether a certificate should be issued again: it expires within `withinDays` (k3s renews
 * leaf certificates at start when within 90 days of expiry) or is not valid yet.
 */
export function needsRenewal(certificate: string, now = new Date(), withinDays = 90): boolean {
  const { notBefore, notAfter } = describeCertificate(certificate);
  return now < notBefore || notAfter.getTime() - now.getTime() < withinDays * DAY_MS;
}
