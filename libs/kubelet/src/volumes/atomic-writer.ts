/**
 * Writes a volume's files so that readers never see a partial update, as Kubernetes'
 * pkg/volume/util/atomic_writer.go (configMap, secret, downwardAPI and projected volumes):
 *
 *   <target>/..2026_12_07_03_51_57.1234567   a timestamped hidden dir holding one full version
 *   <target>/..data -> ..2026_12_07_...      which version is current (swapped atomically)
 *   <target>/<name> -> ..data/<name>         the entries users see, one per top-level name
 *
 * Write(payload):
 *   1. validate and clean the paths (relative, no `..`, nothing starting with `..`);
 *   2. compare with the current version: same files, bytes, modes (and group): nothing is
 *      written, false is returned (apart from re-creating a missing top-level symlink);
 *   3. write every file into a new timestamped dir (modes set exactly, umask ignored; with an
 *      fsGroup: that group and Kubernetes' fsGroup modes, see projection.ts fsGroupMode);
 *   4. create `..data_tmp -> <new dir>` and rename it over `..data` (the atomic switch);
 *   5. create the missing top-level symlinks, remove those no longer in the payload;
 *   6. remove the old timestamped dir; true is returned.
 * A reader that opens `<target>/<path>` always gets a whole version: the old one (its open file
 * stays readable after its directory is removed) or the new one.
 *
 * CONTRACT: `targetDir` must exist. Throws AtomicWriteError for an invalid path, and the file
 * system's errors otherwise; a failed write leaves the previous version in place (a half-written
 * timestamped dir may remain; the next write creates a fresh one). Not safe for two writers of
 * the same target at once: the caller serializes writes per volume.
 */
import { randomInt } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fsGroupMode, type Payload } from './projection';

/** The payload could not be written as given (an invalid path, a file where a directory must be). */
export class AtomicWriteError extends Error {
  override readonly name = 'AtomicWriteError';
}

export const DATA_DIR_NAME = '..data';
const DATA_DIR_TMP_NAME = '..data_tmp';
const MAX_FILE_NAME_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;
const DIR_MODE = 0o755;
const PERM_BITS = 0o7777;

export interface AtomicWriteOptions {
  /** The pod's fsGroup: every entry gets this group and Kubernetes' fsGroup modes. */
  fsGroup?: number;
}

/**
 * Kubernetes' validatePath: why `relPath` cannot be a payload path, or undefined when it can
 * (non-empty, relative, no `..` element, not starting with `..`, length limits).
 */
export function invalidPathReason(relPath: string): string | undefined {
  if (relPath === '') return `invalid path: must not be empty: "${relPath}"`;
  if (relPath.startsWith('/')) return `invalid path: must be relative path: ${relPath}`;
  if (relPath.length > MAX_PATH_LENGTH) return `invalid path: must be less than or equal to ${MAX_PATH_LENGTH} characters`;
  const items = relPath.split('/');
  for (const item of items) {
    if (item === '..') return `invalid path: must not contain '..': ${relPath}`;
    if (item.length > MAX_FILE_NAME_LENGTH) return `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME_LENGTH} characters`;
  }
  if (items[0].startsWith('..') && items[0].length > 2) return `invalid path: must not start with '..': ${relPath}`;
  return undefined;
}

/**
 * The payload with its paths validated (invalidPathReason) and cleaned as Go's path.Clean
 * (`a//b/` -> `a/b`, `./a` -> `a`): no empty or `.` segments remain. Throws AtomicWriteError.
 */
export function cleanPayload(payload: Readonly<Payload>): Payload {
  const out: Payload = {};
  for (const [relPath, file] of Object.entries(payload)) {
    const reason = invalidPathReason(relPath);
    if (reason) throw new AtomicWriteError(reason);
    const clean = path.posix.normalize(relPath).replace(/\/+$/, '');
    if (clean === '.' || clean === '') throw new AtomicWriteError(`invalid path: must not be empty: "${relPath}"`);
    out[clean] = { data: file.data, mode: file.mode };
  }
  return out;
}

/** `..YYYY_MM_DD_HH_MM_SS.` in UTC, the prefix of Kubernetes' timestamped dirs. */
export function timestampDirPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

/** Every parent directory of the payload's paths (`a/b/c` -> `a`, `a/b`). */
function parentDirs(paths: Iterable<string>): Set<string> {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return dirs;
}

function topLevel(relPath: string): string {
  return relPath.split('/')[0];
}

