/**
 * A Skiff cluster on test hosts (see test-hosts.ts): every component on its own "machine".
 *
 *   control plane host (cp)       etcd :2379, NATS :4222 (JetStream), apiserver :6443,
 *                                 scheduler, controller-manager (node IPAM from clusterCidr)
 *   worker hosts (w1, w2, ...)    its own dockerd, a kubelet (--node-ip/--listen on the host's
 *                                 address, the sandbox image from the network's registry) and
 *                                 a proxy (its node, pod routes, cluster DNS)
 *
 * Highly available (options.ha), instead of the one control plane host:
 *   store hosts (s1, s2, s3, ...) an etcd member and a NATS server each (one etcd cluster, one
 *                                 NATS cluster with clustered JetStream; the watch stream at R3)
 *   control hosts (c1, c2, ...)   an apiserver, a scheduler and a controller-manager each, on
 *                                 every etcd and NATS address; scheduler and controller-manager
 *                                 elect a leader (their Lease identity is the host's name), and
 *                                 every component and the CLI get every apiserver's address
 *
 * The test process stays in the root namespace and reaches the apiserver at the control plane's
 * address over the bridge; `cli()` runs the built CLI against it. Each component is the built app
 * (ensureAppBuilt) started with only `--config <file>.yaml` (keys: the camelCase flag names) when
 * the app accepts --config, else with the same settings as flags. A setting the built app does
 * not know yet (a flag another change is adding) is left out with a warning on stderr, so the
 * cluster still starts and tests fail on what is missing rather than on start-up.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureAppBuilt } from './built-app';
import { httpOk, nodeReady, runCli, serviceAccountExists } from './cluster';
import { startEtcdCluster, type EtcdCluster } from './etcd-cluster';
import { startNatsCluster, type NatsCluster } from './nats-cluster';
import type { TestProcess } from './process';
import { createTestNetwork, type TestHost, type TestNetwork } from './test-hosts';
import { waitFor } from './wait-for';

/** A component's settings: camelCase flag name -> value (lists as arrays). */
export type ComponentSettings = Record<string, string | string[] | undefined>;

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const appFlags = new Map<string, { config: boolean; flags: Set<string> }>();

