/**
 * The node half of the skiff.io/local-path provisioner's reclaim (the part k3s'
 * local-path-provisioner does with a helper pod on the node): the kubelet watches
 * PersistentVolumes and, for each one that
 *   - skiff.io/local-path provisioned (annotation pv.kubernetes.io/provisioned-by),
 *   - is pinned to this node (node affinity kubernetes.io/hostname In [this node]),
 *   - has reclaim policy Delete and is Released (its claim was deleted),
 * removes its directory (only under this node's --local-storage-path, and only a
 * `pvc-...` directory directly in it), then deletes the PersistentVolume (the pv-protection
 * finalizer then goes, the volume being unbound). A failure is logged and retried with backoff;
 * a volume deleted meanwhile is done. Retain volumes and their directories are left alone.
 *
 * The controller-manager creates these volumes (it has no access to nodes' disks); the
 * directory itself is made by the volume manager when the first pod using it starts.
 */
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOSTNAME_LABEL, LOCAL_PATH_PROVISIONER, NotFoundError, PROVISIONED_BY_ANNOTATION, type PersistentVolume } from '@skiff/api';
import type { Informer, TypedClient } from '@skiff/client';
import type { Logger } from '@skiff/service';

/** The node a local volume is pinned to by `kubernetes.io/hostname In [node]` (its only value), or undefined. */
export function pinnedNode(pv: Readonly<PersistentVolume>): string | undefined {
  for (const term of pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const r of term.matchExpressions ?? []) if (r.key === HOSTNAME_LABEL && r.operator === 'In' && r.values.length === 1) return r.values[0];
  }
  return undefined;
}

/**
 * The directory to delete for `pv` on node `hostname` with local storage under `root`, or
 * undefined when this kubelet must leave the volume alone (see the module comment). Pure.
 */
export function localPathToReclaim(pv: Readonly<PersistentVolume>, hostname: string, root: string): string | undefined {
  if (pv.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER) return undefined;
  if (pv.spec?.persistentVolumeReclaimPolicy !== 'Delete' || pv.status?.phase !== 'Released') return undefined;
  if (pinnedNode(pv) !== hostname) return undefined;
  const dir = pv.spec?.local?.path;
  // Absolute paths only: a relative one would be resolved against the kubelet's working directory.
  if (!dir || !path.isAbsolute(dir) || !path.isAbsolute(root)) return undefined;
  const resolved = path.resolve(dir);
  if (path.dirname(resolved) !== path.resolve(root) || !path.basename(resolved).startsWith('pvc-')) return undefined;
  return resolved;
}

export interface LocalPathCleanerOptions {
  volumes: Informer<'persistentVolume'>;
  client: TypedClient<'persistentVolume'>;
  /** The node's kubernetes.io/hostname label (its name). */
  hostname: string;
  /** --local-storage-path. */
  root: string;
  /** Delete the objects but touch no file (hollow nodes). */
  hollow?: boolean;
  log: Logger;
}

/** Runs until `signal` aborts (see the module comment). */
export async function runLocalPathCleaner(opts: LocalPathCleanerOptions, signal: AbortSignal): Promise<void> {
  const log = opts.log.child({ component: 'local-path-cleaner' });
  const failures = new Map<string, number>();
  const reclaim = async (name: string): Promise<void> => {
    const pv = opts.volumes.get(name);
    const dir = pv && localPathToReclaim(pv, opts.hostname, opts.root);
    if (!pv || !dir) return;
    if (!opts.hollow) await rm(dir, { recursive: true, force: true });
    log.info({ volume: name, dir }, 'deleted the directory of a released local-path volume');
    try {
      await opts.client.delete('', name, { signal });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  };
  try {
    for await (const name of opts.volumes.changes(signal)) {
      try {
        await reclaim(name);
        failures.delete(name);
      } catch (err) {
        if (signal.aborted) return;
        const n = (failures.get(name) ?? 0) + 1;
        failures.set(name, n);
        const delay = Math.min(500 * 2 ** n, 30_000);
        log.warn({ volume: name, err: (err as Error).message, retryInMs: delay }, 'reclaiming a local-path volume failed');
        void sleep(delay, undefined, { signal }).then(
          () => opts.volumes.resync(),
          () => undefined,
        );
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}
