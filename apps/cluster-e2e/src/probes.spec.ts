import type { Event, Pod } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, testLabel, waitFor } from '@skiff/testing';
import { endpointAddresses, httpGet, isReady, startE2eCluster, type E2eCluster } from './e2e-fixture';

/**
 * Issue 6's probe acceptance (1-4) end to end: the built apiserver, scheduler, controller-manager
 * (endpoints), two kubelets on real Docker and a proxy serving node 1; pods applied with the
 * built CLI. Probes run from the kubelets: http and tcp to the pod IP, exec through Docker.
 *
 * The web containers are busybox httpd serving /www (GET /x answers 404 once /www/x is gone)
 * and answering GET / with the pod's name. They run under `sh` with a TERM trap, so that a
 * container killed for a failed liveness probe ends at once (exit 143), not after its grace period.
 */
const run = testLabel().value;
const NODES = [`probe-${run}-1`, `probe-${run}-2`];
const NS = 'default';
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;

beforeAll(async () => {
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    controllerManagers: 1,
    proxy: { nodes: [NODES[0]] },
  });
  pods = e2e.typed('pod');
}, 240_000);

afterAll(async () => {
  await e2e?.stop();
}, 60_000);

function skiff(...args: string[]): Promise<string> {
  return e2e.cli(args, 90_000);
}

/** Applies `yaml` as the file `file`; resolves with its path (for `skiff delete -f`). */
function apply(file: string, yaml: string): Promise<string> {
  return e2e.apply(file, yaml);
}

/** httpd on 8080 serving /www, with `files` created first (after `delay` seconds, when given). */
function httpd(files: string[], delay = 0): string {
  const make = ['mkdir -p /www', 'hostname > /www/index.html', ...files.map((f) => `echo ok > /www/${f}`)].join(' && ');
  return `[sh, -c, "${delay ? `sleep ${delay}; ` : ''}${make} && trap 'exit 143' TERM; httpd -f -p 8080 -h /www & wait"]`;
}

/** A pod labelled app=<app> on node `node` (0 or 1) whose container `web` runs `command`, with `probes` (YAML lines at container level). */
function podManifest(name: string, node: number, command: string, probes: string, app = name): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: ${app}}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${NODES[node]}}
  terminationGracePeriodSeconds: 30
  containers:
  - name: web
    image: ${TEST_IMAGE}
    imagePullPolicy: IfNotPresent
    command: ${command}
    ports: [{name: http, containerPort: 8080}]
${probes
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;
}

const get = (name: string): Promise<Pod> => pods.get(NS, name);
const containerStatus = async (name: string) => (await get(name)).status?.containerStatuses[0];

/** The pod's events as "Reason: message", oldest first. */
async function podEvents(name: string): Promise<{ reason: string; message: string; type: string; at: number }[]> {
  const events: Event[] = (await e2e.typed('event').list({ namespace: NS })).items;
  return events
    .filter((e) => e.involvedObject?.kind === 'Pod' && e.involvedObject.name === name)
    .map((e) => ({ reason: e.reason, message: e.message, type: e.type, at: (e.firstTimestamp ?? e.lastTimestamp)?.getTime() ?? 0 }))
    .sort((a, b) => a.at - b.at);
}

/** Waits for an event of the pod with this reason whose message matches; resolves with it. */
function waitEvent(pod: string, reason: string, message: RegExp | string, timeoutMs = 20_000) {
  const matches = (m: string) => (typeof message === 'string' ? m === message : message.test(m));
  return waitFor(`${pod} to have a ${reason} event "${message}"`, async () => (await podEvents(pod)).find((e) => e.reason === reason && matches(e.message)), { timeoutMs, intervalMs: 100 });
}

function waitReady(name: string, ready = true, timeoutMs = 60_000): Promise<Pod> {
  return waitFor(`${name} to be ${ready ? '' : 'not '}Ready`, async () => {
    const pod = await get(name);
    return pod.status?.phase === 'Running' && isReady(pod) === ready ? pod : undefined;
  }, { timeoutMs, intervalMs: 50 });
}

/** The ready and not-ready address IPs of the Endpoints `name`. */
function endpointIPs(name: string): Promise<{ ready: string[]; notReady: string[] }> {
  return endpointAddresses(e2e.typed('endpoints'), NS, name);
}

