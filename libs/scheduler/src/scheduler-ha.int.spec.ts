/**
 * Two schedulers (runScheduler, in-process) campaigning for the skiff-system/scheduler Lease
 * against real etcd, NATS and the built apiserver: only the leader binds; when it stops, the
 * standby takes over and binds what comes next.
 */
import { Node, Pod } from '@skiff/api';
import { connect, typed, type SkiffClient, type TypedClient } from '@skiff/client';
import { createLogger } from '@skiff/service';
import { startApiserverEnv, waitFor, type ApiserverEnv } from '@skiff/testing';
import { runScheduler } from './run-scheduler';

describe('scheduler leader election', () => {
  let services: ApiserverEnv;
  let client: SkiffClient;
  let pods: TypedClient<'pod'>;

  beforeAll(async () => {
    services = await startApiserverEnv();
    client = connect(services.apiserver.address, { timeoutMs: 10_000 });
    pods = typed(client, 'pod');
    const allocatable = { cpu: '8', memory: '16Gi', pods: '110' };
    await typed(client, 'node').create(
      Node.fromPartial({ metadata: { name: 'node-1' }, status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date() }] } }),
    );
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await services?.stop();
  }, 30_000);

  /** A scheduler replica; its /metrics address once listening. */
  function replica(identity: string) {
    const stop = new AbortController();
    let metrics = '';
    const done = runScheduler(
      {
        server: services.apiserver.address,
        nats: [services.nats.url],
        metricsListen: '127.0.0.1:0',
        logger: createLogger(`scheduler-${identity}`, 'warn'),
        leaderElection: { identity, leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 },
        onListening: (a) => (metrics = a.metrics),
      },
      stop.signal,
    );
    return {
      /**
       * Bind calls it made, whatever their result: on a loaded machine a Bind can time out on the
       * client yet land, and its retry then meets a bound pod, so only the total is exact enough.
       */
      binds: async () => {
        const text = await (await fetch(`http://${metrics}/metrics`)).text();
        return text
          .split('\n')
          .filter((l) => l.startsWith('skiff_scheduler_binds_total{'))
          .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      },
      stop: () => (stop.abort(), done),
    };
  }

  const holder = async () => (await typed(client, 'lease').get('skiff-system', 'scheduler').catch(() => undefined))?.spec?.holderIdentity;
  const createPods = (prefix: string, n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        pods.create(Pod.fromPartial({ metadata: { name: `${prefix}-${i}`, namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '10m' } } }] } })),
      ),
    );
  const allBound = (prefix: string) => async () => {
    const mine = (await pods.list({ namespace: 'default' })).items.filter((p) => p.metadata?.name?.startsWith(`${prefix}-`));
    return (mine.length === 20 && mine.every((p) => p.spec?.nodeName === 'node-1')) || undefined;
  };

  const replicas: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const r of replicas.splice(0)) await r.stop();
  });

  it('only the leader binds; the standby takes over when it stops', async () => {
    const a = replica('a');
    replicas.push(a);
    await waitFor('a to lead', async () => (await holder()) === 'a' || undefined, { timeoutMs: 10_000 });
    const b = replica('b');
    replicas.push(b);
    await createPods('first', 20);
    await waitFor('the first pods to be bound', allBound('first'), { timeoutMs: 15_000 });
    expect(await a.binds()).toBeGreaterThanOrEqual(20);
    expect(await b.binds()).toBe(0); // the standby never binds

    await a.stop(); // releases the Lease
    await waitFor('b to lead', async () => (await holder()) === 'b' || undefined, { timeoutMs: 5_000 });
    await createPods('second', 20);
    await waitFor('the second pods to be bound', allBound('second'), { timeoutMs: 15_000 });
    expect(await b.binds()).toBeGreaterThanOrEqual(20);
  }, 60_000);
});
