import type { Container, Pod, Service } from '@skiff/api';
import { containerServiceEnv, envVariableName, serviceEnvVars, visibleServices } from './service-env';

type PortSpec = { name?: string; port: number; protocol?: string };
const svc = (namespace: string, name: string, clusterIP: string, ports: PortSpec[] = [{ port: 80 }]): Service =>
  ({
    metadata: { namespace, name },
    spec: { clusterIP, ports: ports.map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? '', port: p.port, nodePort: 0 })) },
  }) as unknown as Service;
const pod = (namespace: string, enableServiceLinks?: boolean): Pod =>
  ({ metadata: { namespace, name: 'p' }, spec: { enableServiceLinks, containers: [] } }) as unknown as Pod;
const container = (env: { name: string; value: string }[] = []): Container => ({ name: 'c', image: 'i', env }) as unknown as Container;

describe('service env vars', () => {
  it('names variables as Kubernetes: upper case, dashes to underscores', () => {
    expect(envVariableName('my-web-svc')).toBe('MY_WEB_SVC');
  });

  it('gives host, first port, named ports and the Docker-link variables (Kubernetes envvars.FromServices)', () => {
    const vars = serviceEnvVars(svc('default', 'web-api', '10.96.0.20', [{ name: 'http', port: 80 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }]));
    expect(Object.fromEntries(vars)).toEqual({
      WEB_API_SERVICE_HOST: '10.96.0.20',
      WEB_API_SERVICE_PORT: '80',
      WEB_API_SERVICE_PORT_HTTP: '80',
      WEB_API_SERVICE_PORT_DNS_UDP: '53',
      WEB_API_PORT: 'tcp://10.96.0.20:80',
      WEB_API_PORT_80_TCP: 'tcp://10.96.0.20:80',
      WEB_API_PORT_80_TCP_PROTO: 'tcp',
      WEB_API_PORT_80_TCP_PORT: '80',
      WEB_API_PORT_80_TCP_ADDR: '10.96.0.20',
      WEB_API_PORT_53_UDP: 'udp://10.96.0.20:53',
      WEB_API_PORT_53_UDP_PROTO: 'udp',
      WEB_API_PORT_53_UDP_PORT: '53',
      WEB_API_PORT_53_UDP_ADDR: '10.96.0.20',
    });
    expect(vars.length).toBe(13); // no duplicate names
    expect(Object.fromEntries(serviceEnvVars(svc('default', 'v6', 'fd00::1')))['V6_PORT']).toBe('tcp://[fd00::1]:80');
  });

  it('leaves out headless and unallocated services', () => {
    expect(serviceEnvVars(svc('default', 'headless', 'None'))).toEqual([]);
    expect(serviceEnvVars(svc('default', 'pending', ''))).toEqual([]);
  });

  it('sees services of the pod namespace and the kubernetes service of default; enableServiceLinks false keeps only the latter', () => {
    const all = [svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443 }]), svc('default', 'web', '10.96.0.2'), svc('team', 'db', '10.96.0.3'), svc('other', 'x', '10.96.0.4')];
    const names = (list: readonly Service[]) => list.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`).sort();
    expect(names(visibleServices(all, 'team', true))).toEqual(['default/kubernetes', 'team/db']);
    expect(names(visibleServices(all, 'default', true))).toEqual(['default/kubernetes', 'default/web']);
    expect(names(visibleServices(all, 'team', false))).toEqual(['default/kubernetes']);
    // A same-named service of the pod's namespace wins over the master service.
    expect(visibleServices([...all, svc('team', 'kubernetes', '10.96.0.9')], 'team', true).find((s) => s.metadata?.name === 'kubernetes')?.spec?.clusterIP).toBe('10.96.0.9');
  });

  it("lets the container's own env win, and defaults enableServiceLinks to true", () => {
    const services = [svc('default', 'web', '10.96.0.2')];
    const env = containerServiceEnv(pod('default'), container([{ name: 'WEB_SERVICE_HOST', value: 'mine' }]), services);
    expect(env['WEB_SERVICE_HOST']).toBeUndefined();
    expect(env['WEB_SERVICE_PORT']).toBe('80');
    expect(containerServiceEnv(pod('default', false), container(), services)).toEqual({});
  });
});
