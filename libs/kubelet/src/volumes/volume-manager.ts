/**
 * One node's pod volumes: prepares them on the host (volume-layout.ts says where), gives the
 * runtime the bind mounts of each container, and removes them with the pod. Kubernetes' kubelet
 * volume manager and volume plugins, for emptyDir, hostPath, configMap, secret, downwardAPI and
 * projected volumes, and persistentVolumeClaim volumes (the claim's bound volume: a local or
 * hostPath directory on this node, bound as it is; its data outlives the pod).
 *
 *   volume        setUpPod (every sync: cheap when nothing changed)
 *   emptyDir      a directory 0777 (once); medium Memory: a tmpfs of tmpfsSize(); fsGroup: the
 *                 group, setgid, g+rwx. A sizeLimit on disk is enforced by eviction (emptyDirOverLimit).
 *   hostPath      the type check (once per pod; the *OrCreate types create the path)
 *   configMap,    the objects read from `sources`, the files computed (projection.ts) and
 *   downwardAPI   written by the AtomicWriter (rewritten only when they changed)
 *   secret,       the same, on a tmpfs mounted before anything is written, so the bytes never
 *   projected     touch the node's disk
 *   persistent-   claim -> bound volume -> its path (once per pod; "PVC x is not bound" until the
 *   VolumeClaim   binder has bound it, so the pod waits); a local-path volume's directory made
 *                 when missing (0777, under --local-storage-path); never removed with the pod
 *
 * mountsFor gives each volumeMount as a bind: configMap, secret, downwardAPI and projected are
 * always read-only (as Kubernetes); a subPath binds `<volume>/<subPath>` with its symlinks
 * resolved (for AtomicWriter volumes: the current version's file, which then never updates, as
 * Kubernetes), created as a directory (with the volume's mode) when missing, refused when it
 * leads out of the volume.
 *
 * Hollow (many simulated kubelets on one machine): the same reads and computations, the same
 * errors, but no file is written and nothing is mounted; hostPath checks are skipped (the host is
 * not the simulated node's).
 *
 * CONTRACT: setUpPod sets up every volume it can and then throws VolumeSetUpError (reason
 * FailedMount) naming each volume that failed, with Kubernetes' message (`MountVolume.SetUp
 * failed for volume "cfg" : configmap "web-config" not found`); calling it again retries.
 * mountsFor throws ContainerMountError (reason CreateContainerConfigError). Calls for one pod are
 * serialized. Secret contents are never logged.
 */
import { constants as fsc } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { LOCAL_PATH_PROVISIONER, parseQuantity, PROVISIONED_BY_ANNOTATION, volumeFitsNode, type ConfigMap, type Node, type Container, type PersistentVolume, type PersistentVolumeClaim, type Pod, type Secret, type Volume } from '@skiff/api';
import type { Mount } from '@skiff/runtime';
import type { Logger } from 'pino';
import { AtomicWriter } from './atomic-writer';
import { checkHostPathType } from './host-path';
import type { NodeAllocatable } from './downward-api';
import { bindMount, isMountedAt, mountTmpfs, readMountInfo, unmount, type MountInfo } from './mounts';

/** Linux open(2)'s O_PATH: a handle on an inode without reading it (Node's constants lack it). */
const O_PATH = 0o10000000;
import { fsGroupMode, isProjectedKind, volumePayload, volumeReferences } from './projection';
import { invalidSubPathReason, isTmpfsVolume, isWithin, podDir, tmpfsSize, volumePath } from './volume-layout';

/** Reads the ConfigMaps and Secrets pods use (undefined: the object does not exist). */
export interface VolumeSources {
  configMap(namespace: string, name: string, signal: AbortSignal): Promise<Readonly<ConfigMap> | undefined>;
  secret(namespace: string, name: string, signal: AbortSignal): Promise<Readonly<Secret> | undefined>;
}

