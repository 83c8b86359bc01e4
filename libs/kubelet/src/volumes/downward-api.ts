/**
 * The downward API's values: a pod's own fields (fieldRef) and a container's resources
 * (resourceFieldRef), as Kubernetes' pkg/fieldpath and pkg/api/v1/resource compute them. Used by
 * downwardAPI and projected volumes (projection.ts) and by environment variables (valueFrom).
 *
 *   fieldPath                          value
 *   metadata.name/namespace/uid        the field
 *   metadata.labels / annotations      every entry as `key="value"` lines, keys sorted, the value
 *                                      quoted as Go's %q does, no trailing newline
 *   metadata.labels['k'] (annotations) that entry's value, "" when absent
 *   spec.nodeName, serviceAccountName  the field (environment variables only, as in Kubernetes)
 *   status.podIP, hostIP               the first address (podIPs, hostIPs: all, comma-separated)
 *
 * resourceFieldRef: limits.cpu/memory/ephemeral-storage and requests.*; the value divided by the
 * divisor (default "1") and rounded up (CPU in millicores, memory and storage in bytes, as
 * Kubernetes' MilliValue/Value). A limit the container does not set falls back to the node's
 * allocatable; a request it does not set is 0.
 *
 * CONTRACT: pure; throws DownwardAPIError with Kubernetes' messages (`unsupported fieldPath: x`,
 * `container x not found`, `unsupported container resource : x`).
 */
import { parseCpuMillis, parseQuantityCeil, type Container, type Pod } from '@skiff/api';

/** A downward API value could not be computed (an unsupported path, an unknown container). */
export class DownwardAPIError extends Error {
  override readonly name = 'DownwardAPIError';
}

/** The node's allocatable resources: limits a container does not set fall back to these. */
export interface NodeAllocatable {
  cpu: string;
  memory: string;
  'ephemeral-storage'?: string;
}

/**
 * Values the kubelet knows before the API's pod status does (the sandbox's addresses right after
 * it started): they win over `pod.status` for status.podIP(s) and status.hostIP(s).
 */
export interface RuntimeFieldValues {
  podIPs?: readonly string[];
  hostIPs?: readonly string[];
}

const SUBSCRIPTED = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/s;

/**
 * The value of `fieldPath` for `pod` (see the module comment). Throws DownwardAPIError for a path
 * Kubernetes does not support.
 */
export function fieldRefValue(pod: Readonly<Pod>, fieldPath: string, runtime: RuntimeFieldValues = {}): string {
  const meta = pod.metadata;
  const sub = SUBSCRIPTED.exec(fieldPath);
  if (sub) {
    const map = sub[1] === 'metadata.labels' ? meta?.labels : meta?.annotations;
    return map?.[sub[2]] ?? '';
  }
  const podIPs = runtime.podIPs ?? podIPsOf(pod);
  const hostIPs = runtime.hostIPs ?? (pod.status?.hostIP ? [pod.status.hostIP] : []);
  switch (fieldPath) {
    case 'metadata.name':
      return meta?.name ?? '';
    case 'metadata.namespace':
      return meta?.namespace ?? '';
    case 'metadata.uid':
      return meta?.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta?.labels ?? {});
    case 'metadata.annotations':
      return formatMap(meta?.annotations ?? {});
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
    case 'status.hostIP':
      return hostIPs[0] ?? '';
    case 'status.hostIPs':
      return hostIPs.join(',');
    default:
      throw new DownwardAPIError(`unsupported fieldPath: ${fieldPath}`);
  }
}

function podIPsOf(pod: Readonly<Pod>): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter(Boolean);
  if (ips.length === 0 && pod.status?.podIP) return [pod.status.podIP];
  return ips;
}

/** Kubernetes' fieldpath.FormatMap: `key="value"` lines in key order, values quoted as Go's %q. */
export function formatMap(map: Readonly<Record<string, string>>): string {
  return Object.keys(map)
    .sort(compareBytes)
    .map((k) => `${k}=${goQuote(map[k])}`)
    .join('\n');
}

/** Go sorts strings by their UTF-8 bytes; for the characters of label keys that is code unit order. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** Go's strconv.Quote: `"` and `\` escaped, printable characters kept, others as \a..\v, \xNN, \uNNNN or \UNNNNNNNN. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (NAMED_ESCAPES[ch]) out += NAMED_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** The container named `name` among the pod's containers and init containers, or a DownwardAPIError. */
function findContainer(pod: Readonly<Pod>, name: string): Readonly<Container> {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const found = all.find((c) => c.name === name);
  if (!found) throw new DownwardAPIError(`container ${name} not found`);
  return found;
}

const RESOURCE = /^(limits|requests)\.(cpu|memory|ephemeral-storage)$/;

/**
 * The value of `resource` (as `limits.memory`) of container `containerName`, divided by
 * `divisor` ("" = "1") and rounded up (see the module comment). Throws DownwardAPIError for an
 * unknown container or resource.
 */
export function resourceFieldValue(
  pod: Readonly<Pod>,
  containerName: string,
  resource: string,
  divisor: string,
  nodeAllocatable: Readonly<NodeAllocatable>,
): string {
  const container = findContainer(pod, containerName);
  const m = RESOURCE.exec(resource);
  if (!m) throw new DownwardAPIError(`unsupported container resource : ${resource}`);
  const [, kind, name] = m;
  const set = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  let value = set?.[name];
  if (!value && kind === 'limits') value = nodeAllocatable[name as keyof NodeAllocatable];
  value ||= '0';
  const by = divisor || '1';
  if (name === 'cpu') return String(ceilRatio(parseCpuMillis(value), parseCpuMillis(by), resource));
  return String(ceilRatio(parseQuantityCeil(value), parseQuantityCeil(by), resource));
}

function ceilRatio(value: number, divisor: number, resource: string): number {
  if (!(divisor > 0)) throw new DownwardAPIError(`invalid divisor for container resource : ${resource}`);
  return Math.ceil(value / divisor);
}