describe('liveness', () => {
  it('restarts a container whose liveness endpoint starts failing within periodSeconds x failureThreshold (+1 period), with restartCount, last state and events', async () => {
    const period = 1;
    const failures = 3;
    await apply('live.yaml', podManifest('live', 0, httpd(['healthz']), `
livenessProbe:
  httpGet: {path: /healthz, port: 8080}
  periodSeconds: ${period}
  failureThreshold: ${failures}
  terminationGracePeriodSeconds: 2`));
    await waitReady('live');
    // healthy: it keeps running
    expect((await containerStatus('live'))?.restartCount).toBe(0);

    await skiff('exec', 'live', '--', 'rm', '/www/healthz');
    const broken = Date.now();
    const restarted = await waitFor('live to restart', async () => {
      const s = await containerStatus('live');
      return s && s.restartCount >= 1 && s.state?.running ? s : undefined;
    }, { timeoutMs: 30_000, intervalMs: 50 });
    const restartedMs = Date.now() - broken;
    await waitReady('live');
    const readyMs = Date.now() - broken;

    const killing = await waitEvent('live', 'Killing', 'Container web failed liveness probe, will be restarted');
    const detectedMs = killing.at - broken;
    const bound = (period * failures + period) * 1000;
    process.stdout.write(`liveness: bound ${bound} ms; kill decided after ${detectedMs} ms, restarted (API) after ${restartedMs} ms, Ready again after ${readyMs} ms\n`);
    expect(detectedMs).toBeLessThanOrEqual(bound);
    // a container start and the status write after the kill (on a busy 2-core machine)
    expect(restartedMs).toBeLessThanOrEqual(bound + 2_000);
    expect(restarted).toMatchObject({ restartCount: 1, ready: true, lastState: { terminated: { exitCode: 143, reason: 'Error' } } });

    const unhealthy = await waitEvent('live', 'Unhealthy', 'Liveness probe failed: HTTP probe failed with statuscode: 404');
    expect(unhealthy.type).toBe('Warning');
    const described = await skiff('describe', 'pod', 'live');
    expect(described).toMatch(/Liveness:\s+http-get http:\/\/:8080\/healthz delay=0s timeout=1s period=1s #success=1 #failure=3\n/);
    expect(described).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+143\n/);
    expect(described).toMatch(/Restart Count:\s+1\n/);
    expect(described).toMatch(/Warning\s+Unhealthy\s+.*Liveness probe failed: HTTP probe failed with statuscode: 404/);
    expect(described).toMatch(/Normal\s+Killing\s+.*Container web failed liveness probe, will be restarted/);
    await skiff('delete', 'pod', 'live', '--wait=false');
  }, 120_000);
});