/** Reads claims and volumes (from the apiserver) for persistentVolumeClaim volumes; undefined: it does not exist. */
export interface ClaimSources {
  claim(namespace: string, name: string, signal: AbortSignal): Promise<Readonly<PersistentVolumeClaim> | undefined>;
  volume(name: string, signal: AbortSignal): Promise<Readonly<PersistentVolume> | undefined>;
  /** This node (for the volumes' node affinity); without it node affinity is not checked. */
  node?(signal: AbortSignal): Promise<Readonly<Node> | undefined>;
}

export interface VolumeManagerOptions {
  /** The kubelet's root dir (--root-dir): pods' volumes go under `<rootDir>/pods`. */
  rootDir: string;
  sources: VolumeSources;
  /** Claims and volumes; without them persistentVolumeClaim volumes fail to mount. */
  claims?: ClaimSources;
  /** The node's --local-storage-path: where skiff.io/local-path volumes' directories are made. */
  localStoragePath?: string;
  /** The node's allocatable resources (resourceFieldRef fallbacks, tmpfs sizes). */
  nodeAllocatable: () => Readonly<NodeAllocatable>;
  /** Compute everything, write and mount nothing (see the module comment). */
  hollow?: boolean;
  log: Logger;
}

/** One volume that could not be set up. */
export interface VolumeFailure {
  volume: string;
  /** Kubernetes' event message: `MountVolume.SetUp failed for volume "x" : <cause>`. */
  message: string;
}

/** Some of a pod's volumes could not be set up: the pod's containers must not start (yet). */
export class VolumeSetUpError extends Error {
  override readonly name = 'VolumeSetUpError';
  /** The reason of the pod's Warning event, as Kubernetes. */
  readonly reason = 'FailedMount';
  constructor(readonly failures: readonly VolumeFailure[]) {
    super(failures.map((f) => f.message).join('; '));
  }
}

/** A container's volumeMounts cannot be bound (bad subPath, unknown volume): it cannot be created. */
export class ContainerMountError extends Error {
  override readonly name = 'ContainerMountError';
  readonly reason = 'CreateContainerConfigError';
}

const POD_DIR_MODE = 0o750;
const EMPTY_DIR_MODE = 0o777;

export class VolumeManager {
  private readonly rootDir: string;
  private readonly hollow: boolean;
  private readonly log: Logger;
  /** Per pod uid: the tail of its serialized calls. */
  private readonly locks = new Map<string, Promise<void>>();
  /** Per pod uid: volumes whose one-time setup (directory, mount, ownership, hostPath check) is done. */
  private readonly prepared = new Map<string, Set<string>>();
  /** Per pod uid: the host directory of each persistentVolumeClaim volume, once its claim resolved. */
  private readonly claimPaths = new Map<string, Map<string, string>>();

  constructor(private readonly opts: VolumeManagerOptions) {
    this.rootDir = path.resolve(opts.rootDir);
    this.hollow = !!opts.hollow;
    this.log = opts.log;
  }

  /** `<rootDir>/pods/<uid>`. */
  podDir(uid: string): string {
    return podDir(this.rootDir, uid);
  }

  /** The host path of a volume of pod `uid` (its directory; hostPath: the host's path; a claim: its volume's path, once set up). */
  volumePath(uid: string, volume: Readonly<Volume>): string {
    if (volume.persistentVolumeClaim) {
      const dir = this.claimPaths.get(uid)?.get(volume.name);
      if (!dir) throw new ContainerMountError(`volume "${volume.name}" (persistentVolumeClaim "${volume.persistentVolumeClaim.claimName}") is not set up yet`);
      return dir;
    }
    return volumePath(this.rootDir, uid, volume);
  }

