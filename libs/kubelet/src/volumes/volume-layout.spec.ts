import type { Pod, Volume } from '@skiff/api';
import { invalidSubPathReason, isTmpfsVolume, isWithin, podMemoryLimit, tmpfsSize, volumePath } from './volume-layout';

const withLimits = (apps: (string | undefined)[], inits: { memory?: string; sidecar?: boolean }[] = []): Pod =>
  ({
    spec: {
      containers: apps.map((memory, i) => ({ name: `c${i}`, resources: { limits: memory ? { memory } : {}, requests: {} } })),
      initContainers: inits.map((c, i) => ({ name: `i${i}`, restartPolicy: c.sidecar ? 'Always' : undefined, resources: { limits: c.memory ? { memory: c.memory } : {}, requests: {} } })),
    },
  }) as unknown as Pod;

describe('volume layout', () => {
  it("puts volumes under the pod's dir by plugin, hostPath at its own path", () => {
    const v = (x: Partial<Volume>) => ({ name: 'data', ...x }) as Volume;
    expect(volumePath('/var/lib/skiff', 'u1', v({ emptyDir: { medium: '', sizeLimit: '' } }))).toBe('/var/lib/skiff/pods/u1/volumes/kubernetes.io~empty-dir/data');
    expect(volumePath('/r', 'u1', v({ configMap: { name: 'c', items: [] } }))).toBe('/r/pods/u1/volumes/kubernetes.io~configmap/data');
    expect(volumePath('/r', 'u1', v({ secret: { secretName: 's', items: [] } }))).toBe('/r/pods/u1/volumes/kubernetes.io~secret/data');
    expect(volumePath('/r', 'u1', v({ downwardAPI: { items: [] } }))).toBe('/r/pods/u1/volumes/kubernetes.io~downward-api/data');
    expect(volumePath('/r', 'u1', v({ projected: { sources: [] } }))).toBe('/r/pods/u1/volumes/kubernetes.io~projected/data');
    expect(volumePath('/r', 'u1', v({ hostPath: { path: '/var/log', type: '' } }))).toBe('/var/log');
    expect(() => volumePath('/r', 'u1', v({}))).toThrow('volume "data" has no source');
  });

  it('keeps Memory emptyDirs, secrets and projected volumes on tmpfs', () => {
    expect(isTmpfsVolume({ name: 'a', emptyDir: { medium: 'Memory', sizeLimit: '' } } as Volume)).toBe(true);
    expect(isTmpfsVolume({ name: 'a', emptyDir: { medium: '', sizeLimit: '1Gi' } } as Volume)).toBe(false);
    expect(isTmpfsVolume({ name: 'a', secret: { secretName: 's', items: [] } } as unknown as Volume)).toBe(true);
    expect(isTmpfsVolume({ name: 'a', projected: { sources: [] } } as unknown as Volume)).toBe(true);
    expect(isTmpfsVolume({ name: 'a', configMap: { name: 'c', items: [] } } as unknown as Volume)).toBe(false);
  });
});

describe('tmpfs size (calculateEmptyDirMemorySize)', () => {
  it("is the pod's memory limit only when every container has one", () => {
    expect(podMemoryLimit(withLimits(['64Mi', '32Mi']))).toBe(96 * 2 ** 20);
    expect(podMemoryLimit(withLimits(['64Mi', undefined]))).toBeUndefined();
    expect(podMemoryLimit(withLimits(['64Mi'], [{ memory: '1Gi' }]))).toBe(2 ** 30);
    expect(podMemoryLimit(withLimits(['64Mi'], [{ memory: '16Mi', sidecar: true }, { memory: '32Mi' }]))).toBe(80 * 2 ** 20);
    expect(podMemoryLimit(withLimits(['64Mi'], [{}]))).toBeUndefined();
    // A sidecar declared before an init container runs beside it: 100Mi + 200Mi beats 100Mi + 50Mi.
    expect(podMemoryLimit(withLimits(['50Mi'], [{ memory: '100Mi', sidecar: true }, { memory: '200Mi' }]))).toBe(300 * 2 ** 20);
  });

  it("is the smallest of the node's allocatable, the pod's limit and the sizeLimit", () => {
    expect(tmpfsSize(withLimits([undefined]), '', '1Gi')).toBe(2 ** 30);
    expect(tmpfsSize(withLimits(['64Mi']), '', '1Gi')).toBe(64 * 2 ** 20);
    expect(tmpfsSize(withLimits(['64Mi']), '16Mi', '1Gi')).toBe(16 * 2 ** 20);
    expect(tmpfsSize(withLimits(['64Mi']), '128Mi', '1Gi')).toBe(64 * 2 ** 20);
    expect(tmpfsSize(withLimits(['2Gi']), '', '1Gi')).toBe(2 ** 30);
    expect(tmpfsSize(withLimits([undefined]), '', '')).toBe(0);
    expect(tmpfsSize(withLimits([undefined]), '8Mi', '')).toBe(8 * 2 ** 20);
  });
});

describe('subPath checks', () => {
  it("refuses absolute paths and '..' as Kubernetes", () => {
    expect(invalidSubPathReason('/etc')).toBe('error SubPath `/etc` must not be an absolute path');
    expect(invalidSubPathReason('a/../b')).toBe("unable to provision SubPath `a/../b`: must not contain '..'");
    expect(invalidSubPathReason('a/..b/c')).toBeUndefined();
  });

  it('tells whether a path is inside a base', () => {
    expect(isWithin('/v/a/b', '/v')).toBe(true);
    expect(isWithin('/v', '/v')).toBe(true);
    expect(isWithin('/v/..data/x', '/v')).toBe(true);
    expect(isWithin('/vx', '/v')).toBe(false);
    expect(isWithin('/etc', '/v')).toBe(false);
  });
});
