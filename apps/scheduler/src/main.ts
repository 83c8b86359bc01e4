// The scheduler: declares its configuration, then runs libs/scheduler until SIGTERM/SIGINT.
import { runScheduler } from '@skiff/scheduler';
import { checkLeaderElection, defineComponent, leaderElectionConfig, leaderElectionKeys, metricsListenKey, natsKey, runComponentMain, serverKey } from '@skiff/service';

const scheduler = defineComponent({
  name: 'scheduler',
  description: 'Skiff scheduler: assigns pending pods to nodes',
  keys: {
    server: serverKey(),
    nats: natsKey(),
    metricsListen: metricsListenKey('127.0.0.1:10251'),
    ...leaderElectionKeys('scheduler'),
  },
  check: checkLeaderElection,
});

runComponentMain(scheduler, (c, { logger, signal }) =>
  runScheduler({ server: c.server.join(','), nats: c.nats, metricsListen: c.metricsListen, leaderElection: leaderElectionConfig(c), logger }, signal),
);
