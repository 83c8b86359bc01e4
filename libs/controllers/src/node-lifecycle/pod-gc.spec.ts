import { Node, Pod } from '@skiff/api';
import { decidePodGc } from './pod-gc';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const Q = 40_000;

const pod = (o: { nodeName?: string; deletionAt?: number } = {}) =>
  Pod.fromPartial({ metadata: { name: 'p', namespace: 'd', deletionTimestamp: o.deletionAt === undefined ? undefined : new Date(o.deletionAt) }, spec: { nodeName: o.nodeName ?? 'n1' } });
const node = (unreachable: boolean) =>
  Node.fromPartial({ metadata: { name: 'n1' }, spec: { taints: unreachable ? [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: new Date(T0) }] : [] } });

describe('decidePodGc', () => {
  it('keeps unbound pods and pods on live nodes, even terminating ones (their kubelet finishes them)', () => {
    expect(decidePodGc({ pod: pod({ nodeName: '' }), node: undefined, nodeMissingSince: undefined, now: T0, quarantineMs: Q })).toEqual({ action: 'keep' });
    expect(decidePodGc({ pod: pod(), node: node(false), nodeMissingSince: undefined, now: T0, quarantineMs: Q })).toEqual({ action: 'keep' });
    expect(decidePodGc({ pod: pod({ deletionAt: T0 - 1 }), node: node(false), nodeMissingSince: undefined, now: T0, quarantineMs: Q })).toEqual({ action: 'keep' });
  });

  it('keeps a live pod on an unreachable node (eviction is the taint eviction controller\'s job)', () => {
    expect(decidePodGc({ pod: pod(), node: node(true), nodeMissingSince: undefined, now: T0, quarantineMs: Q })).toEqual({ action: 'keep' });
  });

  it('force-deletes a terminating pod on an unreachable node once its grace period is over', () => {
    expect(decidePodGc({ pod: pod({ deletionAt: T0 + 10_000 }), node: node(true), nodeMissingSince: undefined, now: T0, quarantineMs: Q })).toEqual({ action: 'wait', afterMs: 10_000 });
    expect(decidePodGc({ pod: pod({ deletionAt: T0 }), node: node(true), nodeMissingSince: undefined, now: T0, quarantineMs: Q })).toEqual({ action: 'force-delete', reason: 'terminating-on-unreachable-node' });
  });

  it('an orphaned pod waits out the quarantine from when its node was first seen missing', () => {
    expect(decidePodGc({ pod: pod(), node: undefined, nodeMissingSince: undefined, now: T0, quarantineMs: Q })).toEqual({ action: 'wait', afterMs: Q });
    expect(decidePodGc({ pod: pod(), node: undefined, nodeMissingSince: T0 - 30_000, now: T0, quarantineMs: Q })).toEqual({ action: 'wait', afterMs: 10_000 });
    expect(decidePodGc({ pod: pod(), node: undefined, nodeMissingSince: T0 - Q, now: T0, quarantineMs: Q })).toEqual({ action: 'force-delete', reason: 'orphaned' });
  });
});
