// The controller-manager: declares its configuration, then runs libs/controllers until SIGTERM/SIGINT.
import { runControllerManager, selectControllers } from '@skiff/controllers';
import { checkLeaderElection, defineComponent, key, leaderElectionConfig, leaderElectionKeys, metricsListenKey, natsKey, runComponentMain, serverKey, t } from '@skiff/service';

const positive = t.duration({ min: 0, aboveMin: true });
/** Node IPAM allocates from an IPv4 network without host bits. */
const ipv4Network = (cidr: string) => {
  const [ip, prefix] = cidr.split('/');
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error('not an IPv4 CIDR');
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  if (n % 2 ** (32 - Number(prefix)) !== 0) throw new Error('host bits are set');
};
const controllerManager = defineComponent({
  name: 'controller-manager',
  description: 'Skiff controller-manager: ReplicaSets, Deployments, Jobs (and their TTL after finishing), garbage collection, node lifecycle, namespaces, endpoints, horizontal pod autoscaling',
  keys: {
    server: serverKey(),
    nats: natsKey(),
    metricsListen: metricsListenKey('127.0.0.1:10257'),
    controllers: key(t.strings({ minItems: 1, itemName: 'controller' }), { default: ['*'], help: "controllers to run: '*' for all, '-name' to leave one out", check: selectControllers }),
    ...leaderElectionKeys('controller-manager'),
    nodeMonitorGracePeriod: key(positive, { default: 40_000, help: 'a node whose Lease is older than this is Unknown' }),
    horizontalPodAutoscalerSyncPeriod: key(positive, { default: 15_000, help: 'how often each HPA reads metrics and decides' }),
    horizontalPodAutoscalerDownscaleStabilization: key(t.duration(), { default: 300_000, help: 'an HPA without its own scale-down window scales down to the highest recommendation of this window' }),
    horizontalPodAutoscalerTolerance: key(t.number({ min: 0 }), { default: 0.1, help: 'usage ratios within this of 1.0 change nothing' }),
    horizontalPodAutoscalerCpuInitializationPeriod: key(t.duration(), { default: 300_000, help: 'after a pod starts, its CPU counts only once Ready and sampled since' }),
    horizontalPodAutoscalerInitialReadinessDelay: key(t.duration(), { default: 30_000, help: 'a pod unready within this of its start has never been ready' }),
    concurrentSyncs: key(t.int({ min: 1 }), { default: 5, help: 'workers per controller' }),
    allocateNodeCidrs: key(t.bool(), { default: true, help: 'give each Node a pod CIDR (spec.podCIDR) from --cluster-cidr' }),
    clusterCidr: key(t.cidr(), { default: '10.244.0.0/16', help: "the cluster's pod network (IPv4), split into the nodes' pod CIDRs", check: ipv4Network }),
    nodeCidrMaskSize: key(t.int({ min: 8, max: 30 }), { default: 24, help: "the prefix length of each node's pod CIDR" }),
  },
  check: (c, describe) => {
    const prefix = Number(c.clusterCidr.split('/')[1]);
    if (c.allocateNodeCidrs && c.nodeCidrMaskSize < prefix) return `${describe('nodeCidrMaskSize')} is shorter than the prefix of ${describe('clusterCidr')}`;
    if (c.allocateNodeCidrs && c.nodeCidrMaskSize - prefix > 16) return `${describe('nodeCidrMaskSize')} cuts ${describe('clusterCidr')} into more than 65536 node CIDRs`;
    return checkLeaderElection(c, describe);
  },
});

runComponentMain(controllerManager, (c, { logger, signal }) =>
  runControllerManager(
    {
      server: c.server.join(','), nats: c.nats, metricsListen: c.metricsListen, controllers: c.controllers, leaderElection: leaderElectionConfig(c), logger,
      nodeIpam: c.allocateNodeCidrs && { clusterCidr: c.clusterCidr, nodeCidrMaskSize: c.nodeCidrMaskSize },
      tuning: {
        nodeMonitorGracePeriodMs: c.nodeMonitorGracePeriod, workers: c.concurrentSyncs, hpaSyncPeriodMs: c.horizontalPodAutoscalerSyncPeriod,
        hpaDownscaleStabilizationMs: c.horizontalPodAutoscalerDownscaleStabilization, hpaTolerance: c.horizontalPodAutoscalerTolerance,
        hpaCpuInitializationPeriodMs: c.horizontalPodAutoscalerCpuInitializationPeriod, hpaInitialReadinessDelayMs: c.horizontalPodAutoscalerInitialReadinessDelay,
      },
    },
    signal,
  ),
);
