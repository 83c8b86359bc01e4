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
