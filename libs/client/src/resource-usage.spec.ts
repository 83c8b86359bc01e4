import { PodMetrics } from '@skiff/api';
import { podResourceUsage } from './resource-usage';

const timestamp = new Date('2025-01-01T00:00:00Z');
const metrics = (name: string, containers: [string, string, string][]) =>
  PodMetrics.fromPartial({ metadata: { name, namespace: 'default' }, timestamp, window: { seconds: 10, nanos: 500_000_000 }, containers: containers.map(([n, cpu, memory]) => ({ name: n, usage: { cpu, memory } })) });

describe('pod resource usage', () => {
  it('sums containers, CPU rounded up to millicores per container, memory in bytes', () => {
    const pod = metrics('web', [['app', '250000001n', '100Mi'], ['sidecar', '12u', '1000Ki']]);
    expect(podResourceUsage(pod)).toEqual({ cpuMillis: 251 + 1, memoryBytes: 100 * 2 ** 20 + 1000 * 1024, timestamp, windowMs: 10_500 });
    expect(podResourceUsage(pod, 'app')).toMatchObject({ cpuMillis: 251, memoryBytes: 100 * 2 ** 20 });
    expect(podResourceUsage(pod, 'nope')).toBeUndefined();
  });
});
