import type { Pod } from '@skiff/api';
import { containerSpecHash, type ContainerStatusInfo, type PodSandbox } from '@skiff/runtime';
import { planPodSync, terminationPrerequisites } from './pod-sync-plan';

const backoff = { baseMs: 100, maxMs: 1_000 };
const spec = { name: 'web', image: 'img:1' };
const pod = (restartPolicy = 'Always', container: Record<string, unknown> = spec): Pod =>
  ({ metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { restartPolicy, containers: [container] } }) as unknown as Pod;
const hash = containerSpecHash(spec as never);

function sandbox(attempt: number, state: PodSandbox['state'] = 'ready'): PodSandbox {
  return { id: `s${attempt}`, pod: { uid: 'u', namespace: 'default', name: 'p' }, node: 'n', attempt, state, ip: state === 'ready' ? '10.0.0.1' : '', hostIP: '127.0.0.1', ports: [], createdAt: new Date(0) };
}

function instance(attempt: number, state: ContainerStatusInfo['state'], exitCode?: number, h = hash, sandboxId = 's0'): ContainerStatusInfo {
  return { id: `c${attempt}`, pod: sandbox(0).pod, name: 'web', attempt, restartCount: attempt, hash: h, image: 'img:1', imageId: '', state, createdAt: new Date(0), sandboxId, oomKilled: false, exitCode, startedAt: new Date(1_000), finishedAt: state === 'exited' ? new Date(2_000) : undefined };
}

