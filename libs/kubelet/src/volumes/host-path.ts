/**
 * hostPath volumes' `type` checks, as Kubernetes' pkg/volume/hostpath checkType:
 *
 *   type                check (the path itself, symlinks followed)
 *   "" (default)        none
 *   DirectoryOrCreate   created with 0755 (and parents) when missing, else must be a directory
 *   Directory           must be a directory
 *   FileOrCreate        created empty with 0644 when missing (its parent must exist), else must
 *                       be a file
 *   File                must be a regular file
 *   Socket              must be a UNIX socket
 *   CharDevice          must be a character device
 *   BlockDevice         must be a block device
 *
 * CONTRACT: throws HostPathTypeError with Kubernetes' message (`hostPath type check failed: /x
 * is not a directory`) when the check fails, and the file system's error when a create fails.
 */
import { constants as fsc, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';

/** The hostPath does not have the volume's type. */
export class HostPathTypeError extends Error {
  override readonly name = 'HostPathTypeError';
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Checks (and for the *OrCreate types creates) `hostPath` as its `type` says; see the module comment. */
export async function checkHostPathType(hostPath: string, type: string): Promise<void> {
  const fail = (what: string) => new HostPathTypeError(`hostPath type check failed: ${hostPath} is not a ${what}`);
  switch (type) {
    case '':
      // No check; a path that does not exist is made a directory (0755), as the container
      // runtime does for Kubernetes (containerd's CRI bind mounts), rather than failing the mount.
      if (!(await statOrUndefined(hostPath))) await fs.mkdir(hostPath, { recursive: true, mode: 0o755 });
      return;
    case 'DirectoryOrCreate':
    case 'Directory': {
      let st = await statOrUndefined(hostPath);
      if (!st && type === 'DirectoryOrCreate') {
        await fs.mkdir(hostPath, { recursive: true, mode: 0o755 });
        st = await statOrUndefined(hostPath);
      }
      if (!st?.isDirectory()) throw fail('directory');
      return;
    }
    case 'FileOrCreate':
    case 'File': {
      let st = await statOrUndefined(hostPath);
      if (!st && type === 'FileOrCreate') {
        // O_CREAT without O_EXCL, as Kubernetes' MakeFile: a file created meanwhile is kept.
        await (await fs.open(hostPath, fsc.O_RDONLY | fsc.O_CREAT, 0o644)).close();
        st = await statOrUndefined(hostPath);
      }
      if (!st?.isFile()) throw fail('file');
      return;
    }
    case 'Socket':
      if (!(await statOrUndefined(hostPath))?.isSocket()) throw fail('socket file');
      return;
    case 'CharDevice':
      if (!(await statOrUndefined(hostPath))?.isCharacterDevice()) throw fail('character device');
      return;
    case 'BlockDevice':
      if (!(await statOrUndefined(hostPath))?.isBlockDevice()) throw fail('block device');
      return;
    default:
      throw new HostPathTypeError(`${type} is an invalid volume type`);
  }
}
