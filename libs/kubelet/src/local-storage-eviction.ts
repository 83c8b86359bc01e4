/**
 * The kubelet's local storage eviction, for what Skiff can exceed: a disk-backed emptyDir past its
 * sizeLimit (Kubernetes' eviction manager, localStorageEviction). Every `intervalMs` the volumes
 * of the admitted pods are measured (VolumeManager.emptyDirOverLimit); a pod over a limit is
 * marked for eviction and its worker resynced: its containers are killed at once and it ends
 * Failed, reason Evicted, with Kubernetes' message ("Usage of EmptyDir volume ... exceeds the
 * limit ..."). It is not restarted (a controller makes a new pod). A measurement that fails is
 * logged and tried again next round.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from '@skiff/api';
import type { Logger } from 'pino';
import type { VolumeManager } from './volumes/volume-manager';

export interface LocalStorageEvictionDeps {
  /** The pods whose usage counts (admitted, not terminal). */
  pods(): readonly Readonly<Pod>[];
  volumes: Pick<VolumeManager, 'emptyDirOverLimit'>;
  /** Marks the pod for eviction (PodSyncer.markEvicted) ... */
  evict(uid: string, message: string): void;
  /** ... and runs its worker (PodWorkers.resync). */
  resync(uid: string): void;
  log: Logger;
}

/** One round: evicts every pod with an emptyDir over its sizeLimit; resolves with their uids. */
export async function evictPodsOverLocalStorage(deps: LocalStorageEvictionDeps): Promise<string[]> {
  const evicted: string[] = [];
  for (const pod of deps.pods()) {
    if (!pod.spec?.volumes?.some((v) => v.emptyDir?.sizeLimit && v.emptyDir.medium !== 'Memory')) continue;
    const uid = pod.metadata?.uid ?? '';
    try {
      const over = await deps.volumes.emptyDirOverLimit(pod);
      if (!over) continue;
      deps.log.info({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, volume: over.volume }, 'emptyDir over its sizeLimit: evicting the pod');
      deps.evict(uid, over.message);
      deps.resync(uid);
      evicted.push(uid);
    } catch (err) {
      deps.log.warn({ err, pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` }, 'measuring emptyDir usage failed; trying again next round');
    }
  }
  return evicted;
}

/** Runs evictPodsOverLocalStorage every `intervalMs` until `signal` aborts. */
export async function runLocalStorageEviction(deps: LocalStorageEvictionDeps, intervalMs: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    await evictPodsOverLocalStorage(deps);
  }
}
