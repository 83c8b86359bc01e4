import type { ContainerState, ContainerStatus, Pod } from '@skiff/api';
import { summarizePod } from './pod-status';

const now = new Date('2024-05-01T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

interface Extra {
  phase?: string;
  reason?: string;
  deleting?: boolean;
  containers?: number;
  ready?: boolean;
  initialized?: boolean;
  /** Init containers in the spec: names, "!" suffix for a native sidecar (restartPolicy Always). */
  inits?: string[];
  initStatuses?: Partial<ContainerStatus>[];
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

function pod(statuses: Partial<ContainerStatus>[], extra: Extra = {}): Pod {
  const conditions = [
    ...(extra.initialized ? [{ type: 'Initialized', status: 'True', reason: '', message: '' }] : []),
    ...(extra.ready ? [{ type: 'Ready', status: 'True', reason: '', message: '' }] : []),
    ...(extra.conditions ?? []),
  ];
  const inits = extra.inits ?? [];
  return {
    metadata: {
      name: 'web', generateName: '', namespace: 'default', uid: 'u', resourceVersion: '1', generation: 1, labels: {}, annotations: {},
      ownerReferences: [], finalizers: [], deletionTimestamp: extra.deleting ? now : undefined,
    },
    spec: {
      containers: Array.from({ length: extra.containers ?? Math.max(1, statuses.length) }, (_, i) => ({ name: `c${i}` })),
      initContainers: inits.map((n) => (n.endsWith('!') ? { name: n.slice(0, -1), restartPolicy: 'Always' } : { name: n })),
    } as Pod['spec'],
    status: {
      phase: extra.phase ?? 'Running', conditions, message: '', reason: extra.reason ?? '', hostIP: '', podIP: '', podIPs: [], publishedPorts: [],
      containerStatuses: statuses.map((s, i) => ({ name: `c${i}`, ready: false, restartCount: 0, image: '', imageID: '', containerID: '', ...s })),
      initContainerStatuses: (extra.initStatuses ?? []).map((s, i) => ({
        name: inits[i]?.replace(/!$/, '') ?? `i${i}`, ready: false, restartCount: 0, image: '', imageID: '', containerID: '', ...s,
      })),
    },
  };
}

const running: ContainerState = { running: { startedAt: now } };
const waiting = (reason: string): ContainerState => ({ waiting: { reason, message: '' } });
const exited = (exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error', signal = 0): ContainerState => ({
  terminated: { exitCode, signal, reason, message: '', containerID: '', finishedAt: minutesAgo(1) },
});
const lastExit = (minutes: number): ContainerState => ({ terminated: { exitCode: 1, signal: 0, reason: 'Error', message: '', containerID: '', finishedAt: minutesAgo(minutes) } });

describe('summarizePod', () => {
  it('shows Pending for a pod nobody has run yet', () => {
    expect(summarizePod(pod([], { phase: 'Pending' }), now)).toEqual({ ready: '0/1', status: 'Pending', restarts: '0' });
    const empty = pod([]);
    empty.status = undefined;
    expect(summarizePod(empty, now).status).toBe('Pending');
  });

  it('shows the waiting reason (ContainerCreating, CreateContainerConfigError, CrashLoopBackOff)', () => {
    expect(summarizePod(pod([{ state: waiting('ContainerCreating') }], { phase: 'Pending' }), now).status).toBe('ContainerCreating');
    expect(summarizePod(pod([{ state: waiting('CreateContainerConfigError') }], { phase: 'Pending' }), now)).toEqual({ ready: '0/1', status: 'CreateContainerConfigError', restarts: '0' });
    const crashing = pod([{ restartCount: 4, state: waiting('CrashLoopBackOff'), lastState: lastExit(2) }]);
    expect(summarizePod(crashing, now)).toEqual({ ready: '0/1', status: 'CrashLoopBackOff', restarts: '4 (2m ago)' });
  });

  it('counts ready running containers', () => {
    const p = pod([{ ready: true, state: running }, { ready: false, state: running }]);
    expect(summarizePod(p, now)).toEqual({ ready: '1/2', status: 'Running', restarts: '0' });
  });

  it('shows Completed and Error from terminated containers', () => {
    expect(summarizePod(pod([{ state: exited(0) }], { phase: 'Succeeded' }), now).status).toBe('Completed');
    expect(summarizePod(pod([{ state: exited(1) }], { phase: 'Failed' }), now).status).toBe('Error');
    expect(summarizePod(pod([{ state: exited(3, '') }]), now).status).toBe('ExitCode:3');
    expect(summarizePod(pod([{ state: exited(0, '', 9) }]), now).status).toBe('Signal:9');
  });

  it('shows Running when one container completed and another still runs, NotReady when the pod is not Ready', () => {
    expect(summarizePod(pod([{ state: exited(0) }, { ready: true, state: running }], { ready: true }), now).status).toBe('Running');
    expect(summarizePod(pod([{ state: exited(0) }, { ready: true, state: running }]), now).status).toBe('NotReady');
  });

  it('shows Terminating once a running pod has a deletion timestamp, but not for a finished one; Unknown for a lost node', () => {
    expect(summarizePod(pod([{ ready: true, state: running }], { deleting: true }), now).status).toBe('Terminating');
    expect(summarizePod(pod([{ state: exited(0) }], { deleting: true, phase: 'Succeeded' }), now).status).toBe('Completed');
    expect(summarizePod(pod([{ ready: true, state: running }], { deleting: true, reason: 'NodeLost' }), now).status).toBe('Unknown');
  });

  it('shows SchedulingGated from the PodScheduled condition', () => {
    const gated = pod([], { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: '' }] });
    expect(summarizePod(gated, now).status).toBe('SchedulingGated');
  });
});

