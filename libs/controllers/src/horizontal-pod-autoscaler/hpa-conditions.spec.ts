import type { Condition } from '@skiff/api';
import { setCondition } from './hpa-conditions';

describe('setCondition', () => {
  const t0 = new Date('2024-05-01T12:00:00Z');
  const t1 = new Date('2024-05-01T12:00:15Z');

  it('appends a missing condition with the time as its transition', () => {
    expect(setCondition([], { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: 'm' }, t0)).toEqual([
      { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: 'm', lastTransitionTime: t0 },
    ]);
  });

  it('keeps the transition time when only the reason or message change, moves it when the status does; never modifies its input', () => {
    const before: Condition[] = [
      { type: 'AbleToScale', status: 'True', reason: 'a', message: 'm', lastTransitionTime: t0 },
      { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'm', lastTransitionTime: t0 },
    ];
    const same = setCondition(before, { type: 'AbleToScale', status: 'True', reason: 'b', message: 'n' }, t1);
    expect(same[0]).toEqual({ type: 'AbleToScale', status: 'True', reason: 'b', message: 'n', lastTransitionTime: t0 });
    const flipped = setCondition(same, { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'x' }, t1);
    expect(flipped.map((c) => [c.type, c.status, c.lastTransitionTime])).toEqual([
      ['AbleToScale', 'True', t0],
      ['ScalingActive', 'False', t1],
    ]);
    expect(before[0].reason).toBe('a');
  });
});
