import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, Pod, Service, type Container, type Event, type PodStatus } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { DockerRuntime, type ContainerRuntime } from '@skiff/runtime';
import { createLogger } from '@skiff/service';
import {
  TEST_IMAGE,
  dockerApi,
  ensureAppBuilt,
  randomClusterCidr,
  ensureTestImages,
  freePort,
  labelledContainers,
  removeLabelledDockerObjects,
  runCli,
  startApiserver,
  startEtcd,
  startNats,
  tempDir,
  testLabel,
  waitFor,
  type ApiserverProcess,
  type EtcdServer,
  type NatsServer,
} from '@skiff/testing';
import { runKubelet } from './kubelet';
import { mergeDnsConfig } from './pod-dns';
import { PodSyncer } from './pod-syncer';
import { VolumeManager } from './volumes/volume-manager';
import { parseResolvConf } from './resolv-conf';

/**
 * End to end with real dockerd: the kubelet in-process on the DockerRuntime against real etcd,
 * NATS and the apiserver; a busybox httpd pod pulled from the local registry. Everything the
 * test creates carries its test label and is removed at the end.
 */
const label = testLabel();
const NODE = `docker-${label.value}`;
let etcd: EtcdServer;
let nats: NatsServer;
let apiserver: ApiserverProcess;
let client: SkiffClient;
let kubelet: { stop: AbortController; done: Promise<void> } | undefined;
let hostPort: number;
const rootDir = tempDir('kubelet-docker');
/** The kubelet's static pod CIDR (no node IPAM runs here): the first /24 of a random test cluster CIDR. */
const podCIDR = randomClusterCidr().replace(/\/\d+$/, '/24');

beforeAll(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats(), ensureTestImages()]);
  apiserver = await startApiserver({ etcd, nats, logLevel: 'warn' });
  client = connect(apiserver.address);
  hostPort = await freePort();
  const stop = new AbortController();
  const runtime = new DockerRuntime({ nodeName: NODE, hostIP: '127.0.0.1', extraLabels: label.labels });
  kubelet = {
    stop,
    done: runKubelet(
      { nodeName: NODE, server: apiserver.address, nats: [nats.url], nodeIP: '127.0.0.1', listen: '127.0.0.1:0', runtime, podCIDR, rootDir: rootDir.path, clusterDNS: ['10.96.0.10'], leaseIntervalMs: 1_000, backoff: { baseMs: 500, maxMs: 2_000 }, logger: createLogger('kubelet', 'warn') },
      stop.signal,
    ),
  };
}, 300_000);

afterAll(async () => {
  kubelet?.stop.abort();
  await kubelet?.done;
  client?.close();
  await apiserver?.stop();
  await Promise.all([nats?.stop(), etcd?.stop()]);
  await removeLabelledDockerObjects(label.filter);
  rootDir.remove();
}, 60_000);

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

interface DockerSummary {
  Id: string;
  State: string;
  Labels: Record<string, string>;
}

/** This test run's Docker containers of one pod (sandboxes and app containers, any state). */
async function podContainers(name: string): Promise<DockerSummary[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label.filter, `io.skiff.pod.name=${name}`] }));
  return (await dockerApi('GET', `/containers/json?all=1&filters=${filters}`)).body as DockerSummary[];
}

async function podText(name: string, container: string, previous = false): Promise<string> {
  const chunks = await collect(client.podLogs({ namespace: 'default', name, container, follow: false, previous, timestamps: false }, AbortSignal.timeout(5_000)));
  return Buffer.concat(chunks.map((c) => Buffer.from(c.data))).toString();
}

/** Deletes the pod and waits until it is gone from the API and from Docker. */
async function deletePod(name: string): Promise<void> {
  const pods = typed(client, 'pod');
  await pods.delete('default', name);
  await waitFor(
    `${name} to be gone from the API and Docker`,
    async () => {
      const gone = await pods.get('default', name).then(
        () => false,
        (err: unknown) => err instanceof NotFoundError,
      );
      return gone && (await podContainers(name)).length === 0;
    },
    { timeoutMs: 30_000 },
  );
}

async function createBound(name: string, spec: Partial<Pod['spec']> & { containers: NonNullable<Pod['spec']>['containers'] }): Promise<void> {
  await typed(client, 'pod').create(Pod.fromPartial({ metadata: { name, namespace: 'default' }, spec: { terminationGracePeriodSeconds: 1, ...spec } }));
  await client.bind({ namespace: 'default', name, nodeName: NODE, uid: '', resourceVersion: '' });
}

