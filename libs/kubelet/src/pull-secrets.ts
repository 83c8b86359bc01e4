/**
 * Registry logins from a pod's imagePullSecrets (Kubernetes' credentialprovider/secrets
 * MakeDockerKeyring). Pure: the Secrets come already fetched, in the order of
 * spec.imagePullSecrets.
 *
 *   type                               key                 content
 *   kubernetes.io/dockerconfigjson     .dockerconfigjson   {"auths": {"<registry>": <entry>, ...}}
 *   kubernetes.io/dockercfg            .dockercfg          {"<registry>": <entry>, ...} (the old form)
 *
 * An entry is {"username", "password"} or {"auth": base64("user:pass")}; "auth", when present,
 * wins. A registry key may carry a scheme and a path ("https://index.docker.io/v1/"): it becomes
 * host[:port] (registry-auth.ts in the runtime), Docker Hub's names all "docker.io". Secrets of
 * other types, or without their key, are skipped, as the kubelet skips them.
 *
 * CONTRACT: throws PullSecretError when a secret of those types cannot be read (not JSON, an auth
 * field that is not base64("user:pass")); the kubelet then fails the pull (ErrImagePull) with that
 * message. Messages name the secret, never its content. Logins come out in secret order, then
 * the order of the registry keys in each.
 */
import type { Secret } from '@skiff/api';
import { registryKey, type RegistryCredential } from '@skiff/runtime';

export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';
export const DOCKERCFG_TYPE = 'kubernetes.io/dockercfg';
export const DOCKERCFG_KEY = '.dockercfg';

/** An image pull secret that cannot be read; its message names the secret, not its content. */
export class PullSecretError extends Error {
  override readonly name = 'PullSecretError';
}

/** The logins the secrets hold; see the module comment. */
export function credentialsFromPullSecrets(secrets: readonly Readonly<Secret>[]): RegistryCredential[] {
  const credentials: RegistryCredential[] = [];
  for (const secret of secrets) {
    const config = dockerConfigOf(secret);
    if (!config) continue;
    for (const [key, entry] of Object.entries(config)) {
      const registry = registryKey(key);
      if (!registry) continue;
      credentials.push({ registry, ...login(secret, entry) });
    }
  }
  return credentials;
}

function secretName(secret: Readonly<Secret>): string {
  return `${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;
}

/** The registry map of a docker config secret; undefined for other secrets. */
function dockerConfigOf(secret: Readonly<Secret>): Record<string, unknown> | undefined {
  const [key, nested] =
    secret.type === DOCKER_CONFIG_JSON_TYPE ? [DOCKER_CONFIG_JSON_KEY, true] : secret.type === DOCKERCFG_TYPE ? [DOCKERCFG_KEY, false] : [];
  const bytes = key === undefined ? undefined : secret.data?.[key];
  if (!key || !bytes || bytes.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    // JSON.parse's message quotes the content: never shown.
    throw new PullSecretError(`image pull secret "${secretName(secret)}": ${key} is not valid JSON`);
  }
  const config = nested ? (isObject(parsed) ? parsed.auths : undefined) : parsed;
  if (config === undefined || config === null) return {};
  if (!isObject(config)) throw new PullSecretError(`image pull secret "${secretName(secret)}": ${key} does not map registries to logins`);
  return config;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The username and password of one entry ("auth" wins over "username"/"password"). */
function login(secret: Readonly<Secret>, entry: unknown): { username: string; password: string } {
  const e = isObject(entry) ? entry : {};
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const auth = text(e.auth);
  if (!auth) return { username: text(e.username), password: text(e.password) };
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth) || colon < 0) {
    throw new PullSecretError(`image pull secret "${secretName(secret)}": unable to parse auth field, must be formatted as base64(username:password)`);
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
