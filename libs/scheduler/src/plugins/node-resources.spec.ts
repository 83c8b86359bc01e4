import { podInfoOf } from '../framework/pod-info';
import { nodeInfo, pod, podInfo } from '../test-objects.spec-helper';
import { balancedAllocationScore, filterNodeResourcesFit, leastAllocatedScore } from './node-resources';

describe('NodeResourcesFit', () => {
  it('fits when requests are within allocatable minus placed requests', () => {
    const node = nodeInfo('n', { cpu: '2', memory: '4Gi' }, [podInfo('a', { cpu: '1', memory: '1Gi' })]);
    expect(filterNodeResourcesFit.filter(podInfo('p', { cpu: '1', memory: '3Gi' }), node).code).toBe('Success');
  });

  it('reports each insufficient resource, cpu before memory', () => {
    const node = nodeInfo('n', { cpu: '2', memory: '4Gi' }, [podInfo('a', { cpu: '1500m', memory: '3Gi' })]);
    const status = filterNodeResourcesFit.filter(podInfo('p', { cpu: '600m', memory: '2Gi' }), node);
    expect(status).toEqual({ code: 'Unschedulable', reasons: ['Insufficient cpu', 'Insufficient memory'] });
  });

  it('sums the requests of every container', () => {
    const node = nodeInfo('n', { cpu: '1' });
    const status = filterNodeResourcesFit.filter(podInfo('p', { cpu: '600m', containers: [{ cpu: '500m' }] }), node);
    expect(status.reasons).toEqual(['Insufficient cpu']);
  });

  it("takes a regular init container's request when it is larger than the containers' (Kubernetes' effective request)", () => {
    const node = nodeInfo('n', { cpu: '1', memory: '1Gi' });
    const big = podInfo('p', { cpu: '100m', initContainers: [{ cpu: '1500m' }] });
    expect(big.cpu).toBe(1500);
    expect(filterNodeResourcesFit.filter(big, node)).toEqual({ code: 'Unschedulable', reasons: ['Insufficient cpu'] });
    expect(filterNodeResourcesFit.filter(podInfo('p', { cpu: '900m', initContainers: [{ cpu: '1' }] }), node).code).toBe('Success');
  });

  it('adds sidecars to the containers, and to the init containers declared after them', () => {
    const node = nodeInfo('n', { cpu: '1', memory: '1Gi' });
    // app 600m + sidecar 500m = 1100m.
    expect(filterNodeResourcesFit.filter(podInfo('p', { cpu: '600m', initContainers: [{ cpu: '500m', sidecar: true }] }), node).reasons).toEqual(['Insufficient cpu']);
    // sidecar 300m then init 800m: 1100m while the init runs; the other way round the init runs alone.
    expect(podInfo('p', { cpu: '100m', initContainers: [{ cpu: '300m', sidecar: true }, { cpu: '800m' }] }).cpu).toBe(1100);
    expect(podInfo('p', { cpu: '100m', initContainers: [{ cpu: '800m' }, { cpu: '300m', sidecar: true }] }).cpu).toBe(800);
  });

  it("counts placed pods' effective requests, init containers included, against the node", () => {
    const node = nodeInfo('n', { cpu: '2', memory: '4Gi' }, [podInfo('a', { cpu: '100m', initContainers: [{ cpu: '1500m' }, { memory: '3Gi' }] })]);
    expect(node.requestedCpu).toBe(1500);
    expect(node.requestedMemory).toBe(3 * 2 ** 30);
    expect(filterNodeResourcesFit.filter(podInfo('p', { cpu: '600m', memory: '2Gi' }), node).reasons).toEqual(['Insufficient cpu', 'Insufficient memory']);
  });

  it('counts pods against allocatable pods ("Too many pods"), even for a pod requesting nothing', () => {
    const node = nodeInfo('n', { pods: '1' }, [podInfo('a')]);
    expect(filterNodeResourcesFit.filter(podInfo('p'), node).reasons).toEqual(['Too many pods']);
  });

  it('checks other resources by name', () => {
    const node = nodeInfo('n');
    const p = pod('p');
    p.spec!.containers[0].resources!.requests['example.com/gpu'] = '1';
    const withGpu = podInfoOf(p);
    expect(filterNodeResourcesFit.filter(withGpu, node).reasons).toEqual(['Insufficient example.com/gpu']);
  });
});

describe('LeastAllocated', () => {
  it('scores the free share after placing the pod, averaged over cpu and memory', () => {
    // cpu: (4000-1000-1000)/4000 = 50; memory: (8Gi-2Gi-2Gi)/8Gi = 50
    const node = nodeInfo('n', { cpu: '4', memory: '8Gi' }, [podInfo('a', { cpu: '1', memory: '2Gi' })]);
    expect(leastAllocatedScore.score(podInfo('p', { cpu: '1', memory: '2Gi' }), node)).toBe(50);
  });

  it('uses 100m / 200Mi for a pod that requests nothing, and prefers the emptier node', () => {
    const empty = nodeInfo('e', { cpu: '1', memory: '1Gi' });
    const busy = nodeInfo('b', { cpu: '1', memory: '1Gi' }, [podInfo('a', { cpu: '500m', memory: '512Mi' })]);
    const p = podInfo('p');
    // empty: cpu (1000-100)/1000 = 90, memory (1024-200)/1024 = 80.46 -> 80; (90+80)/2 = 85
    expect(leastAllocatedScore.score(p, empty)).toBe(85);
    expect(leastAllocatedScore.score(p, busy)).toBeLessThan(85);
    // An init container without requests counts 100m / 200Mi too: no change to a pod whose app counts the same.
    expect(podInfo('q', { initContainers: [{}] })).toMatchObject({ nonZeroCpu: 100, nonZeroMemory: 200 * 2 ** 20 });
    // A sidecar without requests adds them to the app's.
    expect(podInfo('q', { initContainers: [{ sidecar: true }] })).toMatchObject({ nonZeroCpu: 200, nonZeroMemory: 400 * 2 ** 20 });
  });

  it('gives 0 for a resource that would be over-requested', () => {
    expect(leastAllocatedScore.score(podInfo('p', { cpu: '8', memory: '16Gi' }), nodeInfo('n', { cpu: '4', memory: '8Gi' }))).toBe(0);
  });
});

describe('BalancedAllocation', () => {
  it('is 100 when cpu and memory fractions are equal and drops with their difference', () => {
    const node = nodeInfo('n', { cpu: '4', memory: '8Gi' });
    expect(balancedAllocationScore.score(podInfo('p', { cpu: '1', memory: '2Gi' }), node)).toBe(100);
    // cpu 0.5, memory 0.125: std = 0.1875 -> 81
    expect(balancedAllocationScore.score(podInfo('q', { cpu: '2', memory: '1Gi' }), node)).toBe(81);
  });
});
