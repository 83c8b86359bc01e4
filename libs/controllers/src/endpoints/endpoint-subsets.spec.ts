import { intOrString, type Pod, type Service, type ServicePort } from '@skiff/api';
import { endpointHostname, endpointsLabels, endpointSubsets, findTargetPort, HEADLESS_LABEL, sameLabels, sameSubsets } from './endpoint-subsets';

interface PodOptions {
  ip?: string;
  ready?: boolean;
  terminating?: boolean;
  phase?: string;
  ports?: { name?: string; containerPort: number; protocol?: string; hostPort?: number }[];
  published?: { containerPort: number; hostPort: number; protocol?: string }[];
}

function pod(name: string, o: PodOptions = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...(o.terminating ? { deletionTimestamp: new Date(0) } : {}) },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox', ports: (o.ports ?? [{ name: 'http', containerPort: 8080 }]).map((p) => ({ name: p.name ?? '', containerPort: p.containerPort, protocol: p.protocol ?? 'TCP', hostPort: p.hostPort ?? 0, hostIP: '' })) }] },
    status: {
      phase: o.phase ?? 'Running',
      podIP: o.ip ?? '',
      hostIP: '127.0.0.1',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      publishedPorts: (o.published ?? []).map((p) => ({ name: '', containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol ?? 'TCP', hostIP: '127.0.0.1' })),
    },
  } as unknown as Pod;
}

function service(ports: Partial<ServicePort>[], extra: Partial<Service['spec']> = {}): Service {
  return {
    metadata: { name: 'web', namespace: 'default', labels: { team: 'a' } },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.0.20', ports: ports.map((p) => ({ name: '', protocol: 'TCP', port: 80, nodePort: 0, ...p })), ...extra },
  } as unknown as Service;
}

const ips = (addresses: { ip: string }[]) => addresses.map((a) => a.ip);

describe('findTargetPort', () => {
  const p = pod('a', { ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] });
  it('takes a number as is, and the service port when unset', () => {
    expect(findTargetPort(p, { name: '', protocol: 'TCP', port: 80, nodePort: 0, targetPort: intOrString(9000) })).toBe(9000);
    expect(findTargetPort(p, { name: '', protocol: 'TCP', port: 80, nodePort: 0 })).toBe(80);
  });
  it('looks a name up among the container ports of the same protocol', () => {
    expect(findTargetPort(p, { name: '', protocol: 'TCP', port: 80, nodePort: 0, targetPort: intOrString('http') })).toBe(8080);
    expect(findTargetPort(p, { name: '', protocol: 'UDP', port: 53, nodePort: 0, targetPort: intOrString('dns') })).toBe(53);
    expect(findTargetPort(p, { name: '', protocol: 'TCP', port: 53, nodePort: 0, targetPort: intOrString('dns') })).toBeUndefined();
    expect(findTargetPort(p, { name: '', protocol: 'TCP', port: 80, nodePort: 0, targetPort: intOrString('nope') })).toBeUndefined();
  });
});

