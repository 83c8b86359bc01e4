import { Node, TAINT_MEMORY_PRESSURE, TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE, type Taint } from '@skiff/api';
import { desiredTaints, isFullDisruption, reconcileTaints } from './node-taints';

const NOW = new Date('2024-01-01T00:00:00Z');
const EARLIER = new Date('2023-12-31T23:00:00Z');

function node(ready: string | undefined, extra: { type: string; status: string }[] = [], unschedulable = false): Node {
  const conditions = [...(ready ? [{ type: 'Ready', status: ready }] : []), ...extra];
  return Node.fromPartial({ metadata: { name: 'n' }, spec: { unschedulable }, status: { conditions } });
}
const taint = (key: string, effect: string, timeAdded?: Date): Taint => ({ key, value: '', effect, timeAdded });
const ids = (taints: readonly Taint[] | undefined) => taints?.map((t) => `${t.key}:${t.effect}`);

describe('desiredTaints', () => {
  it('Ready=True: none; Ready=False: not-ready; Ready=Unknown: unreachable (NoSchedule and NoExecute)', () => {
    expect(desiredTaints(node('True'), true)).toEqual([]);
    expect(ids(desiredTaints(node('False'), true))).toEqual([`${TAINT_NOT_READY}:NoSchedule`, `${TAINT_NOT_READY}:NoExecute`]);
    expect(ids(desiredTaints(node('Unknown'), true))).toEqual([`${TAINT_UNREACHABLE}:NoSchedule`, `${TAINT_UNREACHABLE}:NoExecute`]);
  });

  it('pressure conditions and spec.unschedulable bring their NoSchedule taints', () => {
    expect(ids(desiredTaints(node('True', [{ type: 'MemoryPressure', status: 'True' }, { type: 'DiskPressure', status: 'False' }], true), true))).toEqual([
      `${TAINT_MEMORY_PRESSURE}:NoSchedule`,
      `${TAINT_UNSCHEDULABLE}:NoSchedule`,
    ]);
  });

  it('without evictions (full disruption) only the NoSchedule taints remain', () => {
    expect(ids(desiredTaints(node('Unknown'), false))).toEqual([`${TAINT_UNREACHABLE}:NoSchedule`]);
  });
});

describe('reconcileTaints', () => {
  it('adds the missing ones, NoExecute with timeAdded now, NoSchedule without', () => {
    const next = reconcileTaints([], desiredTaints(node('Unknown'), true), NOW);
    expect(next).toEqual([taint(TAINT_UNREACHABLE, 'NoSchedule'), taint(TAINT_UNREACHABLE, 'NoExecute', NOW)]);
  });

  it('keeps the timeAdded of a taint that stays, and reports no change when all are there', () => {
    const current = [taint(TAINT_UNREACHABLE, 'NoSchedule'), taint(TAINT_UNREACHABLE, 'NoExecute', EARLIER)];
    expect(reconcileTaints(current, desiredTaints(node('Unknown'), true), NOW)).toBeUndefined();
  });

  it('swaps unreachable for not-ready when the kubelet reports Ready=False', () => {
    const current = [taint(TAINT_UNREACHABLE, 'NoSchedule'), taint(TAINT_UNREACHABLE, 'NoExecute', EARLIER)];
    expect(reconcileTaints(current, desiredTaints(node('False'), true), NOW)).toEqual([taint(TAINT_NOT_READY, 'NoSchedule'), taint(TAINT_NOT_READY, 'NoExecute', NOW)]);
  });

  it('removes its own taints once Ready, leaving every other taint (even with an owned key but another effect) in place', () => {
    const admin = taint('dedicated', 'NoSchedule');
    const foreign = taint(TAINT_UNREACHABLE, 'PreferNoSchedule');
    const current = [admin, taint(TAINT_UNREACHABLE, 'NoExecute', EARLIER), foreign, taint(TAINT_UNREACHABLE, 'NoSchedule')];
    expect(reconcileTaints(current, desiredTaints(node('True'), true), NOW)).toEqual([admin, foreign]);
  });
});

describe('isFullDisruption', () => {
  it('is true only when there are nodes and none is Ready', () => {
    expect(isFullDisruption([])).toBe(false);
    expect(isFullDisruption(['Unknown', 'False', undefined])).toBe(true);
    expect(isFullDisruption(['Unknown', 'True'])).toBe(false);
  });
});
