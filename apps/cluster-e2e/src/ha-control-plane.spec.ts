import { ConfigMap, ConflictError, NotFoundError, type Deployment } from '@skiff/api';
import { connectBus, WATCH_STREAM, type BusConnection } from '@skiff/bus';
import { connect, Informer, typed, type SkiffClient, type TypedClient } from '@skiff/client';
import { apiserverPublishedRevision, ensureTestImages, startMultiHostCluster, waitFor, type EtcdCluster, type MultiHostCluster, type NatsCluster } from '@skiff/testing';
import { isLive, isRunning, livePodsOfApp, podsOfApp, sleeperDeployment } from './e2e-fixture';

/**
 * Issue 12 "HA" acceptance on seven test hosts (network namespaces as machines, see libs/testing
 * test-hosts.ts): s1-s3 run an etcd member and a NATS server each (the watch stream at R3), c1
 * and c2 an apiserver, a scheduler and a controller-manager each (leader election), w1 and w2
 * a dockerd, kubelet and proxy each; every process is a built app started with only its config
 * file. While ConfigMaps are written through a client of both apiservers (each acknowledged write
 * recorded) and a 6-replica Deployment rolls out, one SIGKILL at a time: the etcd leader, the
 * NATS server leading the watch stream, the publishing apiserver, the leading scheduler and the
 * leading controller-manager. Then: every acknowledged write is in etcd, an informer on the NATS
 * cluster ends equal to a fresh List, the rollout completes, no pod runs twice, and every killed
 * member rejoins when restarted.
 */
const NS = 'default';
const APP = 'hacp';
const REPLICAS = 6;
const SURGE = 1;
const WRITES = 1_000;
const LEASE = { leaderElectLeaseDuration: '4', leaderElectRenewDeadline: '3', leaderElectRetryPeriod: '0.5' };

let cluster: MultiHostCluster;
let etcd: EtcdCluster;
let nats: NatsCluster;
let bus: BusConnection;
let client: SkiffClient;
/** What the test started that must stop even when it fails (informer, sampler); run in afterAll. */
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await ensureTestImages();
  cluster = await startMultiHostCluster({
    ha: { stores: 3, controlPlanes: 2 },
    workers: 2,
    scheduler: LEASE,
    controllerManager: LEASE,
    kubelet: { leaseInterval: '1', cpu: '2', memory: '4Gi' },
  });
  etcd = cluster.etcd!;
  nats = cluster.nats!;
  bus = await connectBus(nats.urls, { name: 'ha-e2e' });
  client = connect(cluster.address);
}, 240_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
  client?.close();
  await bus?.close();
  await cluster?.stop();
}, 60_000);

const deployment = (version: string): Deployment => {
  const d = sleeperDeployment(APP, { version, rollingUpdate: { maxSurge: SURGE, maxUnavailable: 1 } });
  d.spec!.replicas = REPLICAS;
  d.spec!.template!.spec!.containers[0]!.image = cluster.image;
  return d;
};

async function holder(lease: string): Promise<string> {
  return (await typed(client, 'lease').get('skiff-system', lease).catch(() => undefined))?.spec?.holderIdentity ?? '';
}

async function rolledOut(deployments: TypedClient<'deployment'>, version: string): Promise<boolean> {
  const d = await deployments.get(NS, APP);
  const s = d.status;
  const pods = await livePodsOfApp(typed(client, 'pod'), APP);
  return (
    !!s && s.observedGeneration >= (d.metadata?.generation ?? 0) && s.updatedReplicas === REPLICAS && s.replicas === REPLICAS && s.availableReplicas === REPLICAS &&
    pods.length === REPLICAS && pods.every((p) => isRunning(p) && p.spec?.containers[0]?.env.some((e) => e.value === version))
  );
}

/** Running app containers on the workers' dockerds, by pod name (Docker's view). */
async function runningContainersByPod(): Promise<Map<string, number>> {
  const byPod = new Map<string, number>();
  for (const worker of cluster.workers.values()) {
    const out = await worker.host.docker(['ps', '--filter', 'label=io.skiff.container.name=web', '--format', '{{.Label "io.skiff.pod.name"}}'], 5_000);
    for (const name of out.split('\n').filter(Boolean)) byPod.set(name, (byPod.get(name) ?? 0) + 1);
  }
  return byPod;
}

