import type { Pod } from '@skiff/api';
import { HollowRuntime, type PodSandbox } from '@skiff/runtime';
import pino from 'pino';
import { removeOrphans } from './orphan-cleanup';

/**
 * The orphan clean-up over a HollowRuntime. The race is made deterministic: the runtime lets a
 * pod "arrive" (become known to the kubelet and get its sandbox and container) while it is
 * being listed, as a pod worker does when the informer adds a pod during the listing.
 */
const log = pino({ level: 'silent' });

function pod(uid: string): Pod {
  return { metadata: { name: `p-${uid}`, namespace: 'default', uid }, spec: { containers: [{ name: 'main', image: 'img:1' }] } } as unknown as Pod;
}

async function runPod(runtime: HollowRuntime, uid: string): Promise<PodSandbox> {
  const p = pod(uid);
  const sandbox = await runtime.runPodSandbox(p);
  const id = await runtime.createContainer(sandbox, p.spec!.containers[0], { attempt: 0 });
  await runtime.startContainer(id);
  return sandbox;
}

/** A HollowRuntime that runs `arrive` once, at the start of its first sandbox listing. */
class ArrivalDuringListing extends HollowRuntime {
  arrive?: () => Promise<void>;

  override async listPodSandboxes(filter?: { podUid?: string }): Promise<PodSandbox[]> {
    const arrive = this.arrive;
    this.arrive = undefined;
    await arrive?.();
    return super.listPodSandboxes(filter);
  }
}

describe('removeOrphans', () => {
  it('removes the containers and sandboxes of unknown pods and keeps those of known ones', async () => {
    const runtime = new HollowRuntime({ nodeName: 'n1' });
    await runPod(runtime, 'kept');
    await runPod(runtime, 'gone');
    await removeOrphans(runtime, () => new Set(['kept']), log, new AbortController().signal);
    expect((await runtime.listPodSandboxes()).map((s) => s.pod.uid)).toEqual(['kept']);
    expect((await runtime.listContainers()).map((c) => c.pod.uid)).toEqual(['kept']);
  });

  it('keeps the fresh sandbox of a pod that arrives while the runtime is being listed', async () => {
    const runtime = new ArrivalDuringListing({ nodeName: 'n1' });
    await runPod(runtime, 'orphan');
    const known = new Set<string>();
    runtime.arrive = async () => {
      known.add('late');
      await runPod(runtime, 'late');
    };
    await removeOrphans(runtime, () => new Set(known), log, new AbortController().signal);
    expect((await runtime.listPodSandboxes()).map((s) => s.pod.uid)).toEqual(['late']);
    expect((await runtime.listContainers()).map((c) => [c.pod.uid, c.state])).toEqual([['late', 'running']]);
  });
});
