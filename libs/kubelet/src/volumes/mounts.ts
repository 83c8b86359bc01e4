/**
 * The node's mount table and tmpfs mounts for volumes (emptyDir medium Memory, Secret and
 * projected volumes), through util-linux `mount`/`umount` (the kubelet runs as root).
 *
 * CONTRACT: readMountInfo reads /proc/self/mountinfo (the kubelet's own mount namespace, which
 * dockerd shares); mountTmpfs and unmount throw MountError carrying the command's stderr.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A mount or unmount failed. */
export class MountError extends Error {
  override readonly name = 'MountError';
}

/** One line of /proc/self/mountinfo. */
export interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
  /** The file system's own options, as `size=65536k,mode=1777`. */
  superOptions: string;
}

/** The kernel's octal escapes in mountinfo fields (`\040` is a space). */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Parses /proc/<pid>/mountinfo: `36 35 98:0 /root /mnt/point rw,noatime shared:1 - ext4 /dev/x rw`
 * (optional fields before ` - `). Lines that do not parse are skipped. Pure.
 */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const head = line.slice(0, sep).split(' ');
    const tail = line.slice(sep + 3).split(' ');
    if (head.length < 6 || tail.length < 3) continue;
    out.push({ mountPoint: unescapeOctal(head[4]), fsType: tail[0], source: unescapeOctal(tail[1]), superOptions: tail[2] });
  }
  return out;
}

/** The current mount table of this process's mount namespace. */
export async function readMountInfo(): Promise<MountInfo[]> {
  return parseMountInfo(await fs.readFile('/proc/self/mountinfo', 'utf8'));
}

/**
 * Mounts a fresh tmpfs at `dir` (which must exist): `size=<bytes>` when `sizeBytes` > 0 (else the
 * kernel's default, half the memory), mode 1777 as Kubernetes' tmpfs volumes.
 */
export async function mountTmpfs(dir: string, sizeBytes: number): Promise<void> {
  const options = ['mode=1777'];
  if (sizeBytes > 0) options.unshift(`size=${Math.ceil(sizeBytes)}`);
  try {
    await run('mount', ['-t', 'tmpfs', '-o', options.join(','), 'tmpfs', dir]);
  } catch (err) {
    throw new MountError(`mount tmpfs at ${dir} failed: ${stderrOf(err)}`, { cause: err });
  }
}

/** Bind-mounts `source` (a path, or a /proc/<pid>/fd/<n> handle) at `target`, which must exist. */
export async function bindMount(source: string, target: string): Promise<void> {
  try {
    await run('mount', ['--bind', source, target]);
  } catch (err) {
    throw new MountError(`bind mount at ${target} failed: ${stderrOf(err)}`, { cause: err });
  }
}

/** Whether something is mounted exactly at `dir` (/proc/self/mountinfo). */
export async function isMountedAt(dir: string): Promise<boolean> {
  return (await readMountInfo()).some((m) => m.mountPoint === dir);
}

/** Unmounts the file system mounted at `dir`. */
export async function unmount(dir: string): Promise<void> {
  try {
    await run('umount', [dir]);
  } catch (err) {
    throw new MountError(`umount ${dir} failed: ${stderrOf(err)}`, { cause: err });
  }
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim();
}
