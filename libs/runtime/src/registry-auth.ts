/**
 * Which registry an image comes from, and which logins apply to it: the kubelet's keyring lookup
 * (Kubernetes' credentialprovider), over registries named host[:port].
 *
 * An image's registry is its first path component when that looks like a host (has a "." or a
 * ":", or is "localhost"), else Docker Hub, as Docker's reference parsing decides. Docker Hub has
 * several names (docker.io, index.docker.io, registry-1.docker.io, and keys such as
 * "https://index.docker.io/v1/"): all normalize to "docker.io". A login's key is
 * host[:port][/path], as in Kubernetes' keyring: its host may be a glob with "*" for whole host
 * labels ("*.example.com"), its port must match exactly, and its path must begin the image's
 * repository path ("ghcr.io/org-a" serves ghcr.io/org-a/app, not ghcr.io/org-b/app). Matching
 * logins are tried most specific first (keys in reverse lexical order, as the keyring sorts them).
 */
import type { RegistryCredential } from './runtime';

/** The names Docker Hub goes by; normalizeRegistry maps each to the first. */
const DOCKER_HUB = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/**
 * A registry key as docker config files write it ("registry.example.com:5000",
 * "https://index.docker.io/v1/", "http://host/path") as host[:port], lower case, Docker Hub as
 * "docker.io". '' when there is no host.
 */
export function normalizeRegistry(key: string): string {
  let host = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  host = host.split('/')[0].toLowerCase();
  return DOCKER_HUB.includes(host) ? DOCKER_HUB[0] : host;
}

/**
 * A docker config key as the keyring indexes it: host[:port] as normalizeRegistry, then its path
 * without slashes at either end, a leading "v1" or "v2" (the registry API's version, not a
 * repository: "https://index.docker.io/v1/" is just "docker.io") left out, as Kubernetes'
 * BasicDockerKeyring does.
 */
export function registryKey(key: string): string {
  const host = normalizeRegistry(key);
  if (!host) return '';
  const rest = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/').slice(1);
  if ((rest[0] === 'v1' || rest[0] === 'v2') && rest.length > 1) rest.shift();
  return [host, ...rest.filter(Boolean)].join('/');
}

/** The registry (host[:port], normalized) an image reference pulls from. */
export function imageRegistry(image: string): string {
  return imageParts(image).registry;
}

/** An image's registry and repository path ("library/busybox" for Docker Hub's "busybox"). */
function imageParts(image: string): { registry: string; path: string } {
  const name = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isHost = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  if (isHost) return { registry: normalizeRegistry(first), path: name.slice(slash + 1) };
  return { registry: DOCKER_HUB[0], path: slash < 0 ? `library/${name}` : name };
}

/** Whether a login's registry (normalized; may hold "*" labels) is the image registry `host`. */
function registryMatches(pattern: string, host: string): boolean {
  const [patternHost, patternPort = ''] = splitPort(pattern);
  const [hostName, hostPort = ''] = splitPort(host);
  if (patternPort !== hostPort) return false;
  const want = patternHost.split('.');
  const have = hostName.split('.');
  return want.length === have.length && want.every((label, i) => label === '*' || globLabel(label, have[i]));
}

/** "host:port" as [host, port]; a bracketed IPv6 address keeps its brackets. */
function splitPort(hostPort: string): [string, string?] {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(hostPort);
  return m ? [m[1], m[2]] : [hostPort];
}

/** A host label against a pattern label in which "*" stands for any run of characters. */
function globLabel(pattern: string, label: string): boolean {
  if (!pattern.includes('*')) return pattern === label;
  const re = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
  return re.test(label);
}

/**
 * The logins to try for `image`: those whose key matches the image's registry and repository
 * path (see the module comment), most specific first.
 * Empty: pull anonymously (as the kubelet, which never falls back to an anonymous pull once a
 * login matched).
 */
export function credentialsForImage(image: string, credentials: readonly RegistryCredential[]): RegistryCredential[] {
  const target = imageParts(image);
  const matching = credentials
    .map((c, order) => ({ c, order, key: registryKey(c.registry) }))
    .filter(({ key }) => {
      const [host, ...path] = key.split('/');
      return registryMatches(host, target.registry) && pathBegins(target.path, path.join('/'));
    });
  // Most specific first (reverse lexical order of the keys), the given order among equal keys.
  return matching.sort((a, b) => (a.key === b.key ? a.order - b.order : a.key < b.key ? 1 : -1)).map(({ c }) => c);
}

/** Whether `prefix` (no slashes at the ends) is `path` or a string prefix of it, as Kubernetes' URLsMatch. */
function pathBegins(path: string, prefix: string): boolean {
  return prefix === '' || path.startsWith(prefix);
}

/** The address Docker's X-Registry-Auth names for a registry ("https://index.docker.io/v1/" for Docker Hub). */
export function dockerServerAddress(registry: string): string {
  return normalizeRegistry(registry) === DOCKER_HUB[0] ? 'https://index.docker.io/v1/' : normalizeRegistry(registry);
}
