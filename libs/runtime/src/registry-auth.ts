/**
 * Which registry an image comes from, and which logins apply to it: the kubelet's keyring lookup
 * (Kubernetes' credentialprovider), over registries named host[:port].
 *
 * An image's registry is its first path component when that looks like a host (has a "." or a
 * ":", or is "localhost"), else Docker Hub, as Docker's reference parsing decides. Docker Hub has
 * several names (docker.io, index.docker.io, registry-1.docker.io, and keys such as
 * "https://index.docker.io/v1/"): all normalize to "docker.io". A login's registry may be a glob
 * with "*" for whole host labels ("*.example.com"), as Kubernetes' keyring allows; its port must
 * match exactly.
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

/** The registry (host[:port], normalized) an image reference pulls from. */
export function imageRegistry(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return DOCKER_HUB[0];
  const first = image.slice(0, slash);
  const isHost = /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase();
  return isHost ? normalizeRegistry(first) : DOCKER_HUB[0];
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
 * The logins to try for `image`, in the given order: those whose registry matches the image's.
 * Empty: pull anonymously (as the kubelet, which never falls back to an anonymous pull once a
 * login matched).
 */
export function credentialsForImage(image: string, credentials: readonly RegistryCredential[]): RegistryCredential[] {
  const host = imageRegistry(image);
  return credentials.filter((c) => registryMatches(normalizeRegistry(c.registry), host));
}

/** The address Docker's X-Registry-Auth names for a registry ("https://index.docker.io/v1/" for Docker Hub). */
export function dockerServerAddress(registry: string): string {
  return normalizeRegistry(registry) === DOCKER_HUB[0] ? 'https://index.docker.io/v1/' : normalizeRegistry(registry);
}
