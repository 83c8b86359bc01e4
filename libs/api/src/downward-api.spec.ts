import type { Pod } from './gen';
import { containerResourceValue, DownwardAPIError, formatMap, goQuote, podMetadataFieldValue, resourceFieldValue, splitSubscriptedFieldPath } from './downward-api';

const pod = {
  metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1', labels: { tier: 'front', app: 'web' }, annotations: { 'build/sha': 'abc"1' } },
  spec: {
    nodeName: 'node-a',
    containers: [
      { name: 'app', resources: { limits: { cpu: '250m', memory: '64Mi' }, requests: { cpu: '100m', memory: '32Mi' } } },
      { name: 'bare', resources: { limits: {}, requests: {} } },
    ],
    initContainers: [{ name: 'init', resources: { limits: { memory: '1Gi' }, requests: {} } }],
  },
} as unknown as Pod;
const node = { cpu: '2', memory: '4Gi', 'ephemeral-storage': '10Gi' };

describe('splitSubscriptedFieldPath (SplitMaybeSubscriptedPath)', () => {
  it('splits a subscripted path at the first [\'', () => {
    expect(splitSubscriptedFieldPath("metadata.labels['app']")).toEqual({ path: 'metadata.labels', subscript: 'app' });
    expect(splitSubscriptedFieldPath("metadata.annotations['a['b']")).toEqual({ path: 'metadata.annotations', subscript: "a['b" });
    expect(splitSubscriptedFieldPath("metadata.labels['']")).toEqual({ path: 'metadata.labels', subscript: '' });
  });

  it('gives back a path without a subscript, or with nothing before it, whole', () => {
    expect(splitSubscriptedFieldPath('metadata.name')).toEqual({ path: 'metadata.name' });
    expect(splitSubscriptedFieldPath("['app']")).toEqual({ path: "['app']" });
    expect(splitSubscriptedFieldPath("metadata.labels['app'")).toEqual({ path: "metadata.labels['app'" });
  });
});

describe('podMetadataFieldValue (ExtractFieldPathAsString)', () => {
  it('gives the metadata fields', () => {
    expect(podMetadataFieldValue(pod, 'metadata.name')).toBe('web-0');
    expect(podMetadataFieldValue(pod, 'metadata.namespace')).toBe('shop');
    expect(podMetadataFieldValue(pod, 'metadata.uid')).toBe('u-1');
  });

  it('formats all labels and annotations as Kubernetes does: sorted key="value" lines, Go-quoted, no final newline', () => {
    expect(podMetadataFieldValue(pod, 'metadata.labels')).toBe('app="web"\ntier="front"');
    expect(podMetadataFieldValue(pod, 'metadata.annotations')).toBe('build/sha="abc\\"1"');
    expect(podMetadataFieldValue({ metadata: { labels: {} } } as unknown as Pod, 'metadata.labels')).toBe('');
  });

  it("gives one label or annotation with the subscript form, '' when absent", () => {
    expect(podMetadataFieldValue(pod, "metadata.labels['tier']")).toBe('front');
    expect(podMetadataFieldValue(pod, "metadata.annotations['build/sha']")).toBe('abc"1');
    expect(podMetadataFieldValue(pod, "metadata.labels['nope']")).toBe('');
  });

  it('refuses any other path with Kubernetes message (spec and status fields are the kubelet\'s)', () => {
    expect(() => podMetadataFieldValue(pod, 'metadata.generation')).toThrow(new DownwardAPIError('unsupported fieldPath: metadata.generation'));
    expect(() => podMetadataFieldValue(pod, 'spec.nodeName')).toThrow(new DownwardAPIError('unsupported fieldPath: spec.nodeName'));
    expect(() => podMetadataFieldValue(pod, "metadata.name['x']")).toThrow(DownwardAPIError);
  });
});

describe('formatMap and goQuote', () => {
  it('quotes as Go strconv.Quote', () => {
    expect(goQuote('plain text')).toBe('"plain text"');
    expect(goQuote('a\\b"c')).toBe('"a\\\\b\\"c"');
    expect(goQuote('line1\nline2\t\r')).toBe('"line1\\nline2\\t\\r"');
    expect(goQuote('\x00\x1f\x7f')).toBe('"\\x00\\x1f\\x7f"');
    expect(goQuote('héllo ✓ 日本')).toBe('"héllo ✓ 日本"');
    expect(goQuote('\u0085\u200b')).toBe('"\\u0085\\u200b"');
  });

  it('sorts keys by bytes', () => {
    expect(formatMap({ b: '1', B: '2', a: '3', 'a.b/c': '4' })).toBe('B="2"\na="3"\na.b/c="4"\nb="1"');
  });
});

describe('resourceFieldValue (ExtractContainerResourceValue)', () => {
  it('divides by the divisor (unset or zero: 1) and rounds up', () => {
    expect(resourceFieldValue(pod, 'app', 'limits.cpu', '', node)).toBe('1');
    expect(resourceFieldValue(pod, 'app', 'limits.cpu', '0', node)).toBe('1');
    expect(resourceFieldValue(pod, 'app', 'limits.cpu', '1m', node)).toBe('250');
    expect(resourceFieldValue(pod, 'app', 'requests.cpu', '1m', node)).toBe('100');
    expect(resourceFieldValue(pod, 'app', 'limits.memory', '1', node)).toBe('67108864');
    expect(resourceFieldValue(pod, 'app', 'limits.memory', '1Mi', node)).toBe('64');
    expect(resourceFieldValue(pod, 'app', 'limits.memory', '1Gi', node)).toBe('1');
    expect(resourceFieldValue(pod, 'app', 'requests.memory', '1M', node)).toBe('34');
    expect(resourceFieldValue(pod, 'app', 'requests.memory', '0Mi', node)).toBe(String(32 * 2 ** 20));
  });

  it("falls back to the node's allocatable for a limit the container does not set (0 without one); a missing request is 0", () => {
    expect(resourceFieldValue(pod, 'bare', 'limits.cpu', '', node)).toBe('2');
    expect(resourceFieldValue(pod, 'bare', 'limits.memory', '1Mi', node)).toBe('4096');
    expect(resourceFieldValue(pod, 'bare', 'limits.ephemeral-storage', '1Gi', node)).toBe('10');
    expect(resourceFieldValue(pod, 'bare', 'requests.cpu', '', node)).toBe('0');
    expect(resourceFieldValue(pod, 'bare', 'requests.memory', '', node)).toBe('0');
    expect(resourceFieldValue(pod, 'bare', 'limits.ephemeral-storage', '', { cpu: '1', memory: '1Gi' })).toBe('0');
    expect(containerResourceValue(pod.spec!.containers[1], 'limits.memory', '')).toBe('0');
  });

  it('finds init containers too', () => {
    expect(resourceFieldValue(pod, 'init', 'limits.memory', '1Mi', node)).toBe('1024');
  });

  it('refuses an unknown container or resource with Kubernetes messages', () => {
    expect(() => resourceFieldValue(pod, 'nope', 'limits.cpu', '', node)).toThrow(new DownwardAPIError('container nope not found'));
    expect(() => resourceFieldValue(pod, 'app', 'limits.gpu', '', node)).toThrow(new DownwardAPIError('unsupported container resource : limits.gpu'));
  });
});