/** An instance of another container of the pod. */
function other(name: string, attempt: number, state: ContainerStatusInfo['state'], exitCode?: number, sandboxId = 's0'): ContainerStatusInfo {
  return { ...instance(attempt, state, exitCode, containerSpecHash({ name, image: 'img:1' } as never), sandboxId), id: `${name}${attempt}`, name };
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

  it('replaces a lost sandbox: stops (keeps) what still runs in the old one and starts it with the next attempt', () => {
    const plan = planPodSync(pod(), { sandboxes: [sandbox(0, 'notready')], containers: [instance(0, 'running')] }, 5_000, backoff);
    expect(plan).toMatchObject({ createSandbox: { attempt: 1 }, stopContainers: ['c0'], removeContainers: [], removeSandboxes: [], start: [{ name: 'web', attempt: 1 }] });
    expect(plan.stopMessages).toEqual(new Map([['c0', 'Stopping container web']]));
  });

  it('in a new sandbox, does not re-run a container that Completed under OnFailure, and keeps counting restarts', () => {
    const twoPod = (policy: string) => ({ ...pod(policy), spec: { restartPolicy: policy, containers: [spec, { name: 'init', image: 'img:1' }] } }) as unknown as Pod;
    const view = { sandboxes: [sandbox(0, 'notready'), sandbox(1, 'notready')], containers: [instance(3, 'running', undefined, hash, 's1'), instance(2, 'exited', 1, hash, 's0'), other('init', 0, 'exited', 0)] };
    const plan = planPodSync(twoPod('OnFailure'), view, 5_000, backoff);
    expect(plan).toMatchObject({ createSandbox: { attempt: 2 }, stopContainers: ['c3'], start: [{ name: 'web', attempt: 4 }] });
    // web keeps c3 (its previous after the restart), drops c2; init0 still joins s0: no sandbox goes
    expect([plan.removeContainers, plan.removeSandboxes]).toEqual([['c2'], []]);
    // Always re-runs the completed one too
    expect(planPodSync(twoPod('Always'), view, 5_000, backoff).start).toEqual([{ name: 'web', attempt: 4 }, { name: 'init', attempt: 1 }]);
    // nothing left to run (all completed under OnFailure): no sandbox is made
    const finished = { sandboxes: [sandbox(0, 'notready')], containers: [instance(0, 'exited', 0), other('init', 0, 'exited', 0)] };
    const idle = planPodSync(twoPod('OnFailure'), finished, 5_000, backoff);
    expect([idle.createSandbox, idle.start]).toEqual([undefined, []]);
  });

  it('under restartPolicy Never, stops what ran in a lost sandbox and makes no new one', () => {
    const plan = planPodSync(pod('Never'), { sandboxes: [sandbox(0, 'notready')], containers: [instance(0, 'running')] }, 5_000, backoff);
    expect(plan).toMatchObject({ stopContainers: ['c0'], removeContainers: [], start: [] });
    expect(plan.createSandbox).toBeUndefined();
    // the same when the sandbox was removed (docker rm -f) rather than killed
    const removed = planPodSync(pod('Never'), { sandboxes: [], containers: [instance(0, 'running')] }, 5_000, backoff);
    expect([removed.createSandbox, removed.start, removed.stopContainers]).toEqual([undefined, [], ['c0']]);
    // a Never pod whose first sandbox is not made yet still gets one
    expect(planPodSync(pod('Never'), { sandboxes: [], containers: [] }, 5_000, backoff).createSandbox).toEqual({ attempt: 0 });
  });

  it('removes sandboxes that are not ready, not the newest, and joined by no kept container', () => {
    const sandboxes = [sandbox(0, 'notready'), sandbox(1, 'notready'), sandbox(2, 'notready'), sandbox(3)];
    const containers = [instance(5, 'running', undefined, hash, 's3'), instance(4, 'exited', 1, hash, 's2'), instance(3, 'exited', 1, hash, 's1')];
    const plan = planPodSync(pod(), { sandboxes, containers }, 5_000, backoff);
    expect(plan.removeContainers).toEqual(['c3']);
    expect(plan.removeSandboxes.sort()).toEqual(['s0', 's1']);
    // the newest sandbox stays even when nothing joined it (the next attempt counts from it)
    expect(planPodSync(pod(), { sandboxes: [sandbox(0, 'notready')], containers: [] }, 5_000, backoff)).toMatchObject({ removeSandboxes: [], createSandbox: { attempt: 1 } });
  });

  it('restarts a container whose spec changed', () => {
    const plan = planPodSync(pod(), { sandboxes: [sandbox(0)], containers: [instance(0, 'running', undefined, 'other')] }, 5_000, backoff);
    expect(plan).toMatchObject({ stopContainers: ['c0'], start: [{ name: 'web', attempt: 1 }] });
    expect(plan.stopMessages).toEqual(new Map([['c0', 'Container web definition changed, will be restarted']]));
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

  it('backs off a container whose start failed (exited 128 StartError) as a crash; Never leaves it', () => {
    const startError = { ...instance(1, 'exited', 128), reason: 'StartError', startedAt: undefined, finishedAt: new Date(5_000) };
    const view = { sandboxes: [sandbox(0)], containers: [startError, instance(0, 'exited', 128)] };
    const early = planPodSync(pod(), view, 5_050, backoff); // attempt 1: waits base (100 ms) from the failure
    expect(early).toMatchObject({ start: [], requeueAfterMs: 50 });
    expect(early.waiting.get('web')?.reason).toBe('CrashLoopBackOff');
    expect(planPodSync(pod(), view, 5_100, backoff).start).toEqual([{ name: 'web', attempt: 2 }]);
    expect(planPodSync(pod('OnFailure'), view, 5_100, backoff).start).toEqual([{ name: 'web', attempt: 2 }]);
    expect(planPodSync(pod('Never'), view, 9_000_000, backoff)).toMatchObject({ start: [], removeContainers: [] });
  });

  it('makes a container that was created but never started (the kubelet stopped in between) again, with the same attempt, whatever the policy', () => {
    const created = { ...instance(1, 'created'), startedAt: undefined };
    for (const policy of ['Always', 'OnFailure', 'Never']) {
      const plan = planPodSync(pod(policy), { sandboxes: [sandbox(0)], containers: [created, instance(0, 'exited', 1)] }, 5_000, backoff);
      expect(plan).toMatchObject({ removeContainers: ['c1'], start: [{ name: 'web', attempt: 1 }] });
      expect(plan.requeueAfterMs).toBeUndefined();
    }
  });

  it('kills a running container whose liveness or startup probe failed, restarting it at once unless the policy is Never', () => {
    const probed = { ...spec, livenessProbe: { terminationGracePeriodSeconds: 3 } };
    const view = { sandboxes: [sandbox(0)], containers: [{ ...instance(0, 'running'), hash: containerSpecHash(probed as never) }] };
    const plan = planPodSync(pod('Always', probed), view, 5_000, backoff, new Map([['c0', 'liveness']]));
    expect(plan).toMatchObject({ stopContainers: ['c0'], start: [{ name: 'web', attempt: 1 }], removeContainers: [] });
    expect(plan.stopMessages.get('c0')).toBe('Container web failed liveness probe, will be restarted');
    expect(plan.stopGraceSeconds.get('c0')).toBe(3); // the probe's grace period
    const startup = planPodSync({ ...pod('OnFailure'), spec: { restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 7, containers: [spec] } } as unknown as Pod, { sandboxes: [sandbox(0)], containers: [instance(0, 'running')] }, 5_000, backoff, new Map([['c0', 'startup']]));
    expect(startup).toMatchObject({ stopContainers: ['c0'], start: [{ name: 'web', attempt: 1 }] });
    expect([startup.stopMessages.get('c0'), startup.stopGraceSeconds.get('c0')]).toEqual(['Container web failed startup probe, will be restarted', 7]);
    const never = planPodSync(pod('Never'), { sandboxes: [sandbox(0)], containers: [instance(0, 'running')] }, 5_000, backoff, new Map([['c0', 'liveness']]));
    expect(never).toMatchObject({ stopContainers: ['c0'], start: [] });
    expect(never.stopMessages.get('c0')).toBe('Container web failed liveness probe');
    // the pod being deleted: its deletion grace period wins
    const deleting = { ...pod(), metadata: { name: 'p', namespace: 'default', uid: 'u', deletionGracePeriodSeconds: 1 } } as unknown as Pod;
    expect(planPodSync(deleting, { sandboxes: [sandbox(0)], containers: [instance(0, 'running')] }, 5_000, backoff, new Map([['c0', 'liveness']])).stopGraceSeconds.get('c0')).toBe(1);
    // healthy instances, or an unhealthy one that is not the current: nothing
    expect(planPodSync(pod(), { sandboxes: [sandbox(0)], containers: [instance(1, 'running'), instance(0, 'exited', 137)] }, 5_000, backoff, new Map([['c0', 'liveness']]))).toMatchObject({ stopContainers: [], start: [] });
  });

  it('backs off a container killed by its liveness probe again, as a crash loop', () => {
    // its second restart: killed now, started again only after the base delay (from the sync its exit causes)
    const long = { baseMs: 100, maxMs: 10_000 }; // it ran 4 s, less than twice the max: the loop goes on
    const plan = planPodSync(pod(), { sandboxes: [sandbox(0)], containers: [instance(1, 'running'), instance(0, 'exited', 137)] }, 5_000, long, new Map([['c1', 'liveness']]));
    expect(plan).toMatchObject({ stopContainers: ['c1'], start: [] });
    const exited = { ...instance(1, 'exited', 137), finishedAt: new Date(5_010) };
    const after = planPodSync(pod(), { sandboxes: [sandbox(0)], containers: [exited, instance(0, 'exited', 137)] }, 5_020, long);
    expect(after.waiting.get('web')?.reason).toBe('CrashLoopBackOff');
    expect(after.requeueAfterMs).toBe(90);
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

describe('planPodSync with init containers', () => {
  const c = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: 'img:1', ...extra });
  const sidecar = (name: string, extra: Record<string, unknown> = {}) => c(name, { restartPolicy: 'Always', ...extra });
  const initPod = (inits: Record<string, unknown>[], restartPolicy = 'Always', apps = [c('web')]): Pod =>
    ({ metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { restartPolicy, initContainers: inits, containers: apps } }) as unknown as Pod;
  const two = initPod([c('a'), c('b')]);
  const ready = (containers: ContainerStatusInfo[], sandboxes = [sandbox(0)]) => ({ sandboxes, containers });

  it('makes the sandbox and starts only the first init container of a new pod', () => {
    const plan = planPodSync(two, { sandboxes: [], containers: [] }, 0, backoff);
    expect(plan).toMatchObject({ createSandbox: { attempt: 0 }, startInit: [{ name: 'a', attempt: 0 }], start: [], killPod: false });
  });

  it('runs init containers one at a time, in order, then the app containers', () => {
    // a runs: wait
    expect(planPodSync(two, ready([other('a', 0, 'running')]), 5_000, backoff)).toMatchObject({ startInit: [], start: [], stopContainers: [] });
    // a done: b
    expect(planPodSync(two, ready([other('a', 0, 'exited', 0)]), 5_000, backoff)).toMatchObject({ startInit: [{ name: 'b', attempt: 0 }], start: [] });
    // b runs: wait
    expect(planPodSync(two, ready([other('a', 0, 'exited', 0), other('b', 0, 'running')]), 5_000, backoff)).toMatchObject({ startInit: [], start: [] });
    // both done: the app
    expect(planPodSync(two, ready([other('a', 0, 'exited', 0), other('b', 0, 'exited', 0)]), 5_000, backoff)).toMatchObject({ startInit: [], start: [{ name: 'web', attempt: 0 }] });
    // initialized (the app runs): done init containers are not looked at again, even when removed
    expect(planPodSync(two, ready([instance(0, 'running')]), 5_000, backoff)).toMatchObject({ startInit: [], start: [], stopContainers: [] });
  });

  it('restarts a failed init container with the crash-loop backoff, the app waiting; OnFailure too', () => {
    const first = planPodSync(two, ready([other('a', 0, 'exited', 1)]), 5_000, backoff);
    expect(first).toMatchObject({ startInit: [{ name: 'a', attempt: 1 }], start: [] });
    const looping = planPodSync(initPod([c('a'), c('b')], 'OnFailure'), ready([other('a', 1, 'exited', 1), other('a', 0, 'exited', 1)]), 2_050, backoff);
    expect(looping).toMatchObject({ startInit: [], start: [], killPod: false, requeueAfterMs: 50 });
    expect(looping.waiting.get('a')).toEqual({ reason: 'CrashLoopBackOff', message: 'back-off 1s restarting failed container=a pod=p_default(u)' });
  });

  it('under restartPolicy Never, a failed init container ends the pod (killPod): nothing starts, sidecars stop', () => {
    const pod = initPod([sidecar('log'), c('a')], 'Never');
    const plan = planPodSync(pod, ready([other('log', 0, 'running'), other('a', 0, 'exited', 2)]), 5_000, backoff);
    expect(plan).toMatchObject({ killPod: true, startInit: [], start: [], stopContainers: ['log0'] });
    expect(plan.stopMessages.get('log0')).toBe('Stopping container log');
    // an init container in an unknown state under Never: the same
    expect(planPodSync(initPod([c('a')], 'Never'), ready([other('a', 0, 'unknown')]), 5_000, backoff)).toMatchObject({ killPod: true, startInit: [], start: [] });
  });

  it('stops an init container in an unknown state and runs it again', () => {
    const plan = planPodSync(two, ready([other('a', 0, 'unknown')]), 5_000, backoff);
    expect(plan).toMatchObject({ stopContainers: ['a0'], startInit: [{ name: 'a', attempt: 1 }] });
    expect(plan.stopMessages.get('a0')).toBe('Init container is in "unknown" state, try killing it');
  });

  it('makes an init container that was created but never started again, with the same attempt', () => {
    expect(planPodSync(two, ready([other('a', 0, 'exited', 0), other('b', 0, 'created')]), 5_000, backoff)).toMatchObject({ removeContainers: ['b0'], startInit: [{ name: 'b', attempt: 0 }] });
  });

  it('starts a sidecar, then the next init container once it runs and its startup probe passed', () => {
    const pod = initPod([sidecar('log'), c('a')]);
    expect(planPodSync(pod, { sandboxes: [], containers: [] }, 0, backoff).startInit).toEqual([{ name: 'log', attempt: 0 }]);
    expect(planPodSync(pod, ready([other('log', 0, 'running')]), 5_000, backoff).startInit).toEqual([{ name: 'a', attempt: 0 }]);
    // startup probe pending: wait; failed: restart it
    expect(planPodSync(pod, ready([other('log', 0, 'running')]), 5_000, backoff, new Map(), new Set(['log0'])).startInit).toEqual([]);
    const failed = planPodSync(initPod([sidecar('log', { startupProbe: { terminationGracePeriodSeconds: 3 } }), c('a')]), ready([other('log', 0, 'running')]), 5_000, backoff, new Map([['log0', 'startup']]), new Set(['log0']));
    expect(failed).toMatchObject({ stopContainers: ['log0'], startInit: [{ name: 'log', attempt: 1 }] });
    expect([failed.stopMessages.get('log0'), failed.stopGraceSeconds.get('log0')]).toEqual(['Init container log failed startup probe', 3]);
    // the last init container is a started sidecar: the app starts beside it
    expect(planPodSync(initPod([c('a'), sidecar('log')]), ready([other('a', 0, 'exited', 0), other('log', 0, 'running')]), 5_000, backoff)).toMatchObject({ startInit: [], start: [{ name: 'web', attempt: 0 }] });
  });

  it('keeps sidecars running beside the app: restarted when they exit (even under Never), changed, or their liveness probe fails', () => {
    const pod = initPod([sidecar('log'), c('a')], 'Never');
    const base = [other('a', 0, 'exited', 0), instance(0, 'running')];
    expect(planPodSync(pod, ready([other('log', 0, 'exited', 1), ...base]), 5_000, backoff)).toMatchObject({ startInit: [{ name: 'log', attempt: 1 }], start: [], killPod: false });
    // removed meanwhile: started again
    expect(planPodSync(pod, ready(base), 5_000, backoff).startInit).toEqual([{ name: 'log', attempt: 0 }]);
    const changed = planPodSync(pod, ready([{ ...other('log', 0, 'running'), hash: 'old' }, ...base]), 5_000, backoff);
    expect(changed).toMatchObject({ stopContainers: ['log0'], startInit: [{ name: 'log', attempt: 1 }] });
    expect(changed.stopMessages.get('log0')).toBe('Init container log definition changed');
    const unhealthy = planPodSync(pod, ready([other('log', 0, 'running'), ...base]), 5_000, backoff, new Map([['log0', 'liveness']]));
    expect(unhealthy).toMatchObject({ stopContainers: ['log0'], startInit: [{ name: 'log', attempt: 1 }] });
    expect(unhealthy.stopMessages.get('log0')).toBe('Init container log failed liveness probe');
    // healthy: nothing
    expect(planPodSync(pod, ready([other('log', 0, 'running'), ...base]), 5_000, backoff)).toMatchObject({ startInit: [], start: [], stopContainers: [] });
  });

  it('stops the sidecars once no app container runs or is to run again (killPod), and does not restart them', () => {
    const pod = initPod([sidecar('log'), sidecar('proxy')], 'OnFailure');
    const plan = planPodSync(pod, ready([other('log', 0, 'running'), other('proxy', 0, 'running'), instance(0, 'exited', 0)]), 5_000, backoff);
    expect(plan).toMatchObject({ killPod: true, startInit: [], start: [], stopContainers: ['log0', 'proxy0'] });
    const stopped = planPodSync(pod, ready([other('log', 0, 'exited', 143), other('proxy', 0, 'exited', 143), instance(0, 'exited', 0)]), 5_000, backoff);
    expect(stopped).toMatchObject({ killPod: true, startInit: [], start: [], stopContainers: [] });
    expect(stopped.waiting.size).toBe(0);
    // an app container that failed under OnFailure restarts (or backs off): the sidecars stay
    expect(planPodSync(pod, ready([other('log', 0, 'running'), other('proxy', 0, 'running'), instance(0, 'exited', 1)]), 5_000, backoff)).toMatchObject({ killPod: false, stopContainers: [], start: [{ name: 'web', attempt: 1 }] });
    expect(planPodSync(pod, ready([other('log', 0, 'running'), other('proxy', 0, 'running'), instance(1, 'exited', 1)]), 2_010, backoff)).toMatchObject({ killPod: false, stopContainers: [] });
  });

  it('starts initialization over in a new sandbox, counting only instances in the ready one', () => {
    // the sandbox is lost while the app runs: stop it, make a sandbox, run a again
    const lost = planPodSync(two, { sandboxes: [sandbox(0, 'notready')], containers: [other('a', 0, 'exited', 0), other('b', 0, 'exited', 0), instance(0, 'running')] }, 5_000, backoff);
    expect(lost).toMatchObject({ createSandbox: { attempt: 1 }, stopContainers: ['c0'], startInit: [{ name: 'a', attempt: 1 }], start: [] });
    // in the new sandbox (s1), b's instance from s0 does not count: a done here, so b runs again
    const s1 = [sandbox(0, 'notready'), sandbox(1)];
    const next = planPodSync(two, { sandboxes: s1, containers: [{ ...other('a', 1, 'exited', 0), sandboxId: 's1' }, other('b', 0, 'exited', 0), instance(0, 'exited', 137)] }, 5_000, backoff);
    expect(next).toMatchObject({ startInit: [{ name: 'b', attempt: 1 }], start: [] });
    // OnFailure, every app container completed: no new sandbox
    const done = planPodSync(initPod([c('a')], 'OnFailure'), { sandboxes: [sandbox(0, 'notready')], containers: [other('a', 0, 'exited', 0), instance(0, 'exited', 0)] }, 5_000, backoff);
    expect([done.createSandbox, done.startInit, done.start]).toEqual([undefined, [], []]);
    // Never: nothing again
    expect(planPodSync(initPod([c('a')], 'Never'), { sandboxes: [sandbox(0, 'notready')], containers: [other('a', 0, 'running')] }, 5_000, backoff)).toMatchObject({ startInit: [], start: [], stopContainers: ['a0'] });
  });

  it('keeps the current and previous instance of init containers, as of app containers', () => {
    const plan = planPodSync(two, ready([other('a', 2, 'exited', 1), other('a', 1, 'exited', 1), other('a', 0, 'exited', 1)]), 60_000, backoff);
    expect(plan).toMatchObject({ startInit: [{ name: 'a', attempt: 3 }], removeContainers: ['a1', 'a0'] });
  });
});

describe('terminationPrerequisites', () => {
  it('stops sidecars after the app containers, in reverse order; the rest at once', () => {
    const pod = { spec: { initContainers: [{ name: 's1', restartPolicy: 'Always' }, { name: 'init' }, { name: 's2', restartPolicy: 'Always' }], containers: [{ name: 'a' }, { name: 'b' }] } } as unknown as Pod;
    expect(terminationPrerequisites(pod, ['a', 'b', 's1', 's2'])).toEqual(
      new Map([
        ['a', []],
        ['b', []],
        ['s1', ['a', 'b', 's2']],
        ['s2', ['a', 'b']],
      ]),
    );
    // only what is being stopped is waited for
    expect(terminationPrerequisites(pod, ['s1', 'b'])).toEqual(new Map([['s1', ['b']], ['b', []]]));
  });
});
