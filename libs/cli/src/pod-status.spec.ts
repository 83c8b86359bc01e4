import type { ContainerStatus, Pod } from '@skiff/api';
import { summarizePod } from './pod-status';

const now = new Date('2024-05-01T12:00:00Z');

function pod(statuses: Partial<ContainerStatus>[], extra: { phase?: string; deleting?: boolean; containers?: number; ready?: boolean } = {}): Pod {
  return {
    metadata: {
      name: 'web', generateName: '', namespace: 'default', uid: 'u', resourceVersion: '1', generation: 1, labels: {}, annotations: {},
      ownerReferences: [], finalizers: [], deletionTimestamp: extra.deleting ? now : undefined,
    },
    spec: { containers: Array.from({ length: extra.containers ?? Math.max(1, statuses.length) }, (_, i) => ({ name: `c${i}` })) } as Pod['spec'],
    status: {
      phase: extra.phase ?? 'Running', conditions: extra.ready ? [{ type: 'Ready', status: 'True', reason: '', message: '' }] : [], message: '', reason: '', hostIP: '', podIP: '', podIPs: [], publishedPorts: [],
      containerStatuses: statuses.map((s, i) => ({ name: `c${i}`, ready: false, restartCount: 0, image: '', imageID: '', containerID: '', ...s })),
    },
  };
}

describe('summarizePod', () => {
  it('shows Pending for a pod nobody has run yet', () => {
    expect(summarizePod(pod([], { phase: 'Pending' }), now)).toEqual({ ready: '0/1', status: 'Pending', restarts: '0' });
    const empty = pod([]);
    empty.status = undefined;
    expect(summarizePod(empty, now).status).toBe('Pending');
  });

  it('shows the waiting reason (ContainerCreating, CrashLoopBackOff)', () => {
    expect(summarizePod(pod([{ state: { waiting: { reason: 'ContainerCreating', message: '' } } }], { phase: 'Pending' }), now).status).toBe('ContainerCreating');
    const crashing = pod([{ restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff', message: '' } }, lastState: { terminated: { exitCode: 1, signal: 0, reason: 'Error', message: '', containerID: '', finishedAt: new Date(now.getTime() - 120_000) } } }]);
    expect(summarizePod(crashing, now)).toEqual({ ready: '0/1', status: 'CrashLoopBackOff', restarts: '4 (2m ago)' });
  });

  it('counts ready running containers', () => {
    const p = pod([{ ready: true, state: { running: { startedAt: now } } }, { ready: false, state: { running: { startedAt: now } } }]);
    expect(summarizePod(p, now)).toEqual({ ready: '1/2', status: 'Running', restarts: '0' });
  });

  it('shows Completed and Error from terminated containers', () => {
    expect(summarizePod(pod([{ state: { terminated: { exitCode: 0, signal: 0, reason: 'Completed', message: '', containerID: '' } } }], { phase: 'Succeeded' }), now).status).toBe('Completed');
    expect(summarizePod(pod([{ state: { terminated: { exitCode: 1, signal: 0, reason: 'Error', message: '', containerID: '' } } }], { phase: 'Failed' }), now).status).toBe('Error');
    expect(summarizePod(pod([{ state: { terminated: { exitCode: 3, signal: 0, reason: '', message: '', containerID: '' } } }]), now).status).toBe('ExitCode:3');
    expect(summarizePod(pod([{ state: { terminated: { exitCode: 0, signal: 9, reason: '', message: '', containerID: '' } } }]), now).status).toBe('Signal:9');
  });

  it('shows Running when one container completed and another still runs', () => {
    const p = pod([{ state: { terminated: { exitCode: 0, signal: 0, reason: 'Completed', message: '', containerID: '' } } }, { ready: true, state: { running: { startedAt: now } } }], { ready: true });
    expect(summarizePod(p, now).status).toBe('Running');
  });

  it('shows Terminating once the pod has a deletion timestamp', () => {
    expect(summarizePod(pod([{ ready: true, state: { running: { startedAt: now } } }], { deleting: true }), now).status).toBe('Terminating');
  });
});
