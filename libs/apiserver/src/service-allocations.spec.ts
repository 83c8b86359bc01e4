import { Service } from '@skiff/api';
import { allocationKeysOf, keepAllocatedValues, needsNodePorts } from './service-allocations';

// Loose specs: fromPartial fills what a test leaves out.
const svc = (spec: object) => Service.fromPartial({ metadata: { name: 'web', namespace: 'default' }, spec: spec as never });

describe('service allocations', () => {
  it('lists the keys a service holds: its IP (not None) and its distinct node ports', () => {
    expect(allocationKeysOf(svc({ clusterIP: '10.96.0.5', ports: [{ port: 80 }] }))).toEqual(['/registry/ipallocations/10.96.0.5']);
    expect(allocationKeysOf(svc({ clusterIP: 'None', ports: [{ port: 80 }] }))).toEqual([]);
    const nodePorts = svc({ type: 'NodePort', clusterIP: '10.96.0.5', ports: [{ port: 53, protocol: 'TCP', nodePort: 30053 }, { port: 53, protocol: 'UDP', nodePort: 30053 }, { port: 80, nodePort: 30080 }] });
    expect(allocationKeysOf(nodePorts)).toEqual(['/registry/ipallocations/10.96.0.5', '/registry/servicenodeports/30053', '/registry/servicenodeports/30080']);
    expect(allocationKeysOf(undefined)).toEqual([]);
  });

  it('node ports come with NodePort and LoadBalancer', () => {
    expect(['ClusterIP', 'NodePort', 'LoadBalancer', undefined].map(needsNodePorts)).toEqual([false, true, true, false]);
  });

  it('keeps the allocated values an update leaves out', () => {
    const stored = svc({ type: 'NodePort', clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'], ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }, { port: 81, protocol: 'TCP', nodePort: 30081 }] });
    const next = svc({ type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }, { port: 81, protocol: 'UDP' }, { port: 82, protocol: 'TCP', nodePort: 30099 }] });
    keepAllocatedValues(next, stored);
    expect(next.spec!.clusterIP).toBe('10.96.0.5');
    expect(next.spec!.clusterIPs).toEqual(['10.96.0.5']);
    expect(next.spec!.ports.map((p) => p.nodePort)).toEqual([30080, 0, 30099]);
  });

  it('does not keep node ports when the type no longer needs them, nor override a sent clusterIP', () => {
    const stored = svc({ type: 'NodePort', clusterIP: '10.96.0.5', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] });
    const next = svc({ type: 'ClusterIP', clusterIP: '10.96.0.9', ports: [{ port: 80, protocol: 'TCP' }] });
    keepAllocatedValues(next, stored);
    expect(next.spec!.clusterIP).toBe('10.96.0.9');
    expect(next.spec!.ports[0].nodePort).toBe(0);
  });
});