  /**
   * Creates or refreshes every volume of the pod (see the module comment). Throws
   * VolumeSetUpError after trying them all; an aborted signal throws its reason.
   */
  async setUpPod(pod: Readonly<Pod>, signal: AbortSignal): Promise<void> {
    const uid = uidOf(pod);
    await this.exclusive(uid, async () => {
      const volumes = pod.spec?.volumes ?? [];
      if (volumes.length === 0) return;
      if (!this.hollow) await fs.mkdir(path.join(this.podDir(uid), 'volumes'), { recursive: true, mode: POD_DIR_MODE });
      let table: Promise<MountInfo[]> | undefined;
      const mountTable = () => (table ??= readMountInfo());
      const failures: VolumeFailure[] = [];
      for (const volume of volumes) {
        signal.throwIfAborted();
        try {
          await this.setUpVolume(pod, uid, volume, mountTable, signal);
        } catch (err) {
          if (signal.aborted) throw err;
          const message = `MountVolume.SetUp failed for volume "${volume.name}" : ${(err as Error).message}`;
          this.log.warn({ pod: podKey(pod), volume: volume.name, err: (err as Error).message }, 'volume set-up failed');
          failures.push({ volume: volume.name, message });
        }
      }
      if (failures.length) throw new VolumeSetUpError(failures);
    });
  }

  private async setUpVolume(pod: Readonly<Pod>, uid: string, volume: Readonly<Volume>, mountTable: () => Promise<MountInfo[]>, signal: AbortSignal): Promise<void> {
    const done = this.prepared.get(uid) ?? new Set<string>();
    const markDone = () => this.prepared.set(uid, done.add(volume.name));
    const fsGroup = pod.spec?.securityContext?.fsGroup;

    if (volume.hostPath) {
      if (this.hollow || done.has(volume.name)) return;
      await checkHostPathType(volume.hostPath.path, volume.hostPath.type);
      markDone();
      return;
    }

    if (volume.persistentVolumeClaim) {
      if (done.has(volume.name)) return;
      const dir = await this.claimVolumeDir(pod, volume.persistentVolumeClaim.claimName, signal);
      const paths = this.claimPaths.get(uid) ?? new Map<string, string>();
      this.claimPaths.set(uid, paths.set(volume.name, dir));
      markDone();
      return;
    }

    if (volume.emptyDir) {
      if (this.hollow || done.has(volume.name)) return;
      const dir = this.volumePath(uid, volume);
      await this.prepareDir(pod, dir, isTmpfsVolume(volume), volume.emptyDir.sizeLimit, mountTable, fsGroup === undefined ? undefined : { gid: fsGroup, readOnly: false });
      if (volume.emptyDir.medium !== 'Memory' && volume.emptyDir.sizeLimit) {
        this.log.debug({ pod: podKey(pod), volume: volume.name }, 'emptyDir sizeLimit on disk: enforced by eviction');
      }
      markDone();
      return;
    }

    if (!isProjectedKind(volume)) throw new Error('the volume has no supported source');
    const namespace = pod.metadata?.namespace || 'default';
    const refs = volumeReferences(volume);
    const [configMaps, secrets] = await Promise.all([
      fetchAll(refs.configMaps, (name) => this.opts.sources.configMap(namespace, name, signal)),
      fetchAll(refs.secrets, (name) => this.opts.sources.secret(namespace, name, signal)),
    ]);
    const payload = volumePayload(
      volume,
      { pod, objects: { configMap: (n) => configMaps.get(n), secret: (n) => secrets.get(n) }, nodeAllocatable: this.opts.nodeAllocatable() },
      fsGroup,
    );
    if (this.hollow) return;
    const dir = this.volumePath(uid, volume);
    const tmpfs = isTmpfsVolume(volume);
    // A tmpfs is checked on every call (two stats): were it gone, Secret bytes would land on the disk.
    if (!done.has(volume.name) || (tmpfs && !(await isMountPoint(dir)))) {
      await this.prepareDir(pod, dir, tmpfs, undefined, mountTable, fsGroup === undefined ? undefined : { gid: fsGroup, readOnly: true });
      markDone();
    }
    const changed = await new AtomicWriter(dir).write(payload, { fsGroup });
    if (changed) this.log.info({ pod: podKey(pod), volume: volume.name, files: Object.keys(payload).length }, 'volume contents written');
  }