/** The Events about a pod, as "Type Reason Message" lines. */
async function podEvents(name: string): Promise<string[]> {
  const { items } = await typed(client, 'event').list({ namespace: 'default' });
  return items.filter((e: Event) => e.involvedObject?.kind === 'Pod' && e.involvedObject.name === name).map((e: Event) => `${e.type} ${e.reason} ${e.message}`);
}

describe('kubelet on Docker', () => {
  it('runs a busybox httpd pod that answers on its host port; logs and exec go through the apiserver; delete removes its containers', async () => {
    const pods = typed(client, 'pod');
    await pods.create(
      Pod.fromPartial({
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            { name: 'httpd', image: TEST_IMAGE, imagePullPolicy: 'Always', ports: [{ containerPort: 8080, hostPort, protocol: 'TCP' }] },
            { name: 'logger', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo started; exec sleep 3600'] },
          ],
        },
      }),
    );
    await client.bind({ namespace: 'default', name: 'web', nodeName: NODE, uid: '', resourceVersion: '' });
    const status = await waitFor(
      'web to be Running and Ready',
      async () => {
        const s = (await pods.get('default', 'web')).status;
        return s?.phase === 'Running' && s.conditions.find((c) => c.type === 'Ready')?.status === 'True' ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(status.containerStatuses.map((c) => [c.name, c.ready, c.containerID.startsWith('docker://')])).toEqual([
      ['httpd', true, true],
      ['logger', true, true],
    ]);
    // The pod IP is from the node's pod CIDR, which the kubelet wrote to its Node.
    expect(status.podIP.split('.').slice(0, 3)).toEqual(podCIDR.split('.').slice(0, 3));
    expect((await typed(client, 'node').get('', NODE)).spec?.podCIDR).toBe(podCIDR);
    // Where the node publishes each port with a hostPort.
    expect(status.publishedPorts).toEqual([{ name: '', containerPort: 8080, protocol: 'TCP', hostIP: '127.0.0.1', hostPort }]);

    const body = await waitFor('httpd to answer on the host port', async () => {
      const res = await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(2_000) });
      return res.ok ? res.text() : undefined;
    });
    expect(body).toBe('skiff\n');

    const logs = await waitFor('the logger output', async () => {
      const chunks = await collect(client.podLogs({ namespace: 'default', name: 'web', container: 'logger', follow: false, previous: false, timestamps: false }, AbortSignal.timeout(5_000)));
      const text = Buffer.concat(chunks.map((c) => Buffer.from(c.data))).toString();
      return text.includes('started') ? text : undefined;
    });
    expect(logs).toBe('started\n');

    const exec = await collect(client.podExec({ namespace: 'default', name: 'web', container: 'httpd', command: ['sh', '-c', 'echo hi; echo oops >&2; exit 4'] }, AbortSignal.timeout(10_000)));
    const stdout = exec.filter((o) => o.output?.$case === 'stdout').map((o) => Buffer.from(o.output?.value as Uint8Array).toString()).join('');
    const stderr = exec.filter((o) => o.output?.$case === 'stderr').map((o) => Buffer.from(o.output?.value as Uint8Array).toString()).join('');
    expect([stdout, stderr, exec.at(-1)?.output]).toEqual(['hi\n', 'oops\n', { $case: 'exitCode', value: 4 }]);

    expect((await labelledContainers(label.filter)).length).toBe(3); // sandbox + 2
    await pods.delete('default', 'web');
    await waitFor(
      'web to be gone from the API and Docker',
      async () => {
        const gone = await pods.get('default', 'web').then(
          () => false,
          (err: unknown) => err instanceof NotFoundError,
        );
        return gone && (await labelledContainers(label.filter)).length === 0;
      },
      { timeoutMs: 20_000 },
    );
  }, 90_000);

  it('ends a restartPolicy Never pod whose command does not exist Failed: terminated StartError 128, not retried', async () => {
    await createBound('nocmd', { restartPolicy: 'Never', containers: [{ name: 'main', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['/no/such/command'] }] as never });
    const status = await waitFor('nocmd to be Failed', async () => {
      const s = (await typed(client, 'pod').get('default', 'nocmd')).status;
      return s?.phase === 'Failed' ? s : undefined;
    }, { timeoutMs: 30_000 });
    expect(status.containerStatuses[0]).toMatchObject({
      restartCount: 0,
      ready: false,
      state: { terminated: { exitCode: 128, reason: 'StartError', message: expect.stringContaining('/no/such/command') } },
    });
    expect(status.containerStatuses[0].state?.terminated?.finishedAt).toBeInstanceOf(Date);
    // one app container (Docker leaves it "created"), never retried; the sandbox is stopped
    await waitFor('the sandbox to be stopped', async () => (await podContainers('nocmd')).some((c) => c.Labels['io.skiff.kind'] === 'sandbox' && c.State === 'exited'));
    const containers = await podContainers('nocmd');
    expect(containers.map((c) => `${c.Labels['io.skiff.kind']}:${c.State}`).sort()).toEqual(['container:created', 'sandbox:exited']);
    await deletePod('nocmd');
  }, 60_000);

  it('retries a command that does not exist under restartPolicy Always with backoff: CrashLoopBackOff, lastState StartError 128', async () => {
    const pods = typed(client, 'pod');
    const seen = new Set<string>();
    const watching = new AbortController();
    const watch = (async () => {
      for await (const ev of pods.watch({ namespace: 'default', fieldSelector: 'metadata.name=retrycmd' }, watching.signal)) {
        const c = ev.object.status?.containerStatuses[0];
        if (c?.state?.waiting) seen.add(c.state.waiting.reason);
      }
    })().catch(() => undefined);
    await createBound('retrycmd', { containers: [{ name: 'main', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['/no/such/command'] }] as never });
    const status = await waitFor('retrycmd to be restarted twice', async () => {
      const s = (await pods.get('default', 'retrycmd')).status;
      return (s?.containerStatuses[0]?.restartCount ?? 0) >= 2 ? s : undefined;
    }, { timeoutMs: 30_000 });
    expect(status.phase).toBe('Running');
    expect(status.containerStatuses[0].lastState?.terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
    await waitFor('RunContainerError and CrashLoopBackOff to have been reported', () => seen.has('RunContainerError') && seen.has('CrashLoopBackOff'));
    watching.abort();
    await watch;
    // the current instance and one previous are kept, no more
    expect((await podContainers('retrycmd')).filter((c) => c.Labels['io.skiff.kind'] === 'container').length).toBeLessThanOrEqual(2);
    await deletePod('retrycmd');
  }, 60_000);

  it('replaces a sandbox killed or removed outside: containers restart in the new one, restartCount and logs --previous survive, a Completed one is not re-run', async () => {
    const pods = typed(client, 'pod');
    await createBound('resilient', {
      restartPolicy: 'OnFailure',
      containers: [
        { name: 'server', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo run $(cat /proc/sys/kernel/random/uuid); exec sleep 3600'] },
        { name: 'init', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo done'] },
      ] as never,
    });
    const statusOf = async () => (await pods.get('default', 'resilient')).status;
    const byName = (s: Awaited<ReturnType<typeof statusOf>>, name: string) => s?.containerStatuses.find((c) => c.name === name);
    const settled = async (restarts: number, after = 'start') =>
      waitFor(`server running after ${restarts} restarts (sandbox ${after}), init Completed`, async () => {
        const s = await statusOf();
        const ok = byName(s, 'server')?.restartCount === restarts && byName(s, 'server')?.state?.running && byName(s, 'init')?.state?.terminated?.reason === 'Completed';
        return ok && s?.phase === 'Running' ? s : undefined;
      }, { timeoutMs: 30_000 });
    const readySandbox = async () => (await podContainers('resilient')).find((c) => c.Labels['io.skiff.kind'] === 'sandbox' && c.State === 'running');
    const serverRun = async () => waitFor('the server output', async () => (await podText('resilient', 'server')).match(/^run \S+\n$/)?.[0]);

    await settled(0);
    const runs = [await serverRun()];
    const initId = byName(await statusOf(), 'init')?.containerID;
    const losses: [string, (id: string) => Promise<unknown>][] = [
      ['killed', (id) => dockerApi('POST', `/containers/${id}/kill`)],
      ['removed', (id) => dockerApi('DELETE', `/containers/${id}?force=1`)],
    ];
    for (const [i, [how, lose]] of losses.entries()) {
      const sandbox = await readySandbox();
      expect(sandbox).toBeDefined();
      await lose(sandbox!.Id);
      const s = await settled(i + 1, how);
      runs.push(await serverRun());
      expect(runs[i + 1]).not.toBe(runs[i]); // a new instance
      expect(await podText('resilient', 'server', true)).toBe(runs[i]);
      expect(byName(s, 'server')?.lastState?.terminated).toBeDefined();
      expect(byName(s, 'init')).toMatchObject({ restartCount: 0, containerID: initId }); // not re-run
      expect((await readySandbox())?.Id).not.toBe(sandbox!.Id);
      expect(s.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    }
    // garbage stays bounded: server: current + previous; init: 1; sandboxes: the ready one + those kept instances joined
    const containers = await podContainers('resilient');
    const kinds = containers.map((c) => `${c.Labels['io.skiff.kind']}:${c.Labels['io.skiff.container.name'] ?? ''}`);
    expect(kinds.filter((k) => k === 'container:server')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'container:init')).toHaveLength(1);
    expect(kinds.filter((k) => k.startsWith('sandbox')).length).toBeLessThanOrEqual(3);
    await deletePod('resilient');
  }, 120_000);
  it('records the Events `skiff describe pod` shows: Pulling, Pulled, Created, Started, a crash loop\'s BackOff; Killing on delete', async () => {
    await createBound('eventful', {
      containers: [
        { name: 'server', image: TEST_IMAGE, imagePullPolicy: 'Always', command: ['sh', '-c', 'exec sleep 3600'] },
        { name: 'crasher', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo bye; exit 1'] },
      ] as never,
    });
    const uid = (await typed(client, 'pod').get('default', 'eventful')).metadata?.uid;
    const expected = [
      `Normal Pulling Pulling image "${TEST_IMAGE}"`,
      `Normal Pulled Container image "${TEST_IMAGE}" already present on machine`,
      'Normal Created Created container server',
      'Normal Started Started container server',
      'Normal Created Created container crasher',
      'Normal Started Started container crasher',
      `Warning BackOff Back-off restarting failed container crasher in pod eventful_default(${uid})`,
    ];
    const events = await waitFor('the pod\'s events', async () => {
      const lines = await podEvents('eventful');
      return expected.every((e) => lines.includes(e)) ? lines : undefined;
    }, { timeoutMs: 30_000 });
    const pulled = events.find((e) => e.startsWith(`Normal Pulled Successfully pulled image "${TEST_IMAGE}" in `));
    expect(pulled).toMatch(/ in \d+(\.\d+)?m?s$/);

    const described = await runCli(ensureAppBuilt('skiff'), apiserver.address, ['describe', 'pod', 'eventful'], 60_000);
    const rows = described.slice(described.indexOf('Events:')).split('\n');
    const row = (type: string, reason: string, message: string) => rows.some((r) => r.trim().startsWith(type) && r.includes(` ${reason} `) && r.includes('kubelet') && r.endsWith(message));
    expect(row('Normal', 'Pulled', pulled!.slice('Normal Pulled '.length))).toBe(true);
    expect(row('Normal', 'Created', 'Created container server')).toBe(true);
    expect(row('Normal', 'Started', 'Started container crasher')).toBe(true);
    expect(row('Warning', 'BackOff', `Back-off restarting failed container crasher in pod eventful_default(${uid})`)).toBe(true);

    await deletePod('eventful');
    await waitFor('the Killing event', async () => (await podEvents('eventful')).includes('Normal Killing Stopping container server'));
  }, 120_000);

  it("gives a pod created after a Service its env vars, and its containers the cluster DNS resolv.conf (dnsPolicy Default: the node's)", async () => {
    await typed(client, 'service').create(
      Service.fromPartial({
        metadata: { name: 'dns-web', namespace: 'default' },
        spec: { clusterIP: '10.96.8.8', selector: { app: 'dns-web' }, ports: [{ name: 'http', port: 8080, protocol: 'TCP', targetPort: { value: { $case: 'intVal', value: 8080 } } }] },
      }),
    );
    const sleeper = { image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] };
    await createBound('dns-cluster', { containers: [{ name: 'a', ...sleeper }, { name: 'b', ...sleeper }] as never });
    await createBound('dns-default', { dnsPolicy: 'Default', enableServiceLinks: false, containers: [{ name: 'a', ...sleeper }] as never });
    const execText = async (name: string, container: string, command: string[]) => {
      const out = await collect(client.podExec({ namespace: 'default', name, container, command }, AbortSignal.timeout(10_000)));
      return out.filter((o) => o.output?.$case === 'stdout').map((o) => Buffer.from(o.output?.value as Uint8Array).toString()).join('');
    };
    for (const name of ['dns-cluster', 'dns-default']) {
      await waitFor(`${name} to run`, async () => ((await typed(client, 'pod').get('default', name)).status?.phase === 'Running' ? true : undefined), { timeoutMs: 60_000 });
    }

    const env = (await execText('dns-cluster', 'a', ['env'])).split('\n');
    expect(env).toEqual(expect.arrayContaining(['DNS_WEB_SERVICE_HOST=10.96.8.8', 'DNS_WEB_SERVICE_PORT=8080', 'DNS_WEB_SERVICE_PORT_HTTP=8080', 'DNS_WEB_PORT=tcp://10.96.8.8:8080', 'DNS_WEB_PORT_8080_TCP_ADDR=10.96.8.8']));
    // Every container of the pod shares the sandbox's resolv.conf.
    for (const container of ['a', 'b']) {
      const lines = (await execText('dns-cluster', container, ['cat', '/etc/resolv.conf'])).split('\n').filter((l) => l && !l.startsWith('#'));
      expect(lines.sort()).toEqual(['nameserver 10.96.0.10', 'options ndots:5', 'search default.svc.cluster.local svc.cluster.local cluster.local']);
    }
    expect((await execText('dns-default', 'a', ['env'])).split('\n').filter((l) => l.startsWith('DNS_WEB_'))).toEqual([]);
    const nodeResolv = await execText('dns-default', 'a', ['cat', '/etc/resolv.conf']);
    expect(nodeResolv).not.toContain('10.96.0.10');
    expect(nodeResolv).not.toContain('svc.cluster.local');

    await Promise.all([deletePod('dns-cluster'), deletePod('dns-default')]);
    await typed(client, 'service').delete('default', 'dns-web');
  }, 120_000);

  it("writes a dnsPolicy None pod's resolv.conf from its dnsConfig alone, and merges a Default pod's into the node's", async () => {
    const sleeper = { name: 'a', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] };
    const options = [{ name: 'ndots', value: '2' }, { name: 'edns0' }];
    await createBound('dns-none', { dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.0.53', '10.0.0.54'], searches: ['corp.example', 'lab.example'], options }, containers: [sleeper] as never });
    await createBound('dns-default-merged', { dnsPolicy: 'Default', dnsConfig: { nameservers: ['10.0.0.53'], searches: ['corp.example'], options }, containers: [sleeper] as never });
    const resolvConf = async (name: string) => {
      await waitFor(`${name} to run`, async () => ((await typed(client, 'pod').get('default', name)).status?.phase === 'Running' ? true : undefined), { timeoutMs: 60_000 });
      const out = await collect(client.podExec({ namespace: 'default', name, container: 'a', command: ['cat', '/etc/resolv.conf'] }, AbortSignal.timeout(10_000)));
      const text = out.filter((o) => o.output?.$case === 'stdout').map((o) => Buffer.from(o.output?.value as Uint8Array).toString()).join('');
      return text.split('\n').filter((l) => l && !l.startsWith('#'));
    };

    // Exactly the pod's settings: no cluster DNS (the kubelet has one), nothing of the node's.
    expect((await resolvConf('dns-none')).sort()).toEqual(['nameserver 10.0.0.53', 'nameserver 10.0.0.54', 'options ndots:2 edns0', 'search corp.example lab.example']);
    // The node's resolv.conf as the kubelet reads it, with the pod's settings appended.
    const node = parseResolvConf(readFileSync('/etc/resolv.conf', 'utf8'));
    const merged = mergeDnsConfig(node, { nameservers: ['10.0.0.53'], searches: ['corp.example'], options });
    expect((await resolvConf('dns-default-merged')).sort()).toEqual(
      [...merged.servers.slice(0, 3).map((s) => `nameserver ${s}`), `options ${merged.options.join(' ')}`, `search ${merged.searches.join(' ')}`].sort(),
    );
    expect(merged.servers).toContain('10.0.0.53');

    await Promise.all([deletePod('dns-none'), deletePod('dns-default-merged')]);
  }, 120_000);
});

/**
 * The pod syncer on real Docker for pod fields the API does not accept yet (init containers,
 * native sidecars, lifecycle hooks, termination messages): the test drives syncPod itself, as the
 * pod workers would on each runtime event, and keeps the statuses it writes. Its node name is
 * its own, so the kubelet above leaves its containers alone.
 */
describe('pod syncer on Docker: init containers, sidecars, lifecycle hooks, termination messages', () => {
  const node = `syncer-${label.value}`;
  let runtime: ContainerRuntime;
  let written: { at: number; status: PodStatus }[];
  let events: string[];
  let syncer: PodSyncer;
  const stop = new AbortController();

  beforeAll(() => {
    runtime = new DockerRuntime({ nodeName: node, hostIP: '127.0.0.1', extraLabels: label.labels });
    written = [];
    events = [];
    const pods = {
      updateStatus: async (pod: Pod) => (written.push({ at: Date.now(), status: structuredClone(pod.status!) }), pod),
      delete: async () => undefined,
    };
    const recorder = { normal: (_o: unknown, reason: string, message: string) => events.push(`Normal ${reason} ${message}`), warning: (_o: unknown, reason: string, message: string) => events.push(`Warning ${reason} ${message}`) };
    const nodeAllocatable = () => ({ cpu: '64', memory: '1Ti' });
    const volumes = new VolumeManager({ rootDir: join(rootDir.path, 'syncer'), sources: { configMap: async () => undefined, secret: async () => undefined }, nodeAllocatable, log: createLogger('kubelet', 'warn') });
    syncer = new PodSyncer({ runtime, pods: pods as never, nodeIP: '127.0.0.1', allocatable: () => ({ cpuMillis: 64_000, memoryBytes: 2 ** 40, pods: 110 }) as never, backoff: { baseMs: 500, maxMs: 2_000 }, recorder, volumes, nodeAllocatable });
  });
  afterAll(() => stop.abort());

  let n = 0;
  const sh = (script: string) => ({ image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script] });
  const makePod = (name: string, spec: Record<string, unknown>): Pod =>
    Pod.fromPartial({ metadata: { name, namespace: 'default', uid: `uid-${label.value}-${++n}` }, spec: { terminationGracePeriodSeconds: 1, nodeName: node, ...spec } as never });
  const statusOf = (pod: Pod) => syncer.reportedStatus(pod.metadata!.uid);
  /** Syncs the pod until `until` says so (the pod workers would on each event). */
  const drive = <T>(pod: Pod, what: string, until: (s: PodStatus) => T | undefined, timeoutMs = 30_000) =>
    waitFor(what, async () => {
      await syncer.syncPod(pod, stop.signal);
      const s = statusOf(pod);
      return s ? until(s) : undefined;
    }, { timeoutMs, intervalMs: 100 });
  const containerIds = async (pod: Pod) => (await runtime.listContainers({ podUid: pod.metadata!.uid })).map((c) => c.name);
  const textOf = async (id: string) => {
    const out: Buffer[] = [];
    for await (const chunk of runtime.logs(id, {})) out.push(Buffer.from(chunk.data));
    return Buffer.concat(out).toString();
  };
  const idOf = (uri: string) => uri.replace(/^docker:\/\//, '');
  const terminate = (pod: Pod) => syncer.terminatePod(pod, false, stop.signal);

  it('runs init containers one at a time, in order, to success before the app; reports them and PodInitializing meanwhile', async () => {
    written.length = 0;
    const pod = makePod('init-order', {
      initContainers: [{ name: 'a', ...sh('echo a; sleep 1') }, { name: 'b', ...sh('echo b') }],
      containers: [{ name: 'web', ...sh('echo web; exec sleep 3600') }],
    });
    const s = await drive(pod, 'init-order to run its app', (st) => (st.phase === 'Running' && st.containerStatuses[0].state?.running ? st : undefined));
    const [a, b] = s.initContainerStatuses;
    expect([a.name, a.state?.terminated?.reason, a.ready, b.name, b.state?.terminated?.reason, b.ready]).toEqual(['a', 'Completed', true, 'b', 'Completed', true]);
    expect(a.state!.terminated!.finishedAt!.getTime()).toBeLessThanOrEqual(b.state!.terminated!.startedAt!.getTime());
    expect(b.state!.terminated!.finishedAt!.getTime()).toBeLessThanOrEqual(s.containerStatuses[0].state!.running!.startedAt!.getTime());
    expect(s.conditions.find((c) => c.type === 'Initialized')?.status).toBe('True');
    // while a ran: Pending, the app waiting PodInitializing, Initialized False
    const early = written.map((w) => w.status).find((st) => st.initContainerStatuses[0]?.state?.running);
    expect(early).toMatchObject({ phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'PodInitializing' } } }] });
    expect(early?.conditions.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [a b]' });
    expect(events).toEqual(expect.arrayContaining(['Normal Created Created container a', 'Normal Started Started container a', 'Normal Started Started container b', 'Normal Started Started container web']));
    expect(events.indexOf('Normal Started Started container b')).toBeGreaterThan(events.indexOf('Normal Started Started container a'));
    expect(await textOf(idOf(a.containerID))).toBe('a\n');
    await terminate(pod);
    expect(await containerIds(pod)).toEqual([]);
  }, 60_000);

  it('backs a failing init container off (CrashLoopBackOff) and never starts the app; under Never the pod ends Failed', async () => {
    const looping = makePod('init-loop', { initContainers: [{ name: 'a', ...sh('exit 1') }], containers: [{ name: 'web', ...sh('exec sleep 3600') }] });
    const s = await drive(looping, 'init-loop to back off', (st) => (st.initContainerStatuses[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? st : undefined));
    expect(s).toMatchObject({ phase: 'Pending', initContainerStatuses: [{ lastState: { terminated: { exitCode: 1, reason: 'Error' } } }], containerStatuses: [{ state: { waiting: { reason: 'PodInitializing' } } }] });
    expect(s.initContainerStatuses[0].restartCount).toBeGreaterThanOrEqual(1);
    expect(events).toContain(`Warning BackOff Back-off restarting failed container a in pod init-loop_default(${looping.metadata!.uid})`);
    expect(new Set(await containerIds(looping))).toEqual(new Set(['a']));
    await terminate(looping);

    const never = makePod('init-never', { restartPolicy: 'Never', initContainers: [{ name: 'a', ...sh('exit 3') }], containers: [{ name: 'web', ...sh('exec sleep 3600') }] });
    const failed = await drive(never, 'init-never to fail', (st) => (st.phase === 'Failed' ? st : undefined));
    expect(failed.initContainerStatuses[0].state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(await containerIds(never)).toEqual(['a']);
    await terminate(never);
  }, 60_000);

  it('runs a native sidecar beside the app and stops it after the app completed: the pod Succeeded', async () => {
    const pod = makePod('sidecar', {
      restartPolicy: 'Never',
      initContainers: [{ name: 'log', restartPolicy: 'Always', ...sh('trap "exit 0" TERM; echo up; while true; do sleep 0.1; done') }],
      containers: [{ name: 'app', ...sh('sleep 1; echo done') }],
    });
    const s = await drive(pod, 'the sidecar pod to succeed', (st) => (st.phase === 'Succeeded' ? st : undefined));
    const log = s.initContainerStatuses[0];
    const app = s.containerStatuses[0];
    expect(app.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(log.state?.terminated?.exitCode).toBe(0); // its TERM trap
    expect(log.state!.terminated!.startedAt!.getTime()).toBeLessThanOrEqual(app.state!.terminated!.startedAt!.getTime());
    expect(log.state!.terminated!.finishedAt!.getTime()).toBeGreaterThanOrEqual(app.state!.terminated!.finishedAt!.getTime());
    // it ran beside the app: some status showed both running
    expect(written.some((w) => w.status.initContainerStatuses[0]?.state?.running && w.status.containerStatuses[0]?.state?.running)).toBe(true);
    expect(events).toContain('Normal Killing Stopping container log');
    await terminate(pod);
  }, 60_000);

  it('runs postStart before the container counts as Running; a failing one kills it (FailedPostStartHook)', async () => {
    written.length = 0;
    const pod = makePod('poststart', {
      containers: [{
        name: 'web',
        ...sh('for i in $(seq 50); do [ -f /tmp/x ] && break; sleep 0.1; done; [ -f /tmp/x ] && echo seen || echo missing; exec sleep 3600'),
        lifecycle: { postStart: { exec: { command: ['sh', '-c', 'sleep 1; touch /tmp/x'] } } },
      }],
    });
    const s = await drive(pod, 'poststart to run', (st) => (st.containerStatuses[0]?.state?.running ? st : undefined));
    // Running was first reported after the hook's second of sleep, counted from the container's start
    const firstRunning = written.find((w) => w.status.containerStatuses[0]?.state?.running)!;
    expect(firstRunning.at - s.containerStatuses[0].state!.running!.startedAt!.getTime()).toBeGreaterThanOrEqual(1_000);
    const id = idOf(s.containerStatuses[0].containerID);
    expect(await waitFor('the container to see the file', async () => (await textOf(id)).trim() || undefined)).toBe('seen');
    await terminate(pod);

    const failing = makePod('poststart-fails', { restartPolicy: 'Never', containers: [{ name: 'web', ...sh('exec sleep 3600'), lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo nope; exit 3'] } } } }] });
    const failed = await drive(failing, 'poststart-fails to fail', (st) => (st.phase === 'Failed' ? st : undefined));
    expect(failed.containerStatuses[0].state?.terminated?.exitCode).not.toBe(0);
    expect(events).toEqual(expect.arrayContaining(['Warning FailedPostStartHook PostStartHook failed', 'Normal Killing FailedPostStartHook']));
    await terminate(failing);
  }, 60_000);

  it('runs preStop before SIGTERM, and the whole stop stays within the grace period (a hook that overruns it is cut short)', async () => {
    const trap = 'trap \'if [ -f /tmp/prestop ]; then echo term-after-prestop; else echo term-without-prestop; fi; exit 0\' TERM; echo ready; while true; do sleep 0.1; done';
    const pod = makePod('prestop', {
      terminationGracePeriodSeconds: 3,
      containers: [
        { name: 'web', ...sh(trap), lifecycle: { preStop: { exec: { command: ['sh', '-c', 'touch /tmp/prestop; sleep 1'] } } } },
        { name: 'slow', ...sh('exec sleep 3600'), lifecycle: { preStop: { exec: { command: ['sleep', '30'] } } } },
      ],
    });
    const s = await drive(pod, 'prestop to run', (st) => (st.containerStatuses.every((c) => c.state?.running) ? st : undefined));
    const web = idOf(s.containerStatuses[0].containerID);
    await waitFor('web to be ready', async () => (await textOf(web)).includes('ready'));
    const output: Buffer[] = [];
    const following = (async () => {
      for await (const chunk of runtime.logs(web, { follow: true })) output.push(Buffer.from(chunk.data));
    })();
    const began = Date.now();
    await syncer.terminatePod(pod, false, stop.signal);
    const took = Date.now() - began;
    await following.catch(() => undefined);
    expect(Buffer.concat(output).toString()).toBe('ready\nterm-after-prestop\n');
    // slow: its hook gets the 3 s grace period, then SIGTERM (ignored by sh as pid 1) and SIGKILL 2 s later
    expect(took).toBeGreaterThanOrEqual(4_500);
    expect(took).toBeLessThan(7_000);
    expect(events).not.toContain('Warning FailedPreStopHook PreStopHook failed');
  }, 60_000);

  it('fills terminated.message from the last logs of a failed container under FallbackToLogsOnError, nothing under File', async () => {
    const pod = makePod('termmsg', {
      restartPolicy: 'Never',
      containers: [
        { name: 'logs', ...sh('echo first; echo boom-reason; exit 2'), terminationMessagePolicy: 'FallbackToLogsOnError' },
        { name: 'file', ...sh('echo quiet; exit 2'), terminationMessagePolicy: 'File' },
        { name: 'ok', ...sh('echo fine'), terminationMessagePolicy: 'FallbackToLogsOnError' },
      ] as Container[],
    });
    const s = await drive(pod, 'termmsg to fail', (st) => (st.phase === 'Failed' ? st : undefined));
    expect(s.containerStatuses.map((c) => [c.name, c.state?.terminated?.message])).toEqual([
      ['logs', 'first\nboom-reason\n'],
      ['file', ''],
      ['ok', ''],
    ]);
    await terminate(pod);
  }, 60_000);
});