describe('highly available control plane', () => {
  it('loses no acknowledged write, keeps informers exact and finishes a rollout while one member of each kind is killed', async () => {
    const started = Date.now();
    const deployments = typed(client, 'deployment');
    const configMaps = typed(client, 'configMap');
    const pods = typed(client, 'pod');
    await deployments.create(deployment('v1'));
    await waitFor('v1 to roll out', () => rolledOut(deployments, 'v1'), { timeoutMs: 60_000, intervalMs: 250 });

    // An informer on the NATS cluster, through both apiservers.
    const informerStop = new AbortController();
    const informer = new Informer({ client, bus, resource: 'configMap', namespace: NS });
    const informing = informer.start(informerStop.signal);
    cleanups.push(async () => {
      informerStop.abort();
      await informing;
    });
    await informer.synced();

    // Samplers: live pods never above replicas + surge; Docker never runs one pod name twice.
    let maxLive = 0;
    let maxPerName = 0;
    let sampling = true;
    const stopSampling = async () => {
      sampling = false;
      await sampler;
    };
    cleanups.push(stopSampling);
    const sampler = (async () => {
      while (sampling) {
        try {
          maxLive = Math.max(maxLive, (await livePodsOfApp(pods, APP)).length);
          maxPerName = Math.max(maxPerName, ...(await runningContainersByPod()).values());
        } catch {
          // an apiserver is being killed: sample again
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    // Writers: ConfigMaps created and updated through the client of both apiservers; each
    // acknowledged write is recorded (name -> counter and resourceVersion).
    const acked = new Map<string, { n: number; rv: string }>();
    let ackCount = 0;
    let failures = 0;
    let killsDone = false;
    const writer = async (w: number) => {
      let key = 0;
      let n = 0;
      let current: ConfigMap | undefined;
      while (!(killsDone && ackCount >= WRITES)) {
        const name = `cm-${w}-${key}`;
        try {
          const data = { n: String(n) };
          current = current
            ? await configMaps.update({ ...current, data }, { timeoutMs: 5_000 })
            : await configMaps.create(ConfigMap.fromPartial({ metadata: { name, namespace: NS }, data }), { timeoutMs: 5_000 });
          acked.set(name, { n, rv: current.metadata!.resourceVersion! });
          ackCount++;
          n++;
          if (n === 5) [key, n, current] = [key + 1, 0, undefined];
        } catch (err) {
          failures++;
          if (!(err instanceof ConflictError)) await new Promise((r) => setTimeout(r, 50));
          // Outcome unknown: read back where the object stands and go on from there.
          current = await configMaps.get(NS, name).catch((e: unknown) => (e instanceof NotFoundError ? undefined : current));
          if (current) n = Number(current.data.n) + 1;
          if (n >= 5) [key, n, current] = [key + 1, 0, undefined];
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    const progress = (count = 40) => {
      const from = ackCount;
      return waitFor(`${count} more acknowledged writes`, () => ackCount >= from + count, { timeoutMs: 20_000, intervalMs: 20 });
    };

    const timings: Record<string, number> = {};
    const timed = async (what: string, kill: () => Promise<void>) => {
      await kill();
      const at = Date.now();
      await progress();
      timings[what] = Date.now() - at;
    };
    try {
      await progress();
      const current = await deployments.get(NS, APP);
      await deployments.update({ ...deployment('v2'), metadata: current.metadata });

      const etcdLeader = await etcd.leader();
      await timed('etcd leader', () => etcdLeader.kill());
      await etcdLeader.restart();

      const leaderName = (await waitFor('the stream leader', async () => (await nats.streamReplicas(WATCH_STREAM)).find((r) => r.leader))).name;
      const natsVictim = nats.members.find((m) => m.name === leaderName)!;
      await timed('NATS stream leader', () => natsVictim.kill());
      await natsVictim.restart();

      // Every apiserver publishes; they race for each revision and the stream refuses the one
      // behind. Kill the one that published last: the other must carry on publishing.
      const publishing = await cluster.publishingControlPlane();
      const survivor = cluster.controlPlanes.find((cp) => cp !== publishing)!;
      const publishedAtKill = await apiserverPublishedRevision(publishing.apiserverMetrics);
      await timed('publishing apiserver', () => publishing.apiserver.kill());
      await waitFor('the other apiserver to publish past the killed one', async () => (await apiserverPublishedRevision(survivor.apiserverMetrics)) > publishedAtKill, { timeoutMs: 10_000, intervalMs: 100 });
      await publishing.apiserver.restart();

      // A new rollout, so that the scheduler and controller-manager die with work in progress.
      await waitFor('v2 to roll out', () => rolledOut(deployments, 'v2'), { timeoutMs: 60_000, intervalMs: 250 });
      const v2 = await deployments.get(NS, APP);
      await deployments.update({ ...deployment('v3'), metadata: v2.metadata });

      /** Kills the Lease holder of `lease`; resolves once the standby holds it and writes go on. */
      const killLeader = async (lease: string, component: 'scheduler' | 'controllerManager') => {
        const was = await holder(lease);
        const victim = cluster.controlPlanes.find((cp) => cp.host.name === was)?.[component];
        expect(victim).toBeDefined();
        const killedAt = Date.now();
        await victim!.kill();
        await waitFor(`the standby to take the ${lease} Lease`, async () => {
          const now = await holder(lease);
          return now !== '' && now !== was;
        }, { timeoutMs: 20_000, intervalMs: 100 });
        timings[`${lease} takeover`] = Date.now() - killedAt;
        await progress();
        return victim!;
      };
      const scheduler = await killLeader('scheduler', 'scheduler');
      const cm = await killLeader('controller-manager', 'controllerManager');
      await Promise.all([scheduler.restart(), cm.restart()]);
      killsDone = true;
      await waitFor(`${WRITES} acknowledged writes`, () => ackCount >= WRITES, { timeoutMs: 60_000, intervalMs: 50 });
    } finally {
      killsDone = true;
      ackCount = Math.max(ackCount, WRITES);
      await Promise.all(writers);
    }
    try {
      await waitFor('v3 to roll out', () => rolledOut(deployments, 'v3'), { timeoutMs: 60_000, intervalMs: 250 });
    } finally {
      await stopSampling();
    }

    // Every acknowledged write is in etcd (read back through the apiservers).
    const listed = await configMaps.list({ namespace: NS });
    const stored = new Map(listed.items.map((cm) => [cm.metadata!.name!, cm]));
    for (const [name, { n, rv }] of acked) {
      const cm = stored.get(name);
      expect(cm).toBeDefined();
      expect(Number(cm!.data.n)).toBeGreaterThanOrEqual(n);
      if (Number(cm!.data.n) === n) expect(cm!.metadata!.resourceVersion).toBe(rv);
    }
    // The informer's cache ends equal to a fresh List.
    const fresh = () => configMaps.list({ namespace: NS }).then((l) => new Map(l.items.map((cm) => [cm.metadata!.name!, cm.metadata!.resourceVersion])));
    await waitFor('the informer to equal a fresh List', async () => {
      const cache = new Map(informer.list().map((cm) => [cm.metadata!.name!, cm.metadata!.resourceVersion]));
      const list = await fresh();
      return cache.size === list.size && [...list].every(([name, rv]) => cache.get(name) === rv);
    }, { timeoutMs: 30_000, intervalMs: 250 });
    informerStop.abort();
    await informing;

    // No duplicated pod: never more than replicas + surge live, never one name running twice.
    expect(maxLive).toBeLessThanOrEqual(REPLICAS + SURGE);
    expect(maxPerName).toBeLessThanOrEqual(1);
    const finalPods = (await podsOfApp(pods, APP)).filter(isLive);
    expect(new Set(finalPods.map((p) => p.metadata!.name)).size).toBe(REPLICAS);

    // The killed members rejoined.
    await waitFor('the etcd cluster to be healthy', () => etcd.healthy(), { timeoutMs: 20_000, intervalMs: 250 });
    await waitFor('the watch stream to have 3 current replicas', async () => {
      const replicas = await nats.streamReplicas(WATCH_STREAM);
      return replicas.length === 3 && replicas.every((r) => r.current);
    }, { timeoutMs: 30_000, intervalMs: 250 });
    expect((await bus.manager.streams.info(WATCH_STREAM)).config.num_replicas).toBe(3);
    for (const cp of cluster.controlPlanes) {
      const one = connect(cp.address);
      try {
        expect((await one.version()).version).toBeTruthy();
      } finally {
        one.close();
      }
      for (const c of [cp.apiserver, cp.scheduler, cp.controllerManager]) expect(c.process.running).toBe(true);
    }
    // Both schedulers and controller-managers are back: one of each holds the Lease.
    expect(cluster.controlPlanes.map((cp) => cp.host.name)).toContain(await holder('scheduler'));
    expect(cluster.controlPlanes.map((cp) => cp.host.name)).toContain(await holder('controller-manager'));
    console.log(`ha control plane: ${ackCount} writes acknowledged (${failures} failed and were retried), first 40 writes after each kill within ${JSON.stringify(timings)} ms, in ${Math.round((Date.now() - started) / 1000)} s`);
  }, 240_000);
});
