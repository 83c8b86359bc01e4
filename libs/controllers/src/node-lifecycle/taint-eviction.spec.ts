import { Pod, type Taint, type Toleration } from '@skiff/api';
import { decideEviction, isEvictable, noExecuteTaints } from './taint-eviction';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', value: '', effect: 'NoExecute', timeAdded: new Date(T0) };
const notReady: Taint = { key: 'node.kubernetes.io/not-ready', value: '', effect: 'NoExecute', timeAdded: new Date(T0 + 5_000) };
const noSchedule: Taint = { key: 'node.kubernetes.io/unreachable', value: '', effect: 'NoSchedule', timeAdded: undefined };
const tol = (key: string, seconds?: number, effect = 'NoExecute', operator = 'Exists'): Toleration => ({ key, operator, value: '', effect, tolerationSeconds: seconds });
const added = (t: Readonly<Taint>) => t.timeAdded?.getTime() ?? T0;

describe('decideEviction', () => {
  it('evicts at once a pod that does not tolerate a NoExecute taint', () => {
    expect(decideEviction([], [unreachable], T0, added)).toEqual({ action: 'evict', taint: unreachable });
    expect(decideEviction([tol('node.kubernetes.io/not-ready', 300)], [unreachable], T0, added).action).toBe('evict');
  });

  it('waits for tolerationSeconds from the taint\'s timeAdded, then evicts', () => {
    const tolerations = [tol(unreachable.key, 300)];
    expect(decideEviction(tolerations, [unreachable], T0 + 10_000, added)).toEqual({ action: 'wait', evictAt: T0 + 300_000, taint: unreachable });
    expect(decideEviction(tolerations, [unreachable], T0 + 300_000, added).action).toBe('evict');
  });

  it('tolerationSeconds 0 (or negative) evicts at once', () => {
    expect(decideEviction([tol(unreachable.key, 0)], [unreachable], T0, added).action).toBe('evict');
    expect(decideEviction([tol(unreachable.key, -5)], [unreachable], T0, added).action).toBe('evict');
  });

  it('keeps a pod tolerating forever (no tolerationSeconds), and ignores taints that are not NoExecute', () => {
    expect(decideEviction([tol(unreachable.key)], [unreachable], T0 + 1e9, added)).toEqual({ action: 'keep' });
    expect(decideEviction([tol('', undefined, '', 'Exists')], [unreachable, notReady], T0 + 1e9, added)).toEqual({ action: 'keep' });
    expect(decideEviction([], [noSchedule], T0, added)).toEqual({ action: 'keep' });
  });

  it('takes the earliest deadline over several taints, each counted from its own timeAdded', () => {
    const tolerations = [tol(unreachable.key, 60), tol(notReady.key, 30)];
    expect(decideEviction(tolerations, [unreachable, notReady], T0, added)).toEqual({ action: 'wait', evictAt: T0 + 35_000, taint: notReady });
  });

  it('uses the first toleration matching a taint (as Kubernetes)', () => {
    expect(decideEviction([tol(unreachable.key, 10), tol(unreachable.key)], [unreachable], T0, added)).toEqual({ action: 'wait', evictAt: T0 + 10_000, taint: unreachable });
  });

  it('asks addedAt for taints without timeAdded', () => {
    const bare: Taint = { ...unreachable, timeAdded: undefined };
    expect(decideEviction([tol(bare.key, 10)], [bare], T0, () => T0 - 20_000).action).toBe('evict');
  });
});

describe('isEvictable / noExecuteTaints', () => {
  const pod = (o: { nodeName?: string; phase?: string; deleting?: boolean }) =>
    Pod.fromPartial({ metadata: { name: 'p', namespace: 'd', deletionTimestamp: o.deleting ? new Date(T0) : undefined }, spec: { nodeName: o.nodeName ?? '' }, status: { phase: o.phase ?? 'Running' } });

  it('only bound, live, unfinished pods are looked at', () => {
    expect(isEvictable(pod({ nodeName: 'n' }))).toBe(true);
    expect(isEvictable(pod({}))).toBe(false);
    expect(isEvictable(pod({ nodeName: 'n', phase: 'Succeeded' }))).toBe(false);
    expect(isEvictable(pod({ nodeName: 'n', deleting: true }))).toBe(false);
  });

  it('filters NoExecute taints', () => {
    expect(noExecuteTaints([noSchedule, unreachable])).toEqual([unreachable]);
    expect(noExecuteTaints(undefined)).toEqual([]);
  });
});
