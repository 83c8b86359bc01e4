import type { Pod } from '@skiff/api';
import { containerSpecHash, type ContainerStatusInfo, type PodSandbox } from '@skiff/runtime';
import { planPodSync } from './pod-sync-plan';

const backoff = { baseMs: 100, maxMs: 1_000 };
const spec = { name: 'web', image: 'img:1' };
const pod = (restartPolicy = 'Always', container: Record<string, unknown> = spec): Pod =>
  ({ metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { restartPolicy, containers: [container] } }) as unknown as Pod;
const hash = containerSpecHash(spec as never);

function sandbox(attempt: number, state: PodSandbox['state'] = 'ready'): PodSandbox {
  return { id: `s${attempt}`, pod: { uid: 'u', namespace: 'default', name: 'p' }, node: 'n', attempt, state, ip: state === 'ready' ? '10.0.0.1' : '', hostIP: '127.0.0.1', ports: [], createdAt: new Date(0) };
}

function instance(attempt: number, state: ContainerStatusInfo['state'], exitCode?: number, h = hash): ContainerStatusInfo {
  return { id: `c${attempt}`, pod: sandbox(0).pod, name: 'web', attempt, restartCount: attempt, hash: h, image: 'img:1', imageId: '', state, createdAt: new Date(0), oomKilled: false, exitCode, startedAt: new Date(1_000), finishedAt: state === 'exited' ? new Date(2_000) : undefined };
}

describe('planPodSync', () => {
  it('creates the sandbox and starts every container of a new pod', () => {
    const plan = planPodSync(pod(), { sandboxes: [], containers: [] }, 0, backoff);
    expect(plan).toMatchObject({ createSandbox: { attempt: 0 }, start: [{ name: 'web', attempt: 0 }], stopContainers: [], removeContainers: [] });
  });

  it('leaves a healthy running container alone (adoption)', () => {
    const plan = planPodSync(pod(), { sandboxes: [sandbox(0)], containers: [instance(0, 'running')] }, 5_000, backoff);
    expect(plan).toMatchObject({ start: [], stopContainers: [], removeContainers: [] });
    expect([plan.createSandbox, plan.requeueAfterMs, plan.sandbox?.id]).toEqual([undefined, undefined, 's0']);
  });

  it('replaces a lost sandbox and restarts its containers with the next attempt', () => {
    const plan = planPodSync(pod(), { sandboxes: [sandbox(0, 'notready')], containers: [instance(0, 'running')] }, 5_000, backoff);
    expect(plan).toMatchObject({ createSandbox: { attempt: 1 }, start: [{ name: 'web', attempt: 1 }] });
  });

  it('restarts a container whose spec changed', () => {
    const plan = planPodSync(pod(), { sandboxes: [sandbox(0)], containers: [instance(0, 'running', undefined, 'other')] }, 5_000, backoff);
    expect(plan).toMatchObject({ stopContainers: ['c0'], start: [{ name: 'web', attempt: 1 }] });
  });

  it('waits out the crash-loop backoff, then restarts, pruning all but the previous instance', () => {
    const view = { sandboxes: [sandbox(0)], containers: [instance(2, 'exited', 1), instance(1, 'exited', 1), instance(0, 'exited', 1)] };
    const waiting = planPodSync(pod(), view, 2_100, backoff); // attempt 2: third restart waits 200 ms from 2,000
    expect(waiting.start).toEqual([]);
    expect(waiting.requeueAfterMs).toBe(100);
    expect(waiting.waiting.get('web')?.reason).toBe('CrashLoopBackOff');
    expect(waiting.removeContainers).toEqual(['c0']);
    const go = planPodSync(pod(), view, 2_200, backoff);
    expect(go.start).toEqual([{ name: 'web', attempt: 3 }]);
    expect(go.removeContainers.sort()).toEqual(['c0', 'c1']);
  });

  it('retries a container whose start failed (never started: no finish time) once its backoff from creation is over', () => {
    const neverStarted = { ...instance(1, 'created'), startedAt: undefined, finishedAt: undefined, createdAt: new Date(5_000) };
    const view = { sandboxes: [sandbox(0)], containers: [neverStarted, instance(0, 'exited', 1)] };
    const early = planPodSync(pod(), view, 5_050, backoff); // attempt 1: waits base (100 ms) from its creation
    expect(early.start).toEqual([]);
    expect(early.requeueAfterMs).toBe(50);
    expect(planPodSync(pod(), view, 5_100, backoff).start).toEqual([{ name: 'web', attempt: 2 }]);
    expect(planPodSync(pod(), view, 9_000_000, backoff).start).toEqual([{ name: 'web', attempt: 2 }]); // never stuck
  });

  it('honours restart policies for stopped containers', () => {
    const ok = { sandboxes: [sandbox(0)], containers: [instance(0, 'exited', 0)] };
    const failed = { sandboxes: [sandbox(0)], containers: [instance(0, 'exited', 2)] };
    expect(planPodSync(pod('Never'), failed, 9_000, backoff).start).toEqual([]);
    expect(planPodSync(pod('OnFailure'), ok, 9_000, backoff).start).toEqual([]);
    expect(planPodSync(pod('OnFailure'), failed, 9_000, backoff).start).toEqual([{ name: 'web', attempt: 1 }]);
    expect(planPodSync(pod('Always'), ok, 9_000, backoff).start).toEqual([{ name: 'web', attempt: 1 }]);
    // a finished Never pod whose sandbox is gone gets no new sandbox
    expect(planPodSync(pod('Never'), { sandboxes: [], containers: [instance(0, 'exited', 0)] }, 9_000, backoff).createSandbox).toBeUndefined();
  });
});
