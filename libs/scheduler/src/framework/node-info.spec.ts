import { node, podInfo } from '../test-objects.spec-helper';
import { nodeInfoOf, withNode, withoutPod, withPod } from './node-info';

describe('NodeInfo', () => {
  it('keeps the flat totals equal to the per-resource sums as pods come and go', () => {
    let info = nodeInfoOf(node('n', { cpu: '4', memory: '8Gi' }), [], 7);
    info = withPod(info, podInfo('a', { cpu: '1', memory: '1Gi', owner: 'rs' }));
    info = withPod(info, podInfo('b', { cpu: '500m', memory: '3Gi', owner: 'rs' }));
    const flat = (i: typeof info) => [i.podCount, i.requestedCpu, i.requestedMemory, i.allocatableCpu, i.allocatableMemory, i.id];
    expect(flat(info)).toEqual([2, 1500, 4 * 2 ** 30, 4000, 8 * 2 ** 30, 7]);
    expect([info.requested.cpu, info.requested.memory, info.ownerCounts.get('uid-rs')]).toEqual([1500, 4 * 2 ** 30, 2]);
    info = withoutPod(info, 'uid-a');
    expect(flat(info)).toEqual([1, 500, 3 * 2 ** 30, 4000, 8 * 2 ** 30, 7]);
    info = withNode(info, node('n', { cpu: '2', ready: 'False', taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'p', effect: 'PreferNoSchedule' }] }));
    expect(flat(info)).toEqual([1, 500, 3 * 2 ** 30, 2000, 8 * 2 ** 30, 7]);
    expect([info.ready, info.hardTaints.map((t) => t.key), info.softTaints.map((t) => t.key)]).toEqual([false, ['k'], ['p']]);
  });

  it('shares one empty taint list between untainted nodes', () => {
    const a = nodeInfoOf(node('a'));
    const b = nodeInfoOf(node('b'));
    expect(a.hardTaints).toBe(b.hardTaints);
    expect(a.softTaints).toBe(a.hardTaints);
    expect([a.ready, a.unschedulable, a.id]).toEqual([true, false, -1]);
  });
});
