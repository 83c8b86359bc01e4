import { Pod } from '@skiff/api';
import { compareForDeletion, maxContainerRestarts, podDeletionCost, podsToDelete, rankByRelatedPodsOnSameNode, type RankedPod } from './pod-ranking';

interface PodOpts {
  node?: string;
  phase?: string;
  ready?: boolean;
  readySince?: number;
  created?: number;
  restarts?: number[];
  cost?: string;
  deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): Pod {
  return Pod.fromPartial({
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: o.created === undefined ? undefined : new Date(o.created),
      deletionTimestamp: o.deleting ? new Date(0) : undefined,
      annotations: o.cost === undefined ? {} : { 'controller.kubernetes.io/pod-deletion-cost': o.cost },
    },
    spec: { nodeName: o.node ?? 'n1' },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready === false ? [{ type: 'Ready', status: 'False' }] : [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(o.readySince ?? 1_000) }],
      containerStatuses: (o.restarts ?? [0]).map((restartCount, i) => ({ name: `c${i}`, restartCount })),
    },
  });
}

const ranked = (p: Pod, rank = 1): RankedPod => ({ pod: p, rank });
/** Asserts `first` sorts before `second` both ways round. */
function deletedBefore(first: RankedPod, second: RankedPod): void {
  expect(compareForDeletion(first, second)).toBeLessThan(0);
  expect(compareForDeletion(second, first)).toBeGreaterThan(0);
}

describe('compareForDeletion (the ActivePods ranking)', () => {
  it('1. an unscheduled pod goes before a scheduled one, whatever else', () => {
    deletedBefore(ranked(pod('a', { node: '', phase: 'Running', ready: true })), ranked(pod('b', { node: 'n1', phase: 'Pending', ready: false })));
  });

  it('2. Pending before Unknown before Running; no phase counts as Pending', () => {
    deletedBefore(ranked(pod('a', { phase: 'Pending' })), ranked(pod('b', { phase: 'Unknown' })));
    deletedBefore(ranked(pod('a', { phase: 'Unknown' })), ranked(pod('b', { phase: 'Running' })));
    deletedBefore(ranked(pod('a', { phase: '' })), ranked(pod('b', { phase: 'Unknown' })));
    expect(compareForDeletion(ranked(pod('a', { phase: '' })), ranked(pod('b', { phase: 'Pending' })))).toBe(0);
  });

  it('3. not ready before ready', () => {
    deletedBefore(ranked(pod('a', { ready: false, created: 1 })), ranked(pod('b', { ready: true, created: 2 })));
  });

  it('4. lower pod-deletion-cost first; absent or invalid counts as 0', () => {
    deletedBefore(ranked(pod('a', { cost: '-5' })), ranked(pod('b')));
    deletedBefore(ranked(pod('a')), ranked(pod('b', { cost: '10' })));
    expect(compareForDeletion(ranked(pod('a', { cost: 'lots' })), ranked(pod('b')))).toBe(0);
  });

  it('5. a pod on a node with more related pods first (keeps the spread)', () => {
    deletedBefore(ranked(pod('a', { readySince: 1 }), 3), ranked(pod('b', { readySince: 9 }), 1));
  });

  it('6. ready for less time first; an unknown ready time first of all', () => {
    deletedBefore(ranked(pod('a', { readySince: 5_000, created: 1 })), ranked(pod('b', { readySince: 1_000, created: 9 })));
    const unknown = pod('a');
    unknown.status!.conditions[0].lastTransitionTime = undefined;
    deletedBefore(ranked(unknown), ranked(pod('b', { readySince: 9_000 })));
  });

  it('7. more container restarts first (the highest count of any container)', () => {
    deletedBefore(ranked(pod('a', { restarts: [0, 4], created: 1 })), ranked(pod('b', { restarts: [3, 3], created: 9 })));
  });

  it('8. newer first; an unknown creation time first of all; otherwise equal', () => {
    deletedBefore(ranked(pod('a', { created: 9 })), ranked(pod('b', { created: 1 })));
    deletedBefore(ranked(pod('a')), ranked(pod('b', { created: 1 })));
    expect(compareForDeletion(ranked(pod('a', { created: 3 })), ranked(pod('b', { created: 3 })))).toBe(0);
  });
});

describe('podsToDelete', () => {
  it('picks the unscheduled, pending, not-ready and newest pods, in that order', () => {
    const pods = [
      pod('old-ready', { created: 1, readySince: 10 }),
      pod('new-ready', { created: 5, readySince: 50 }),
      pod('not-ready', { ready: false, created: 2 }),
      pod('pending', { phase: 'Pending', ready: false, created: 3 }),
      pod('unscheduled', { node: '', phase: 'Pending', ready: false, created: 4 }),
    ];
    const names = (n: number) => podsToDelete(pods, pods, n).map((p) => p.metadata?.name);
    expect(names(1)).toEqual(['unscheduled']);
    expect(names(3)).toEqual(['unscheduled', 'pending', 'not-ready']);
    expect(names(4)).toEqual(['unscheduled', 'pending', 'not-ready', 'new-ready']);
    expect(names(9)).toHaveLength(5);
    expect(names(0)).toEqual([]);
  });

  it('prefers pods doubled up on a node with related pods (a sibling ReplicaSet\'s included)', () => {
    const mine = [pod('alone', { node: 'n1', created: 9 }), pod('crowded', { node: 'n2', created: 1 })];
    const sibling = [pod('other-1', { node: 'n2' }), pod('other-2', { node: 'n2' })];
    expect(podsToDelete(mine, [...mine, ...sibling], 1).map((p) => p.metadata?.name)).toEqual(['crowded']);
    // Without related pods, only age decides: the newer one goes.
    expect(podsToDelete(mine, [], 1).map((p) => p.metadata?.name)).toEqual(['alone']);
  });

  it('does not change its input', () => {
    const pods = [pod('a', { created: 1 }), pod('b', { created: 2 })];
    podsToDelete(pods, pods, 1);
    expect(pods.map((p) => p.metadata?.name)).toEqual(['a', 'b']);
  });
});

describe('helpers', () => {
  it('ranks by active related pods on the same node, ignoring pods being deleted or finished', () => {
    const related = [pod('x', { node: 'n1' }), pod('y', { node: 'n1', deleting: true }), pod('z', { node: 'n1', phase: 'Succeeded' }), pod('w', { node: 'n2' })];
    expect(rankByRelatedPodsOnSameNode([pod('a', { node: 'n1' }), pod('b', { node: 'n3' })], related).map((r) => r.rank)).toEqual([1, 0]);
  });

  it('reads the deletion cost as an int32 and the highest restart count', () => {
    expect(podDeletionCost(pod('a', { cost: ' 42 ' }))).toBe(42);
    expect(podDeletionCost(pod('a', { cost: '99999999999' }))).toBe(0);
    expect(maxContainerRestarts(pod('a', { restarts: [1, 7, 2] }))).toBe(7);
    expect(maxContainerRestarts(Pod.fromPartial({}))).toBe(0);
  });
});
