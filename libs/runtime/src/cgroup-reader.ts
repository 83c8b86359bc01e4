/**
 * Reads containers' usage from their cgroup files (cgroup-stats.ts says which and how), so that
 * sampling every container costs a few small file reads instead of one Docker stats call each
 * (which takes up to seconds). Where each container's cgroup is gets found once: first where the
 * cgroup driver puts it, else through its main process's /proc/<pid>/cgroup (the caller says how
 * to find that pid), and is remembered until `retain` drops the container.
 *
 * The cgroup files are read synchronously: they are kernel memory, not disk, and a synchronous
 * read costs ~20 us of CPU where fs.promises.readFile costs ~10x that (a stat, chunked reads and
 * thread-pool hops per file); callers sampling many containers yield between batches.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cgroupFiles, dockerCgroupPath, parseCgroupUsage, parseMountInfo, parseProcCgroup, type CgroupFiles, type CgroupMounts, type CgroupUsage } from './cgroup-stats';

/** The hierarchies this process sees; undefined when /proc/self/mountinfo shows none (or is unreadable). */
export async function readCgroupMounts(): Promise<CgroupMounts | undefined> {
  try {
    return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Reads one cgroup (synchronously, see the module comment); undefined when a file is missing (the cgroup is gone) or malformed. */
export function readCgroupUsage(files: CgroupFiles): CgroupUsage | undefined {
  try {
    const read = (path: string) => readFileSync(path, 'utf8');
    return parseCgroupUsage(files.version, { cpu: read(files.cpu), memoryUsage: read(files.memoryUsage), memoryStat: read(files.memoryStat) });
  } catch {
    return undefined;
  }
}

export interface ContainerCgroupsOptions {
  /** The hierarchies (readCgroupMounts); undefined: no cgroup is readable, every usage() is undefined. */
  mounts: CgroupMounts | undefined;
  /** dockerd's cgroup driver ("cgroupfs" or "systemd"). */
  driver: string;
  /** The pid of the container's main process; undefined when it does not run. */
  pidOf(id: string, signal?: AbortSignal): Promise<number | undefined>;
}

/** Where a container's cgroup is: its files, or null when it cannot be read from here. */
type Location = CgroupFiles | null;

/** Container usage from cgroup files; see the module comment. */
export class ContainerCgroups {
  private readonly locations = new Map<string, Location>();

  constructor(private readonly options: ContainerCgroupsOptions) {}

  /**
   * The usage of running container `id` (its full id), or undefined when its cgroup cannot be
   * read from this process (e.g. the kubelet runs in a container with its own cgroup namespace):
   * the caller then asks the runtime's API. Returns 'not-running' when the container does not run.
   */
  async usage(id: string, signal?: AbortSignal): Promise<CgroupUsage | 'not-running' | undefined> {
    const { mounts } = this.options;
    if (!mounts) return undefined;
    const known = this.locations.get(id);
    if (known === null) return undefined;
    if (known) {
      const usage = readCgroupUsage(known);
      if (usage) return usage;
      // Gone: it stopped (or was moved); look again below.
    } else {
      const guessed = cgroupFiles(mounts, dockerCgroupPath(this.options.driver, id));
      const usage = guessed && readCgroupUsage(guessed);
      if (guessed && usage) {
        this.locations.set(id, guessed);
        return usage;
      }
    }
    const pid = await this.options.pidOf(id, signal);
    if (!pid) {
      this.locations.delete(id);
      return 'not-running';
    }
    const files = await readFile(`/proc/${pid}/cgroup`, 'utf8').then(
      (text) => cgroupFiles(mounts, parseProcCgroup(text)),
      () => undefined,
    );
    const usage = files && readCgroupUsage(files);
    this.locations.set(id, usage ? files! : null);
    return usage;
  }

  /** Forgets every container not in `ids` (call with the running ones after each listing). */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.locations.keys()) if (!ids.has(id)) this.locations.delete(id);
  }
}
