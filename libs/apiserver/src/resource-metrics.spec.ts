import { Node, Pod, type PodStats } from '@skiff/api';
import { nodeMetricsOf, podMetricsOf } from './resource-metrics';

const time = new Date('2025-01-01T00:00:10Z');
const window = { seconds: 10, nanos: 5_000_000 };

describe('metrics.k8s.io objects from kubelet summaries', () => {
  it('builds PodMetrics: the pod\'s identity and labels, each container\'s usage as quantities, timestamp and window', () => {
    const pod = Pod.fromPartial({ metadata: { name: 'web', namespace: 'shop', uid: 'u1', labels: { app: 'web' } } });
    const stats: PodStats = {
      podRef: { namespace: 'shop', name: 'web', uid: 'u1' },
      containers: [{ name: 'main', cpu: { time, usageNanoCores: 2.5e8, usageCoreNanoSeconds: 9e9, window }, memory: { time, workingSetBytes: 100 * 2 ** 20 } }],
      cpu: { time, usageNanoCores: 2.5e8, usageCoreNanoSeconds: 9e9, window },
      memory: { time, workingSetBytes: 100 * 2 ** 20 },
    };
    expect(podMetricsOf(pod, stats)).toMatchObject({
      metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
      timestamp: time,
      window,
      containers: [{ name: 'main', usage: { cpu: '250m', memory: '100Mi' } }],
    });
  });

  it('builds NodeMetrics once the kubelet has a CPU rate', () => {
    const node = Node.fromPartial({ metadata: { name: 'n1', labels: { zone: 'a' } } });
    expect(nodeMetricsOf(node, { nodeName: 'n1', cpu: { time, usageNanoCores: 1.5e9, usageCoreNanoSeconds: 1, window }, memory: { time, workingSetBytes: 2 ** 30 } })).toMatchObject({
      metadata: { name: 'n1', labels: { zone: 'a' } },
      timestamp: time,
      window,
      usage: { cpu: '1500m', memory: '1Gi' },
    });
    expect(nodeMetricsOf(node, { nodeName: 'n1', cpu: undefined, memory: undefined })).toBeUndefined();
    expect(nodeMetricsOf(node, undefined)).toBeUndefined();
  });
});
