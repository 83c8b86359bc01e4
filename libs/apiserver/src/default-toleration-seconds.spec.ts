import { PodSpec, type Toleration } from '@skiff/api';
import { TAINT_NOT_READY as NOT_READY_TAINT_KEY, TAINT_UNREACHABLE as UNREACHABLE_TAINT_KEY } from '@skiff/api';
import { addDefaultTolerations } from './default-toleration-seconds';

const spec = (tolerations: Toleration[] = []) => PodSpec.fromPartial({ containers: [{ name: 'c', image: 'i' }], tolerations });
const tol = (key: string, effect: string, seconds?: number, operator = 'Exists'): Toleration => ({ key, operator, value: '', effect, tolerationSeconds: seconds });

describe('addDefaultTolerations', () => {
  it('adds not-ready and unreachable NoExecute tolerations with the given seconds', () => {
    const s = spec([tol('dedicated', 'NoSchedule', undefined, 'Exists')]);
    addDefaultTolerations(s, 300);
    expect(s.tolerations).toEqual([tol('dedicated', 'NoSchedule'), tol(NOT_READY_TAINT_KEY, 'NoExecute', 300), tol(UNREACHABLE_TAINT_KEY, 'NoExecute', 300)]);
  });

  it('leaves a toleration the pod already has for either key as it is', () => {
    const s = spec([tol(UNREACHABLE_TAINT_KEY, 'NoExecute', 5)]);
    addDefaultTolerations(s, 0);
    expect(s.tolerations).toEqual([tol(UNREACHABLE_TAINT_KEY, 'NoExecute', 5), tol(NOT_READY_TAINT_KEY, 'NoExecute', 0)]);
  });

  it('an empty key (Exists) or an empty effect already tolerates them: nothing is added', () => {
    const everything = spec([tol('', '')]);
    addDefaultTolerations(everything, 300);
    expect(everything.tolerations).toEqual([tol('', '')]);
    const anyEffect = spec([tol(NOT_READY_TAINT_KEY, ''), tol(UNREACHABLE_TAINT_KEY, '')]);
    addDefaultTolerations(anyEffect, 300);
    expect(anyEffect.tolerations).toHaveLength(2);
  });

  it('a NoSchedule toleration for the key does not count', () => {
    const s = spec([tol(NOT_READY_TAINT_KEY, 'NoSchedule')]);
    addDefaultTolerations(s, 300);
    expect(s.tolerations?.map((t) => `${t.key}:${t.effect}`)).toEqual([`${NOT_READY_TAINT_KEY}:NoSchedule`, `${NOT_READY_TAINT_KEY}:NoExecute`, `${UNREACHABLE_TAINT_KEY}:NoExecute`]);
  });
});
