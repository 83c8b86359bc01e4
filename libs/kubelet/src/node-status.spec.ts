import type { RuntimeInfo } from '@skiff/runtime';
import { buildNode, buildNodeLease, buildNodeStatus, nodeAllocatable, nodeCapacity, NODE_LEASE_NAMESPACE } from './node-status';

const runtime: RuntimeInfo = { runtime: 'hollow', version: 'hollow://0.1.0', cpus: 4, memoryBytes: 8 * 2 ** 30, os: 'linux', arch: 'amd64', kernelVersion: 'k', osImage: 'Hollow' };
const params = { nodeName: 'node-1', nodeIP: '127.0.0.1', hostname: 'box', kubeletPort: 10250, runtime };

describe('node status', () => {
  it('takes capacity from the runtime or the flags, and subtracts the reservation', () => {
    expect(nodeCapacity(runtime)).toEqual({ cpu: '4', memory: '8388608Ki', pods: '110' });
    expect(nodeCapacity(runtime, { cpu: '2', memory: '1Gi', pods: 10 })).toEqual({ cpu: '2', memory: '1Gi', pods: '10' });
    expect(nodeAllocatable({ cpu: '2', memory: '1Gi', pods: '10' }, { cpu: '500m', memory: '256Mi' })).toEqual({ cpu: '1500m', memory: '786432Ki', pods: '10' });
    expect(nodeAllocatable({ cpu: '1', memory: '1Gi', pods: '10' }, { cpu: '2' })).toMatchObject({ cpu: '0' });
  });

  it('builds a Ready node with labels, addresses, the kubelet endpoint and node info', () => {
    const t0 = new Date(1_000);
    const node = buildNode(params, t0);
    expect(node.metadata?.labels).toEqual({ 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
    expect(node.status?.addresses).toEqual([{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'box' }]);
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.port).toBe(10250);
    expect(node.status?.nodeInfo).toMatchObject({ containerRuntimeVersion: 'hollow://0.1.0', operatingSystem: 'linux', architecture: 'amd64' });
    expect(node.status?.conditions[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: t0, lastTransitionTime: t0 });
    // a later heartbeat keeps the transition time
    const later = buildNodeStatus(params, new Date(5_000), node.status);
    expect(later.conditions[0]).toMatchObject({ lastHeartbeatTime: new Date(5_000), lastTransitionTime: t0 });
  });

  it('registers the --node-labels over the well-known labels, and the --register-with-taints', () => {
    const taints = [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule', timeAdded: undefined }];
    const node = buildNode({ ...params, labels: { disk: 'ssd', 'kubernetes.io/arch': 'arm64' }, taints }, new Date(1_000));
    expect(node.metadata?.labels).toEqual({ 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64', disk: 'ssd' });
    expect(node.spec?.taints).toEqual(taints);
    expect(buildNode(params, new Date(1_000)).spec?.taints).toEqual([]);
  });

  it('builds the heartbeat lease in skiff-node-lease', () => {
    const lease = buildNodeLease('node-1', new Date(1_000));
    expect(lease.metadata).toMatchObject({ name: 'node-1', namespace: NODE_LEASE_NAMESPACE });
    expect(lease.spec).toMatchObject({ holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: new Date(1_000), acquireTime: new Date(1_000) });
    const renewed = buildNodeLease('node-1', new Date(2_000), lease);
    expect(renewed.spec).toMatchObject({ renewTime: new Date(2_000), acquireTime: new Date(1_000) });
  });
});
