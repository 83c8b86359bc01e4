import { Pod } from '@skiff/api';
import { podInfoOf } from './framework/pod-info';
import { SchedulerCache } from './scheduler-cache';
import { node, pod } from './test-objects.spec-helper';

const bound = (p: Pod, nodeName: string, phase = 'Running'): Pod => ({ ...p, spec: { ...p.spec!, nodeName }, status: { ...p.status!, phase } });

describe('SchedulerCache', () => {
  it('counts an assumed pod at once and keeps it when the informer confirms the bind', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(node('n1', { cpu: '2' }));
    const p = pod('p', { cpu: '1' });
    const before = cache.snapshot();
    cache.assume(podInfoOf(p), 'n1');
    expect(before.nodes[0].requested.cpu ?? 0).toBe(0); // an old snapshot never changes
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(1000);
    expect(cache.isAssumed('uid-p')).toBe(true);
    cache.updatePod(bound(p, 'n1'));
    expect(cache.isAssumed('uid-p')).toBe(false);
    cache.forget('uid-p'); // a late forget does not undo a confirmed pod
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(1000);
  });

  it('forgets an assumption after a failed bind', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(node('n1'));
    cache.assume(podInfoOf(pod('p', { cpu: '1' })), 'n1');
    cache.forget('uid-p');
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(0);
    expect(cache.snapshot().nodes[0].pods.size).toBe(0);
  });

  it('keeps pods of a node it does not know yet and counts them when the node appears', () => {
    const cache = new SchedulerCache();
    cache.updatePod(bound(pod('p', { cpu: '1' }), 'late'));
    expect(cache.snapshot().nodes).toHaveLength(0);
    cache.addOrUpdateNode(node('late'));
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(1000);
  });

  it('frees the resources of terminated and deleted pods, saying so', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(node('n1'));
    const a = pod('a', { cpu: '1' });
    const b = pod('b', { cpu: '1' });
    cache.updatePod(bound(a, 'n1'));
    cache.updatePod(bound(b, 'n1'));
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(2000);
    expect(cache.updatePod(bound(a, 'n1', 'Succeeded'))).toBe(true);
    expect(cache.removePod('uid-b')).toBe(true);
    expect(cache.snapshot().nodes[0].requested.cpu).toBe(0);
  });

  it('keeps placed pods across node updates', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(node('n1', { cpu: '2' }));
    cache.updatePod(bound(pod('a', { cpu: '1' }), 'n1'));
    cache.addOrUpdateNode(node('n1', { cpu: '4' }));
    const info = cache.snapshot().nodes[0];
    expect([info.allocatable.cpu, info.requested.cpu]).toEqual([4000, 1000]);
  });
});
