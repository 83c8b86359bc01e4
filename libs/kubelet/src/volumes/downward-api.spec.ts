import type { Pod } from '@skiff/api';
import { DownwardAPIError, fieldRefValue, formatMap, goQuote, resourceFieldValue } from './downward-api';

const pod = {
  metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1', labels: { tier: 'front', app: 'web' }, annotations: { 'build/sha': 'abc"1' } },
  spec: {
    nodeName: 'node-a',
    serviceAccountName: 'builder',
    containers: [
      { name: 'app', resources: { limits: { cpu: '250m', memory: '64Mi' }, requests: { cpu: '100m', memory: '32Mi' } } },
      { name: 'bare', resources: { limits: {}, requests: {} } },
    ],
    initContainers: [{ name: 'init', resources: { limits: { memory: '1Gi' }, requests: {} } }],
  },
  status: { podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }, { ip: 'fd00::5' }], hostIP: '192.0.2.10' },
} as unknown as Pod;
const node = { cpu: '2', memory: '4Gi', 'ephemeral-storage': '10Gi' };

describe('fieldRefValue', () => {
  it('gives the metadata fields', () => {
    expect(fieldRefValue(pod, 'metadata.name')).toBe('web-0');
    expect(fieldRefValue(pod, 'metadata.namespace')).toBe('shop');
    expect(fieldRefValue(pod, 'metadata.uid')).toBe('u-1');
  });

  it('formats all labels and annotations as Kubernetes does: sorted key="value" lines, Go-quoted, no final newline', () => {
    expect(fieldRefValue(pod, 'metadata.labels')).toBe('app="web"\ntier="front"');
    expect(fieldRefValue(pod, 'metadata.annotations')).toBe('build/sha="abc\\"1"');
    expect(fieldRefValue({ metadata: { labels: {} } } as unknown as Pod, 'metadata.labels')).toBe('');
  });

  it("gives one label or annotation with the subscript form, '' when absent", () => {
    expect(fieldRefValue(pod, "metadata.labels['tier']")).toBe('front');
    expect(fieldRefValue(pod, "metadata.annotations['build/sha']")).toBe('abc"1');
    expect(fieldRefValue(pod, "metadata.labels['nope']")).toBe('');
  });

  it('gives the spec and status fields environment variables may name', () => {
    expect(fieldRefValue(pod, 'spec.nodeName')).toBe('node-a');
    expect(fieldRefValue(pod, 'spec.serviceAccountName')).toBe('builder');
    expect(fieldRefValue(pod, 'status.podIP')).toBe('10.244.0.5');
    expect(fieldRefValue(pod, 'status.podIPs')).toBe('10.244.0.5,fd00::5');
    expect(fieldRefValue(pod, 'status.hostIP')).toBe('192.0.2.10');
    expect(fieldRefValue(pod, 'status.hostIPs')).toBe('192.0.2.10');
  });

  it("prefers the kubelet's own addresses to the API's status (not yet written at the first start)", () => {
    const fresh = { ...pod, status: undefined } as Pod;
    expect(fieldRefValue(fresh, 'status.podIP')).toBe('');
    expect(fieldRefValue(fresh, 'status.podIP', { podIPs: ['10.244.0.9'] })).toBe('10.244.0.9');
    expect(fieldRefValue(fresh, 'status.hostIPs', { hostIPs: ['192.0.2.1', '2001:db8::1'] })).toBe('192.0.2.1,2001:db8::1');
  });

  it('refuses an unsupported path with Kubernetes message', () => {
    expect(() => fieldRefValue(pod, 'metadata.generation')).toThrow(new DownwardAPIError('unsupported fieldPath: metadata.generation'));
    expect(() => fieldRefValue(pod, 'spec.hostname')).toThrow(DownwardAPIError);
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

describe('resourceFieldValue', () => {
  it('divides by the divisor (default 1) and rounds up', () => {
    expect(resourceFieldValue(pod, 'app', 'limits.cpu', '', node)).toBe('1');
    expect(resourceFieldValue(pod, 'app', 'limits.cpu', '1m', node)).toBe('250');
    expect(resourceFieldValue(pod, 'app', 'requests.cpu', '1m', node)).toBe('100');
    expect(resourceFieldValue(pod, 'app', 'limits.memory', '1', node)).toBe('67108864');
    expect(resourceFieldValue(pod, 'app', 'limits.memory', '1Mi', node)).toBe('64');
    expect(resourceFieldValue(pod, 'app', 'limits.memory', '1Gi', node)).toBe('1');
    expect(resourceFieldValue(pod, 'app', 'requests.memory', '1M', node)).toBe('34');
  });

  it("falls back to the node's allocatable for a limit the container does not set; a missing request is 0", () => {
    expect(resourceFieldValue(pod, 'bare', 'limits.cpu', '', node)).toBe('2');
    expect(resourceFieldValue(pod, 'bare', 'limits.memory', '1Mi', node)).toBe('4096');
    expect(resourceFieldValue(pod, 'bare', 'limits.ephemeral-storage', '1Gi', node)).toBe('10');
    expect(resourceFieldValue(pod, 'bare', 'requests.cpu', '', node)).toBe('0');
    expect(resourceFieldValue(pod, 'bare', 'requests.memory', '', node)).toBe('0');
    expect(resourceFieldValue(pod, 'bare', 'limits.ephemeral-storage', '', { cpu: '1', memory: '1Gi' })).toBe('0');
  });

  it('finds init containers too', () => {
    expect(resourceFieldValue(pod, 'init', 'limits.memory', '1Mi', node)).toBe('1024');
  });

  it('refuses an unknown container or resource with Kubernetes messages', () => {
    expect(() => resourceFieldValue(pod, 'nope', 'limits.cpu', '', node)).toThrow(new DownwardAPIError('container nope not found'));
    expect(() => resourceFieldValue(pod, 'app', 'limits.gpu', '', node)).toThrow(new DownwardAPIError('unsupported container resource : limits.gpu'));
    expect(() => resourceFieldValue(pod, 'app', 'limits.cpu', '0', node)).toThrow(DownwardAPIError);
  });
});
