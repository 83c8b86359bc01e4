import type { Pod } from '@skiff/api';
import type { ContainerStatusInfo } from '@skiff/runtime';
import { computePodStatus, podPhase, podStatusEqual, publishedPorts, type ContainerObservation } from './pod-status';
import type { PodSandbox } from '@skiff/runtime';

const t = (ms: number) => new Date(ms);
const pod = (restartPolicy = 'Always', names = ['web']): Pod =>
  ({
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { restartPolicy, containers: names.map((name) => ({ name, image: `img/${name}` })) },
  }) as unknown as Pod;

function instance(name: string, attempt: number, state: ContainerStatusInfo['state'], exitCode?: number): ContainerStatusInfo {
  return {
    id: `${name}-${attempt}`,
    pod: { uid: 'u1', namespace: 'default', name: 'p' },
    name,
    attempt,
    restartCount: attempt,
    hash: 'h',
    image: `img/${name}`,
    imageId: 'sha256:abc',
    state,
    createdAt: t(0),
    sandboxId: 's0',
    oomKilled: false,
    exitCode,
    reason: state === 'exited' ? (exitCode === 0 ? 'Completed' : 'Error') : undefined,
    startedAt: t(100),
    finishedAt: state === 'exited' ? t(200) : undefined,
  };
}

const observe = (containers: Record<string, ContainerObservation>, extra = {}) => ({
  hostIP: '127.0.0.1',
  podIP: '10.200.0.1',
  runtime: 'hollow',
  containers: new Map(Object.entries(containers)),
  ...extra,
});

