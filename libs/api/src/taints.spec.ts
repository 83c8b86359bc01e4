import type { Taint, Toleration } from './gen/skiff/core/v1/core';
import { toleratesTaint } from './taints';

const taint = (key: string, value: string, effect: string): Taint => ({ key, value, effect, timeAdded: undefined });
const tol = (t: Partial<Toleration>): Toleration => ({ key: '', operator: '', value: '', effect: '', ...t });

describe('toleratesTaint (Kubernetes rules)', () => {
  const t = taint('dedicated', 'gpu', 'NoSchedule');
  it.each([
    ['Equal with the same key, value and effect', tol({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }), true],
    ['empty operator means Equal', tol({ key: 'dedicated', value: 'gpu' }), true],
    ['Equal with another value', tol({ key: 'dedicated', operator: 'Equal', value: 'cpu' }), false],
    ['Exists ignores the value', tol({ key: 'dedicated', operator: 'Exists' }), true],
    ['empty effect matches every effect', tol({ key: 'dedicated', operator: 'Exists', effect: '' }), true],
    ['another effect', tol({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }), false],
    ['another key', tol({ key: 'other', operator: 'Exists' }), false],
    ['empty key with Exists tolerates everything', tol({ operator: 'Exists' }), true],
    ['unknown operator', tol({ key: 'dedicated', operator: 'Gt', value: 'gpu' }), false],
  ])('%s', (_what, toleration, expected) => {
    expect(toleratesTaint(toleration, t)).toBe(expected);
  });
});
