/**
 * Bound ServiceAccount tokens (Kubernetes' TokenRequest tokens): JWTs signed by the apiserver's
 * service-account key (ES256), naming the service account and the pod (and node) they are bound
 * to, with an audience and an expiry. The signature, issuer, audience and time are checked here;
 * that the bound pod and service account still exist with those uids is the caller's check (the
 * apiserver's authenticator reads its caches), so that a deleted pod's token stops working.
 */
import { createPublicKey, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, importPKCS8, importSPKI, jwtVerify, SignJWT, type JWTPayload } from 'jose';

/** Kubernetes' default issuer and audience ("https://kubernetes.default.svc.cluster.local"). */
export const DEFAULT_TOKEN_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const ALGORITHM = 'ES256';

export interface ObjectRef {
  name: string;
  uid: string;
}

/** What a token is bound to. */
export interface TokenBinding {
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  node?: ObjectRef;
}

export interface VerifiedToken extends TokenBinding {
  /** "system:serviceaccount:<namespace>:<name>" */
  subject: string;
  audiences: string[];
  expiresAt: Date;
  /** The token's id (jti), for the audit log. */
  id: string;
}

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** The apiserver's service-account signing key; tokens name it by a hash of its public key ("kid"). */
export interface SigningKey {
  /** PKCS#8 PEM (libs/pki's key files). */
  privateKeyPem: string;
}

/** The kid of a public key: base64url of its SPKI DER's first 16 bytes of SHA-256 (stable for the key). */
async function keyId(publicKeyPem: string): Promise<string> {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
  return Buffer.from(digest.subarray(0, 16)).toString('base64url');
}

/** The public key (SPKI PEM) of a private key PEM. */
export function publicKeyOf(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}

export interface IssueOptions {
  issuer?: string;
  audiences?: readonly string[];
  /** Default 3600; Kubernetes' minimum is 600. */
  expirationSeconds?: number;
  now?: Date;
}

/** A signed token for `binding`. */
export async function issueServiceAccountToken(key: SigningKey, binding: TokenBinding, opts: IssueOptions = {}): Promise<string> {
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const expiration = opts.expirationSeconds ?? 3600;
  const kubernetes: Record<string, unknown> = { namespace: binding.namespace, serviceaccount: binding.serviceAccount };
  if (binding.pod) kubernetes.pod = binding.pod;
  if (binding.node) kubernetes.node = binding.node;
  return new SignJWT({ 'kubernetes.io': kubernetes })
    .setProtectedHeader({ alg: ALGORITHM, kid: await keyId(publicKeyOf(key.privateKeyPem)) })
    .setIssuer(opts.issuer ?? DEFAULT_TOKEN_ISSUER)
    .setSubject(`system:serviceaccount:${binding.namespace}:${binding.serviceAccount.name}`)
    .setAudience([...(opts.audiences ?? [DEFAULT_TOKEN_ISSUER])])
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + expiration)
    .setJti(randomUUID())
    .sign(await importPKCS8(key.privateKeyPem, ALGORITHM));
}

export interface VerifyOptions {
  /** Every public key that may have signed (SPKI PEM; several during a key rotation). */
  publicKeyPems: readonly string[];
  issuer?: string;
  /** The token must name one of these audiences; default the issuer. */
  audiences?: readonly string[];
  now?: Date;
}

const refOf = (value: unknown): ObjectRef | undefined => {
  const v = value as Partial<ObjectRef> | undefined;
  return v && typeof v.name === 'string' && typeof v.uid === 'string' ? { name: v.name, uid: v.uid } : undefined;
};

/** Checks a token's signature, issuer, audience and time and reads what it is bound to; throws InvalidTokenError. */
export async function verifyServiceAccountToken(token: string, opts: VerifyOptions): Promise<VerifiedToken> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new InvalidTokenError('not a JWT');
  }
  let payload: JWTPayload | undefined;
  let lastError: unknown;
  for (const pem of opts.publicKeyPems) {
    if (kid && kid !== (await keyId(pem))) continue;
    try {
      ({ payload } = await jwtVerify(token, await importSPKI(pem, ALGORITHM), {
        algorithms: [ALGORITHM],
        issuer: opts.issuer ?? DEFAULT_TOKEN_ISSUER,
        audience: [...(opts.audiences ?? [opts.issuer ?? DEFAULT_TOKEN_ISSUER])],
        currentDate: opts.now,
        requiredClaims: ['exp', 'sub', 'jti'],
      }));
      break;
    } catch (err) {
      lastError = err;
    }
  }
  if (!payload && lastError) throw new InvalidTokenError(`token rejected: ${(lastError as Error).message}`);
  if (!payload) throw new InvalidTokenError('token signed by an unknown key');
  const claims = payload['kubernetes.io'] as Record<string, unknown> | undefined;
  const namespace = typeof claims?.namespace === 'string' ? claims.namespace : '';
  const serviceAccount = refOf(claims?.serviceaccount);
  if (!namespace || !serviceAccount || payload.sub !== `system:serviceaccount:${namespace}:${serviceAccount.name}`) {
    throw new InvalidTokenError('token claims do not name a service account');
  }
  return {
    subject: payload.sub,
    namespace,
    serviceAccount,
    pod: refOf(claims?.pod),
    node: refOf(claims?.node),
    audiences: ([] as string[]).concat(payload.aud ?? []),
    expiresAt: new Date((payload.exp ?? 0) * 1000),
    id: payload.jti ?? '',
  };
}