describe('endpointSubsets', () => {
  it('puts ready pods in addresses and not-ready ones in notReadyAddresses, leaving out pods without IP, terminating or terminal', () => {
    const subsets = endpointSubsets(service([{ targetPort: intOrString('http') }]), [
      pod('b', { ip: '172.17.0.3' }),
      pod('a', { ip: '172.17.0.2' }),
      pod('c', { ip: '172.17.0.4', ready: false }),
      pod('d', { ip: '' }),
      pod('e', { ip: '172.17.0.6', terminating: true }),
      pod('f', { ip: '172.17.0.7', phase: 'Succeeded' }),
    ]);
    expect(subsets).toHaveLength(1);
    expect(ips(subsets[0].addresses)).toEqual(['172.17.0.2', '172.17.0.3']);
    expect(ips(subsets[0].notReadyAddresses)).toEqual(['172.17.0.4']);
    expect(subsets[0].ports).toEqual([{ name: '', port: 8080, protocol: 'TCP' }]);
    expect(subsets[0].addresses[0]).toMatchObject({ nodeName: 'node-1', hostIP: '127.0.0.1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } });
  });

  it('with publishNotReadyAddresses lists every pod with an IP as ready, terminating ones too', () => {
    const subsets = endpointSubsets(service([{ port: 80 }], { publishNotReadyAddresses: true }), [pod('a', { ip: '10.0.0.1', ready: false }), pod('b', { ip: '10.0.0.2', terminating: true })]);
    expect(ips(subsets[0].addresses)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(subsets[0].notReadyAddresses).toEqual([]);
  });

  it('groups pods by their resolved port set and leaves out pods lacking the named port', () => {
    const svc = service([{ name: 'web', targetPort: intOrString('http') }]);
    const subsets = endpointSubsets(svc, [
      pod('a', { ip: '10.0.0.1', ports: [{ name: 'http', containerPort: 8080 }] }),
      pod('b', { ip: '10.0.0.2', ports: [{ name: 'http', containerPort: 9090 }] }),
      pod('c', { ip: '10.0.0.3', ports: [{ name: 'other', containerPort: 8080 }] }),
      pod('d', { ip: '10.0.0.4', ports: [{ name: 'http', containerPort: 8080 }] }),
    ]);
    expect(subsets.map((s) => [s.ports.map((p) => p.port), ips(s.addresses)])).toEqual([
      [[8080], ['10.0.0.1', '10.0.0.4']],
      [[9090], ['10.0.0.2']],
    ]);
  });

  it('sorts ports by name and gives addresses no host ports (pods are reached at their IP)', () => {
    const svc = service([
      { name: 'b-metrics', port: 9100, targetPort: intOrString(9100) },
      { name: 'a-http', port: 80, targetPort: intOrString(8080) },
    ]);
    const subsets = endpointSubsets(svc, [pod('a', { ip: '10.0.0.1', published: [{ containerPort: 8080, hostPort: 40001 }, { containerPort: 9100, hostPort: 40002 }] })]);
    expect(subsets[0].ports.map((p) => p.name)).toEqual(['a-http', 'b-metrics']);
    expect(subsets[0].addresses[0].hostPorts).toEqual([]);
  });

  it('lists a headless service without ports with no ports, and nothing for other services without ports', () => {
    expect(endpointSubsets(service([], { clusterIP: 'None' }), [pod('a', { ip: '10.0.0.1' })])).toMatchObject([{ ports: [], addresses: [{ ip: '10.0.0.1' }] }]);
    expect(endpointSubsets(service([]), [pod('a', { ip: '10.0.0.1' })])).toEqual([]);
  });

  it('gives equal output for pods in any order (no-op resyncs write nothing)', () => {
    const svc = service([{ targetPort: intOrString('http') }]);
    const pods = [pod('a', { ip: '10.0.0.2' }), pod('b', { ip: '10.0.0.1', ready: false }), pod('c', { ip: '10.0.0.3', ports: [{ name: 'http', containerPort: 1 }] })];
    const one = endpointSubsets(svc, pods);
    const two = endpointSubsets(svc, [...pods].reverse());
    expect(sameSubsets(one, two)).toBe(true);
    expect(sameSubsets(one, endpointSubsets(svc, pods.slice(1)))).toBe(false);
  });
});

describe('sameSubsets', () => {
  it('treats unset and default fields alike (as they come back from the apiserver)', () => {
    const built = endpointSubsets(service([{ port: 80 }]), [pod('a', { ip: '10.0.0.1' })]);
    const decoded = structuredClone(built);
    delete (decoded[0].addresses[0].targetRef as { apiVersion?: string }).apiVersion;
    expect(sameSubsets(built, decoded)).toBe(true);
  });
});

describe('endpointsLabels', () => {
  it("copies the service's labels and marks headless services", () => {
    expect(endpointsLabels(service([]))).toEqual({ team: 'a' });
    expect(endpointsLabels(service([], { clusterIP: 'None' }))).toEqual({ team: 'a', [HEADLESS_LABEL]: '' });
    expect(sameLabels({ a: '1' }, { a: '1' })).toBe(true);
    expect(sameLabels({ a: '1' }, { a: '1', b: '' })).toBe(false);
  });
});

describe('endpointHostname', () => {
  const named = (hostname: string, subdomain: string, namespace = 'default') => {
    const p = pod('web-0', { ip: '10.244.1.5' });
    p.metadata!.namespace = namespace;
    Object.assign(p.spec!, { hostname, subdomain });
    return p;
  };

  it("carries the pod's hostname when its subdomain names the service (as Kubernetes), and nothing otherwise", () => {
    const headless = service([], { clusterIP: 'None' });
    expect(endpointHostname(named('web-0', 'web'), headless)).toBe('web-0');
    expect(endpointHostname(named('web-0', 'other'), headless)).toBe('');
    expect(endpointHostname(named('', 'web'), headless)).toBe('');
    expect(endpointHostname(named('web-0', 'web', 'team-b'), headless)).toBe('');
    const [subset] = endpointSubsets(headless, [named('web-0', 'web'), pod('other', { ip: '10.244.1.6' })]);
    expect(subset.addresses.map((a) => [a.ip, a.hostname])).toEqual([
      ['10.244.1.5', 'web-0'],
      ['10.244.1.6', ''],
    ]);
  });
});
