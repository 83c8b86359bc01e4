import { isWaitMet, parseJsonPath, parseWaitFor } from './wait-condition';

describe('parseWaitFor (kubectl wait --for)', () => {
  it('reads delete, condition=Name[=value] and jsonpath={...}[=value]', () => {
    expect(parseWaitFor('delete')).toEqual({ type: 'delete' });
    expect(parseWaitFor('Delete')).toEqual({ type: 'delete' });
    expect(parseWaitFor('condition=complete')).toEqual({ type: 'condition', name: 'complete', value: 'true' });
    expect(parseWaitFor('condition=Ready=false')).toEqual({ type: 'condition', name: 'Ready', value: 'false' });
    expect(parseWaitFor('jsonpath={.status.phase}=Running')).toEqual({ type: 'jsonpath', path: ['status', 'phase'], expression: '.status.phase', value: 'Running' });
    expect(parseWaitFor("jsonpath={.metadata.labels['app']}")).toMatchObject({ path: ['metadata', 'labels', 'app'], value: undefined });
    expect(parseWaitFor('jsonpath=.status.containerStatuses[0].ready=true')).toMatchObject({ path: ['status', 'containerStatuses', 0, 'ready'], value: 'true' });
  });

  it('refuses anything else with kubectl words', () => {
    expect(() => parseWaitFor(undefined)).toThrow('unrecognized condition: ""');
    expect(() => parseWaitFor('complete')).toThrow('unrecognized condition: "complete"');
    expect(() => parseWaitFor('condition=')).toThrow('unrecognized condition');
    expect(() => parseJsonPath('.items[*].name')).toThrow('unsupported jsonpath');
  });
});

describe('isWaitMet', () => {
  const job = (conditions: unknown[], extra: Record<string, unknown> = {}) => ({ metadata: { name: 'pi', ...extra }, status: { conditions } });

  it('compares the condition type and status case-insensitively', () => {
    const done = job([{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }]);
    expect(isWaitMet(done, parseWaitFor('condition=complete') as never)).toBe(true);
    expect(isWaitMet(done, parseWaitFor('condition=Complete=TRUE') as never)).toBe(true);
    expect(isWaitMet(done, parseWaitFor('condition=Complete=False') as never)).toBe(false);
    expect(isWaitMet(done, parseWaitFor('condition=Failed') as never)).toBe(false);
    expect(isWaitMet(job([{ type: 'Failed', status: 'False' }]), parseWaitFor('condition=failed=false') as never)).toBe(true);
    expect(isWaitMet({ metadata: {} }, parseWaitFor('condition=Ready') as never)).toBe(false);
  });

  it('does not trust a condition the controller wrote for an older generation', () => {
    const stale = { metadata: { generation: 3 }, status: { observedGeneration: 2, conditions: [{ type: 'Available', status: 'True' }] } };
    expect(isWaitMet(stale, parseWaitFor('condition=Available') as never)).toBe(false);
    expect(isWaitMet({ ...stale, status: { ...stale.status, observedGeneration: 3 } }, parseWaitFor('condition=Available') as never)).toBe(true);
  });

  it('reads a jsonpath value, or only its presence', () => {
    const pod = { status: { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 0 }] } };
    expect(isWaitMet(pod, parseWaitFor('jsonpath={.status.phase}=Running') as never)).toBe(true);
    expect(isWaitMet(pod, parseWaitFor('jsonpath={.status.phase}=Pending') as never)).toBe(false);
    expect(isWaitMet(pod, parseWaitFor('jsonpath={.status.containerStatuses[0].ready}=true') as never)).toBe(true);
    expect(isWaitMet(pod, parseWaitFor('jsonpath={.status.containerStatuses[0].restartCount}=0') as never)).toBe(true);
    expect(isWaitMet(pod, parseWaitFor('jsonpath={.status.podIP}') as never)).toBe(false);
    expect(isWaitMet(pod, parseWaitFor('jsonpath={.status.phase}') as never)).toBe(true);
  });
});
