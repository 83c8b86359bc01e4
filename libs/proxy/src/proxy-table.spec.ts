import { Endpoints, intOrString, Service, ServiceSpec, type ServicePort } from '@skiff/api';
import { backendsFor, proxyTable, type ProxyTableInput } from './proxy-table';

/** A Service of namespace default with ClusterIP 10.96.0.10 unless `spec` says otherwise. */
function service(name: string, spec: Partial<Omit<ServiceSpec, 'ports'>> & { ports: Partial<ServicePort>[] }): Service {
  const ports = spec.ports.map((p): ServicePort => ({ name: '', protocol: '', port: 0, nodePort: 0, targetPort: undefined, ...p }));
  const svc = Service.fromPartial({ metadata: { name, namespace: 'default' } });
  svc.spec = { ...ServiceSpec.fromPartial({ clusterIP: '10.96.0.10', type: 'ClusterIP' }), ...spec, ports };
  return svc;
}

const web = service('web', { ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: intOrString(8080) }] });

/** Endpoints of web: ready pods on three nodes (one of them with a host port, which does not matter), one not ready. */
const webEndpoints = Endpoints.fromPartial({
  metadata: { name: 'web', namespace: 'default' },
  subsets: [
    {
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      addresses: [
        { ip: '10.244.1.2', nodeName: 'node-1', hostIP: '192.0.2.1' },
        { ip: '10.244.2.3', nodeName: 'node-2', hostIP: '192.0.2.2', hostPorts: [40003] },
        { ip: '10.244.3.4', nodeName: 'node-3', hostIP: '192.0.2.3' },
      ],
      notReadyAddresses: [{ ip: '10.244.1.5', nodeName: 'node-1', hostIP: '192.0.2.1' }],
    },
  ],
});

function input(services: Service[], endpoints: Endpoints[] = [webEndpoints], extra: Partial<ProxyTableInput> = {}): ProxyTableInput {
  const byKey = new Map(endpoints.map((e) => [`${e.metadata?.namespace}/${e.metadata?.name}`, e]));
  return { services, endpointsOf: (key) => byKey.get(key), nodeIPs: ['127.0.0.1'], ...extra };
}

describe('proxyTable', () => {
  it('leaves out the sockets the proxy serves itself (cluster DNS), keeping the service\'s other ports', () => {
    const dns = service('kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', protocol: 'UDP', port: 53 }, { name: 'dns-tcp', protocol: 'TCP', port: 53 }, { name: 'metrics', protocol: 'TCP', port: 9153 }] });
    const table = proxyTable(input([dns], [], { reserved: new Set(['UDP/10.96.0.10:53', 'TCP/10.96.0.10:53']) }));
    expect(table.map((l) => l.id)).toEqual(['TCP/10.96.0.10:9153']);
  });

  it('listens on ClusterIP:port with podIP:targetPort of every ready endpoint, on any node, skipping not-ready ones', () => {
    expect(proxyTable(input([web]))).toEqual([
      {
        id: 'TCP/10.96.0.10:80',
        protocol: 'TCP',
        host: '10.96.0.10',
        port: 80,
        kind: 'cluster',
        service: 'default/web',
        portName: 'http',
        sessionAffinity: 'None',
        backends: [
          { host: '10.244.1.2', port: 8080 },
          { host: '10.244.2.3', port: 8080 },
          { host: '10.244.3.4', port: 8080 },
        ],
      },
    ]);
  });

  it('reaches an address without a node at its IP (a hand-made Endpoints)', () => {
    const manual = Endpoints.fromPartial({ metadata: { name: 'web', namespace: 'default' }, subsets: [{ ports: [{ name: 'http', port: 9000 }], addresses: [{ ip: '127.0.0.1' }] }] });
    expect(proxyTable(input([web], [manual]))[0]?.backends).toEqual([{ host: '127.0.0.1', port: 9000 }]);
  });

  it('adds nodeIP:nodePort listeners for NodePort services and keeps session affinity', () => {
    const np = service('np', { type: 'NodePort', sessionAffinity: 'ClientIP', clusterIP: '10.96.0.11', ports: [{ name: 'http', port: 80, nodePort: 30080, targetPort: intOrString(8080) }] });
    const table = proxyTable(input([np], [], { nodeIPs: ['127.0.0.1', '127.0.0.2'] }));
    expect(table.map((l) => [l.id, l.kind, l.sessionAffinity, l.service])).toEqual([
      ['TCP/10.96.0.11:80', 'cluster', 'ClientIP', 'default/np'],
      ['TCP/127.0.0.1:30080', 'node', 'ClientIP', 'default/np'],
      ['TCP/127.0.0.2:30080', 'node', 'ClientIP', 'default/np'],
    ]);
    expect(table.every((l) => l.backends.length === 0)).toBe(true);
  });

  it('matches endpoint ports by name and protocol, per port of a multi-port service', () => {
    const dns = service('dns', {
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: intOrString(5353) },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: intOrString(5353) },
      ],
    });
    const ep = Endpoints.fromPartial({
      metadata: { name: 'dns', namespace: 'default' },
      subsets: [
        {
          ports: [
            { name: 'dns', port: 5353, protocol: 'UDP' },
            { name: 'dns-tcp', port: 5354, protocol: 'TCP' },
          ],
          addresses: [{ ip: '10.244.2.9', nodeName: 'node-2', hostIP: '192.0.2.2' }],
        },
      ],
    });
    const table = proxyTable(input([dns], [ep]));
    expect(table.map((l) => [l.id, l.backends])).toEqual([
      ['TCP/10.96.0.10:53', [{ host: '10.244.2.9', port: 5354 }]],
      ['UDP/10.96.0.10:53', [{ host: '10.244.2.9', port: 5353 }]],
    ]);
  });

  it('skips headless services, services without a ClusterIP and services being deleted', () => {
    const headless = service('headless', { clusterIP: 'None', ports: [{ port: 80 }] });
    const none = service('none', { clusterIP: '', ports: [{ port: 80 }] });
    const deleting = Service.fromPartial({ ...web, metadata: { ...web.metadata, deletionTimestamp: new Date() } });
    expect(proxyTable(input([headless, none, deleting]))).toEqual([]);
  });

  it('gives a socket claimed twice to the first service by key', () => {
    const a = service('a', { clusterIP: '10.96.0.20', ports: [{ port: 80 }] });
    const b = service('b', { clusterIP: '10.96.0.20', ports: [{ port: 80 }] });
    expect(proxyTable(input([b, a], [])).map((l) => l.service)).toEqual(['default/a']);
  });
});

describe('backendsFor', () => {
  it('lists an address once when two subsets repeat it, and nothing without Endpoints', () => {
    const port = web.spec?.ports[0];
    if (!port) throw new Error('no port');
    const twice = Endpoints.fromPartial({ subsets: [webEndpoints.subsets[0] ?? {}, webEndpoints.subsets[0] ?? {}] });
    expect(backendsFor(port, twice)).toHaveLength(3);
    expect(backendsFor(port, undefined)).toEqual([]);
  });
});
