import type { PodFailurePolicy } from '@skiff/api';
import { failed, pod } from './job-fixtures.spec-helper';
import { matchPodFailurePolicy } from './pod-failure-policy';

const policy = (...rules: PodFailurePolicy['rules']): PodFailurePolicy => ({ rules });

describe('matchPodFailurePolicy', () => {
  it('counts every failure without a policy or a matching rule', () => {
    expect(matchPodFailurePolicy(undefined, failed('a'))).toEqual({ countFailed: true });
    expect(matchPodFailurePolicy(policy({ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] }, onPodConditions: [] }), failed('a', { exitCode: 1 }))).toEqual({ countFailed: true });
  });

  it('FailJob on an exit code, with Kubernetes message', () => {
    const m = matchPodFailurePolicy(policy({ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] }, onPodConditions: [] }), failed('a', { exitCode: 42 }));
    expect(m).toEqual({ action: 'FailJob', countFailed: true, failJobMessage: 'Container main for pod default/pi-a failed with exit code 42 matching FailJob rule at index 0' });
  });

  it('NotIn matches other non-zero codes, never 0; a named container must match', () => {
    const notIn = policy({ action: 'Ignore', onExitCodes: { operator: 'NotIn', values: [1] }, onPodConditions: [] });
    expect(matchPodFailurePolicy(notIn, failed('a', { exitCode: 2 }))).toEqual({ action: 'Ignore', countFailed: false });
    expect(matchPodFailurePolicy(notIn, failed('a', { exitCode: 1 })).action).toBeUndefined();
    expect(matchPodFailurePolicy(notIn, failed('a', { exitCode: 0 })).action).toBeUndefined();
    const other = policy({ action: 'Ignore', onExitCodes: { containerName: 'sidecar', operator: 'In', values: [2] }, onPodConditions: [] });
    expect(matchPodFailurePolicy(other, failed('a', { exitCode: 2 })).action).toBeUndefined();
  });

  it('matches pod conditions (Ignore on DisruptionTarget), first matching rule wins', () => {
    const p = policy(
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { operator: 'In', values: [137] }, onPodConditions: [] },
    );
    const evicted = pod('a', { phase: 'Failed', exitCode: 137, conditions: [{ type: 'DisruptionTarget', status: 'True' }] });
    expect(matchPodFailurePolicy(p, evicted)).toEqual({ action: 'Ignore', countFailed: false });
    expect(matchPodFailurePolicy(p, failed('b', { exitCode: 137 })).action).toBe('FailJob');
    const onCondition = policy({ action: 'FailJob', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] });
    expect(matchPodFailurePolicy(onCondition, evicted).failJobMessage).toBe('Pod default/pi-a has condition DisruptionTarget matching FailJob rule at index 0');
  });

  it('Count counts', () => {
    expect(matchPodFailurePolicy(policy({ action: 'Count', onExitCodes: { operator: 'In', values: [3] }, onPodConditions: [] }), failed('a', { exitCode: 3 }))).toEqual({ action: 'Count', countFailed: true });
  });
});
