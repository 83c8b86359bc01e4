import type { Pod } from '@skiff/api';
import { admitPod, parseAllocatable } from './admission';

const pod = (name: string, cpu?: string, memory?: string): Pod =>
  ({
    metadata: { name, namespace: 'default', uid: name },
    spec: { containers: [{ name: 'c', image: 'i', resources: { limits: {}, requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } } }] },
  }) as unknown as Pod;

describe('admission', () => {
  const node = parseAllocatable({ cpu: '2', memory: '1Gi', pods: '3' });

  const withInits = (p: Pod, ...inits: { cpu: string; sidecar?: boolean }[]): Pod => {
    (p.spec as unknown as { initContainers: unknown[] }).initContainers = inits.map((c, i) => ({
      name: `init${i}`,
      image: 'i',
      resources: { limits: {}, requests: { cpu: c.cpu } },
      ...(c.sidecar ? { restartPolicy: 'Always' } : {}),
    }));
    return p;
  };

  it('sums container requests', () => {
    const p = pod('a', '250m', '64Mi');
    (p.spec?.containers as unknown[]).push({ name: 'd', image: 'i', resources: { requests: { cpu: '1' } } });
    expect(admitPod(p, [pod('b', '750m')], node)).toEqual({ admit: true });
    expect(admitPod(p, [pod('b', '751m')], node)).toMatchObject({ message: "Pod Node didn't have enough resource: cpu, requested: 1250, used: 751, capacity: 2000" });
  });

  it("counts a pod's effective request: its largest init container, with the sidecars started before it", () => {
    // app 100m; sidecar 400m then init 1500m: 1900m while the init runs.
    const p = withInits(pod('a', '100m'), { cpu: '400m', sidecar: true }, { cpu: '1500m' });
    expect(admitPod(p, [pod('b', '100m')], node)).toEqual({ admit: true });
    expect(admitPod(p, [pod('b', '101m')], node)).toEqual({
      admit: false,
      reason: 'OutOfcpu',
      message: "Pod Node didn't have enough resource: cpu, requested: 1900, used: 101, capacity: 2000",
    });
    // An admitted pod's init container counts in what is used, as the scheduler counts it.
    const used = withInits(pod('b', '100m'), { cpu: '1' });
    expect(admitPod(pod('a', '1001m'), [used], node)).toMatchObject({ reason: 'OutOfcpu', message: expect.stringContaining('used: 1000,') });
    // A sidecar declared after the init runs beside the app containers only: 100m + 300m, or 1500m.
    expect(admitPod(withInits(pod('a', '100m'), { cpu: '1500m' }, { cpu: '300m', sidecar: true }), [pod('b', '500m')], node)).toEqual({ admit: true });
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
