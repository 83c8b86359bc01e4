import { cpuRate } from './cpu-rate';

const at = (ms: number) => new Date(ms);

describe('cpuRate', () => {
  it('is the CPU time used between two samples over the time between them', () => {
    // 0.5 s of CPU in 1 s: half a core.
    expect(cpuRate({ cpuUsageNanos: 2e9, timestamp: at(10_000) }, { cpuUsageNanos: 2.5e9, timestamp: at(11_000) })).toEqual({ nanoCores: 5e8, windowMs: 1_000 });
    // 3 s of CPU in 2 s on a multi-core machine: 1.5 cores.
    expect(cpuRate({ cpuUsageNanos: 0, timestamp: at(0) }, { cpuUsageNanos: 3e9, timestamp: at(2_000) })).toEqual({ nanoCores: 1.5e9, windowMs: 2_000 });
  });

  it('has no rate without time between the samples or when the counter went backwards', () => {
    expect(cpuRate({ cpuUsageNanos: 1, timestamp: at(5) }, { cpuUsageNanos: 2, timestamp: at(5) })).toBeUndefined();
    expect(cpuRate({ cpuUsageNanos: 9e9, timestamp: at(0) }, { cpuUsageNanos: 1e9, timestamp: at(1_000) })).toBeUndefined();
  });
});
