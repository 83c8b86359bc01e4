/**
 * Service environment variables (Kubernetes' kubelet getServiceEnvVarMap and pkg/kubelet/envvars):
 * each app container starts with `<NAME>_SERVICE_HOST` / `_SERVICE_PORT` (and Docker-link style
 * `<NAME>_PORT...`) for the services it can see, taken from the kubelet's Service cache at the
 * moment the container is created (a container created before a service exists never sees it, as
 * in Kubernetes; a later restart does).
 */
import type { Container, Pod, Service } from '@skiff/api';

/** The namespace whose master services every pod sees (Kubernetes' metav1.NamespaceDefault). */
export const MASTER_SERVICE_NAMESPACE = 'default';
/** Services of MASTER_SERVICE_NAMESPACE every pod sees, even with enableServiceLinks false. */
export const MASTER_SERVICE_NAMES: readonly string[] = ['kubernetes'];

/** True when the service has a virtual IP (not headless "None", not unallocated ""). */
export function isServiceIPSet(service: Readonly<Service>): boolean {
  const ip = service.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

/** `my-svc` -> `MY_SVC`: upper case, '-' -> '_' (Kubernetes' makeEnvVariableName). */
export function envVariableName(name: string): string {
  return name.replaceAll('-', '_').toUpperCase();
}

/**
 * The services whose variables a pod in `namespace` gets, by name: those of its own namespace
 * when `enableServiceLinks` is true, and the master services of the default namespace always
 * (a service of the pod's own namespace wins over a master service of the same name). Services
 * without a cluster IP are left out.
 */
export function visibleServices(services: readonly Readonly<Service>[], namespace: string, enableServiceLinks: boolean): Readonly<Service>[] {
  const byName = new Map<string, Readonly<Service>>();
  for (const service of services) {
    if (!isServiceIPSet(service)) continue;
    const name = service.metadata?.name ?? '';
    const ns = service.metadata?.namespace || 'default';
    if (ns === MASTER_SERVICE_NAMESPACE && MASTER_SERVICE_NAMES.includes(name)) {
      if (!byName.has(name)) byName.set(name, service);
    } else if (ns === namespace && enableServiceLinks) {
      byName.set(name, service);
    }
  }
  return [...byName.values()];
}

/**
 * The variables of one service (Kubernetes' envvars.FromServices): `<NAME>_SERVICE_HOST`,
 * `<NAME>_SERVICE_PORT` (first port), `<NAME>_SERVICE_PORT_<PORTNAME>` per named port, and the
 * Docker-link ones: `<NAME>_PORT=<proto>://<ip>:<port>` (first port) and per port
 * `<NAME>_PORT_<port>_<PROTO>` with `_PROTO`, `_PORT`, `_ADDR`. Empty for a service without a cluster IP.
 */
export function serviceEnvVars(service: Readonly<Service>): [string, string][] {
  if (!isServiceIPSet(service)) return [];
  const ip = service.spec?.clusterIP ?? '';
  const prefix = envVariableName(service.metadata?.name ?? '');
  const ports = service.spec?.ports ?? [];
  const vars: [string, string][] = [[`${prefix}_SERVICE_HOST`, ip]];
  if (ports.length === 0) return vars;
  vars.push([`${prefix}_SERVICE_PORT`, String(ports[0].port)]);
  for (const p of ports) if (p.name) vars.push([`${prefix}_SERVICE_PORT_${envVariableName(p.name)}`, String(p.port)]);
  const hostPort = ip.includes(':') ? `[${ip}]:` : `${ip}:`; // net.JoinHostPort
  ports.forEach((p, i) => {
    const protocol = (p.protocol || 'TCP').toLowerCase();
    const url = `${protocol}://${hostPort}${p.port}`;
    if (i === 0) vars.push([`${prefix}_PORT`, url]);
    const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
    vars.push([portPrefix, url], [`${portPrefix}_PROTO`, protocol], [`${portPrefix}_PORT`, String(p.port)], [`${portPrefix}_ADDR`, ip]);
  });
  return vars;
}

/**
 * Every service variable the pods of `pod`'s namespace see (visibleServices; enableServiceLinks
 * defaults to true), before the container's own env is applied over them (container-env.ts).
 */
export function podServiceEnv(pod: Readonly<Pod>, services: readonly Readonly<Service>[]): Record<string, string> {
  const namespace = pod.metadata?.namespace || 'default';
  return Object.fromEntries(visibleServices(services, namespace, pod.spec?.enableServiceLinks ?? true).flatMap(serviceEnvVars));
}

/**
 * The service variables a container of `pod` is created with, given every cached Service: those
 * of visibleServices (enableServiceLinks defaults to true), minus any name the container's own
 * `env` declares (the pod's own env wins, valueFrom entries included).
 */
export function containerServiceEnv(pod: Readonly<Pod>, container: Readonly<Container>, services: readonly Readonly<Service>[]): Record<string, string> {
  const namespace = pod.metadata?.namespace || 'default';
  const own = new Set((container.env ?? []).map((e) => e.name));
  const env: Record<string, string> = {};
  for (const service of visibleServices(services, namespace, pod.spec?.enableServiceLinks ?? true)) {
    for (const [name, value] of serviceEnvVars(service)) if (!own.has(name)) env[name] = value;
  }
  return env;
}
