import { withoutPod } from '../framework/node-info';
import { nodeInfo, podInfo } from '../test-objects.spec-helper';
import { ERR_REASON_PORTS, nodePortsFilter, portsConflict } from './node-ports';

describe('NodePorts', () => {
  it('refuses a node where the host port is taken', () => {
    const node = nodeInfo('n', {}, [podInfo('a', { hostPort: 8080 })]);
    expect(nodePortsFilter.filter(podInfo('p', { hostPort: 8080 }), node).reasons).toEqual([ERR_REASON_PORTS]);
    expect(nodePortsFilter.filter(podInfo('p', { hostPort: 8081 }), node).code).toBe('Success');
    expect(nodePortsFilter.filter(podInfo('p'), node).code).toBe('Success');
  });

  it('uses Kubernetes overlap rules for protocol and host IP', () => {
    const p = (protocol: string, hostIP: string, port = 80) => ({ protocol, hostIP, port });
    expect(portsConflict(p('TCP', '0.0.0.0'), p('TCP', '10.0.0.1'))).toBe(true);
    expect(portsConflict(p('TCP', '10.0.0.1'), p('TCP', '10.0.0.1'))).toBe(true);
    expect(portsConflict(p('TCP', '10.0.0.1'), p('TCP', '10.0.0.2'))).toBe(false);
    expect(portsConflict(p('TCP', '0.0.0.0'), p('UDP', '0.0.0.0'))).toBe(false);
    expect(portsConflict(p('TCP', '0.0.0.0'), p('TCP', '0.0.0.0', 81))).toBe(false);
  });

  it('frees the port when the pod leaves the node', () => {
    const node = nodeInfo('n', {}, [podInfo('a', { hostPort: 8080 })]);
    expect(nodePortsFilter.filter(podInfo('p', { hostPort: 8080 }), withoutPod(node, 'uid-a')).code).toBe('Success');
  });
});
