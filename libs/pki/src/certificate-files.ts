/**
 * The cluster's certificates on disk (k3s' server/tls directory): `ca.crt` and `ca.key`, created
 * once, and `<name>.crt` / `<name>.key` per component, node or user, issued again at start when
 * missing, within 90 days of expiry, no longer matching what is asked (CN, O, hosts, usages), or
 * signed by another CA. Keys are written 0600; the directory 0700.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createCertificateAuthority,
  describeCertificate,
  isIssuedBy,
  issueCertificate,
  needsRenewal,
  type CertificateAndKey,
  type LeafOptions,
} from './certificates';

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
  /** True when this call (re)issued it. */
  issued: boolean;
}

/** Writes `text` to `path` atomically (a temp file renamed over it) with `mode`. */
function writeAtomically(path: string, text: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

function readPair(dir: string, name: string): CertificateAndKey | undefined {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (!existsSync(cert) || !existsSync(key)) return undefined;
  return { certificate: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

function writePair(dir: string, name: string, pair: CertificateAndKey): void {
  writeAtomically(join(dir, `${name}.key`), pair.key, 0o600);
  writeAtomically(join(dir, `${name}.crt`), pair.certificate, 0o644);
}

/** The cluster CA in `dir` (ca.crt, ca.key), created when absent; `dir` is made 0700. */
export async function ensureCertificateAuthority(dir: string, now = new Date()): Promise<CertificateAndKey & { issued: boolean }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const existing = readPair(dir, 'ca');
  if (existing) return { ...existing, issued: false };
  const ca = await createCertificateAuthority({ commonName: `skiff-ca@${Math.floor(now.getTime() / 1000)}`, now });
  writePair(dir, 'ca', ca);
  return { ...ca, issued: true };
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** Whether the certificate in `pair` still answers `opts` under `ca`. */
function stillGood(pair: CertificateAndKey, ca: CertificateAndKey, opts: LeafOptions, now: Date): boolean {
  try {
    if (!isIssuedBy(pair.certificate, ca.certificate) || needsRenewal(pair.certificate, now)) return false;
    const info = describeCertificate(pair.certificate);
    return (
      info.commonName === opts.commonName &&
      sameSet(info.organizations, opts.organizations ?? []) &&
      sameSet([...info.dnsNames, ...info.ipAddresses], opts.hosts ?? []) &&
      sameSet(info.usages, opts.usages)
    );
  } catch {
    return false;
  }
}

/** `<dir>/<name>.crt` and `.key` for `opts`, signed by `ca`; issued again unless the existing one still answers. */
export async function ensureCertificate(dir: string, name: string, ca: CertificateAndKey, opts: LeafOptions): Promise<CertificateFiles> {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`certificate file name "${name}": lower-case letters, digits, '.' and '-' only`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  const existing = readPair(dir, name);
  if (existing && stillGood(existing, ca, opts, opts.now ?? new Date())) return { ...files, issued: false };
  writePair(dir, name, await issueCertificate(ca, opts));
  return { ...files, issued: true };
}
