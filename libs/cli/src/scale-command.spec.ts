import { ReplicaSet } from '@skiff/api';
import { parseCount, parseScaleOptions, scalePreconditionFailure } from './scale-command';

describe('scale flags', () => {
  it('requires --replicas >= 0; --current-replicas -1 (or absent) is no condition', () => {
    expect(parseScaleOptions({ replicas: '5' })).toEqual({ replicas: 5, currentReplicas: undefined, resourceVersion: undefined });
    expect(parseScaleOptions({ replicas: '0', currentReplicas: '3', resourceVersion: '42' })).toEqual({ replicas: 0, currentReplicas: 3, resourceVersion: '42' });
    expect(parseScaleOptions({ replicas: '1', currentReplicas: '-1' }).currentReplicas).toBeUndefined();
    expect(() => parseScaleOptions({})).toThrow('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
    expect(() => parseScaleOptions({ replicas: '-2' })).toThrow('invalid argument "-2" for "--replicas": must be an integer >= 0');
    expect(() => parseScaleOptions({ replicas: '2', currentReplicas: 'x' })).toThrow('"--current-replicas"');
  });

  it('parseCount accepts only integers', () => {
    expect(parseCount('replicas', '12', 0)).toBe(12);
    for (const bad of ['', ' ', '1.5', 'three', '1e9x']) expect(() => parseCount('replicas', bad, 0)).toThrow();
  });
});

describe('scalePreconditionFailure', () => {
  const rs = ReplicaSet.fromPartial({ metadata: { name: 'web', resourceVersion: '17' }, spec: { replicas: 3 } });

  it('holds when no precondition is given or they match', () => {
    expect(scalePreconditionFailure(rs, { replicas: 5 })).toBeUndefined();
    expect(scalePreconditionFailure(rs, { replicas: 5, currentReplicas: 3, resourceVersion: '17' })).toBeUndefined();
  });

  it("words failures as kubectl's PreconditionError", () => {
    expect(scalePreconditionFailure(rs, { replicas: 5, currentReplicas: 2 })).toBe('Expected replicas to be 2, was 3');
    expect(scalePreconditionFailure(rs, { replicas: 5, resourceVersion: '16' })).toBe('Expected resource version to be 16, was 17');
  });
});
