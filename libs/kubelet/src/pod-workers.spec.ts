import type { Pod, PodStatus } from '@skiff/api';
import { FakeClock, type TypedClient } from '@skiff/client';
import { HollowRuntime, SandboxError, type ContainerRuntime, type HollowRuntimeOptions } from '@skiff/runtime';
import { PodSyncer } from './pod-syncer';
import { PodWorkers, type PodSyncHandler } from './pod-workers';

/**
 * The pod worker state machine driving the real PodSyncer over a HollowRuntime on a fake clock.
 * The API side is a recorder of what the kubelet writes (status, the deletion confirmation):
 * the same flows run against the real apiserver in kubelet.int.spec.ts.
 */
function recorder() {
  const statuses = new Map<string, PodStatus[]>();
  const deleted: string[] = [];
  const pods = {
    async updateStatus(pod: Pod) {
      const list = statuses.get(pod.metadata?.name ?? '') ?? [];
      list.push(pod.status as PodStatus);
      statuses.set(pod.metadata?.name ?? '', list);
      return pod;
    },
    async delete(namespace: string, name: string, options: { gracePeriodSeconds?: number }) {
      deleted.push(`${namespace}/${name} grace=${options.gracePeriodSeconds}`);
      return {} as Pod;
    },
  } as unknown as TypedClient<'pod'>;
  return { pods, deleted, all: (name: string) => statuses.get(name) ?? [], last: (name: string) => statuses.get(name)?.at(-1), writes: (name: string) => statuses.get(name)?.length ?? 0 };
}

function pod(name: string, opts: { restartPolicy?: string; cpu?: string; containers?: string[]; image?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: {}, annotations: {}, ownerReferences: [], finalizers: [] },
    spec: {
      restartPolicy: opts.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: 30,
      nodeName: 'n1',
      containers: (opts.containers ?? ['main']).map((c) => ({
        name: c,
        image: opts.image ?? 'img:1',
        imagePullPolicy: 'IfNotPresent',
        resources: { limits: {}, requests: opts.cpu ? { cpu: opts.cpu } : {} },
      })),
    },
  } as unknown as Pod;
}

function setup(runtimeOptions: Partial<HollowRuntimeOptions> = {}) {
  const clock = new FakeClock(1_000_000);
  const runtime = new HollowRuntime({ nodeName: 'n1', now: () => clock.now(), ...runtimeOptions });
  const api = recorder();
  const syncer = new PodSyncer({ runtime, pods: api.pods, nodeIP: '127.0.0.1', allocatable: () => ({ cpuMillis: 1000, memoryBytes: 2 ** 30, pods: 10 }), backoff: { baseMs: 100, maxMs: 400 }, clock });
  const stop = new AbortController();
  const workers = new PodWorkers(syncer, stop.signal, { clock });
  const running = async (name: string) => (await runtime.listContainers({ podUid: `uid-${name}` })).filter((c) => c.state === 'running');
  return { clock, runtime, api, syncer, workers, stop, running };
}

afterEach(() => jest.useRealTimers());

