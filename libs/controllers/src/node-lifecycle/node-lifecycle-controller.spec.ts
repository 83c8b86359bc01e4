import { Pod } from '@skiff/api';
import { markedNotReady, podsOnNode } from './node-lifecycle-controller';

const NOW = new Date('2024-01-01T00:00:00Z');
const pod = (name: string, nodeName: string, ready?: string) =>
  Pod.fromPartial({
    metadata: { name, namespace: 'd' },
    spec: { nodeName },
    status: { phase: 'Running', conditions: ready ? [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: ready, lastTransitionTime: new Date(0) }] : [] },
  });

describe('podsOnNode', () => {
  it('selects the pods bound to the node', () => {
    expect(podsOnNode([pod('a', 'n1'), pod('b', 'n2'), pod('c', 'n1'), pod('d', '')], 'n1').map((p) => p.metadata?.name)).toEqual(['a', 'c']);
  });
});

describe('markedNotReady', () => {
  it('turns Ready=True into Ready=False (transition now) on a copy, leaving other conditions', () => {
    const p = pod('a', 'n1', 'True');
    const marked = markedNotReady(p, NOW);
    expect(marked?.status?.conditions).toEqual([
      expect.objectContaining({ type: 'PodScheduled', status: 'True' }),
      expect.objectContaining({ type: 'Ready', status: 'False', lastTransitionTime: NOW }),
    ]);
    expect(p.status?.conditions[1].status).toBe('True');
  });

  it('has nothing to do for a pod that is not Ready=True', () => {
    expect(markedNotReady(pod('a', 'n1', 'False'), NOW)).toBeUndefined();
    expect(markedNotReady(pod('a', 'n1'), NOW)).toBeUndefined();
  });
});
