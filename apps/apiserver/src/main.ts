// The apiserver: declares its configuration, then runs libs/apiserver until SIGTERM/SIGINT.
import { enabledAdmissionPlugins, parseNodePortRange, parseServiceIpRange, runApiserver } from '@skiff/apiserver';
import { defineComponent, key, metricsListenKey, natsKey, runComponentMain, t } from '@skiff/service';

const apiserver = defineComponent({
  name: 'apiserver',
  description: 'Skiff API server: the API on etcd, watch events on NATS',
  keys: {
    listen: key(t.address(), { default: '127.0.0.1:6443', help: 'gRPC address' }),
    etcd: key(t.urls(['http', 'https'], { minItems: 1, itemName: 'etcd endpoint' }), { default: ['http://127.0.0.1:2379'], help: 'etcd client URLs, comma separated' }),
    nats: natsKey(),
    metricsListen: metricsListenKey('127.0.0.1:6480'),
    compactionInterval: key(t.duration(), { default: 300_000, help: 'etcd compaction period (0: never)' }),
    defaultTolerationSeconds: key(t.int({ min: 0 }), { default: 300, help: 'tolerationSeconds of the not-ready/unreachable NoExecute tolerations added to every pod' }),
    eventTtl: key(t.duration(), {
      default: 3_600_000,
      help: 'how long an Event is kept after its last change (whole seconds, at least 1s)',
      check: (ms) => {
        if (ms < 1000 || ms % 1000 !== 0) throw new Error('must be whole seconds, at least 1s');
      },
    }),
    serviceClusterIpRange: key(t.cidr(), { default: '10.96.0.0/16', help: 'the CIDR ClusterIPs of Services are allocated from', check: parseServiceIpRange }),
    serviceNodePortRange: key(t.string(), { default: '30000-32767', help: 'the range node ports of NodePort Services are allocated from (min-max)', check: parseNodePortRange }),
    disableAdmissionPlugins: key(t.strings(), { default: [], help: 'admission plugins not to run, comma separated (ServiceAccount, DefaultTolerationSeconds, DefaultStorageClass, StorageObjectInUseProtection)', check: enabledAdmissionPlugins }),
    watchStreamReplicas: key(t.int({ min: 1, max: 5 }), { default: 1, help: 'replicas of the NATS watch stream (3 on a 3-server NATS cluster)' }),
  },
});

runComponentMain(apiserver, (c, { logger, signal, version }) =>
  runApiserver(
    {
      listen: c.listen, etcd: c.etcd, nats: c.nats, metricsListen: c.metricsListen, compactionIntervalMs: c.compactionInterval, defaultTolerationSeconds: c.defaultTolerationSeconds, eventTtlSeconds: c.eventTtl / 1000,
      serviceClusterIpRange: c.serviceClusterIpRange, serviceNodePortRange: c.serviceNodePortRange, disableAdmissionPlugins: c.disableAdmissionPlugins,
      watchStreamReplicas: c.watchStreamReplicas,
      version: { version, gitCommit: process.env.SKIFF_BUILD_COMMIT ?? '' }, logger,
    },
    signal,
  ),
);
