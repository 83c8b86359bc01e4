import type { Pod, PodStatus } from '@skiff/api';
import { FakeClock, type TypedClient } from '@skiff/client';
import { HollowRuntime, SandboxError, type ContainerRuntime } from '@skiff/runtime';
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
  return { pods, deleted, last: (name: string) => statuses.get(name)?.at(-1), writes: (name: string) => statuses.get(name)?.length ?? 0 };
}

function pod(name: string, opts: { restartPolicy?: string; cpu?: string; containers?: string[] } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: {}, annotations: {}, ownerReferences: [], finalizers: [] },
    spec: {
      restartPolicy: opts.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: 30,
      nodeName: 'n1',
      containers: (opts.containers ?? ['main']).map((c) => ({
        name: c,
        image: 'img:1',
        imagePullPolicy: 'IfNotPresent',
        resources: { limits: {}, requests: opts.cpu ? { cpu: opts.cpu } : {} },
      })),
    },
  } as unknown as Pod;
}

function setup() {
  const clock = new FakeClock(1_000_000);
  const runtime = new HollowRuntime({ nodeName: 'n1', now: () => clock.now() });
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
