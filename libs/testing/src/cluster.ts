/**
 * A whole Skiff cluster as processes, for end-to-end tests and benchmarks: etcd, NATS, the
 * apiserver, the scheduler, controller-managers, one kubelet per node (DockerRuntime) and
 * optionally the proxy, each the BUILT app
 * (dist/apps/<name>/main.js, rebuilt when stale) on free loopback ports. Nothing here imports the
 * API libraries (that would make a dependency cycle with their specs): callers drive the cluster
 * through @skiff/client or the built CLI (cliPath).
 *
 * Docker is shared per machine, so give nodes names unique to the test run: stop() removes every
 * container and network labelled `io.skiff.node=<name>` for each node the cluster started.
 * Service addresses are shared per machine too (the proxy binds ClusterIPs and node ports on the
 * host), so each cluster allocates ClusterIPs from its own /24 of 10.96.0.0/16 (its DNS at .10 of
 * it) and node ports from its own window of 100 ports. Pod IPs are cluster-wide too (each node's
 * pod network is a Docker bridge with its pod CIDR): each cluster cuts its nodes' /24s from its
 * own random /20 of 10.200.0.0/13 (randomClusterCidr), and node IPAM always runs (in the
 * controller-managers, or in a controller-manager running only "nodeipam" when none is asked for).
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { startApiserver, type ApiserverProcess } from './apiserver';
import { ensureAppBuilt } from './built-app';
import { ensureDocker, removeLabelledDockerObjects } from './docker';
import { startEtcd, type EtcdServer } from './etcd';
import { freePort } from './free-port';
import { startNats, type NatsServer } from './nats';
import { componentNodeFlags, startProcess, tempDir, type TestProcess } from './process';
import { waitFor } from './wait-for';

/**
 * A cluster CIDR for one test cluster: a random /20 of 10.200.0.0/13 (16 nodes of /24), so that
 * clusters of parallel test runs on the shared dockerd (whose pod networks are Docker bridges
 * with these subnets) do not overlap.
 */
export function randomClusterCidr(): string {
  const block = randomInt(0, 128); // 128 /20s in a /13
  return `10.${200 + (block >> 4)}.${(block & 15) << 4}.0/20`;
}

/** The Docker label key the runtime puts on every sandbox and container with the owning node's name. */
export const NODE_LABEL_KEY = 'io.skiff.node';

/** One node of a test cluster: the kubelet's Node name and resource flags. */
export interface ClusterNodeOptions {
  /** The Node name (make it unique per test run: Docker is shared). */
  name: string;
  /** CPU capacity (--cpu), e.g. "1"; default the host's. */
  cpu?: string;
  /** Memory capacity (--memory), e.g. "2Gi"; default the host's. */
  memory?: string;
  /** --node-ip, default 127.0.0.1. */
  nodeIp?: string;
  /** --node-labels: labels the Node is registered with, e.g. { disk: 'ssd' }. */
  labels?: Record<string, string>;
  /** --register-with-taints: taints the Node is registered with, as "key=value:Effect" or "key:Effect". */
  taints?: string[];
  /** Extra flags for this kubelet only (after the cluster's kubeletArgs). */
  args?: string[];
}

/** What startCluster starts: the nodes and extra flags for the kubelets and the scheduler. */
export interface StartClusterOptions {
  nodes: ClusterNodeOptions[];
  /** Flags for every kubelet, e.g. ['--backoff-base', '0.5']. */
  kubeletArgs?: string[];
  /** Flags for the apiserver, e.g. ['--default-toleration-seconds', '0']. */
  apiserverArgs?: string[];
  schedulerArgs?: string[];
  /**
   * Controller-managers to start (leader election picks one to lead); default 0. With one or
   * more, the apiserver runs the ServiceAccount admission plugin (their serviceaccount
   * controller creates each namespace's `default` account, and startCluster waits for the one of
   * the `default` namespace); without, the plugin is off, as nothing would create the accounts.
   * Node IPAM runs either way: with none, a controller-manager running only "nodeipam" (no
   * leader election) is started, and controller-managers added later leave nodeipam to it.
   */
  controllerManagers?: number;
  /** Flags for every controller-manager, e.g. ['--node-monitor-grace-period', '4']. */
  controllerManagerArgs?: string[];
  /**
   * Start the proxy (one, as one per machine): serving `nodes` (default every node of the cluster,
   * known when it starts), with extra flags `args`; cluster DNS at Cluster.clusterDns, which the
   * kubelets then give pods. Without it, no proxy runs and pods use the node's resolvers.
   */
  proxy?: { nodes?: string[]; args?: string[] };
  /** Log level of every component (default "warn"); recent output is in each process. */
  logLevel?: string;
  /** The cluster CIDR (/24 per node); default randomClusterCidr(), a /20: 16 nodes. Give a larger one for more nodes. */
  clusterCidr?: string;
  /**
   * Run on this etcd instead of starting one (e.g. startEtcdCluster's: its `endpoint` lists every
   * member); stop() leaves it running. Cluster.etcd is then this object.
   */
  etcd?: Pick<EtcdServer, 'endpoint'>;
  /** Run on this NATS instead of starting one (e.g. startNatsCluster's); stop() leaves it running. */
  nats?: Pick<NatsServer, 'url'>;
  /**
   * apiservers to start (default 1), all on the same etcd and NATS; every component and the CLI
   * get all their addresses (Cluster.address lists them).
   */
  apiservers?: number;
  /**
   * Schedulers to start (default 1); with 2 or more they campaign with the identities
   * "scheduler-1", "scheduler-2", ... (the skiff-system/scheduler Lease's holder).
   */
  schedulers?: number;
}

