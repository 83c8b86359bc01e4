import type { Pod } from '@skiff/api';
import { admitPod, parseAllocatable, podRequests } from './admission';

const pod = (name: string, cpu?: string, memory?: string): Pod =>
  ({
    metadata: { name, namespace: 'default', uid: name },
    spec: { containers: [{ name: 'c', image: 'i', resources: { limits: {}, requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } } }] },
  }) as unknown as Pod;

describe('admission', () => {
  const node = parseAllocatable({ cpu: '2', memory: '1Gi', pods: '3' });

  it('sums container requests', () => {
    const p = pod('a', '250m', '64Mi');
    (p.spec?.containers as unknown[]).push({ name: 'd', image: 'i', resources: { requests: { cpu: '1' } } });
    expect(podRequests(p)).toEqual({ cpuMillis: 1250, memoryBytes: 64 * 2 ** 20 });
  });

  it('admits what fits next to the admitted pods, and refuses as the kubelet does', () => {
    expect(admitPod(pod('a', '1500m'), [pod('b', '500m')], node)).toEqual({ admit: true });
    expect(admitPod(pod('a', '1501m'), [pod('b', '500m')], node)).toEqual({
      admit: false,
      reason: 'OutOfcpu',
      message: "Pod Node didn't have enough resource: cpu, requested: 1501, used: 500, capacity: 2000",
    });
    expect(admitPod(pod('a', '100m', '2Gi'), [], node)).toMatchObject({ admit: false, reason: 'OutOfmemory' });
    expect(admitPod(pod('a'), [pod('b'), pod('c'), pod('d')], node)).toMatchObject({ admit: false, reason: 'OutOfpods' });
    expect(admitPod(pod('a'), [pod('b', '2')], node)).toEqual({ admit: true }); // requests nothing
  });
});