/** Writes one volume's directory; see the module comment. */
export class AtomicWriter {
  constructor(
    readonly targetDir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Writes `payload` (see the module comment); resolves true when anything changed. */
  async write(payload: Readonly<Payload>, opts: AtomicWriteOptions = {}): Promise<boolean> {
    const gid = opts.fsGroup;
    const files = cleanPayload(payload);
    if (gid !== undefined) for (const f of Object.values(files)) f.mode = fsGroupMode(f.mode, { dir: false, readOnly: true });
    await fs.stat(this.targetDir);

    const oldTsName = await readlinkOrUndefined(path.join(this.targetDir, DATA_DIR_NAME));
    const oldTsPath = oldTsName ? path.join(this.targetDir, oldTsName) : undefined;
    const oldEntries = oldTsPath ? await walk(oldTsPath) : undefined;
    const wantedDirs = parentDirs(Object.keys(files));
    const oldTop = new Set([...(oldEntries?.keys() ?? [])].filter((p) => !p.includes('/')));
    const newTop = new Set(Object.keys(files).map(topLevel));
    const stale = [...oldTop].filter((name) => !newTop.has(name));

    if (oldEntries && !(await this.differs(files, wantedDirs, oldTsPath!, oldEntries, gid))) {
      await this.createUserVisibleFiles(newTop, gid);
      return false;
    }

    const tsPath = await this.newTimestampDir(gid);
    await this.writePayload(tsPath, files, gid);
    const tmpLink = path.join(this.targetDir, DATA_DIR_TMP_NAME);
    await fs.rm(tmpLink, { force: true });
    await fs.symlink(path.basename(tsPath), tmpLink);
    if (gid !== undefined) await fs.lchown(tmpLink, -1, gid);
    await fs.rename(tmpLink, path.join(this.targetDir, DATA_DIR_NAME));
    await this.createUserVisibleFiles(newTop, gid);
    for (const name of stale) await fs.rm(path.join(this.targetDir, name), { force: true });
    if (oldTsPath) await fs.rm(oldTsPath, { recursive: true, force: true });
    return true;
  }

  /** True when the current version is not exactly `files` (bytes, modes, group, no extra entries). */
  private async differs(files: Payload, wantedDirs: Set<string>, oldTsPath: string, oldEntries: Map<string, 'file' | 'dir' | 'other'>, gid: number | undefined): Promise<boolean> {
    for (const [p, kind] of oldEntries) {
      if (kind === 'dir' ? !wantedDirs.has(p) : !(p in files)) return true;
    }
    for (const [p, file] of Object.entries(files)) {
      if (oldEntries.get(p) !== 'file') return true;
      const full = path.join(oldTsPath, p);
      const st = await fs.lstat(full);
      if ((st.mode & PERM_BITS) !== file.mode || st.size !== file.data.length) return true;
      if (gid !== undefined && st.gid !== gid) return true;
      if (!(await fs.readFile(full)).equals(file.data)) return true;
    }
    return false;
  }

  private async newTimestampDir(gid: number | undefined): Promise<string> {
    const prefix = timestampDirPrefix(this.now());
    for (;;) {
      const tsPath = path.join(this.targetDir, `${prefix}${randomInt(0, 2 ** 32 - 1)}`);
      try {
        await fs.mkdir(tsPath, { mode: DIR_MODE });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      await this.ownDir(tsPath, gid);
      return tsPath;
    }
  }

  private async ownDir(dir: string, gid: number | undefined): Promise<void> {
    if (gid !== undefined) await fs.chown(dir, -1, gid);
    await fs.chmod(dir, gid === undefined ? DIR_MODE : fsGroupMode(DIR_MODE, { dir: true, readOnly: true }));
  }

  private async writePayload(tsPath: string, files: Payload, gid: number | undefined): Promise<void> {
    const dirs = [...parentDirs(Object.keys(files))].sort();
    for (const p of Object.keys(files)) if (dirs.includes(p)) throw new AtomicWriteError(`invalid payload: ${p} is both a file and a directory`);
    for (const d of dirs) {
      const full = path.join(tsPath, d);
      try {
        await fs.mkdir(full, { mode: DIR_MODE });
      } catch (err) {
        throw new AtomicWriteError(`cannot create directory ${d}: ${(err as NodeJS.ErrnoException).code}`, { cause: err });
      }
      await this.ownDir(full, gid);
    }
    for (const [p, file] of Object.entries(files)) {
      const full = path.join(tsPath, p);
      const handle = await fs.open(full, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, file.mode & 0o777);
      try {
        await handle.writeFile(file.data);
        if (gid !== undefined) await handle.chown(-1, gid);
        await handle.chmod(file.mode);
      } finally {
        await handle.close();
      }
    }
  }

  /** Creates `<name> -> ..data/<name>` for each top-level name that has no entry yet. */
  private async createUserVisibleFiles(names: Iterable<string>, gid: number | undefined): Promise<void> {
    for (const name of names) {
      const visible = path.join(this.targetDir, name);
      try {
        await fs.lstat(visible);
        continue;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      await fs.symlink(`${DATA_DIR_NAME}/${name}`, visible);
      if (gid !== undefined) await fs.lchown(visible, -1, gid);
    }
  }
}

async function readlinkOrUndefined(link: string): Promise<string | undefined> {
  try {
    return await fs.readlink(link);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EINVAL') return undefined;
    throw err;
  }
}

/** Every entry under `dir` by relative path, or undefined when `dir` does not exist. */
async function walk(dir: string): Promise<Map<string, 'file' | 'dir' | 'other'> | undefined> {
  const out = new Map<string, 'file' | 'dir' | 'other'>();
  const visit = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.set(p, 'dir');
        await visit(p);
      } else out.set(p, e.isFile() ? 'file' : 'other');
    }
  };
  try {
    await visit('');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
  return out;
}
