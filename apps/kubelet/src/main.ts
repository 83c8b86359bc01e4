// The kubelet: declares its configuration, builds the container runtime, then runs libs/kubelet until SIGTERM/SIGINT.
import { checkDns1123Subdomain } from '@skiff/api';
import { DEFAULT_CLUSTER_DNS, DEFAULT_CLUSTER_DOMAIN, parseNodeLabels, parseTaints, runKubelet } from '@skiff/kubelet';
import { DEFAULT_SANDBOX_IMAGE, DockerRuntime, HollowRuntime } from '@skiff/runtime';
import { defineComponent, isHost, joinHostPort, key, natsKey, runComponentMain, serverKey, splitHostPort, t } from '@skiff/service';

const positive = t.duration({ min: 0, aboveMin: true });
const kubelet = defineComponent({
  name: 'kubelet',
  description: 'Skiff kubelet: registers a node and runs the pods bound to it',
  keys: {
    nodeName: key(t.string(), { required: true, help: 'the Node this kubelet registers and serves', check: (n) => { if (checkDns1123Subdomain(n).length) throw new Error(checkDns1123Subdomain(n).join('; ')); } }),
    server: serverKey(),
    nats: natsKey(),
    nodeIp: key(t.ip(), { default: '127.0.0.1', help: 'node address (InternalIP, hostIP, host ports)' }),
    listen: key(t.address(), { optional: true, defaultText: '<node-ip>:10250', help: 'Kubelet gRPC address (logs, exec); its host is the node IP, 0.0.0.0 or ::; port 0 picks one' }),
    podCidr: key(t.cidr(), { optional: true, help: "this node's pod CIDR, written to the Node when it has none (default: wait for the controller-manager's node IPAM)" }),
    runtime: key(t.enum(['docker', 'hollow']), { default: 'docker', help: 'container runtime (hollow: pretend, for scale tests)' }),
    rootDir: key(t.string(), { optional: true, defaultText: '/var/lib/skiff/kubelet/<node-name>', help: "where pods' volumes live (pods/<uid>/volumes)" }),
    localStoragePath: key(t.string(), { optional: true, defaultText: '<root-dir>/storage', help: 'where local-path PersistentVolumes live on this node (pvc-<uid>_<namespace>_<name>)', check: (p) => { if (!p.startsWith('/')) throw new Error('not an absolute path'); } }),
    dockerSocket: key(t.string(), { default: '/var/run/docker.sock', help: "dockerd's socket" }),
    podInfraContainerImage: key(t.string(), { default: DEFAULT_SANDBOX_IMAGE, help: "the image of each pod's sandbox container (holds the network namespace)" }),
    cpu: key(t.quantity(), { optional: true, defaultText: "the host's", help: 'CPU capacity (e.g. "4")' }),
    memory: key(t.quantity(), { optional: true, defaultText: "the host's", help: 'memory capacity (e.g. "8Gi")' }),
    pods: key(t.int({ min: 1 }), { default: 110, help: 'pod capacity' }),
    systemReserved: key(t.map({ keys: ['cpu', 'memory'], value: t.quantity() }), { default: {}, help: 'resources kept from pods, e.g. cpu=100m,memory=256Mi' }),
    nodeLabels: key(t.custom('key=value,...', parseNodeLabels, (m) => Object.entries(m).map(([k, v]) => `${k}=${v}`).join(',')), { default: {}, help: 'labels the Node gets when registered, e.g. disk=ssd,zone=a' }),
    registerWithTaints: key(t.custom('key=value:effect,...', parseTaints, (l) => l.map((x) => `${x.key}=${x.value}:${x.effect}`).join(',')), { default: [], help: 'taints the Node gets when registered, e.g. dedicated=gpu:NoSchedule' }),
    leaseInterval: key(positive, { default: 10_000, help: 'heartbeat Lease renewal period' }),
    nodeStatusInterval: key(positive, { default: 60_000, help: 'Node status refresh period' }),
    resyncInterval: key(t.duration(), { default: 60_000, help: 'every pod is synced at least this often' }),
    housekeepingInterval: key(positive, { default: 10_000, help: 'time between resource usage samples of the containers (skiff top, autoscaling)' }),
    nodeUsage: key(t.enum(['pods', 'machine']), { default: 'pods', help: "the Node's usage figures: pods (the sum of its pods; several nodes may share a machine) or machine (the whole host)" }),
    backoffBase: key(positive, { default: 10_000, help: 'first crash-loop / image-pull delay' }),
    backoffMax: key(positive, { default: 300_000, help: 'longest crash-loop / image-pull delay' }),
    clusterDns: key(t.ips(), { default: [...DEFAULT_CLUSTER_DNS], help: "nameservers of ClusterFirst pods, comma separated (empty: the node's resolvers)" }),
    clusterDomain: key(t.string(), { default: DEFAULT_CLUSTER_DOMAIN, help: "the cluster domain in pods' DNS search list", check: (d) => { if (!isHost(d)) throw new Error('not a DNS domain'); } }),
    metricsListen: key(t.address(), { optional: true, help: 'Prometheus /metrics and /healthz address' }),
    hollowNodes: key(t.int({ min: 1 }), { default: 1, help: 'with --runtime hollow: run this many hollow kubelets in this process, nodes <node-name>-0 ... <node-name>-(N-1), each on its own port (scale tests: kubemark hollow nodes, many per process)' }),
  },
  check: (c, describe) => {
    const host = c.listen === undefined ? c.nodeIp : splitHostPort(c.listen).host;
    if (![c.nodeIp, '0.0.0.0', '::'].includes(host)) return `${describe('listen')} and ${describe('nodeIp')} disagree: the listen host must be the node IP, 0.0.0.0 or ::`;
    if (c.backoffBase > c.backoffMax) return `${describe('backoffBase')} is longer than ${describe('backoffMax')}`;
    if (c.hollowNodes > 1 && (c.runtime !== 'hollow' || c.metricsListen !== undefined)) return `${describe('hollowNodes')} above 1 needs ${describe('runtime')} hollow and no ${describe('metricsListen')}`;
    return undefined;
  },
});

