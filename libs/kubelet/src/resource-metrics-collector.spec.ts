import { Container, type Pod } from '@skiff/api';
import { HollowRuntime } from '@skiff/runtime';
import { createLogger } from '@skiff/service';
import { parseNodeUsageSource, ResourceMetricsCollector } from './resource-metrics-collector';
import { statsSummary } from './stats-summary';

const log = createLogger('test', 'silent');
const container = (name: string): Container => Container.fromPartial({ name, image: 'busybox', imagePullPolicy: 'IfNotPresent' });
const pod = (name: string, uid: string, containers: Container[]): Pod => ({ metadata: { name, namespace: 'default', uid } as Pod['metadata'], spec: { containers } as Pod['spec'] });

async function runPod(runtime: HollowRuntime, p: Pod): Promise<string[]> {
  const sandbox = await runtime.runPodSandbox(p);
  const ids: string[] = [];
  for (const c of p.spec?.containers ?? []) {
    const id = await runtime.createContainer(sandbox, c, { attempt: 0 });
    await runtime.startContainer(id);
    ids.push(id);
  }
  return ids;
}

describe('ResourceMetricsCollector', () => {
  it("rates every running container between passes and sums the node's pods", async () => {
    let now = 100_000;
    const runtime = new HollowRuntime({ nodeName: 'n1', now: () => now });
    const [web, sidecar] = await runPod(runtime, pod('web', 'u1', [container('web'), container('sidecar')]));
    const [busy] = await runPod(runtime, pod('busy', 'u2', [container('busy')]));
    runtime.setUsage(web, { cpuMillis: 250, memoryBytes: 100 * 2 ** 20 });
    runtime.setUsage(sidecar, { cpuMillis: 10, memoryBytes: 5 * 2 ** 20 });
    runtime.setUsage(busy, { cpuMillis: 500, memoryBytes: 1 * 2 ** 20 });
    const collector = new ResourceMetricsCollector({ runtime, resolutionMs: 1_000, now: () => new Date(now), log });

    expect(await collector.collect()).toEqual({ node: undefined, pods: [] });
    now += 1_000;
    const snapshot = await collector.collect();
    expect(snapshot.pods.map((p) => [p.pod.name, p.total.usageNanoCores, p.total.workingSetBytes, p.total.windowMs])).toEqual([
      ['busy', 5e8, 1 * 2 ** 20, 1_000],
      ['web', 2.6e8, 105 * 2 ** 20, 1_000],
    ]);
    expect(snapshot.node).toMatchObject({ time: new Date(now), usageNanoCores: 7.6e8, workingSetBytes: 106 * 2 ** 20, windowMs: 1_000 });
    expect(collector.latest()).toBe(snapshot);

    const summary = statsSummary('n1', snapshot, collector.resolutionMs);
    expect(summary.node).toMatchObject({ nodeName: 'n1', cpu: { usageNanoCores: 7.6e8, window: { seconds: 1, nanos: 0 } }, memory: { workingSetBytes: 106 * 2 ** 20 } });
    expect(summary.pods[1]).toMatchObject({
      podRef: { namespace: 'default', name: 'web', uid: 'u1' },
      containers: [{ name: 'sidecar', cpu: { usageNanoCores: 1e7 } }, { name: 'web', cpu: { usageNanoCores: 2.5e8 }, memory: { workingSetBytes: 100 * 2 ** 20 } }],
    });
    expect(summary.resolution).toEqual({ seconds: 1, nanos: 0 });

    runtime.exit(busy, 0);
    now += 1_500;
    expect((await collector.collect()).pods.map((p) => p.pod.name)).toEqual(['web']);
  });

  it("reports the machine's usage with nodeUsage 'machine'", async () => {
    let cpu = 0;
    let now = 0;
    const readHost = async () => ({ cpuUsageNanos: (cpu += 3e9), memoryWorkingSetBytes: 2 ** 30, timestamp: new Date((now += 2_000)) });
    const collector = new ResourceMetricsCollector({ runtime: new HollowRuntime({ nodeName: 'n1' }), nodeUsage: 'machine', readHost, log });
    expect((await collector.collect()).node).toBeUndefined();
    expect((await collector.collect()).node).toMatchObject({ usageNanoCores: 1.5e9, workingSetBytes: 2 ** 30, windowMs: 2_000 });
    expect(() => parseNodeUsageSource('host')).toThrow('pods or machine');
  });
});
