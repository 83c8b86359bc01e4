import { cgroupFiles, dockerCgroupPath, parseCgroupUsage, parseMountInfo, parseProcCgroup, workingSetBytes } from './cgroup-stats';

const ID = 'a'.repeat(64);

describe('cgroup usage parsing', () => {
  it('reads cgroup v1 files: cpuacct.usage in ns, working set = usage - total_inactive_file', () => {
    const usage = parseCgroupUsage(1, {
      cpu: '2562869851\n',
      memoryUsage: '104857600\n',
      memoryStat: 'cache 212992\nrss 61440\ninactive_file 0\ntotal_rss 61440\ntotal_inactive_file 4194304\n',
    });
    expect(usage).toEqual({ cpuUsageNanos: 2562869851, memoryUsageBytes: 104857600, inactiveFileBytes: 4194304 });
    expect(workingSetBytes(usage)).toBe(104857600 - 4194304);
  });

  it('reads cgroup v2 files: cpu.stat usage_usec, memory.current, inactive_file', () => {
    const usage = parseCgroupUsage(2, {
      cpu: 'usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\nnr_periods 10\n',
      memoryUsage: '2097152\n',
      memoryStat: 'anon 1048576\nfile 1048576\nactive_file 524288\ninactive_file 524288\n',
    });
    expect(usage).toEqual({ cpuUsageNanos: 1_500_000_000, memoryUsageBytes: 2097152, inactiveFileBytes: 524288 });
    expect(workingSetBytes(usage)).toBe(1572864);
  });

  it('never reports a negative working set, and refuses malformed files', () => {
    expect(workingSetBytes({ cpuUsageNanos: 0, memoryUsageBytes: 100, inactiveFileBytes: 300 })).toBe(0);
    expect(() => parseCgroupUsage(2, { cpu: 'user_usec 1\n', memoryUsage: '1', memoryStat: '' })).toThrow('usage_usec');
    expect(() => parseCgroupUsage(1, { cpu: 'max\n', memoryUsage: '1', memoryStat: '' })).toThrow('cpuacct.usage');
  });
});

describe('finding a container cgroup', () => {
  const v1 = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  const v2 = '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot';

  it('prefers the v1 cpuacct and memory hierarchies on a hybrid host, else the unified one', () => {
    expect(parseMountInfo(v1)).toEqual({ version: 1, cpuacct: '/sys/fs/cgroup/cpu,cpuacct', memory: '/sys/fs/cgroup/memory', roots: { cpuacct: '/', memory: '/' } });
    expect(parseMountInfo(v2)).toEqual({ version: 2, root: '/sys/fs/cgroup', rootPath: '/' });
    expect(parseMountInfo('22 1 8:1 / / rw - ext4 /dev/sda1 rw')).toBeUndefined();
  });

  it("places Docker's containers as its cgroup drivers do", () => {
    expect(dockerCgroupPath('cgroupfs', ID)).toBe(`/docker/${ID}`);
    expect(dockerCgroupPath('cgroupfs', ID, '/custom/')).toBe(`/custom/${ID}`);
    expect(dockerCgroupPath('systemd', ID)).toBe(`/system.slice/docker-${ID}.scope`);
  });

  it('names the files of a cgroup path in each hierarchy', () => {
    expect(cgroupFiles(parseMountInfo(v1)!, `/docker/${ID}`)).toEqual({
      version: 1,
      cpu: `/sys/fs/cgroup/cpu,cpuacct/docker/${ID}/cpuacct.usage`,
      memoryUsage: `/sys/fs/cgroup/memory/docker/${ID}/memory.usage_in_bytes`,
      memoryStat: `/sys/fs/cgroup/memory/docker/${ID}/memory.stat`,
    });
    expect(cgroupFiles(parseMountInfo(v2)!, `/system.slice/docker-${ID}.scope`)).toEqual({
      version: 2,
      cpu: `/sys/fs/cgroup/system.slice/docker-${ID}.scope/cpu.stat`,
      memoryUsage: `/sys/fs/cgroup/system.slice/docker-${ID}.scope/memory.current`,
      memoryStat: `/sys/fs/cgroup/system.slice/docker-${ID}.scope/memory.stat`,
    });
  });

  it('follows /proc/<pid>/cgroup per controller, and gives up on cgroups outside the mounts', () => {
    const paths = parseProcCgroup(`12:memory:/k/${ID}\n4:cpu,cpuacct:/k/${ID}\n0::/k/${ID}\n`);
    expect(paths.get('cpuacct')).toBe(`/k/${ID}`);
    expect(paths.get('')).toBe(`/k/${ID}`);
    expect(cgroupFiles(parseMountInfo(v1)!, paths)?.cpu).toBe(`/sys/fs/cgroup/cpu,cpuacct/k/${ID}/cpuacct.usage`);
    // A process in a container (its own cgroup namespace) sees only its own subtree.
    const nested = parseMountInfo('30 23 0:26 /docker/kubelet /sys/fs/cgroup rw - cgroup2 cgroup2 rw')!;
    expect(cgroupFiles(nested, `/docker/${ID}`)).toBeUndefined();
    expect(cgroupFiles(nested, '/docker/kubelet/child')?.cpu).toBe('/sys/fs/cgroup/child/cpu.stat');
  });
});
