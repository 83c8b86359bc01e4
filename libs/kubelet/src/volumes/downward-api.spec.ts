import { DownwardAPIError, type Pod } from '@skiff/api';
import { fieldRefValue } from './downward-api';

const pod = {
  metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1', labels: { tier: 'front', app: 'web' } },
  spec: { nodeName: 'node-a', serviceAccountName: 'builder', containers: [] },
  status: { podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }, { ip: 'fd00::5' }], hostIP: '192.0.2.10' },
} as unknown as Pod;

describe("fieldRefValue (the kubelet's podFieldSelectorRuntimeValue)", () => {
  it('gives the spec and status fields environment variables may name', () => {
    expect(fieldRefValue(pod, 'spec.nodeName')).toBe('node-a');
    expect(fieldRefValue(pod, 'spec.serviceAccountName')).toBe('builder');
    expect(fieldRefValue(pod, 'status.podIP')).toBe('10.244.0.5');
    expect(fieldRefValue(pod, 'status.podIPs')).toBe('10.244.0.5,fd00::5');
    expect(fieldRefValue(pod, 'status.hostIP')).toBe('192.0.2.10');
    expect(fieldRefValue(pod, 'status.hostIPs')).toBe('192.0.2.10');
    expect(fieldRefValue({ ...pod, status: { podIP: '10.0.0.1', podIPs: [] } } as unknown as Pod, 'status.podIPs')).toBe('10.0.0.1');
  });

  it('gives the metadata fields as @skiff/api computes them', () => {
    expect(fieldRefValue(pod, 'metadata.name')).toBe('web-0');
    expect(fieldRefValue(pod, "metadata.labels['tier']")).toBe('front');
    expect(fieldRefValue(pod, 'metadata.labels')).toBe('app="web"\ntier="front"');
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