runComponentMain(kubelet, async (config, { logger, signal }) => {
  /** One kubelet of these flags (its node name, runtime and the rest). */
  const runOne = (c: typeof config): Promise<void> => {
    const { nodeName, nodeIp: hostIP } = c;
    const runtime = c.runtime === 'hollow' ? new HollowRuntime({ nodeName, hostIP }) : new DockerRuntime({ nodeName, hostIP, socketPath: c.dockerSocket, sandboxImage: c.podInfraContainerImage });
    return runKubelet(
      {
        nodeName, server: c.server.join(','), nats: c.nats, nodeIP: hostIP, podCIDR: c.podCidr, listen: c.listen ?? joinHostPort(hostIP, 10250), runtime, rootDir: c.rootDir, localStoragePath: c.localStoragePath,
        capacity: { cpu: c.cpu, memory: c.memory, pods: c.pods }, systemReserved: c.systemReserved, nodeLabels: c.nodeLabels, registerWithTaints: c.registerWithTaints,
        leaseIntervalMs: c.leaseInterval, statusIntervalMs: c.nodeStatusInterval, resyncIntervalMs: c.resyncInterval, metricsResolutionMs: c.housekeepingInterval,
        nodeUsage: c.nodeUsage, backoff: { baseMs: c.backoffBase, maxMs: c.backoffMax }, metricsListen: c.metricsListen, clusterDNS: c.clusterDns, clusterDomain: c.clusterDomain, logger,
      },
      signal,
    );
  };
  if (config.hollowNodes === 1) return runOne(config);
  // Many hollow kubelets in one process: each its own node name, free port and root dir.
  const listen = joinHostPort(config.listen === undefined ? config.nodeIp : splitHostPort(config.listen).host, 0);
  const names = Array.from({ length: config.hollowNodes }, (_, i) => `${config.nodeName}-${i}`);
  await Promise.all(names.map((nodeName) => runOne({ ...config, nodeName, listen, rootDir: config.rootDir && `${config.rootDir}/${nodeName}`, localStoragePath: undefined })));
});
