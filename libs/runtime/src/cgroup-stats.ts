/**
 * Container usage from cgroup files, as cAdvisor reads them for the kubelet (pure parsing; the
 * reads are in cgroup-reader.ts). Both hierarchies:
 *   v1: cpuacct/<path>/cpuacct.usage (ns), memory/<path>/memory.usage_in_bytes and memory.stat
 *       (total_inactive_file)
 *   v2: <path>/cpu.stat (usage_usec), <path>/memory.current and memory.stat (inactive_file)
 * Working set = usage - inactive file cache (0 when the cache exceeds the usage), Kubernetes'
 * container_memory_working_set_bytes.
 *
 * Where a Docker container's cgroup is: with the cgroupfs driver `/<parent>/<id>` (parent
 * "docker" unless dockerd or the container set another), with the systemd driver
 * `/system.slice/docker-<id>.scope`; otherwise its /proc/<pid>/cgroup says.
 */

/** The cgroup hierarchies this process sees (from /proc/self/mountinfo). */
export type CgroupMounts =
  | { version: 1; /** mount point of the hierarchy with cpuacct */ cpuacct: string; /** ... and of memory */ memory: string; /** cgroup path at each mount's root */ roots: { cpuacct: string; memory: string } }
  | { version: 2; /** the unified hierarchy's mount point */ root: string; /** cgroup path at its root */ rootPath: string };

/** One reading of a container's cgroup. */
export interface CgroupUsage {
  /** Cumulative CPU time, ns. */
  cpuUsageNanos: number;
  /** Memory charged to the cgroup (page cache included), bytes. */
  memoryUsageBytes: number;
  /** Inactive file-backed pages, bytes (reclaimable first). */
  inactiveFileBytes: number;
}

/** The files a reading needs (v1 and v2 name different files). */
export interface CgroupFiles {
  version: 1 | 2;
  cpu: string;
  memoryUsage: string;
  memoryStat: string;
}

/** Working set = usage - inactive_file, never below 0 (cAdvisor's rule). */
export function workingSetBytes(usage: Readonly<CgroupUsage>): number {
  return Math.max(0, usage.memoryUsageBytes - usage.inactiveFileBytes);
}

/** "key value" lines (memory.stat, cpu.stat) as numbers; lines that do not parse are skipped. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}

/** A single-number file (cpuacct.usage, memory.current); throws on anything else. */
export function parseSingleNumber(text: string, file: string): number {
  const value = text.trim();
  if (!/^\d+$/.test(value)) throw new Error(`${file}: expected a number, got "${value.slice(0, 40)}"`);
  return Number(value);
}

/**
 * A reading from the contents of the files `cgroupFiles` names. Throws a plain Error when a
 * file is malformed (e.g. cpu.stat without usage_usec).
 */
export function parseCgroupUsage(version: 1 | 2, contents: { cpu: string; memoryUsage: string; memoryStat: string }): CgroupUsage {
  const stat = parseFlatKeyed(contents.memoryStat);
  if (version === 1) {
    return {
      cpuUsageNanos: parseSingleNumber(contents.cpu, 'cpuacct.usage'),
      memoryUsageBytes: parseSingleNumber(contents.memoryUsage, 'memory.usage_in_bytes'),
      inactiveFileBytes: stat.total_inactive_file ?? stat.inactive_file ?? 0,
    };
  }
  const usec = parseFlatKeyed(contents.cpu).usage_usec;
  if (usec === undefined) throw new Error('cpu.stat: no usage_usec');
  return {
    cpuUsageNanos: usec * 1000,
    memoryUsageBytes: parseSingleNumber(contents.memoryUsage, 'memory.current'),
    inactiveFileBytes: stat.inactive_file ?? 0,
  };
}

/** Unescapes mountinfo's octal escapes (\040 is a space). */
function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The hierarchies holding CPU and memory accounting, from /proc/self/mountinfo: v1 when both the
 * cpuacct and memory controllers are mounted as v1 (also on hybrid hosts, whose v2 mount then has
 * no controllers), else the cgroup2 mount; undefined when neither is visible.
 */
export function parseMountInfo(text: string): CgroupMounts | undefined {
  let cpuacct: { mount: string; root: string } | undefined;
  let memory: { mount: string; root: string } | undefined;
  let unified: { mount: string; root: string } | undefined;
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions = ''] = right.split(' ');
    const entry = { root: unescapeMount(fields[3] ?? '/'), mount: unescapeMount(fields[4] ?? '') };
    if (fsType === 'cgroup2') unified ??= entry;
    else if (fsType === 'cgroup') {
      const options = superOptions.split(',');
      if (options.includes('cpuacct')) cpuacct ??= entry;
      if (options.includes('memory')) memory ??= entry;
    }
  }
  if (cpuacct && memory) return { version: 1, cpuacct: cpuacct.mount, memory: memory.mount, roots: { cpuacct: cpuacct.root, memory: memory.root } };
  if (unified) return { version: 2, root: unified.mount, rootPath: unified.root };
  return undefined;
}

/**
 * A process's cgroup paths by controller, from /proc/<pid>/cgroup ("4:memory:/docker/abc",
 * "0::/docker/abc" for v2, whose controller key is '').
 */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    for (const controller of match[1].split(',')) out.set(controller, match[2]);
  }
  return out;
}

/**
 * The cgroup path Docker gives container `id` under its cgroup driver when the container sets no
 * CgroupParent ('docker' under cgroupfs, 'system.slice' under systemd, as dockerd defaults).
 */
export function dockerCgroupPath(driver: string, id: string, parent = ''): string {
  if (driver === 'systemd') return `/${parent || 'system.slice'}/docker-${id}.scope`;
  return `/${(parent || 'docker').replace(/^\/+|\/+$/g, '')}/${id}`;
}

/** Joins a mount point and a cgroup path seen from a mount whose root is `root` (undefined: not below it). */
function under(mount: string, root: string, path: string): string | undefined {
  if (root !== '/' && path !== root && !path.startsWith(`${root}/`)) return undefined;
  const relative = root === '/' ? path : path.slice(root.length);
  return `${mount}${relative}`.replace(/\/+$/, '');
}

/**
 * The files to read for the cgroup at `paths` (a path for every controller, or per controller as
 * parseProcCgroup gives them); undefined when the cgroup lies outside what the mounts show (e.g.
 * the kubelet runs in a container with its own cgroup namespace).
 */
export function cgroupFiles(mounts: CgroupMounts, paths: string | ReadonlyMap<string, string>): CgroupFiles | undefined {
  const pathOf = (controller: string) => (typeof paths === 'string' ? paths : paths.get(controller));
  if (mounts.version === 2) {
    const path = pathOf('');
    const dir = path === undefined ? undefined : under(mounts.root, mounts.rootPath, path);
    if (dir === undefined) return undefined;
    return { version: 2, cpu: `${dir}/cpu.stat`, memoryUsage: `${dir}/memory.current`, memoryStat: `${dir}/memory.stat` };
  }
  const cpuPath = pathOf('cpuacct');
  const memoryPath = pathOf('memory');
  const cpuDir = cpuPath === undefined ? undefined : under(mounts.cpuacct, mounts.roots.cpuacct, cpuPath);
  const memoryDir = memoryPath === undefined ? undefined : under(mounts.memory, mounts.roots.memory, memoryPath);
  if (cpuDir === undefined || memoryDir === undefined) return undefined;
  return { version: 1, cpu: `${cpuDir}/cpuacct.usage`, memoryUsage: `${memoryDir}/memory.usage_in_bytes`, memoryStat: `${memoryDir}/memory.stat` };
}
