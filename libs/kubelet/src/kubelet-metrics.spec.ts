import type { Pod } from '@skiff/api';
import { HollowRuntime, ImagePullError } from '@skiff/runtime';
import pino from 'pino';
import { Registry } from 'prom-client';
import { InstrumentedRuntime } from './instrumented-runtime';
import { createKubeletMetrics } from './kubelet-metrics';

/** The kubelet metrics over a HollowRuntime, read back from the registry as Prometheus text. */
const pod = (uid: string) => ({ metadata: { name: `p-${uid}`, namespace: 'default', uid }, spec: { containers: [{ name: 'main', image: 'img:1' }] } }) as unknown as Pod;

function setup() {
  const registry = new Registry();
  const hollow = new HollowRuntime({ nodeName: 'n1', pullable: (image) => !image.includes('missing') });
  const metrics = createKubeletMetrics(registry, hollow, pino({ level: 'silent' }));
  return { registry, hollow, metrics, runtime: new InstrumentedRuntime(hollow, metrics) };
}

/** The value of one sample line, e.g. `kubelet_running_pods` or `x{a="b"}`; undefined when absent. */
async function sample(registry: Registry, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('kubelet metrics', () => {
  it('counts runtime operations and their errors by operation type, not calls the kubelet aborted', async () => {
    const { registry, runtime } = setup();
    await runtime.runPodSandbox(pod('u1'));
    await runtime.ensureImage('img:1', 'IfNotPresent');
    await expect(runtime.ensureImage('missing:1', 'IfNotPresent')).rejects.toBeInstanceOf(ImagePullError);
    const aborted = new AbortController();
    aborted.abort();
    await expect(runtime.ensureImage('img:1', 'Always', aborted.signal)).rejects.toThrow();
    await expect(runtime.startContainer('no-such-id')).rejects.toThrow();
    expect(await sample(registry, 'kubelet_runtime_operations_total{operation_type="pull_image"}')).toBe(3);
    expect(await sample(registry, 'kubelet_runtime_operations_errors_total{operation_type="pull_image"}')).toBe(1);
    expect(await sample(registry, 'kubelet_runtime_operations_total{operation_type="run_podsandbox"}')).toBe(1);
    expect(await sample(registry, 'kubelet_runtime_operations_errors_total{operation_type="run_podsandbox"}')).toBeUndefined();
    expect(await sample(registry, 'kubelet_runtime_operations_errors_total{operation_type="start_container"}')).toBe(1);
    expect(await sample(registry, 'kubelet_runtime_operations_duration_seconds_count{operation_type="pull_image"}')).toBe(3);
  });

  it('reads running pods and containers by state from the runtime when scraped', async () => {
    const { registry, hollow, metrics } = setup();
    expect(await sample(registry, 'kubelet_running_pods')).toBe(0);
    for (const uid of ['u1', 'u2']) {
      const p = pod(uid);
      const sandbox = await hollow.runPodSandbox(p);
      const id = await hollow.createContainer(sandbox, p.spec!.containers[0], { attempt: 0 });
      if (uid === 'u1') await hollow.startContainer(id);
    }
    const [running] = (await hollow.listContainers({ podUid: 'u1' })).filter((c) => c.state === 'running');
    hollow.exit(running.id, 1);
    await hollow.runPodSandbox(pod('u3'));
    await hollow.stopPodSandbox((await hollow.listPodSandboxes({ podUid: 'u3' }))[0].id);
    expect(await sample(registry, 'kubelet_running_pods')).toBe(2);
    expect(await sample(registry, 'kubelet_running_containers{container_state="exited"}')).toBe(1);
    expect(await sample(registry, 'kubelet_running_containers{container_state="created"}')).toBe(1);
    expect(await sample(registry, 'kubelet_running_containers{container_state="running"}')).toBe(0);
    metrics.podStartSeconds.observe(1.5);
    expect(await sample(registry, 'kubelet_pod_start_duration_seconds_bucket{le="2"}')).toBe(1);
  });
});