/** The flags the built app `main` declares (from its --help), and whether it takes --config. */
function flagsOf(main: string): { config: boolean; flags: Set<string> } {
  let known = appFlags.get(main);
  if (!known) {
    let help = '';
    try {
      help = execFileSync(process.execPath, [main, '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    } catch (err) {
      help = String((err as { stdout?: string }).stdout ?? '');
    }
    const flags = new Set([...help.matchAll(/(?:^|\s)--([a-z][a-z0-9-]*)/g)].map((m) => m[1] as string));
    known = { config: flags.has('config'), flags };
    appFlags.set(main, known);
  }
  return known;
}

const warned = new Set<string>();

/**
 * The arguments that start built app `main` with `settings`: `['--config', file]` (the settings
 * written to `file` as YAML) when the app takes a config file, else one flag per setting.
 * Settings the app does not declare are left out (warned once on stderr).
 */
export function componentLaunchArgs(main: string, settings: ComponentSettings, file: string): string[] {
  const { config, flags } = flagsOf(main);
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (!flags.has(kebab(name))) {
      const what = `${main} --${kebab(name)}`;
      if (!warned.has(what)) process.stderr.write(`multi-host cluster: ${what} is not a flag of the built app; left out\n`);
      warned.add(what);
      continue;
    }
    kept[name] = value;
  }
  if (config) {
    writeFileSync(file, stringify(kept));
    return ['--config', file];
  }
  return Object.entries(kept).flatMap(([name, value]) => [`--${kebab(name)}`, Array.isArray(value) ? value.join(',') : value]);
}

export interface MultiHostClusterOptions {
  /** Worker hosts to start (default 2), named w1, w2, ... */
  workers?: number;
  /** The cluster CIDR node IPAM gives each Node a /24 of (default 10.244.0.0/16). */
  clusterCidr?: string;
  /** The service CIDR (default 10.96.0.0/16); cluster DNS at its .10. */
  serviceCidr?: string;
  /** Extra settings per component (camelCase flag names), e.g. { nodeMonitorGracePeriod: '4' } for the controller-manager. */
  apiserver?: ComponentSettings;
  scheduler?: ComponentSettings;
  controllerManager?: ComponentSettings;
  kubelet?: ComponentSettings;
  proxy?: ComponentSettings;
  /** Log level of every component (default "warn"). */
  logLevel?: string;
  /** Readiness deadline of each step (default 60 s). */
  timeoutMs?: number;
  /**
   * A highly available control plane: `stores` hosts (s1, ...) with an etcd member and a NATS
   * server each, and `controlPlanes` hosts (c1, ...) with an apiserver, scheduler and
   * controller-manager each. Unset: one host "cp" runs one of everything.
   */
  ha?: { stores: number; controlPlanes: number };
}

/** A control plane process on a host that a fault test can kill and start again. */
export interface HostProcess {
  /** e.g. "apiserver (c1)" */
  readonly name: string;
  readonly host: TestHost;
  /** The process running now (restart() replaces it). */
  readonly process: TestProcess;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts it again with the same config file; resolves once it is healthy. */
  restart(): Promise<void>;
}

/** A host running an apiserver, a scheduler and a controller-manager. */
export interface ControlPlaneHost {
  host: TestHost;
  /** The apiserver's gRPC address, "<ip>:6443". */
  address: string;
  /** The apiserver's /metrics and /healthz, "http://<ip>:6480". */
  apiserverMetrics: string;
  apiserver: HostProcess;
  /** Its Lease identity is the host's name. */
  scheduler: HostProcess;
  /** Its Lease identity is the host's name. */
  controllerManager: HostProcess;
}

/** A worker machine of the cluster. */
export interface ClusterWorker {
  /** The Node name (the host's name). */
  name: string;
  host: TestHost;
  /** Its dockerd's socket (for `host.docker([...])` or a Docker client). */
  dockerSocket: string;
  kubelet: TestProcess;
  proxy: TestProcess;
}

/** A cluster on test hosts; stop() it in afterAll. */
export interface MultiHostCluster {
  network: TestNetwork;
  /** The (first) control plane host. */
  controlPlane: TestHost;
  /** Every host running an apiserver, scheduler and controller-manager. */
  controlPlanes: ControlPlaneHost[];
  /** With options.ha: the etcd and NATS clusters on the store hosts (their members can be killed and restarted). */
  etcd?: EtcdCluster;
  nats?: NatsCluster;
  /** Every apiserver's gRPC address, comma separated (what --server and the CLI take). */
  address: string;
  /** Every NATS and etcd URL, comma separated. */
  natsUrl: string;
  etcdUrl: string;
  clusterCidr: string;
  serviceCidr: string;
  /** The cluster DNS address the proxies serve and kubelets give pods. */
  clusterDns: string;
  /** The test image as hosts pull it: `${network.registry}/skiff/busybox:latest`. */
  image: string;
  /** The built CLI. */
  cliPath: string;
  /**
   * Control plane processes by name as started (etcd, nats, apiserver, scheduler, controller-manager;
   * with options.ha "apiserver (c1)" and so on, and etcd and NATS are in `etcd`/`nats`). A
   * restart() replaces a HostProcess's process: use controlPlanes for fault tests.
   */
  controlPlaneProcesses: Map<string, TestProcess>;
  /** Workers by name (removed ones are gone). */
  workers: Map<string, ClusterWorker>;
  /**
   * The control plane whose apiserver's watch publisher stored the newest revision (its
   * skiff_apiserver_watch_published_revision): the one publishing now (they race; the other
   * follows). Rejects when no apiserver reports the metric.
   */
  publishingControlPlane(): Promise<ControlPlaneHost>;
  /** Runs the built CLI against the apiserver; stdout, or a rejection on a non-zero exit. */
  cli(args: string[], timeoutMs?: number): Promise<string>;
  /** Adds a worker host (next name w<N>: never reused) and resolves once its Node is Ready and its proxy healthy. */
  addWorker(name?: string): Promise<ClusterWorker>;
  /** Removes a worker as a machine that dies: every process of it SIGKILLed, its namespace, dockerd and files gone. */
  removeWorker(name: string): Promise<void>;
  /** Everything each component printed, by process name. */
  allOutput(): Map<string, string>;
  /** Removes every host and the network (see TestNetwork.destroy). Safe to call twice. */
  stop(): Promise<void>;
}

/** An apiserver's skiff_apiserver_watch_published_revision at `metricsUrl` (0 when it does not answer or has not published). */
export async function apiserverPublishedRevision(metricsUrl: string): Promise<number> {
  try {
    const text = await (await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    return Number(/^skiff_apiserver_watch_published_revision(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const ETCD_PORT = 2379;
const NATS_PORT = 4222;
const API_PORT = 6443;

/**
 * Starts a cluster on test hosts: a control plane host (etcd, NATS, apiserver, scheduler,
 * controller-manager) and `workers` worker hosts (dockerd, kubelet, proxy each), waiting for each
 * to be healthy and every Node Ready. The caller has made sure the test images are in the
 * machine's registry (ensureTestImages). On failure it removes everything and rejects with the
 * failing component's recent output.
 */
export async function startMultiHostCluster(options: MultiHostClusterOptions = {}): Promise<MultiHostCluster> {
  const logLevel = options.logLevel ?? 'warn';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const clusterCidr = options.clusterCidr ?? '10.244.0.0/16';
  const serviceCidr = options.serviceCidr ?? '10.96.0.0/16';
  const clusterDns = serviceCidr.replace(/\.0\/\d+$/, '.10');
  const mains = Object.fromEntries(['apiserver', 'scheduler', 'controller-manager', 'kubelet', 'proxy', 'skiff'].map((app) => [app, ensureAppBuilt(app)]));
  const cliPath = mains['skiff'] as string;
  const network = await createTestNetwork();
  const outputs: TestProcess[] = [];
  let etcdCluster: EtcdCluster | undefined;
  let natsCluster: NatsCluster | undefined;
  // The clusters' data dirs live outside the hosts' dirs: stop them (the hosts' removal kills their processes anyway).
  const stopAll = async () => {
    await network.destroy();
    await Promise.all([etcdCluster?.stop(), natsCluster?.stop()]);
  };
  try {
    const configDir = (host: TestHost) => {
      const dir = join(host.dir, 'config');
      mkdirSync(dir, { recursive: true });
      return dir;
    };
    const ready = async (what: string, child: TestProcess, check: () => Promise<boolean>) =>
      waitFor(what, async () => {
        if (!child.running) throw new Error(`${child.name} exited with code ${child.child.exitCode}:\n${child.recentOutput}`);
        return check();
      }, { timeoutMs, intervalMs: 100 }).catch((err: Error) => {
        throw new Error(`${err.message}\n${(err.cause as Error | undefined)?.message ?? ''}\n${child.name}:\n${child.recentOutput}`, { cause: err });
      });
    /** Starts built app `app` on `host` with `settings` (only a config file); healthy() tells when it is up. */
    const startComponent = (host: TestHost, app: string, settings: ComponentSettings, healthy: () => Promise<boolean>): HostProcess => {
      const main = mains[app] as string;
      const args = ['--enable-source-maps', main, ...componentLaunchArgs(main, { logLevel, ...settings }, join(configDir(host), `${app}.yaml`))];
      const spawnIt = () => {
        const child = host.spawn(app, process.execPath, args);
        outputs.push(child);
        return child;
      };
      const component: HostProcess = {
        name: `${app} (${host.name})`,
        host,
        process: spawnIt(),
        kill: () => component.process.kill(),
        async restart() {
          if (component.process.running) throw new Error(`${component.name} is running`);
          (component as { process: TestProcess }).process = spawnIt();
          await ready(`${component.name} to be healthy`, component.process, healthy);
        },
      };
      return component;
    };

    // etcd and NATS: one of each on "cp", or clusters on the store hosts.
    let etcdUrls: string[];
    let natsUrls: string[];
    const controlHosts: TestHost[] = [];
    if (options.ha) {
      const stores: TestHost[] = [];
      for (let i = 1; i <= options.ha.stores; i++) stores.push(await network.addHost(`s${i}`));
      for (let i = 1; i <= options.ha.controlPlanes; i++) controlHosts.push(await network.addHost(`c${i}`));
      [etcdCluster, natsCluster] = await Promise.all([
        startEtcdCluster(stores.length, { hosts: stores, timeoutMs }),
        startNatsCluster(stores.length, { hosts: stores, timeoutMs }),
      ]);
      etcdUrls = etcdCluster.endpoints;
      natsUrls = natsCluster.urls;
    } else {
      const cp = await network.addHost('cp');
      controlHosts.push(cp);
      etcdUrls = [`http://${cp.ip}:${ETCD_PORT}`];
      const peer = `http://${cp.ip}:2380`;
      const etcd = cp.spawn('etcd', 'etcd', [
        '--name', 'cp', '--data-dir', join(cp.dir, 'etcd'),
        '--listen-client-urls', etcdUrls[0], '--advertise-client-urls', etcdUrls[0],
        '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `cp=${peer}`,
        '--logger', 'zap', '--log-level', 'error',
      ]);
      natsUrls = [`nats://${cp.ip}:${NATS_PORT}`];
      const nats = cp.spawn('nats', 'nats-server', ['-js', '-a', cp.ip, '-p', String(NATS_PORT), '-m', '8222', '-sd', join(cp.dir, 'nats')]);
      outputs.push(etcd, nats);
      await Promise.all([
        ready('etcd to be healthy', etcd, () => httpOk(`${etcdUrls[0]}/health`)),
        ready('NATS to be healthy', nats, () => httpOk(`http://${cp.ip}:8222/healthz`)),
      ]);
    }

    const addresses = controlHosts.map((host) => `${host.ip}:${API_PORT}`);
    const address = addresses.join(',');
    const cli = (args: string[], ms?: number) => runCli(cliPath, address, args, ms);
    const replicas = Math.min(3, natsUrls.length);
    const controlPlanes: ControlPlaneHost[] = [];
    for (const host of controlHosts) {
      const own = `${host.ip}:${API_PORT}`;
      const apiserverMetrics = `http://${host.ip}:6480`;
      const apiserver = startComponent(host, 'apiserver', {
        listen: own, etcd: etcdUrls, nats: natsUrls, metricsListen: `${host.ip}:6480`,
        serviceClusterIpRange: serviceCidr, ...(replicas > 1 ? { watchStreamReplicas: String(replicas) } : {}),
        ...options.apiserver,
      }, () => runCli(cliPath, own, ['version'], 5_000).then(() => true, () => false));
      await ready(`${apiserver.name} to serve`, apiserver.process, () => runCli(cliPath, own, ['version'], 5_000).then(() => true, () => false));
      controlPlanes.push({ host, address: own, apiserverMetrics, apiserver } as ControlPlaneHost);
    }
    for (const cp of controlPlanes) {
      const { host } = cp;
      cp.scheduler = startComponent(host, 'scheduler', {
        server: addresses, nats: natsUrls, metricsListen: `${host.ip}:10251`, leaderElectIdentity: host.name, ...options.scheduler,
      }, () => httpOk(`http://${host.ip}:10251/healthz`));
      cp.controllerManager = startComponent(host, 'controller-manager', {
        server: addresses, nats: natsUrls, metricsListen: `${host.ip}:10257`, clusterCidr, leaderElectIdentity: host.name, ...options.controllerManager,
      }, () => httpOk(`http://${host.ip}:10257/healthz`));
      await Promise.all([
        ready(`${cp.scheduler.name} to be healthy`, cp.scheduler.process, () => httpOk(`http://${host.ip}:10251/healthz`)),
        ready(`${cp.controllerManager.name} to be healthy`, cp.controllerManager.process, () => httpOk(`http://${host.ip}:10257/healthz`)),
      ]);
    }
    // As users of Kubernetes do: pods are created once the namespace's `default` ServiceAccount exists.
    await waitFor('the default ServiceAccount', () => serviceAccountExists(cliPath, address, 'default', 'default'), { timeoutMs, intervalMs: 100 });
    const controlPlaneProcesses = new Map<string, TestProcess>(
      outputs.filter((p) => /^(etcd|nats) /.test(p.name)).map((p) => [p.name.split(' ')[0] as string, p]),
    );
    for (const cp of controlPlanes) {
      for (const c of [cp.apiserver, cp.scheduler, cp.controllerManager]) controlPlaneProcesses.set(controlPlanes.length > 1 ? c.name : c.name.split(' ')[0] as string, c.process);
    }

    const image = `${network.registry}/skiff/busybox:latest`;
    const workers = new Map<string, ClusterWorker>();
    let nextWorker = 1;
    const addWorker = async (name = `w${nextWorker++}`): Promise<ClusterWorker> => {
      const host = await network.addHost(name);
      const dockerSocket = await host.startDockerd().catch(async (err: Error) => {
        await host.remove().catch(() => undefined);
        throw err;
      });
      const kubelet = startComponent(host, 'kubelet', {
        nodeName: name, server: addresses, nats: natsUrls,
        nodeIp: host.ip, listen: `${host.ip}:10250`, metricsListen: `${host.ip}:10255`,
        rootDir: join(host.dir, 'kubelet'), dockerSocket,
        podInfraContainerImage: image, clusterDns: [clusterDns],
        ...options.kubelet,
      }, () => nodeReady(cliPath, address, name).catch(() => false)).process;
      const proxy = startComponent(host, 'proxy', {
        server: addresses, nats: natsUrls, nodes: [name], nodeIps: [host.ip],
        clusterCidr, serviceCidr, clusterDns, metricsListen: `${host.ip}:10249`,
        ...options.proxy,
      }, () => httpOk(`http://${host.ip}:10249/healthz`)).process;
      try {
        await Promise.all([
          ready(`node ${name} to be Ready`, kubelet, () => nodeReady(cliPath, address, name).catch(() => false)),
          ready(`the proxy of ${name} to be healthy`, proxy, () => httpOk(`http://${host.ip}:10249/healthz`)),
        ]);
      } catch (err) {
        await host.remove().catch(() => undefined);
        throw err;
      }
      const worker = { name, host, dockerSocket, kubelet, proxy };
      workers.set(name, worker);
      return worker;
    };
    for (let i = 0; i < (options.workers ?? 2); i++) await addWorker();

    return {
      network,
      controlPlane: controlHosts[0] as TestHost,
      controlPlanes,
      etcd: etcdCluster,
      nats: natsCluster,
      address,
      natsUrl: natsUrls.join(','),
      etcdUrl: etcdUrls.join(','),
      clusterCidr,
      serviceCidr,
      clusterDns,
      image,
      cliPath,
      controlPlaneProcesses,
      workers,
      cli,
      addWorker,
      async removeWorker(name) {
        const worker = workers.get(name);
        if (!worker) throw new Error(`no worker ${name}`);
        workers.delete(name);
        await worker.host.remove();
      },
      async publishingControlPlane() {
        const revisions = await Promise.all(controlPlanes.map((cp) => apiserverPublishedRevision(cp.apiserverMetrics)));
        const newest = Math.max(...revisions);
        if (!(newest > 0)) throw new Error('no apiserver reports a published revision');
        return controlPlanes[revisions.indexOf(newest)] as ControlPlaneHost;
      },
      allOutput: () =>
        new Map([
          ...[...(etcdCluster?.members ?? []), ...(natsCluster?.members ?? [])].map((m): [string, string] => [m.process.name, m.process.allOutput]),
          ...outputs.map((p): [string, string] => [p.name, p.allOutput]),
        ]),
      stop: () => stopAll(),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