/** The proxy of a test cluster; restart() keeps its flags and metrics address. */
export interface ProxyProcess {
  /** The proxy's /metrics and /healthz address. */
  metricsAddress: string;
  /** The current process (replaced by restart()). */
  process: TestProcess;
  /** Starts it again with the same flags and waits until it is healthy (caches synced, DNS serving). */
  restart(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** A running kubelet of a test cluster; restart() keeps its flags and --listen address. */
export interface KubeletProcess {
  nodeName: string;
  /** The kubelet's gRPC address (logs, exec), fixed across restarts. */
  address: string;
  /** The kubelet's --root-dir (pods' volumes under pods/<uid>), a temp dir removed by Cluster.stop(). */
  rootDir: string;
  /** The current process (replaced by restart()). */
  process: TestProcess;
  /** SIGKILL, as a crash; containers stay. */
  kill(): Promise<void>;
  /** Starts it again with the same flags and waits until its Node is Ready. */
  restart(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** A controller-manager of a test cluster, with its /metrics address. */
export type ControllerManagerProcess = TestProcess & { metricsAddress: string };

/** A running test cluster; stop() it in afterAll. */
export interface Cluster {
  /** The apiserver's gRPC address, "127.0.0.1:PORT" (with several apiservers: every address, comma separated). */
  address: string;
  /** The etcd started, or StartClusterOptions.etcd when given (then only its `endpoint` is sure to be there). */
  etcd: EtcdServer;
  /** The NATS started, or StartClusterOptions.nats when given (then only its `url` is sure to be there). */
  nats: NatsServer;
  /** The (first) apiserver. */
  apiserver: ApiserverProcess;
  /** Every apiserver (StartClusterOptions.apiservers). */
  apiservers: ApiserverProcess[];
  /** The (first) scheduler. */
  scheduler: TestProcess;
  /** Every scheduler (StartClusterOptions.schedulers), with its Lease identity when there are several. */
  schedulers: (TestProcess & { identity?: string })[];
  /** The controller-managers started (StartClusterOptions.controllerManagers); see addControllerManager. */
  controllerManagers: ControllerManagerProcess[];
  /** Starts one more controller-manager (same flags) and waits until it serves /healthz. */
  addControllerManager(extraArgs?: string[]): Promise<ControllerManagerProcess>;
  /** Kubelets by node name. */
  kubelets: Map<string, KubeletProcess>;
  /** The proxy, when StartClusterOptions.proxy asked for one. */
  proxy?: ProxyProcess;
  /** This cluster's service ClusterIP range (apiserver --service-cluster-ip-range), a /24 of 10.96.0.0/16. */
  serviceCidr: string;
  /** This cluster's NodePort range (apiserver --service-node-port-range), "lo-hi". */
  nodePortRange: string;
  /** This cluster's cluster CIDR (controller-manager and proxy --cluster-cidr), a /20 of 10.200.0.0/13; nodes get /24s of it. */
  clusterCidr: string;
  /** The cluster DNS address (.10 of serviceCidr) kubelets give pods and the proxy serves on port 53. */
  clusterDns: string;
  /** The built CLI (dist/apps/skiff/main.js); run it with `node cliPath ... --server address`. */
  cliPath: string;
  /** Starts one more kubelet and waits until its Node is Ready. */
  addNode(node: ClusterNodeOptions): Promise<KubeletProcess>;
  /** Everything each component process printed so far, by process name (see TestProcess.allOutput). */
  allOutput(): Map<string, string>;
  /**
   * Stops every process (proxy, kubelets, controller-managers, scheduler, apiserver, NATS, etcd) and removes every Docker
   * object labelled with one of the cluster's node names. Safe to call twice.
   */
  stop(): Promise<void>;
}


/**
 * Runs the built CLI with args against `server` (passed as $SKIFF_SERVER, so args may end with
 * `-- command`); resolves with stdout, rejects on a non-zero exit with `cause.code` the exit code.
 */
export function runCli(cliPath: string, server: string, args: string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((done, fail) => {
    execFile(process.execPath, [cliPath, ...args], { timeout: timeoutMs, env: { ...process.env, SKIFF_SERVER: server } }, (err, stdout, stderr) => {
      if (err) fail(Object.assign(new Error(`skiff ${args.join(' ')} failed: ${stderr.trim() || err.message}`, { cause: err }), { stdout, stderr }));
      else done(stdout);
    });
  });
}

/** True when Node `name` reports Ready=True (read with the built CLI); rejects when the CLI fails. */
export async function nodeReady(cliPath: string, server: string, name: string): Promise<boolean> {
  const node = JSON.parse(await runCli(cliPath, server, ['get', 'node', name, '-o', 'json'], 5_000)) as {
    status?: { conditions?: { type: string; status: string }[] };
  };
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * True once ServiceAccount `name` exists in `namespace` (read with the built CLI). Call it after
 * creating a namespace in a cluster with a controller-manager, before creating pods in it.
 */
export async function serviceAccountExists(cliPath: string, server: string, namespace: string, name = 'default'): Promise<boolean> {
  try {
    await runCli(cliPath, server, ['get', 'serviceaccount', name, '-n', namespace, '-o', 'name'], 5_000);
    return true;
  } catch {
    return false;
  }
}

/** True when GET `url` answers 2xx within a second. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Starts a cluster: etcd, NATS, the apiserver, the scheduler and a kubelet per node (Docker
 * runtime, distinct --listen ports); resolves once the scheduler is healthy and every Node is
 * Ready. On failure it stops what it started and rejects with the components' recent output.
 */
export async function startCluster(options: StartClusterOptions): Promise<Cluster> {
  const logLevel = options.logLevel ?? 'warn';
  const [kubeletMain, schedulerMain, cliPath] = ['kubelet', 'scheduler', 'skiff'].map((name) => ensureAppBuilt(name));
  ensureAppBuilt('controller-manager'); // node IPAM always runs
  ensureAppBuilt('apiserver');
  const nodeNames = new Set<string>();
  const started: { stop(): Promise<void> }[] = [];
  const rootDirs: { path: string; remove: () => void }[] = [];
  const stopAll = async () => {
    for (const item of started.splice(0).reverse()) await item.stop().catch(() => undefined);
    for (const name of nodeNames) await removeLabelledDockerObjects(`${NODE_LABEL_KEY}=${name}`);
    // Pods left running when the kubelets stopped keep their tmpfs volumes mounted: unmount first.
    for (const dir of rootDirs.splice(0)) {
      unmountUnder(dir.path);
      try {
        dir.remove();
      } catch {
        // a mount that would not go keeps its directory; the rest is removed
      }
    }
  };
  try {
    const [etcd, nats] = await Promise.all([
      options.etcd ? (options.etcd as EtcdServer) : startEtcd(),
      options.nats ? (options.nats as NatsServer) : startNats(),
      ensureDocker(),
    ]);
    if (!options.etcd) started.push(etcd);
    if (!options.nats) started.push(nats);
    const block = randomInt(1, 255);
    const serviceCidr = `10.96.${block}.0/24`;
    const clusterDns = `10.96.${block}.10`;
    const nodePortLow = 30_000 + randomInt(0, 27) * 100;
    const nodePortRange = `${nodePortLow}-${nodePortLow + 99}`;
    const clusterCidr = options.clusterCidr ?? randomClusterCidr();
    const podNetworkArgs = ['--cluster-cidr', clusterCidr, '--node-cidr-mask-size', '24'];
    const apiservers: ApiserverProcess[] = [];
    for (let i = 0; i < Math.max(1, options.apiservers ?? 1); i++) {
      const one = await startApiserver({
        etcd,
        nats,
        logLevel,
        serviceAccountAdmission: (options.controllerManagers ?? 0) > 0,
        extraArgs: ['--service-cluster-ip-range', serviceCidr, '--service-node-port-range', nodePortRange, ...(options.apiserverArgs ?? [])],
      });
      started.push(one);
      apiservers.push(one);
    }
    const apiserver = apiservers[0];
    const address = apiservers.map((a) => a.address).join(',');

    const schedulers: (TestProcess & { identity?: string; metricsAddress: string })[] = [];
    const schedulerCount = Math.max(1, options.schedulers ?? 1);
    for (let i = 1; i <= schedulerCount; i++) {
      const metrics = `127.0.0.1:${await freePort()}`;
      const identity = schedulerCount > 1 ? `scheduler-${i}` : undefined;
      const child = startProcess(schedulerCount > 1 ? `scheduler ${i}` : 'scheduler', process.execPath, [
        ...componentNodeFlags(), schedulerMain,
        '--server', address, '--nats', nats.url, '--metrics-listen', metrics, '--log-level', logLevel,
        ...(identity ? ['--leader-elect-identity', identity] : []),
        ...(options.schedulerArgs ?? []),
      ]);
      started.push(child);
      schedulers.push(Object.assign(child, { identity, metricsAddress: metrics }));
    }
    const scheduler = schedulers[0];

    const controllerManagers: ControllerManagerProcess[] = [];
    /** A controller-manager process with `args`, healthy. */
    const startControllerManager = async (name: string, args: string[]): Promise<ControllerManagerProcess> => {
      const metrics = `127.0.0.1:${await freePort()}`;
      const child = startProcess(name, process.execPath, [
        ...componentNodeFlags(), ensureAppBuilt('controller-manager'),
        '--server', address, '--nats', nats.url, '--metrics-listen', metrics, '--log-level', logLevel, ...podNetworkArgs,
        ...args,
      ]);
      const cm = Object.assign(child, { metricsAddress: metrics });
      started.push(cm);
      await waitFor(`the ${name} to be healthy`, async () => {
        if (!child.running) throw new Error(`${name} exited:\n${child.recentOutput}`);
        return httpOk(`http://${metrics}/healthz`);
      }, { timeoutMs: 20_000, intervalMs: 50 });
      return cm;
    };
    // Kubernetes requires node IPAM for pods to get IPs: without controller-managers, one that runs only it.
    const nodeIpam = (options.controllerManagers ?? 0) > 0 ? undefined : await startControllerManager('node-ipam', ['--controllers', 'nodeipam', '--leader-elect', 'false']);
    const addControllerManager = async (extraArgs: string[] = []): Promise<ControllerManagerProcess> => {
      const cm = await startControllerManager(`controller-manager ${controllerManagers.length + 1}`, [
        // Two allocators must never hand out CIDRs at once: the node-ipam process keeps that job.
        ...(nodeIpam ? ['--controllers', '*,-nodeipam'] : []),
        ...(options.controllerManagerArgs ?? []),
        ...extraArgs,
      ]);
      controllerManagers.push(cm);
      return cm;
    };
    for (let i = 0; i < (options.controllerManagers ?? 0); i++) await addControllerManager();
    if (controllerManagers.length > 0) {
      // As users of Kubernetes do: pods are created once the namespace's `default` ServiceAccount exists.
      await waitFor('the default ServiceAccount of namespace default', () => serviceAccountExists(cliPath, address, 'default', 'default'), { timeoutMs: 20_000, intervalMs: 100 });
    }

    const kubelets = new Map<string, KubeletProcess>();
    const addNode = async (node: ClusterNodeOptions): Promise<KubeletProcess> => {
      if (nodeNames.has(node.name)) throw new Error(`node ${node.name} already exists in this cluster`);
      nodeNames.add(node.name);
      const nodeIp = node.nodeIp ?? '127.0.0.1';
      const listen = `${nodeIp}:${await freePort()}`;
      const rootDir = tempDir(`kubelet-${node.name}`);
      rootDirs.push(rootDir);
      const args = [
        ...componentNodeFlags(), kubeletMain,
        '--node-name', node.name, '--node-ip', nodeIp, '--listen', listen, '--root-dir', rootDir.path,
        '--server', address, '--nats', nats.url, '--log-level', logLevel,
        // Pods get the cluster DNS only when a proxy answers it (queries must not leave the machine).
        ...(options.proxy ? ['--cluster-dns', clusterDns] : []),
        ...(node.cpu ? ['--cpu', node.cpu] : []),
        ...(node.memory ? ['--memory', node.memory] : []),
        ...(node.labels ? ['--node-labels', Object.entries(node.labels).map(([k, v]) => `${k}=${v}`).join(',')] : []),
        ...(node.taints ? ['--register-with-taints', node.taints.join(',')] : []),
        ...(options.kubeletArgs ?? []),
        ...(node.args ?? []),
      ];
      const kubelet: KubeletProcess = {
        nodeName: node.name,
        address: listen,
        rootDir: rootDir.path,
        process: undefined as unknown as TestProcess,
        async restart() {
          const child = startProcess(`kubelet ${node.name}`, process.execPath, args);
          kubelet.process = child;
          await waitFor(
            `node ${node.name} to be Ready`,
            async () => {
              if (!child.running) throw new Error(`kubelet ${node.name} exited with code ${child.child.exitCode}:\n${child.recentOutput}`);
              return nodeReady(cliPath, address, node.name);
            },
            { timeoutMs: 30_000, intervalMs: 100 },
          ).catch((err: Error) => {
            throw new Error(`${err.message}\n${child.recentOutput}`, { cause: err });
          });
        },
        kill: () => kubelet.process.kill(),
        stop: () => kubelet.process.stop(),
      };
      started.push(kubelet);
      kubelets.set(node.name, kubelet);
      await kubelet.restart();
      return kubelet;
    };

    for (const s of schedulers) {
      await waitFor('the scheduler to be healthy', async () => {
        if (!s.running) throw new Error(`scheduler exited:\n${s.recentOutput}`);
        return httpOk(`http://${s.metricsAddress}/healthz`);
      }, { timeoutMs: 20_000, intervalMs: 50 });
    }
    await Promise.all(options.nodes.map(addNode));

    let proxy: ProxyProcess | undefined;
    if (options.proxy) {
      const metrics = `127.0.0.1:${await freePort()}`;
      const args = [
        ...componentNodeFlags(), ensureAppBuilt('proxy'),
        '--server', address, '--nats', nats.url, '--metrics-listen', metrics, '--log-level', logLevel,
        '--nodes', (options.proxy.nodes ?? options.nodes.map((n) => n.name)).join(','),
        '--node-ips', '127.0.0.1', '--cluster-dns', clusterDns, '--cluster-cidr', clusterCidr,
        ...(options.proxy.args ?? []),
      ];
      const proxyProcess: ProxyProcess = {
        metricsAddress: metrics,
        process: undefined as unknown as TestProcess,
        async restart() {
          const child = startProcess('proxy', process.execPath, args);
          proxyProcess.process = child;
          await waitFor('the proxy to be healthy', async () => {
            if (!child.running) throw new Error(`proxy exited with code ${child.child.exitCode}:\n${child.recentOutput}`);
            return httpOk(`http://${metrics}/healthz`);
          }, { timeoutMs: 20_000, intervalMs: 50 });
        },
        kill: () => proxyProcess.process.kill(),
        stop: () => proxyProcess.process.stop(),
      };
      proxy = proxyProcess;
      started.push(proxy);
      await proxy.restart();
    }

    const allOutput = () =>
      new Map<string, string>([
        ...apiservers.map((a, i): [string, string] => [i === 0 ? a.process.name : `${a.process.name} ${i + 1}`, a.process.allOutput]),
        ...schedulers.map((s): [string, string] => [s.name, s.allOutput]),
        ...controllerManagers.map((cm): [string, string] => [cm.name, cm.allOutput]),
        ...(nodeIpam ? [[nodeIpam.name, nodeIpam.allOutput] as [string, string]] : []),
        ...[...kubelets.values()].map((k): [string, string] => [k.process.name, k.process.allOutput]),
        ...(proxy ? [[proxy.process.name, proxy.process.allOutput] as [string, string]] : []),
      ]);
    return { address, etcd, nats, apiserver, apiservers, scheduler, schedulers, controllerManagers, addControllerManager, kubelets, proxy, serviceCidr, nodePortRange, clusterCidr, clusterDns, cliPath, addNode, allOutput, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Unmounts every mount point under `dir` (deepest first); a busy or vanished one is left alone. */
function unmountUnder(dir: string): void {
  const points = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((point): point is string => !!point && point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    try {
      execFileSync('umount', [point], { stdio: 'pipe' });
    } catch {
      // already gone, or busy: removing the directory below then fails for this one only
    }
  }
}
