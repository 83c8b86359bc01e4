import type { ContainerStatsSample } from '@skiff/runtime';
import { podUsages, sumUsage } from './pod-usage';

const web = { uid: 'u-web', namespace: 'default', name: 'web' };
const db = { uid: 'u-db', namespace: 'apps', name: 'db' };

function sample(id: string, pod: typeof web, name: string, cpuSeconds: number, memoryMi: number, ms: number): ContainerStatsSample {
  return { id, pod, name, cpuUsageNanos: cpuSeconds * 1e9, memoryWorkingSetBytes: memoryMi * 2 ** 20, timestamp: new Date(ms) };
}

describe('podUsages', () => {
  const first = [sample('a', web, 'app', 10, 50, 1_000), sample('b', web, 'sidecar', 1, 10, 1_000), sample('c', db, 'db', 0, 200, 1_000)];
  const previous = new Map(first.map((s) => [s.id, s]));

  it('reports nothing from a single pass: a rate needs two samples', () => {
    expect(podUsages(new Map(), first)).toEqual([]);
  });

  it('sums each pod\'s containers: CPU rate since the previous pass, working set now', () => {
    const second = [sample('a', web, 'app', 10.5, 60, 2_000), sample('b', web, 'sidecar', 1.1, 10, 2_000), sample('c', db, 'db', 2, 210, 2_000)];
    const pods = podUsages(previous, second);
    expect(pods.map((p) => p.pod.name)).toEqual(['db', 'web']); // by namespace, then name
    const webUsage = pods[1];
    expect(webUsage.containers.map((c) => [c.name, c.usageNanoCores, c.workingSetBytes])).toEqual([
      ['app', 5e8, 60 * 2 ** 20],
      ['sidecar', 1e8, 10 * 2 ** 20],
    ]);
    expect(webUsage.total).toEqual({ time: new Date(2_000), usageNanoCores: 6e8, usageCoreNanoSeconds: 11.6e9, windowMs: 1_000, workingSetBytes: 70 * 2 ** 20 });
    expect(pods[0].total.usageNanoCores).toBe(2e9);
  });

  it('leaves out a pod until every running container of it has a rate (a restarted one is a new container)', () => {
    const second = [sample('a', web, 'app', 11, 60, 2_000), sample('b2', web, 'sidecar', 0, 10, 2_000), sample('c', db, 'db', 1, 210, 2_000)];
    expect(podUsages(previous, second).map((p) => p.pod.name)).toEqual(['db']);
  });

  it('sums nothing to nothing', () => {
    expect(sumUsage([])).toBeUndefined();
  });
});
