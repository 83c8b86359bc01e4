import { Pod, type PodStatus } from '@skiff/api';
import { HollowRuntime } from '@skiff/runtime';
import { PodSyncer } from './pod-syncer';

/**
 * The pod syncer on the hollow runtime (as scale tests run it): init containers complete there,
 * so a pod with init containers, a sidecar and lifecycle hooks converges to Running.
 */
describe('PodSyncer on the hollow runtime', () => {
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  function setup() {
    const runtime = new HollowRuntime({ nodeName: 'n1', images: ['img'] });
    const written: PodStatus[] = [];
    const events: string[] = [];
    const pods = { updateStatus: async (pod: Pod) => (written.push(structuredClone(pod.status!)), pod), delete: async () => undefined };
    const recorder = { normal: (_o: unknown, reason: string, message: string) => events.push(`${reason} ${message}`), warning: (_o: unknown, reason: string, message: string) => events.push(`${reason} ${message}`) };
    const syncer = new PodSyncer({ runtime, pods: pods as never, nodeIP: '127.0.0.1', allocatable: () => ({ cpuMillis: 4_000, memoryBytes: 2 ** 33, pods: 110 }), recorder });
    return { runtime, written, events, syncer };
  }

  /** Syncs as the pod workers would after each runtime event, until `done` or 20 syncs. */
  async function converge(syncer: PodSyncer, pod: Pod, done: (s: PodStatus | undefined) => boolean): Promise<PodStatus | undefined> {
    for (let i = 0; i < 20 && !done(syncer.reportedStatus(pod.metadata!.uid)); i++) {
      await syncer.syncPod(pod, new AbortController().signal);
      await flush();
    }
    return syncer.reportedStatus(pod.metadata!.uid);
  }

  const hook = { exec: { command: ['true'] } };
  const pod = Pod.fromPartial({
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: {
      initContainers: [
        { name: 'a', image: 'img' },
        { name: 'log', image: 'img', restartPolicy: 'Always', lifecycle: { postStart: { httpGet: { path: '/', port: { value: { $case: 'intVal', value: 80 } } } } } },
        { name: 'b', image: 'img' },
      ],
      containers: [{ name: 'web', image: 'img', lifecycle: { postStart: hook, preStop: hook } }],
    },
  });

  it('runs the init containers to completion, the sidecar beside the app, and reaches Running', async () => {
    const { runtime, written, events, syncer } = setup();
    const status = await converge(syncer, pod, (s) => s?.phase === 'Running');
    expect(status?.phase).toBe('Running');
    expect(status?.initContainerStatuses.map((c) => [c.name, Object.keys(c.state ?? {})[0], c.ready])).toEqual([
      ['a', 'terminated', true],
      ['log', 'running', true],
      ['b', 'terminated', true],
    ]);
    expect(status?.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['PodScheduled=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True']);
    expect(written[0].containerStatuses[0].state?.waiting?.reason).toBe('PodInitializing');
    const started = events.filter((e) => e.startsWith('Started'));
    expect(started).toEqual(['Started Started container a', 'Started Started container log', 'Started Started container b', 'Started Started container web']);
    expect(events.some((e) => e.startsWith('Failed'))).toBe(false);

    await syncer.terminatePod(pod, false, new AbortController().signal);
    expect(await runtime.listContainers({ podUid: 'u1' })).toEqual([]);
    expect(events.filter((e) => e.startsWith('Killing')).sort()).toEqual(['Killing Stopping container log', 'Killing Stopping container web']);
  });
});
