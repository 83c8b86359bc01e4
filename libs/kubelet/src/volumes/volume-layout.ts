/**
 * Where a pod's volumes live on the node and what they need, as Kubernetes' kubelet lays them out:
 *
 *   <rootDir>/pods/<uid>/volumes/kubernetes.io~empty-dir/<volume>     emptyDir
 *   <rootDir>/pods/<uid>/volumes/kubernetes.io~configmap/<volume>     configMap
 *   <rootDir>/pods/<uid>/volumes/kubernetes.io~secret/<volume>        secret (a tmpfs)
 *   <rootDir>/pods/<uid>/volumes/kubernetes.io~downward-api/<volume>  downwardAPI
 *   <rootDir>/pods/<uid>/volumes/kubernetes.io~projected/<volume>     projected (a tmpfs)
 *   <rootDir>/pods/<uid>/containers/<container>/<attempt>             termination-message files
 *   hostPath volumes are the host's path itself.
 *
 * Tmpfs volumes: emptyDir with medium Memory, and (as Kubernetes, whose secret and projected
 * plugins wrap a Memory emptyDir) every secret and projected volume, so that Secret bytes never
 * reach the node's disk. Their size is Kubernetes' calculateEmptyDirMemorySize.
 *
 * CONTRACT: pure.
 */
import * as path from 'node:path';
import { parseQuantityCeil, podLimits, type Pod, type Volume } from '@skiff/api';

export const PLUGIN_EMPTY_DIR = 'kubernetes.io~empty-dir';
export const PLUGIN_CONFIG_MAP = 'kubernetes.io~configmap';
export const PLUGIN_SECRET = 'kubernetes.io~secret';
export const PLUGIN_DOWNWARD_API = 'kubernetes.io~downward-api';
export const PLUGIN_PROJECTED = 'kubernetes.io~projected';

/** The plugin directory name of a volume, or undefined for hostPath (and a volume without a source). */
export function volumePlugin(volume: Readonly<Volume>): string | undefined {
  if (volume.emptyDir) return PLUGIN_EMPTY_DIR;
  if (volume.configMap) return PLUGIN_CONFIG_MAP;
  if (volume.secret) return PLUGIN_SECRET;
  if (volume.downwardAPI) return PLUGIN_DOWNWARD_API;
  if (volume.projected) return PLUGIN_PROJECTED;
  return undefined;
}

export function podDir(rootDir: string, uid: string): string {
  return path.join(rootDir, 'pods', uid);
}

/** The host directory (or file, for hostPath) that holds the volume's content; see the module comment. */
export function volumePath(rootDir: string, uid: string, volume: Readonly<Volume>): string {
  if (volume.hostPath) return volume.hostPath.path;
  const plugin = volumePlugin(volume);
  if (!plugin) throw new Error(`volume "${volume.name}" has no source`);
  return path.join(podDir(rootDir, uid), 'volumes', plugin, volume.name);
}

/** True for volumes that are a tmpfs on the node (see the module comment). */
export function isTmpfsVolume(volume: Readonly<Volume>): boolean {
  return volume.emptyDir?.medium === 'Memory' || !!volume.secret || !!volume.projected;
}

/**
 * The pod's memory limit as its cgroup gets it (Kubernetes' ResourceConfigForPod): undefined
 * unless every container (app and init) declares a memory limit above 0; then the pod's
 * effective limit (podLimits: app containers and sidecars summed, or an init container plus the
 * sidecars declared before it, whichever is larger).
 */
export function podMemoryLimit(pod: Readonly<Pod>): number | undefined {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const declared = (q: string | undefined) => !!q && parseQuantityCeil(q) > 0;
  if (!containers.every((c) => declared(c.resources?.limits?.memory))) return undefined;
  return podLimits(pod).memory;
}

/**
 * The size of a tmpfs volume (Kubernetes' calculateEmptyDirMemorySize): the node's allocatable
 * memory, lowered to the pod's memory limit, lowered to the volume's sizeLimit; in bytes.
 */
export function tmpfsSize(pod: Readonly<Pod>, sizeLimit: string | undefined, nodeAllocatableMemory: string): number {
  let size = nodeAllocatableMemory ? parseQuantityCeil(nodeAllocatableMemory) : 0;
  const podLimit = podMemoryLimit(pod);
  if (podLimit !== undefined && podLimit > 0 && (size <= 0 || podLimit <= size)) size = podLimit;
  const volumeLimit = sizeLimit ? parseQuantityCeil(sizeLimit) : 0;
  if (volumeLimit > 0 && (size <= 0 || volumeLimit <= size)) size = volumeLimit;
  return size;
}

/**
 * Why a volumeMount's subPath is refused before touching the disk (Kubernetes' makeMounts), or
 * undefined: absolute paths and `..` elements.
 */
export function invalidSubPathReason(subPath: string): string | undefined {
  if (subPath.startsWith('/')) return `error SubPath \`${subPath}\` must not be an absolute path`;
  if (subPath.split('/').includes('..')) return `unable to provision SubPath \`${subPath}\`: must not contain '..'`;
  return undefined;
}

/** True when `child` is `base` or inside it (both absolute and normalized). */
export function isWithin(child: string, base: string): boolean {
  const rel = path.relative(base, child);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel));
}