describe('pod workers', () => {
  it('starts a pod and reports it Running once; a resync with nothing new writes nothing', async () => {
    const { workers, api, running, stop } = setup();
    workers.update(pod('web'));
    await workers.settled();
    expect(await running('web')).toHaveLength(1);
    expect(api.last('web')).toMatchObject({ phase: 'Running', hostIP: '127.0.0.1', containerStatuses: [{ name: 'main', ready: true, restartCount: 0 }] });
    expect(api.last('web')?.podIP).toMatch(/^10\./);
    const writes = api.writes('web');
    workers.update(pod('web'));
    await workers.settled();
    expect(api.writes('web')).toBe(writes);
    expect(await running('web')).toHaveLength(1);
    stop.abort();
  });

  it('restarts a failing container with doubling backoff, showing CrashLoopBackOff in between', async () => {
    const { workers, api, runtime, clock, running, stop } = setup();
    workers.update(pod('crash'));
    await workers.settled();
    // The first crash restarts at once, as the kubelet does; the later ones back off.
    const [first] = await running('crash');
    runtime.exit(first.id, 1);
    workers.resync('uid-crash');
    await workers.settled();
    expect(await running('crash')).toHaveLength(1);
    expect(api.last('crash')?.containerStatuses[0]).toMatchObject({ restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1 } } });
    for (const [restart, delay] of [[2, 100], [3, 200], [4, 400]]) {
      const [c] = await running('crash');
      runtime.exit(c.id, 1);
      workers.resync('uid-crash');
      await workers.settled();
      expect(api.last('crash')?.containerStatuses[0]).toMatchObject({ restartCount: restart - 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } });
      expect(await running('crash')).toHaveLength(0);
      clock.advance(delay - 1);
      await workers.settled();
      expect(await running('crash')).toHaveLength(0); // still backing off
      clock.advance(1); // the worker's timer fires
      await workers.settled();
      expect(await running('crash')).toHaveLength(1);
      expect(api.last('crash')?.containerStatuses[0]).toMatchObject({ restartCount: restart, state: { running: {} }, lastState: { terminated: { exitCode: 1 } } });
    }
    // only the current and the previous instance are kept
    expect((await runtime.listContainers({ podUid: 'uid-crash' })).map((c) => c.attempt).sort()).toEqual([3, 4]);
    stop.abort();
  });

  it('ends restartPolicy Never Failed with the exit code, keeps the container and stops the sandbox', async () => {
    const { workers, api, runtime, clock, running, stop } = setup();
    workers.update(pod('once', { restartPolicy: 'Never' }));
    await workers.settled();
    const [c] = await running('once');
    runtime.exit(c.id, 7);
    workers.resync('uid-once');
    await workers.settled();
    expect(api.last('once')).toMatchObject({ phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 7, reason: 'Error' } }, restartCount: 0 }] });
    clock.advance(10_000);
    workers.resync('uid-once');
    await workers.settled();
    expect(await runtime.listContainers({ podUid: 'uid-once' })).toHaveLength(1);
    // its network namespace and host ports are freed; nothing starts it again
    expect((await runtime.listPodSandboxes({ podUid: 'uid-once' })).map((s) => s.state)).toEqual(['notready']);
    stop.abort();
  });

  it('ends restartPolicy Never Failed when a start fails: terminated StartError 128, not retried', async () => {
    const notFound = 'exec: "nope": executable file not found in $PATH';
    const { workers, api, runtime, clock, stop } = setup({ startError: (c) => (c.image === 'broken:1' ? notFound : undefined) });
    workers.update(pod('badcmd', { restartPolicy: 'Never', image: 'broken:1' }));
    await workers.settled();
    clock.advance(10_000); // any timer the failure set
    await workers.settled();
    expect(api.last('badcmd')).toMatchObject({
      phase: 'Failed',
      containerStatuses: [{ restartCount: 0, ready: false, state: { terminated: { exitCode: 128, reason: 'StartError', message: notFound } } }],
    });
    expect((await runtime.listContainers({ podUid: 'uid-badcmd' })).map((c) => c.attempt)).toEqual([0]); // never retried
    expect((await runtime.listPodSandboxes({ podUid: 'uid-badcmd' })).map((s) => s.state)).toEqual(['notready']);
    expect(api.writes('badcmd')).toBeLessThanOrEqual(3); // Pending, (RunContainerError,) Failed: then quiet
    stop.abort();
  });

  it('retries a failed start under Always with crash-loop backoff: RunContainerError, then CrashLoopBackOff, lastState StartError', async () => {
    const { workers, api, runtime, clock, stop } = setup({ startError: (c) => (c.image === 'broken:1' ? 'exec: "nope": not found' : undefined) });
    const attempts = async () => (await runtime.listContainers({ podUid: 'uid-badcmd' })).map((c) => c.attempt).sort();
    /** Runs the syncs due now, including those a sync asks for at once. */
    const settle = async () => {
      for (let i = 0; i < 5; i++) {
        clock.advance(0);
        await workers.settled();
      }
    };
    workers.update(pod('badcmd', { image: 'broken:1' }));
    await settle();
    expect(await attempts()).toEqual([0, 1]); // the first retry is immediate, as after a crash
    clock.advance(99);
    await settle();
    expect(await attempts()).toEqual([0, 1]); // backing off 100 ms
    clock.advance(1);
    await settle();
    expect(await attempts()).toEqual([1, 2]); // the third start; only one previous instance is kept
    const reasons = api.all('badcmd').map((s) => `${s.containerStatuses[0]?.state?.waiting?.reason}@${s.containerStatuses[0]?.restartCount}`);
    expect(reasons.filter((r, i) => r !== reasons[i - 1])).toEqual([
      'ContainerCreating@0',
      'RunContainerError@0',
      'RunContainerError@1',
      'CrashLoopBackOff@1',
      'RunContainerError@2',
      'CrashLoopBackOff@2',
    ]);
    expect(api.last('badcmd')).toMatchObject({
      phase: 'Running',
      containerStatuses: [{ restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff', message: expect.stringContaining('back-off') } }, lastState: { terminated: { exitCode: 128, reason: 'StartError' } } }],
    });
    stop.abort();
  });

  it('replaces a lost sandbox: restarts what ran in a new one, keeping restart counts, lastState and the previous logs; a Completed container is not re-run', async () => {
    const { workers, api, runtime, running, stop } = setup();
    const uid = 'uid-job';
    const instances = async (name: string) => (await runtime.listContainers({ podUid: uid })).filter((c) => c.name === name).sort((a, b) => a.attempt - b.attempt);
    const loseSandbox = async () => {
      const [ready] = (await runtime.listPodSandboxes({ podUid: uid })).filter((s) => s.state === 'ready');
      await runtime.stopPodSandbox(ready.id); // as `docker kill` of the sandbox
      workers.resync(uid);
      await workers.settled();
    };
    workers.update(pod('job', { restartPolicy: 'OnFailure', containers: ['server', 'init'] }));
    await workers.settled();
    const [init] = await instances('init');
    runtime.exit(init.id, 0);
    const [server] = await running('job');
    runtime.write(server.id, 'stdout', 'first run\n');
    workers.resync(uid);
    await workers.settled();

    await loseSandbox();
    expect((await runtime.listPodSandboxes({ podUid: uid })).map((s) => `${s.attempt}:${s.state}`).sort()).toEqual(['0:notready', '1:ready']);
    expect(api.last('job')).toMatchObject({
      phase: 'Running',
      containerStatuses: [
        { name: 'server', restartCount: 1, state: { running: {} }, lastState: { terminated: { containerID: `hollow://${server.id}` } } },
        { name: 'init', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      ],
    });
    expect((await instances('init')).map((c) => c.id)).toEqual([init.id]); // not re-run
    expect((await instances('server')).map((c) => c.attempt)).toEqual([0, 1]);
    const previous: string[] = [];
    for await (const chunk of runtime.logs(server.id)) previous.push(chunk.data.toString());
    expect(previous).toEqual(['first run\n']); // what `logs --previous` serves

    // More losses: the count goes on, and garbage stays bounded (one previous instance per container;
    // old sandboxes go once nothing kept joined them).
    await loseSandbox();
    await loseSandbox();
    expect(api.last('job')?.containerStatuses.map((c) => [c.name, c.restartCount])).toEqual([['server', 3], ['init', 0]]);
    expect((await instances('server')).map((c) => c.attempt)).toEqual([2, 3]);
    expect((await instances('init')).map((c) => c.id)).toEqual([init.id]);
    // 0: init joined it; 2: the previous server; 3: ready. 1 is gone.
    expect((await runtime.listPodSandboxes({ podUid: uid })).map((s) => `${s.attempt}:${s.state}`).sort()).toEqual(['0:notready', '2:notready', '3:ready']);
    stop.abort();
  });

  it('under restartPolicy Never, a lost sandbox ends the pod: its containers are stopped, none restarts, no new sandbox', async () => {
    const { workers, api, runtime, clock, stop } = setup();
    workers.update(pod('once', { restartPolicy: 'Never' }));
    await workers.settled();
    const [sandbox] = await runtime.listPodSandboxes({ podUid: 'uid-once' });
    await runtime.stopPodSandbox(sandbox.id);
    workers.resync('uid-once');
    await workers.settled();
    clock.advance(60_000);
    await workers.settled();
    expect(api.last('once')).toMatchObject({ phase: 'Succeeded', containerStatuses: [{ restartCount: 0, state: { terminated: { exitCode: 0 } } }] }); // the hollow stop exits 0
    expect((await runtime.listContainers({ podUid: 'uid-once' })).map((c) => `${c.attempt}:${c.state}`)).toEqual(['0:exited']);
    expect((await runtime.listPodSandboxes({ podUid: 'uid-once' })).map((s) => s.attempt)).toEqual([0]);
    stop.abort();
  });

  it('starts a container that was created but never started (the kubelet stopped in between), even under restartPolicy Never', async () => {
    const { workers, api, runtime, running, stop } = setup();
    const p = pod('half', { restartPolicy: 'Never' });
    const sandbox = await runtime.runPodSandbox(p);
    await runtime.createContainer(sandbox, p.spec!.containers[0], { attempt: 0 });
    workers.update(p);
    await workers.settled();
    expect((await running('half')).map((c) => c.attempt)).toEqual([0]);
    expect(await runtime.listContainers({ podUid: 'uid-half' })).toHaveLength(1);
    expect(api.last('half')).toMatchObject({ phase: 'Running', containerStatuses: [{ restartCount: 0, ready: true }] });
    stop.abort();
  });

  it('refuses a pod that does not fit next to the admitted ones (OutOfcpu) for good', async () => {
    const { workers, api, running, stop } = setup();
    workers.update(pod('big', { cpu: '800m' }));
    workers.update(pod('second', { cpu: '300m' }));
    await workers.settled();
    expect(await running('big')).toHaveLength(1);
    expect(api.last('second')).toMatchObject({ phase: 'Failed', reason: 'OutOfcpu', message: expect.stringContaining('cpu, requested: 300, used: 800, capacity: 1000') });
    expect(await running('second')).toHaveLength(0);
    stop.abort();
  });

  it('after a restart admits a new pod against the pods already running, whichever worker runs first', async () => {
    const first = setup();
    first.workers.update(pod('old', { cpu: '800m' }));
    await first.workers.settled();
    expect(await first.running('old')).toHaveLength(1);
    first.stop.abort();
    // A new kubelet on the same runtime: the new pod's worker runs before the old pod's.
    const api = recorder();
    const syncer = new PodSyncer({ runtime: first.runtime, pods: api.pods, nodeIP: '127.0.0.1', allocatable: () => ({ cpuMillis: 1000, memoryBytes: 2 ** 30, pods: 10 }), backoff: { baseMs: 100, maxMs: 400 }, clock: first.clock });
    const stop = new AbortController();
    const workers = new PodWorkers(syncer, stop.signal, { clock: first.clock });
    const old = { ...pod('old', { cpu: '800m' }), status: { ...first.api.last('old')! } };
    syncer.seedAdmitted([old], new Set((await first.runtime.listContainers({})).map((c) => c.pod.uid)));
    workers.update(pod('new', { cpu: '300m' }));
    workers.update(old);
    await workers.settled();
    expect(api.last('new')).toMatchObject({ phase: 'Failed', reason: 'OutOfcpu' });
    expect(await first.running('old')).toHaveLength(1);
    stop.abort();
  });

  it('retries a sandbox that cannot be made with backoff, showing why on its containers', async () => {
    const clock = new FakeClock(1_000_000);
    const hollow = new HollowRuntime({ nodeName: 'n1', now: () => clock.now() });
    let attempts = 0;
    // The first two sandboxes fail, as when a host port is taken.
    const runtime: ContainerRuntime = Object.assign(Object.create(hollow) as ContainerRuntime, {
      runPodSandbox: (p: Readonly<Pod>, options?: { attempt?: number; signal?: AbortSignal }) =>
        ++attempts <= 2 ? Promise.reject(new SandboxError('port 8080 is already allocated')) : hollow.runPodSandbox(p, options),
    });
    const api = recorder();
    const syncer = new PodSyncer({ runtime, pods: api.pods, nodeIP: '127.0.0.1', allocatable: () => ({ cpuMillis: 1000, memoryBytes: 2 ** 30, pods: 10 }), backoff: { baseMs: 100, maxMs: 400 }, clock });
    const stop = new AbortController();
    const workers = new PodWorkers(syncer, stop.signal, { clock });
    workers.update(pod('web'));
    await workers.settled();
    expect(api.last('web')?.containerStatuses[0]?.state?.waiting).toMatchObject({ reason: 'CreatePodSandboxError', message: expect.stringContaining('already allocated') });
    clock.advance(99);
    await workers.settled();
    expect(attempts).toBe(1); // backing off, not retrying at once
    clock.advance(1);
    await workers.settled();
    expect(attempts).toBe(2);
    clock.advance(200);
    await workers.settled();
    expect(attempts).toBe(3);
    expect(api.last('web')).toMatchObject({ phase: 'Running', containerStatuses: [{ ready: true }] });
    stop.abort();
  });

  it('terminates a deleted pod: aborts its sync, stops and removes everything, then confirms with grace 0', async () => {
    const { workers, api, runtime, running, stop } = setup();
    workers.update(pod('gone'));
    await workers.settled();
    expect(await running('gone')).toHaveLength(1);
    const deleting = { ...pod('gone'), metadata: { ...pod('gone').metadata, deletionTimestamp: new Date(), deletionGracePeriodSeconds: 5 } } as Pod;
    workers.update(deleting);
    expect(workers.phase('uid-gone')).toBe('terminating');
    await workers.settled();
    expect(workers.phase('uid-gone')).toBe('terminated');
    expect(await runtime.listContainers({ podUid: 'uid-gone' })).toHaveLength(0);
    expect(await runtime.listPodSandboxes({ podUid: 'uid-gone' })).toHaveLength(0);
    expect(api.deleted).toEqual(['default/gone grace=0']);
    workers.update(deleting); // late updates do not bring it back
    workers.remove(deleting);
    await workers.settled();
    expect(workers.phase('uid-gone')).toBeUndefined();
    stop.abort();
  });

  it('cancels a sync in flight when the pod starts terminating, and keeps only the newest pending update', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const handler: PodSyncHandler = {
      async syncPod(p, signal) {
        calls.push(`sync ${p.metadata?.resourceVersion}`);
        if (p.metadata?.resourceVersion === '1') {
          await new Promise<void>((resolve) => {
            release = resolve;
            signal.addEventListener('abort', () => resolve(), { once: true });
          });
          signal.throwIfAborted();
        }
        return {};
      },
      async terminatePod(p, vanished) {
        calls.push(`terminate ${p.metadata?.resourceVersion} vanished=${vanished}`);
      },
      async podTerminated(_p, vanished) {
        calls.push(`terminated vanished=${vanished}`);
      },
    };
    const stop = new AbortController();
    const workers = new PodWorkers(handler, stop.signal, { clock: new FakeClock() });
    const v = (rv: string, deleting = false) => ({ metadata: { name: 'p', namespace: 'default', uid: 'u', resourceVersion: rv, ...(deleting ? { deletionTimestamp: new Date() } : {}) } }) as unknown as Pod;
    workers.update(v('1'));
    workers.update(v('2'));
    workers.update(v('3'));
    await Promise.resolve();
    release();
    await workers.settled();
    expect(calls).toEqual(['sync 1', 'sync 3']); // 2 was superseded by 3
    calls.length = 0;
    workers.update(v('1')); // blocks again
    await Promise.resolve();
    workers.update(v('4', true));
    await workers.settled();
    expect(calls).toEqual(['sync 1', 'terminate 4 vanished=false', 'terminated vanished=false']);
    workers.remove(v('4', true));
    await workers.settled();
    expect(calls.at(-1)).toBe('terminated vanished=true');
    stop.abort();
  });
});