describe('computePodStatus', () => {
  it('reports a pod whose containers have not started as Pending, ContainerCreating', () => {
    const s = computePodStatus(pod(), observe({}), t(1_000));
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses[0]).toMatchObject({ name: 'web', state: { waiting: { reason: 'ContainerCreating' } }, ready: false, restartCount: 0, image: 'img/web' });
    expect(s.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['PodScheduled=True', 'Initialized=True', 'ContainersReady=False', 'Ready=False']);
    expect(s.conditions[3].message).toBe('containers with unready status: [web]');
    expect(s).toMatchObject({ hostIP: '127.0.0.1', podIP: '10.200.0.1', podIPs: [{ ip: '10.200.0.1' }], startTime: t(1_000) });
  });

  it('reports running containers as Running and Ready, keeping transition times while nothing changes', () => {
    const obs = observe({ web: { current: instance('web', 0, 'running') } });
    const first = computePodStatus(pod(), obs, t(1_000));
    expect(first.phase).toBe('Running');
    expect(first.containerStatuses[0]).toMatchObject({ ready: true, started: true, state: { running: { startedAt: t(100) } }, containerID: 'hollow://web-0', imageID: 'sha256:abc' });
    expect(first.conditions.every((c) => c.status === 'True')).toBe(true);
    const again = computePodStatus({ ...pod(), status: first }, obs, t(9_000));
    expect(podStatusEqual(first, again)).toBe(true);
    expect(again.startTime).toEqual(t(1_000));
  });

  it('takes started and ready from the probes: a container not ready keeps the pod out of Ready and ContainersReady', () => {
    const running = { current: instance('web', 0, 'running') };
    const notReady = computePodStatus(pod('Always', ['web', 'side']), observe({ web: { ...running, probe: { started: true, ready: false } }, side: { current: instance('side', 0, 'running') } }), t(1));
    expect(notReady.phase).toBe('Running');
    expect(notReady.containerStatuses.map((c) => [c.name, c.started, c.ready])).toEqual([['web', true, false], ['side', true, true]]);
    expect(notReady.conditions.slice(2).map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['ContainersReady', 'False', 'ContainersNotReady', 'containers with unready status: [web]'],
      ['Ready', 'False', 'ContainersNotReady', 'containers with unready status: [web]'],
    ]);
    // not started (startup probe pending): not ready either, whatever readiness says
    expect(computePodStatus(pod(), observe({ web: { ...running, probe: { started: false, ready: true } } }), t(1)).containerStatuses[0]).toMatchObject({ started: false, ready: false });
    const ready = computePodStatus({ ...pod(), status: notReady }, observe({ web: { ...running, probe: { started: true, ready: true } } }), t(5));
    expect(ready.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: t(5) });
  });

  it('shows a crash loop as waiting CrashLoopBackOff with the last termination and restart count', () => {
    const s = computePodStatus(pod(), observe({ web: { current: instance('web', 2, 'exited', 1), previous: instance('web', 1, 'exited', 1), waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } } }), t(1_000));
    expect(s.phase).toBe('Running');
    expect(s.containerStatuses[0]).toMatchObject({ restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } });
  });

  it('ends Never pods Failed or Succeeded by exit codes, and OnFailure pods Succeeded only on success', () => {
    expect(computePodStatus(pod('Never'), observe({ web: { current: instance('web', 0, 'exited', 3) } }), t(1)).phase).toBe('Failed');
    const done = computePodStatus(pod('Never'), observe({ web: { current: instance('web', 0, 'exited', 0) } }), t(1));
    expect(done.phase).toBe('Succeeded');
    expect(done.conditions[3]).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(computePodStatus(pod('OnFailure'), observe({ web: { current: instance('web', 0, 'exited', 0) } }), t(1)).phase).toBe('Succeeded');
    expect(podPhase('OnFailure', [{ name: 'a', state: { terminated: { exitCode: 2 } as never }, ready: false, restartCount: 0, image: '', imageID: '', containerID: '' }])).toBe('Running');
    // one running, one finished: still Running
    expect(computePodStatus(pod('Never', ['a', 'b']), observe({ a: { current: instance('a', 0, 'running') }, b: { current: instance('b', 0, 'exited', 0) } }), t(1)).phase).toBe('Running');
  });

  it('shows a failed start as RunContainerError while the policy retries it, and as terminated StartError 128 (Failed) under Never', () => {
    const startError = { ...instance('web', 0, 'exited', 128), reason: 'StartError', message: 'exec: "nope": not found', startedAt: undefined };
    const obs = observe({ web: { current: startError, waiting: { reason: 'RunContainerError', message: 'failed to start container' } } });
    for (const policy of ['Always', 'OnFailure']) {
      const s = computePodStatus(pod(policy), obs, t(1));
      expect(s.phase).toBe('Running');
      expect(s.containerStatuses[0]).toMatchObject({ restartCount: 0, state: { waiting: { reason: 'RunContainerError' } }, lastState: { terminated: { exitCode: 128, reason: 'StartError', message: 'exec: "nope": not found' } } });
    }
    const never = computePodStatus(pod('Never'), obs, t(1));
    expect(never.phase).toBe('Failed');
    expect(never.containerStatuses[0]).toMatchObject({ state: { terminated: { exitCode: 128, reason: 'StartError', message: 'exec: "nope": not found' } }, lastState: {} });
  });

  it('reports a refused pod Failed with the admission reason', () => {
    const s = computePodStatus(pod(), observe({}, { rejected: { reason: 'OutOfcpu', message: "Pod Node didn't have enough resource: cpu" } }), t(1));
    expect(s).toMatchObject({ phase: 'Failed', reason: 'OutOfcpu', message: "Pod Node didn't have enough resource: cpu", containerStatuses: [] });
  });

  it('shows image pull failures as waiting reasons', () => {
    const s = computePodStatus(pod(), observe({ web: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "img/web"' } } }), t(1));
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses[0].state).toEqual({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "img/web"' } });
  });

  it('reports the ready sandbox\'s published ports, named as in the spec', () => {
    const p = {
      metadata: { name: 'p', namespace: 'default', uid: 'u1' },
      spec: { containers: [{ name: 'web', image: 'i', ports: [{ name: 'http', containerPort: 8080, protocol: '', hostPort: 0, hostIP: '' }, { name: 'dns', containerPort: 53, protocol: 'UDP', hostPort: 0, hostIP: '' }] }] },
    } as unknown as Pod;
    const sandbox = {
      ports: [
        { containerPort: 53, protocol: 'UDP', hostIP: '127.0.0.1', hostPort: 5353 },
        { containerPort: 8080, protocol: 'TCP', hostIP: '127.0.0.1', hostPort: 32001 },
      ],
    } as unknown as PodSandbox;
    const ports = publishedPorts(p, sandbox);
    expect(ports).toEqual([
      { name: 'dns', containerPort: 53, protocol: 'UDP', hostIP: '127.0.0.1', hostPort: 5353 },
      { name: 'http', containerPort: 8080, protocol: 'TCP', hostIP: '127.0.0.1', hostPort: 32001 },
    ]);
    expect(publishedPorts(p, undefined)).toEqual([]);
    expect(computePodStatus(pod(), observe({}, { publishedPorts: ports }), t(1)).publishedPorts).toEqual(ports);
  });
});

describe('computePodStatus with init containers', () => {
  const initPod = (inits: Record<string, unknown>[], restartPolicy = 'Always'): Pod =>
    ({
      metadata: { name: 'p', namespace: 'default', uid: 'u1' },
      spec: { restartPolicy, initContainers: inits.map((c) => ({ image: `img/${c.name}`, ...c })), containers: [{ name: 'web', image: 'img/web' }] },
    }) as unknown as Pod;
  const two = initPod([{ name: 'a' }, { name: 'b' }]);
  const conds = (s: ReturnType<typeof computePodStatus>) => s.conditions.map((c) => `${c.type}=${c.status}${c.reason ? `/${c.reason}` : ''}`);

  it('waits with PodInitializing, Pending, Initialized False until every init container exited 0', () => {
    const s = computePodStatus(two, observe({ a: { current: instance('a', 0, 'running') } }), t(1_000));
    expect(s.phase).toBe('Pending');
    expect(s.initContainerStatuses.map((c) => [c.name, Object.keys(c.state ?? {})[0], c.ready, c.started])).toEqual([
      ['a', 'running', false, true],
      ['b', 'waiting', false, false],
    ]);
    expect(s.initContainerStatuses[1].state?.waiting?.reason).toBe('PodInitializing');
    expect(s.containerStatuses[0].state?.waiting?.reason).toBe('PodInitializing');
    expect(conds(s)).toEqual(['PodScheduled=True', 'Initialized=False/ContainersNotInitialized', 'ContainersReady=False/ContainersNotReady', 'Ready=False/ContainersNotReady']);
    expect(s.conditions[1].message).toBe('containers with incomplete status: [a b]');
  });

  it('turns Initialized once they all exited 0 (ready), the app still to start; Running once it runs', () => {
    const done = { a: { current: instance('a', 0, 'exited', 0) }, b: { current: instance('b', 0, 'exited', 0) } };
    const s = computePodStatus(two, observe(done), t(1_000));
    expect([s.phase, s.initContainerStatuses.map((c) => c.ready)]).toEqual(['Pending', [true, true]]);
    expect(conds(s)[1]).toBe('Initialized=True');
    const running = computePodStatus(two, observe({ ...done, web: { current: instance('web', 0, 'running') } }), t(1_000));
    expect([running.phase, conds(running)]).toEqual(['Running', ['PodScheduled=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True']]);
  });

  it('shows a crash-looping init container waiting with its last state; Never with a failed one is Failed', () => {
    const obs = { a: { current: instance('a', 1, 'exited', 1), waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } } };
    const s = computePodStatus(two, observe(obs), t(1_000));
    expect(s.phase).toBe('Pending');
    expect(s.initContainerStatuses[0]).toMatchObject({ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } }, restartCount: 1, ready: false });
    const never = computePodStatus(initPod([{ name: 'a' }, { name: 'b' }], 'Never'), observe({ a: { current: instance('a', 0, 'exited', 1) } }), t(1_000));
    expect(never.phase).toBe('Failed');
    expect(never.containerStatuses[0].state?.waiting?.reason).toBe('PodInitializing');
    // a completed init container shows no waiting reason given to it (it is not run again)
    const completed = computePodStatus(two, observe({ a: { current: instance('a', 0, 'exited', 0), waiting: { reason: 'ImagePullBackOff', message: '' } } }), t(1_000));
    expect(completed.initContainerStatuses[0].state?.terminated?.reason).toBe('Completed');
  });

  it('counts a sidecar initialized once started; its readiness in ContainersReady; running sidecars keep the pod Running; stopped ones do not count', () => {
    const pod = initPod([{ name: 'log', restartPolicy: 'Always' }], 'Never');
    const unstarted = computePodStatus(pod, observe({ log: { current: instance('log', 0, 'running'), probe: { started: false, ready: false } } }), t(1_000));
    expect([unstarted.phase, conds(unstarted)[1], unstarted.initContainerStatuses[0].started]).toEqual(['Pending', 'Initialized=False/ContainersNotInitialized', false]);
    const web = instance('web', 0, 'running');
    const notReady = computePodStatus(pod, observe({ log: { current: instance('log', 0, 'running'), probe: { started: true, ready: false } }, web: { current: web } }), t(1_000));
    expect([notReady.phase, conds(notReady)[1], conds(notReady)[2]]).toEqual(['Running', 'Initialized=True', 'ContainersReady=False/ContainersNotReady']);
    expect(notReady.conditions[2].message).toBe('containers with unready status: [log]');
    const appDone = { web: { current: instance('web', 0, 'exited', 0) } };
    expect(computePodStatus(pod, observe({ log: { current: instance('log', 0, 'running') }, ...appDone }), t(1_000)).phase).toBe('Running');
    const finished = computePodStatus(pod, observe({ log: { current: instance('log', 0, 'exited', 143) }, ...appDone }), t(1_000));
    expect([finished.phase, conds(finished)[1]]).toEqual(['Succeeded', 'Initialized=True/PodCompleted']);
    // a sidecar restarting after initialization does not make the pod Pending again
    const restarting = computePodStatus(pod, observe({ log: { current: instance('log', 0, 'exited', 1), waiting: { reason: 'CrashLoopBackOff', message: '' } }, web: { current: web } }), t(1_000));
    expect([restarting.phase, conds(restarting)[1]]).toEqual(['Running', 'Initialized=True']);
  });

  it('podPhase: a sidecar never started is Pending; an app container that started makes initialization count as done', () => {
    const status = (name: string, state: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name, state, ready: false, restartCount: 0, image: '', imageID: '', containerID: '', ...extra }) as never;
    const sidecars = { containers: [{ name: 'log', restartPolicy: 'Always' }] as never, statuses: [status('log', { waiting: { reason: 'PodInitializing' } })] };
    expect(podPhase('Always', [status('web', { running: {} })], sidecars)).toBe('Pending');
    const inits = { containers: [{ name: 'a' }] as never, statuses: [status('a', { running: {} })] };
    expect(podPhase('Always', [status('web', { waiting: { reason: 'PodInitializing' } })], inits)).toBe('Pending');
    expect(podPhase('Always', [status('web', { running: {} })], inits)).toBe('Running');
  });
});
