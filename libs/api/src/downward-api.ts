/**
 * The downward API's pure values, as Kubernetes computes them: a pod's metadata fields by
 * fieldPath (pkg/fieldpath ExtractFieldPathAsString) and a container's resources by
 * resourceFieldRef (pkg/api/v1/resource ExtractContainerResourceValue). The kubelet (volumes and
 * environment variables, where it adds the spec and status fields it knows) and the CLI
 * (describe) both use these, so they show the same values; validation uses the subscript split.
 *
 *   fieldPath                          value
 *   metadata.name/namespace/uid        the field
 *   metadata.labels / annotations      every entry as `key="value"` lines, keys sorted by bytes,
 *                                      the value quoted as Go's %q does, no trailing newline
 *   metadata.labels['k'] (annotations) that entry's value, "" when absent
 *   anything else                      DownwardAPIError `unsupported fieldPath: <path>`
 *
 * resourceFieldRef: limits.cpu/memory/ephemeral-storage and requests.*; the value divided by the
 * divisor (unset or zero: "1") and rounded up (CPU in millicores, memory and storage in bytes,
 * as Kubernetes' MilliValue/Value). A limit the container does not set is taken from the given
 * node allocatable (the kubelet's; the CLI gives none), else 0; a request it does not set is 0.
 *
 * CONTRACT: pure; throws DownwardAPIError with Kubernetes' messages (`unsupported fieldPath: x`,
 * `container x not found`, `unsupported container resource : x`); a malformed quantity throws
 * the quantity parser's Error (validation prevents that for stored pods).
 */
import type { Container, Pod } from './gen';
import { compareQuantities, parseCpuMillis, parseQuantityCeil } from './quantity';

/** A downward API value could not be computed (an unsupported path, an unknown container). */
export class DownwardAPIError extends Error {
  override readonly name = 'DownwardAPIError';
}

/**
 * Kubernetes' fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['app']` -> path
 * `metadata.labels`, subscript `app`; a path without a subscript (or with an empty path before
 * it) comes back whole, without a subscript.
 */
export function splitSubscriptedFieldPath(fieldPath: string): { path: string; subscript?: string } {
  if (!fieldPath.endsWith("']")) return { path: fieldPath };
  const inner = fieldPath.slice(0, -2);
  const at = inner.indexOf("['");
  if (at <= 0) return { path: fieldPath };
  return { path: inner.slice(0, at), subscript: inner.slice(at + 2) };
}

/**
 * The value of the metadata field `fieldPath` of `pod` (see the module comment). Throws
 * DownwardAPIError for any other path.
 */
export function podMetadataFieldValue(pod: Readonly<Pick<Pod, 'metadata'>>, fieldPath: string): string {
  const meta = pod.metadata;
  const { path, subscript } = splitSubscriptedFieldPath(fieldPath);
  if (subscript !== undefined && (path === 'metadata.labels' || path === 'metadata.annotations')) {
    return (path === 'metadata.labels' ? meta?.labels : meta?.annotations)?.[subscript] ?? '';
  }
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
    default:
      throw new DownwardAPIError(`unsupported fieldPath: ${fieldPath}`);
  }
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

/** Resource name ("cpu", "memory", "ephemeral-storage") -> quantity, for limits a container does not set. */
export type AllocatableFallback = Readonly<Partial<Record<string, string>>>;

const CONTAINER_RESOURCE = /^(limits|requests)\.(cpu|memory|ephemeral-storage)$/;

/**
 * The value of `resource` (as `limits.memory`) of `container`, divided by `divisor` and rounded
 * up (see the module comment). Throws DownwardAPIError for an unsupported resource.
 */
export function containerResourceValue(container: Readonly<Container>, resource: string, divisor: string, nodeAllocatable: AllocatableFallback = {}): string {
  const m = CONTAINER_RESOURCE.exec(resource);
  if (!m) throw new DownwardAPIError(`unsupported container resource : ${resource}`);
  const [, kind, name] = m;
  const set = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  let value = set?.[name];
  if (!value && kind === 'limits') value = nodeAllocatable[name];
  value ||= '0';
  const by = divisor && compareQuantities(divisor, '0') !== 0 ? divisor : '1';
  const parse = name === 'cpu' ? parseCpuMillis : parseQuantityCeil;
  return String(Math.ceil(parse(value) / parse(by)));
}

/**
 * containerResourceValue for the pod's container (app or init) named `containerName`; throws
 * DownwardAPIError `container <name> not found` when there is none.
 */
export function resourceFieldValue(pod: Readonly<Pod>, containerName: string, resource: string, divisor: string, nodeAllocatable: AllocatableFallback = {}): string {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const container = all.find((c) => c.name === containerName);
  if (!container) throw new DownwardAPIError(`container ${containerName} not found`);
  return containerResourceValue(container, resource, divisor, nodeAllocatable);
}