describe('readiness', () => {
  it('takes a pod out of its service while its readiness probe fails: none of 200 requests through the ClusterIP reach it, until it is ready again', async () => {
    const probe = `
readinessProbe:
  httpGet: {path: /ready, port: http}
  periodSeconds: 1
  failureThreshold: 2`;
    // one pod per node; the proxy reaches both at their pod IPs
    const rdFile = await apply('rd.yaml', `${podManifest('rd-a', 0, httpd(['ready']), probe, 'rd')}---\n${podManifest('rd-b', 1, httpd(['ready']), probe, 'rd')}---
apiVersion: v1
kind: Service
metadata: {name: rd}
spec:
  selector: {app: rd}
  ports: [{port: 80, targetPort: http}]
`);
    const [a, b] = await Promise.all([waitReady('rd-a'), waitReady('rd-b')]);
    const ipA = a.status?.podIP ?? '';
    const ipB = b.status?.podIP ?? '';
    await waitFor('rd to have both pods ready', async () => (await endpointIPs('rd')).ready.length === 2, { timeoutMs: 20_000, intervalMs: 50 });
    const ip = (await e2e.typed('service').get(NS, 'rd')).spec?.clusterIP ?? '';
    const answers = async (n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(await httpGet(ip, 80));
      return out;
    };
    await waitFor('both pods to answer through the service', async () => new Set(await answers(20)).size === 2, { timeoutMs: 10_000, intervalMs: 100 });

    await skiff('exec', 'rd-b', '--', 'rm', '/www/ready');
    const broken = Date.now();
    await waitFor('rd-b to leave the endpoints', async () => {
      const ep = await endpointIPs('rd');
      return ep.ready.join() === ipA && ep.notReady.join() === ipB;
    }, { timeoutMs: 20_000, intervalMs: 50 });
    const leftMs = Date.now() - broken;
    const pod = await get('rd-b');
    expect(pod.status?.containerStatuses[0]).toMatchObject({ ready: false, started: true, restartCount: 0, state: { running: {} } });
    expect(pod.status?.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    // Propagation to the proxy: within its goal (200 ms), then none of 200 requests reaches rd-b.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const out = await answers(200);
    expect(out).toHaveLength(200);
    expect(out.filter((name) => name !== 'rd-a')).toEqual([]);
    await waitEvent('rd-b', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 404');

    await skiff('exec', 'rd-b', '--', 'sh', '-c', 'echo ok > /www/ready');
    const fixed = Date.now();
    await waitFor('rd-b to be back in the endpoints', async () => (await endpointIPs('rd')).ready.length === 2, { timeoutMs: 20_000, intervalMs: 50 });
    const backMs = Date.now() - fixed;
    process.stdout.write(`readiness: out of the endpoints after ${leftMs} ms (period 1 s x failureThreshold 2), back after ${backMs} ms\n`);
    await waitFor('rd-b to get traffic again', async () => (await answers(20)).includes('rd-b'), { timeoutMs: 10_000, intervalMs: 100 });
    await skiff('delete', '-f', rdFile, '--wait=false');
  }, 120_000);
});

describe('startup', () => {
  it('holds liveness back while a slow container starts; the same container without a startup probe is killed', async () => {
    const liveness = `
livenessProbe:
  httpGet: {path: /healthz, port: 8080}
  periodSeconds: 1
  failureThreshold: 2
  terminationGracePeriodSeconds: 1`;
    const startup = `
startupProbe:
  httpGet: {path: /started, port: 8080}
  periodSeconds: 1
  failureThreshold: 30`;
    // httpd comes up after 6 s: liveness alone (2 failures of 1 s) kills it before; the startup probe allows 30 s.
    const slowStart = httpd(['healthz', 'started'], 6);
    const slowFile = await apply('slow.yaml', `${podManifest('slow', 1, slowStart, `${liveness}\n${startup.trim()}`)}---\n${podManifest('hasty', 1, slowStart, liveness)}`);
    const slow = await waitReady('slow', true, 60_000);
    expect(slow.status?.containerStatuses[0]).toMatchObject({ restartCount: 0, started: true, ready: true });
    await waitEvent('slow', 'Unhealthy', /^Startup probe failed: Get "http:\/\/[\d.]+:8080\/started": dial tcp [\d.]+:8080: connect: connection refused$/);
    expect((await podEvents('slow')).filter((e) => e.reason === 'Killing')).toEqual([]);
    // without the startup probe: killed within the pod's 30 s grace period (the probe's 1 s applies)
    const hasty = await waitFor('hasty to be restarted', async () => ((await containerStatus('hasty'))?.restartCount ?? 0) >= 1, { timeoutMs: 15_000, intervalMs: 100 });
    expect(hasty).toBe(true);
    await waitEvent('hasty', 'Killing', 'Container web failed liveness probe, will be restarted');
    await skiff('delete', '-f', slowFile, '--wait=false');
  }, 120_000);
});

describe('probe handlers', () => {
  it('runs exec and tcp probes: an exec readiness probe follows a file, a tcp readiness probe the open port, a failing tcp startup probe kills', async () => {
    const manifests = [
      podManifest('exec-probe', 0, httpd([]), `
readinessProbe:
  exec: {command: [cat, /tmp/ready]}
  periodSeconds: 1`),
      podManifest('tcp-probe', 1, httpd([]), `
readinessProbe:
  tcpSocket: {port: http}
  periodSeconds: 1`),
      podManifest('tcp-dead', 1, httpd([]), `
startupProbe:
  tcpSocket: {port: 9999}
  periodSeconds: 1
  failureThreshold: 2
  terminationGracePeriodSeconds: 1`),
    ];
    const handlersFile = await apply('handlers.yaml', manifests.join('---\n'));
    const tcp = await waitReady('tcp-probe');
    expect(tcp.status?.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 0 });

    await waitEvent('exec-probe', 'Unhealthy', /^Readiness probe failed: cat: can't open '\/tmp\/ready': No such file or directory\s*$/);
    expect(isReady(await get('exec-probe'))).toBe(false);
    await skiff('exec', 'exec-probe', '--', 'touch', '/tmp/ready');
    await waitReady('exec-probe', true, 10_000);

    const dead = await waitFor('tcp-dead to be restarted', async () => {
      const s = await containerStatus('tcp-dead');
      return s && s.restartCount >= 1 ? s : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    expect(dead.started).toBe(false);
    await waitEvent('tcp-dead', 'Unhealthy', /^Startup probe failed: dial tcp [\d.]+:9999: connect: connection refused$/);
    await waitEvent('tcp-dead', 'Killing', 'Container web failed startup probe, will be restarted');
    expect(isReady(await get('tcp-dead'))).toBe(false);
    await skiff('delete', '-f', handlersFile, '--wait=false');
  }, 120_000);

  it('counts a probe timeout as a failure (exec `sleep 5` with timeoutSeconds 1)', async () => {
    await apply('timeout.yaml', podManifest('slow-probe', 0, httpd([]), `
readinessProbe:
  exec: {command: [sleep, '5']}
  timeoutSeconds: 1
  periodSeconds: 1
  failureThreshold: 1`));
    await waitFor('slow-probe to run', async () => (await containerStatus('slow-probe'))?.state?.running, { timeoutMs: 60_000, intervalMs: 100 });
    await waitEvent('slow-probe', 'Unhealthy', 'Readiness probe failed: command "sleep 5" timed out');
    const s = await containerStatus('slow-probe');
    expect(s).toMatchObject({ ready: false, started: true, restartCount: 0 });
    expect(isReady(await get('slow-probe'))).toBe(false);
    await skiff('delete', 'pod', 'slow-probe', '--wait=false');
  }, 90_000);
});