  /**
   * The host directory of the pod's claim `claimName` (Kubernetes' kubelet: claim -> bound
   * volume -> its path). Errors (the pod waits, FailedMount): the claim does not exist, is
   * being deleted, is not bound yet, its volume is missing, its node affinity excludes this node,
   * or it has no local/hostPath source. A
   * skiff.io/local-path volume's directory is created (0777, as local-path-provisioner) when
   * missing, and must lie under this node's local storage path; another local volume's path must
   * exist; a hostPath volume's is checked by its type.
   */
  private async claimVolumeDir(pod: Readonly<Pod>, claimName: string, signal: AbortSignal): Promise<string> {
    const namespace = pod.metadata?.namespace || 'default';
    if (!this.opts.claims) throw new Error('persistentVolumeClaim volumes are not available on this node');
    const claim = await this.opts.claims.claim(namespace, claimName, signal);
    if (!claim) throw new Error(`persistentvolumeclaim "${claimName}" not found`);
    // As Kubernetes' kubelet: a claim being deleted is not mounted anew (pvc-protection counts only
    // pods already scheduled, so it may let the claim go at any moment).
    if (claim.metadata?.deletionTimestamp) throw new Error(`can't start pod because PVC ${namespace}/${claimName} is being deleted`);
    const volumeName = claim.spec?.volumeName;
    if (!volumeName || claim.status?.phase !== 'Bound') throw new Error(`PVC ${namespace}/${claimName} is not bound`);
    const pv = await this.opts.claims.volume(volumeName, signal);
    if (!pv) throw new Error(`persistentvolume "${volumeName}" not found`);
    if (pv.spec?.claimRef?.uid !== claim.metadata?.uid) throw new Error(`persistentvolume "${volumeName}" is not bound to PVC ${namespace}/${claimName}`);
    // As Kubernetes' MountVolume.NodeAffinity check: a local volume lives on its node only (with
    // one --local-storage-path on every node, another node would make an empty directory).
    if (pv.spec?.nodeAffinity && this.opts.claims.node) {
      const node = await this.opts.claims.node(signal);
      if (!node) throw new Error(`cannot check the node affinity of persistentvolume "${volumeName}": this node's Node object was not found`);
      if (!volumeFitsNode(pv, node)) throw new Error(`node affinity of persistentvolume "${volumeName}" does not match node "${node.metadata?.name}"`);
    }
    if (pv.spec?.hostPath) {
      if (!this.hollow) await checkHostPathType(pv.spec.hostPath.path, pv.spec.hostPath.type);
      return pv.spec.hostPath.path;
    }
    const dir = pv.spec?.local?.path;
    if (!dir) throw new Error(`persistentvolume "${volumeName}" has no local or hostPath source`);
    if (this.hollow) return dir;
    if (pv.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] === LOCAL_PATH_PROVISIONER) {
      const root = this.opts.localStoragePath;
      if (!root || !isWithin(path.resolve(dir), path.resolve(root)) || path.resolve(dir) === path.resolve(root)) {
        throw new Error(`local-path volume "${volumeName}" at ${dir} is not under this node's local storage path ${root ?? '(none)'}`);
      }
      await fs.mkdir(root, { recursive: true, mode: 0o755 });
      await fs.mkdir(dir, { mode: 0o777 }).then(
        () => fs.chmod(dir, 0o777),
        (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        },
      );
      return dir;
    }
    const st = await fs.stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new Error(`path "${dir}" of local volume "${volumeName}" does not exist on the node`);
    return dir;
  }

  /**
   * The volume's directory, once: created 0777 (as Kubernetes' emptyDir, which also wraps
   * configMap and downwardAPI), or a tmpfs mounted on it unless one already is; with an fsGroup,
   * that group and Kubernetes' fsGroup bits.
   */
  private async prepareDir(
    pod: Readonly<Pod>,
    dir: string,
    tmpfs: boolean,
    sizeLimit: string | undefined,
    mountTable: () => Promise<MountInfo[]>,
    group: { gid: number; readOnly: boolean } | undefined,
  ): Promise<void> {
    await fs.mkdir(path.dirname(dir), { recursive: true, mode: POD_DIR_MODE });
    await fs.mkdir(dir, { mode: EMPTY_DIR_MODE }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    if (tmpfs) {
      const mounted = (await mountTable()).some((m) => m.mountPoint === dir && m.fsType === 'tmpfs');
      if (!mounted) {
        const size = tmpfsSize(pod, sizeLimit, this.opts.nodeAllocatable().memory);
        await mountTmpfs(dir, size);
        this.log.info({ pod: podKey(pod), dir, size }, 'mounted tmpfs volume');
      }
    } else {
      await fs.chmod(dir, EMPTY_DIR_MODE);
    }
    if (group) {
      const st = await fs.stat(dir);
      await fs.chown(dir, -1, group.gid);
      await fs.chmod(dir, fsGroupMode(st.mode & 0o7777, { dir: true, readOnly: group.readOnly }));
    }
  }

  /**
   * The first disk-backed emptyDir of the pod whose usage (blocks in use, as `du`) is above its
   * sizeLimit, with Kubernetes' eviction message; undefined when none is (or hollow). A Memory
   * emptyDir needs no check: its tmpfs is sized to the limit.
   */
  async emptyDirOverLimit(pod: Readonly<Pod>): Promise<{ volume: string; message: string } | undefined> {
    if (this.hollow) return undefined;
    const uid = uidOf(pod);
    for (const volume of pod.spec?.volumes ?? []) {
      const limit = volume.emptyDir?.sizeLimit;
      if (!limit || volume.emptyDir?.medium === 'Memory') continue;
      const used = await diskUsage(this.volumePath(uid, volume));
      if (used > parseQuantity(limit)) return { volume: volume.name, message: `Usage of EmptyDir volume "${volume.name}" exceeds the limit "${limit}". ` };
    }
    return undefined;
  }

  /**
   * The binds of the container's volumeMounts (see the module comment); the lead adds the
   * termination-message file. Throws ContainerMountError.
   */
  async mountsFor(pod: Readonly<Pod>, container: Readonly<Container>): Promise<Mount[]> {
    const uid = uidOf(pod);
    const volumes = pod.spec?.volumes ?? [];
    const mounts: Mount[] = [];
    for (const [index, m] of (container.volumeMounts ?? []).entries()) {
      const volume = volumes.find((v) => v.name === m.name);
      if (!volume) throw new ContainerMountError(`cannot find volume "${m.name}" to mount into container "${container.name}"`);
      let hostPath = this.volumePath(uid, volume);
      if (m.subPath) hostPath = await this.subPathHost(pod, hostPath, m.subPath, m.name, container.name, index);
      mounts.push({ hostPath, containerPath: m.mountPath, readOnly: m.readOnly || isProjectedKind(volume) || !!volume.persistentVolumeClaim?.readOnly });
    }
    return mounts;
  }

  /**
   * `<volume>/<subPath>` resolved, created when missing, refused outside the volume (Kubernetes'
   * makeMounts), and pinned as Kubernetes' doSafeMakeDir/prepareSubpathTarget do: the path is
   * opened (O_PATH), the opened inode's own path checked inside the volume, and that inode
   * bind-mounted (through /proc/<pid>/fd) at `<pod>/volume-subpaths/<volume>/<container>/<index>`,
   * which is what the runtime binds. A container sharing the volume that swaps a path component for
   * a symlink after the check cannot redirect the bind (the CVE-2017-1002101 class).
   */
  private async subPathHost(pod: Readonly<Pod>, volumeDir: string, subPath: string, mountName: string, containerName: string, index: number): Promise<string> {
    const reason = invalidSubPathReason(subPath);
    if (reason) throw new ContainerMountError(reason);
    const joined = path.join(volumeDir, subPath);
    if (this.hollow) return joined;
    const context = { pod: podKey(pod), container: containerName, volumeMount: mountName };
    let base: string;
    try {
      base = await fs.realpath(volumeDir);
      const exists = await fs.stat(joined).then(
        () => true,
        () => false,
      );
      if (!exists) await safeMakeDir(base, subPath, (await fs.stat(base)).mode & 0o7777);
    } catch (err) {
      // Like Kubernetes, the details (host paths) go to the log, not to the user.
      this.log.warn({ ...context, err: (err as Error).message }, 'cannot create subPath directory');
      throw new ContainerMountError(`failed to create subPath directory for volumeMount "${mountName}" of container "${containerName}"`, { cause: err });
    }
    const refused = () => {
      this.log.warn({ ...context, subPath }, 'subPath leads out of its volume');
      return new ContainerMountError(`failed to prepare subPath for volumeMount "${mountName}" of container "${containerName}"`);
    };
    const handle = await fs.open(joined, O_PATH).catch(() => undefined);
    if (!handle) throw refused();
    try {
      const fdPath = `/proc/${process.pid}/fd/${handle.fd}`;
      const opened = await fs.readlink(fdPath).catch(() => '');
      if (!opened || !isWithin(opened, base)) throw refused();
      const target = path.join(this.podDir(uidOf(pod)), 'volume-subpaths', mountName, containerName, String(index));
      const isDir = (await fs.stat(fdPath)).isDirectory();
      if (await isMountedAt(target)) await unmount(target); // a restart of the container: pinned again
      await fs.mkdir(isDir ? target : path.dirname(target), { recursive: true, mode: POD_DIR_MODE });
      if (!isDir) await (await fs.open(target, fsc.O_RDONLY | fsc.O_CREAT, 0o600)).close();
      await bindMount(fdPath, target);
      return target;
    } finally {
      await handle.close();
    }
  }

  /** Removes the termination-message file of a container instance the kubelet removed (absent is fine). */
  async removeTerminationLogFile(uid: string, containerName: string, attempt: number): Promise<void> {
    if (!this.hollow) await fs.rm(this.terminationLogPath(uid, containerName, attempt), { force: true });
  }

  /** Where terminationLogFile puts the file of that container instance (no I/O: to read it back). */
  terminationLogPath(uid: string, containerName: string, attempt: number): string {
    return path.join(this.podDir(uid), 'containers', containerName, String(attempt));
  }

  /**
   * Creates (or empties) `<pod dir>/containers/<name>/<attempt>`, mode 0666, for the container's
   * terminationMessagePath, and returns its path. Hollow: only the path.
   */
  async terminationLogFile(uid: string, containerName: string, attempt: number): Promise<string> {
    const file = this.terminationLogPath(uid, containerName, attempt);
    const dir = path.dirname(file);
    if (this.hollow) return file;
    await fs.mkdir(dir, { recursive: true, mode: POD_DIR_MODE });
    const handle = await fs.open(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW, 0o666);
    try {
      await handle.chmod(0o666);
    } finally {
      await handle.close();
    }
    return file;
  }

  /**
   * Unmounts every mount under the pod's directory (deepest first) and removes the directory.
   * Idempotent. Throws MountError when an unmount fails (the directory then stays: removing it
   * would cross the mount).
   */
  async tearDownPod(uid: string): Promise<void> {
    await this.exclusive(uid, async () => {
      this.prepared.delete(uid);
      this.claimPaths.delete(uid);
      if (this.hollow) return;
      const dir = this.podDir(uid);
      const under = (await readMountInfo())
        .map((m) => m.mountPoint)
        .filter((p) => p === dir || p.startsWith(`${dir}/`))
        .sort((a, b) => b.length - a.length);
      const errors: Error[] = [];
      for (const p of under) {
        try {
          await unmount(p);
          this.log.info({ uid, dir: p }, 'unmounted volume');
        } catch (err) {
          errors.push(err as Error);
        }
      }
      if (errors.length) throw errors[0];
      await fs.rm(dir, { recursive: true, force: true });
    });
  }

  /**
   * Tears down the pod directories whose uid `known` does not name (pods deleted while the
   * kubelet was down). `known` may be a function: it is then read after the directories are
   * listed (see orphan-cleanup.ts for why that order). Pods with a call in progress are kept.
   * Returns the uids removed; a failure is logged and the others still go.
   */
  async cleanupOrphans(known: ReadonlySet<string> | (() => ReadonlySet<string>)): Promise<string[]> {
    if (this.hollow) return [];
    let uids: string[];
    try {
      uids = await fs.readdir(path.join(this.rootDir, 'pods'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const keep = typeof known === 'function' ? known() : known;
    const removed: string[] = [];
    for (const uid of uids) {
      if (keep.has(uid) || this.locks.has(uid)) continue;
      try {
        await this.tearDownPod(uid);
        removed.push(uid);
        this.log.info({ uid }, 'removed volumes of a pod that no longer exists');
      } catch (err) {
        this.log.warn({ uid, err: (err as Error).message }, 'cannot remove volumes of a pod that no longer exists');
      }
    }
    return removed;
  }

  /** Runs `fn` after every earlier call for `uid` has finished. */
  private async exclusive<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(uid) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(uid, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(uid) === tail) this.locks.delete(uid);
    }
  }
}

/** True when `dir` is a mount point (another device than its parent, as Kubernetes' IsLikelyNotMountPoint); false when missing. */
async function isMountPoint(dir: string): Promise<boolean> {
  try {
    const [self, parent] = await Promise.all([fs.stat(dir), fs.stat(path.dirname(dir))]);
    return self.dev !== parent.dev;
  } catch {
    return false;
  }
}

function uidOf(pod: Readonly<Pod>): string {
  const uid = pod.metadata?.uid;
  if (!uid) throw new Error('pod has no uid');
  if (uid.includes('/') || uid === '.' || uid === '..') throw new Error(`invalid pod uid: ${uid}`);
  return uid;
}

function podKey(pod: Readonly<Pod>): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

async function fetchAll<T>(names: readonly string[], get: (name: string) => Promise<T | undefined>): Promise<Map<string, T | undefined>> {
  const unique = [...new Set(names)];
  const values = await Promise.all(unique.map(get));
  return new Map(unique.map((n, i) => [n, values[i]]));
}

/**
 * Creates the missing directories of `subPath` under `base` (a real path) one by one with
 * `mode`, following no symlink out of `base` (Kubernetes' SafeMakeDir).
 */
async function safeMakeDir(base: string, subPath: string, mode: number): Promise<void> {
  let current = base;
  for (const part of subPath.split('/').filter((p) => p && p !== '.')) {
    const next = path.join(current, part);
    try {
      await fs.mkdir(next, { mode });
      await fs.chmod(next, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    current = await fs.realpath(next);
    if (!isWithin(current, base)) throw new Error(`${subPath} leads out of the volume`);
  }
}

/** Bytes of the blocks in use under `dir` (files, directories, symlinks; not followed), as `du`; 0 when absent. */
async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    const st = await fs.lstat(p).catch(() => undefined);
    if (!st) return;
    total += st.blocks * 512;
    if (!st.isDirectory()) return;
    for (const entry of await fs.readdir(p).catch(() => [] as string[])) await walk(path.join(p, entry));
  };
  await walk(dir);
  return total;
}
