import { nodeInfo, podInfo } from '../test-objects.spec-helper';
import { ERR_REASON_NOT_READY, ERR_REASON_UNSCHEDULABLE, nodeReadyFilter, nodeUnschedulableFilter } from './node-condition';

describe('NodeUnschedulable', () => {
  it('refuses a cordoned node unless the pod tolerates node.kubernetes.io/unschedulable', () => {
    const cordoned = nodeInfo('n', { unschedulable: true });
    expect(nodeUnschedulableFilter.filter(podInfo('p'), cordoned).reasons).toEqual([ERR_REASON_UNSCHEDULABLE]);
    expect(nodeUnschedulableFilter.filter(podInfo('p'), nodeInfo('m')).code).toBe('Success');
    const tolerant = podInfo('d', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(nodeUnschedulableFilter.filter(tolerant, cordoned).code).toBe('Success');
  });
});

describe('NodeReady', () => {
  it.each([
    ['True', 'Success'],
    ['False', 'UnschedulableAndUnresolvable'],
    ['Unknown', 'UnschedulableAndUnresolvable'],
    [null, 'UnschedulableAndUnresolvable'],
  ] as const)('Ready=%s -> %s', (ready, code) => {
    const status = nodeReadyFilter.filter(podInfo('p'), nodeInfo('n', { ready }));
    expect(status.code).toBe(code);
    if (code !== 'Success') expect(status.reasons).toEqual([ERR_REASON_NOT_READY]);
  });

  it('lets a pod that tolerates node.kubernetes.io/not-ready through', () => {
    const tolerant = podInfo('d', { tolerations: [{ operator: 'Exists' }] });
    expect(nodeReadyFilter.filter(tolerant, nodeInfo('n', { ready: 'False' })).code).toBe('Success');
  });
});
