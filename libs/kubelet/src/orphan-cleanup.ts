/**
 * Removal of runtime objects whose pod the kubelet does not have: pods deleted while the kubelet
 * was down, or a create that was in flight when its pod was deleted (it can leave a container
 * behind after the pod's termination listed what to remove).
 *
 * Order matters: the runtime is listed first and the known pods are read after. Anything in the
 * listing was created by a pod worker, which exists only for a pod the kubelet knew before the
 * listing started, so it is still known (or still has its worker) when read after. Reading the
 * known pods first would let a pod that arrives in between lose its fresh sandbox.
 * Then the volume directories of pods not known (VolumeManager.cleanupOrphans reads `known`
 * after listing them, for the same reason).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerRuntime } from '@skiff/runtime';
import type { Logger } from 'pino';
import type { VolumeManager } from './volumes/volume-manager';

/** Where orphaned pod directories are removed from; none: only runtime objects are cleaned. */
export type OrphanVolumes = Pick<VolumeManager, 'cleanupOrphans'> | undefined;

/**
 * The uids whose runtime objects stay: pods the API has (the informer's cache) and pods with a
 * worker (being admitted, synced or terminated by it). Called after each runtime listing.
 */
export type KnownPods = () => ReadonlySet<string>;

/**
 * Removes the app containers and sandboxes of pods `known` does not name (see the module
 * comment). Throws on runtime errors; what was removed stays removed.
 */
export async function removeOrphans(runtime: ContainerRuntime, known: KnownPods, log: Logger, signal: AbortSignal, volumes?: OrphanVolumes): Promise<void> {
  const [sandboxes, containers] = await Promise.all([runtime.listPodSandboxes({}, signal), runtime.listContainers({}, signal)]);
  const keep = known();
  for (const c of containers) {
    if (keep.has(c.pod.uid)) continue;
    log.info({ pod: `${c.pod.namespace}/${c.pod.name}`, container: c.name }, 'removing container of a pod that no longer exists');
    await runtime.removeContainer(c.id, signal);
  }
  for (const s of sandboxes) {
    if (keep.has(s.pod.uid)) continue;
    log.info({ pod: `${s.pod.namespace}/${s.pod.name}`, sandbox: s.id }, 'removing sandbox of a pod that no longer exists');
    await runtime.removePodSandbox(s.id, signal);
  }
  signal.throwIfAborted();
  const removed = (await volumes?.cleanupOrphans(known)) ?? [];
  if (removed.length) log.info({ pods: removed }, 'removed the volume directories of pods that no longer exist');
}

/** Runs removeOrphans every `periodMs` until `signal` aborts; a failure is logged and tried again next period. */
export async function removeOrphansPeriodically(runtime: ContainerRuntime, known: KnownPods, periodMs: number, log: Logger, signal: AbortSignal, volumes?: OrphanVolumes): Promise<void> {
  while (!signal.aborted) {
    await sleep(periodMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    await removeOrphans(runtime, known, log, signal, volumes).catch((err: unknown) => {
      if (!signal.aborted) log.warn({ err }, 'orphan cleanup failed; trying again later');
    });
  }
}