describe('summarizePod with init containers (kubectl printPod)', () => {
  const inits = ['migrate', 'seed'];
  const appWaiting = [{ state: waiting('PodInitializing') }];

  it('shows Init:i/n while the i-th init container runs or waits to start', () => {
    expect(summarizePod(pod(appWaiting, { phase: 'Pending', inits, initStatuses: [{ state: running }, { state: waiting('PodInitializing') }] }), now)).toEqual({
      ready: '0/1', status: 'Init:0/2', restarts: '0',
    });
    expect(summarizePod(pod(appWaiting, { phase: 'Pending', inits, initStatuses: [{ state: exited(0) }, { state: running }] }), now).status).toBe('Init:1/2');
    expect(summarizePod(pod(appWaiting, { phase: 'Pending', inits, initStatuses: [{ state: exited(0) }, { state: waiting('PodInitializing') }] }), now).status).toBe('Init:1/2');
    expect(summarizePod(pod(appWaiting, { phase: 'Pending', inits, initStatuses: [{}, {}] }), now).status).toBe('Init:0/2');
    expect(summarizePod(pod(appWaiting, { phase: 'Pending', inits }), now).status).toBe('PodInitializing');
  });

  it('shows how a failed init container ended: Init:Error, Init:ExitCode:N, Init:Signal:N', () => {
    const failed = (state: ContainerState) => summarizePod(pod(appWaiting, { phase: 'Pending', inits, initStatuses: [{ state: exited(0) }, { state }] }), now).status;
    expect(failed(exited(1))).toBe('Init:Error');
    expect(failed(exited(2, ''))).toBe('Init:ExitCode:2');
    expect(failed(exited(137, '', 9))).toBe('Init:Signal:9');
    expect(failed(exited(137, 'OOMKilled'))).toBe('Init:OOMKilled');
    expect(summarizePod(pod(appWaiting, { phase: 'Failed', inits, initStatuses: [{ state: exited(1) }, { state: waiting('PodInitializing') }] }), now).status).toBe('Init:Error');
  });

  it('shows the waiting reason of a crash-looping init container, with its restarts', () => {
    const p = pod(appWaiting, { phase: 'Pending', inits, initStatuses: [{ state: waiting('CrashLoopBackOff'), restartCount: 3, lastState: lastExit(5) }, {}] });
    expect(summarizePod(p, now)).toEqual({ ready: '0/1', status: 'Init:CrashLoopBackOff', restarts: '3 (5m ago)' });
    const config = pod(appWaiting, { phase: 'Pending', inits, initStatuses: [{ state: waiting('CreateContainerConfigError') }, {}] });
    expect(summarizePod(config, now).status).toBe('Init:CreateContainerConfigError');
    const pull = pod(appWaiting, { phase: 'Pending', inits, initStatuses: [{ state: exited(0) }, { state: waiting('ErrImagePull') }] });
    expect(summarizePod(pull, now).status).toBe('Init:ErrImagePull');
  });

  it('shows PodInitializing once every init container is done and the app containers are being started', () => {
    const p = pod(appWaiting, { phase: 'Pending', inits, initialized: true, initStatuses: [{ state: exited(0), restartCount: 2, lastState: lastExit(3) }, { state: exited(0) }] });
    // Restarts of ordinary init containers no longer count once the pod is initialised.
    expect(summarizePod(p, now)).toEqual({ ready: '0/1', status: 'PodInitializing', restarts: '0' });
  });

  it('counts the app containers once Initialized even when an init container runs again (the init reason stays, as kubectl)', () => {
    const p = pod([{ ready: true, state: running }], { inits, initialized: true, ready: true, initStatuses: [{ state: exited(0) }, { state: running, restartCount: 1 }] });
    expect(summarizePod(p, now)).toEqual({ ready: '1/1', status: 'Init:1/2', restarts: '0' });
  });

  it('counts a started native sidecar in READY and its restarts in RESTARTS, as kubectl 1.29+', () => {
    const sidecars = ['migrate', 'proxy!'];
    const p = pod([{ ready: true, state: running, restartCount: 1, lastState: lastExit(10) }], {
      inits: sidecars, initialized: true, ready: true,
      initStatuses: [{ state: exited(0), restartCount: 5, lastState: lastExit(1) }, { state: running, started: true, ready: true, restartCount: 2, lastState: lastExit(4) }],
    });
    // 1 app container + 1 sidecar; restarts: app 1 + sidecar 2 (the init container's 5 are not counted), last 4m ago.
    expect(summarizePod(p, now)).toEqual({ ready: '2/2', status: 'Running', restarts: '3 (4m ago)' });

    const unready = pod([{ ready: true, state: running }], { inits: sidecars, initialized: true, ready: false, initStatuses: [{ state: exited(0) }, { state: running, started: true, ready: false }] });
    expect(summarizePod(unready, now).ready).toBe('1/2');
  });

  it('shows Init:i/n while a native sidecar has not started yet, and the app containers once it has', () => {
    const sidecarFirst = ['proxy!', 'migrate'];
    const starting = pod(appWaiting, { phase: 'Pending', inits: sidecarFirst, initStatuses: [{ state: running, started: false }, {}] });
    expect(summarizePod(starting, now)).toEqual({ ready: '0/2', status: 'Init:0/2', restarts: '0' });
    const migrating = pod(appWaiting, { phase: 'Pending', inits: sidecarFirst, initStatuses: [{ state: running, started: true, ready: true }, { state: running }] });
    expect(summarizePod(migrating, now)).toEqual({ ready: '1/2', status: 'Init:1/2', restarts: '0' });
    const crashing = pod(appWaiting, { phase: 'Pending', inits: sidecarFirst, initStatuses: [{ state: waiting('CrashLoopBackOff'), started: false, restartCount: 1, lastState: lastExit(1) }, {}] });
    expect(summarizePod(crashing, now)).toEqual({ ready: '0/2', status: 'Init:CrashLoopBackOff', restarts: '1 (60s ago)' });
  });

  it('shows Terminating for an initialising pod being deleted', () => {
    expect(summarizePod(pod(appWaiting, { phase: 'Pending', deleting: true, inits, initStatuses: [{ state: running }, {}] }), now).status).toBe('Terminating');
  });
});
