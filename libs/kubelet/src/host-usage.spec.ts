import { parseMeminfoWorkingSet, parseProcStatCpuNanos } from './host-usage';

describe('machine usage from /proc', () => {
  it('counts busy CPU time of /proc/stat (not idle, not iowait) in ns', () => {
    const stat = 'cpu  100 5 50 10000 30 2 3 4 0 0\ncpu0 50 2 25 5000 15 1 1 2 0 0\nintr 12345\n';
    expect(parseProcStatCpuNanos(stat)).toBe((100 + 5 + 50 + 2 + 3 + 4) * 1e7);
    expect(() => parseProcStatCpuNanos('intr 1\n')).toThrow('cpu');
  });

  it('takes the working set as MemTotal - MemFree - Inactive(file)', () => {
    const meminfo = 'MemTotal:       16000000 kB\nMemFree:         4000000 kB\nMemAvailable:   10000000 kB\nInactive(file):  2000000 kB\n';
    expect(parseMeminfoWorkingSet(meminfo)).toBe(10_000_000 * 1024);
    expect(() => parseMeminfoWorkingSet('Cached: 1 kB\n')).toThrow('MemTotal');
  });
});
