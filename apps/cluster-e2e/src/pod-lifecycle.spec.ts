import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Pod } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { PRIVATE_IMAGE, PRIVATE_REGISTRY_LOGIN, TEST_IMAGE, ensurePrivateImage, testLabel, waitFor } from '@skiff/testing';
import { isRunning, startE2eCluster, type E2eCluster } from './e2e-fixture';

/**
 * Issue 11's acceptance 6-9 end to end: init containers and native sidecars, security contexts,
 * lifecycle hooks, and pulls from a registry that demands a login, through the built apiserver,
 * scheduler, controller-manager and two Docker kubelets, driven with the built CLI. What outlives a
 * pod (the order of events around its termination) is written to a hostPath directory of this run.
 */
const run = testLabel().value;
const NODES = [`life-${run}-1`, `life-${run}-2`];
const NS = 'default';
const SHARED = `/tmp/skiff-e2e-lifecycle-${run}`;
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;

beforeAll(async () => {
  await ensurePrivateImage();
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    controllerManagers: 1,
    kubeletArgs: ['--backoff-base', '0.5', '--backoff-max', '2', '--lease-interval', '1', '--resync-interval', '10'],
  });
  pods = e2e.typed('pod');
}, 300_000);

afterAll(async () => {
  await e2e?.stop();
  rmSync(SHARED, { recursive: true, force: true });
}, 60_000);

const skiff = (...args: string[]) => e2e.cli(args, 30_000);
const exec = (pod: string, script: string, container?: string) => skiff('exec', pod, ...(container ? ['-c', container] : []), '--', 'sh', '-c', script);
const statusColumn = async (name: string) => (await skiff('get', 'pod', name)).split('\n')[1]?.trim().split(/\s+/)[2] ?? '';

function waitRunning(name: string, timeoutMs = 30_000): Promise<Pod> {
  return waitFor(`${name} to run`, async () => {
    const pod = await pods.get(NS, name);
    return isRunning(pod) ? pod : undefined;
  }, { timeoutMs, intervalMs: 100 });
}

async function deleteAndWaitGone(name: string): Promise<number> {
  const started = Date.now();
  await skiff('delete', 'pod', name, '--wait=false');
  await waitFor(`${name} to be gone`, async () => !(await pods.get(NS, name).catch(() => undefined)), { timeoutMs: 60_000, intervalMs: 100 });
  return Date.now() - started;
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);

describe('init containers, sidecars, security contexts, lifecycle hooks and private images', () => {
  it('(6) runs init containers in order before the app, shows Init:N/M, Init:Error and Init:CrashLoopBackOff, fails a Never pod, and stops a native sidecar after the app', async () => {
    await e2e.apply('init.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: ordered}
spec:
  nodeName: ${NODES[0]}
  terminationGracePeriodSeconds: 5
  volumes:
  - name: work
    emptyDir: {}
  - name: shared
    hostPath: {path: ${SHARED}/ordered, type: DirectoryOrCreate}
  initContainers:
  - name: first
    image: ${TEST_IMAGE}
    command: [sh, -c, 'echo first >> /work/order']
    volumeMounts: [{name: work, mountPath: /work}]
  - name: logger
    image: ${TEST_IMAGE}
    restartPolicy: Always
    command: [sh, -c, 'trap "echo sidecar-stopped >> /shared/order; exit 0" TERM; echo sidecar >> /work/order; while true; do sleep 0.1; done']
    volumeMounts: [{name: work, mountPath: /work}, {name: shared, mountPath: /shared}]
  - name: second
    image: ${TEST_IMAGE}
    command: [sh, -c, 'sleep 3; echo second >> /work/order']
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: app
    image: ${TEST_IMAGE}
    command: [sh, -c, 'trap "echo app-stopped >> /shared/order; exit 0" TERM; echo app >> /work/order; while true; do sleep 0.1; done']
    volumeMounts: [{name: work, mountPath: /work}, {name: shared, mountPath: /shared}]
`);
    await waitFor('Init:2/3 while the second init container runs', async () => (await statusColumn('ordered')) === 'Init:2/3', { timeoutMs: 20_000, intervalMs: 100 });
    const pod = await waitRunning('ordered');
    expect(await exec('ordered', 'cat /work/order', 'app')).toBe('first\nsidecar\nsecond\napp\n');
    expect(pod.status?.initContainerStatuses.map((s) => [s.name, s.state?.terminated?.reason ?? (s.state?.running ? 'running' : '')])).toEqual([
      ['first', 'Completed'],
      ['logger', 'running'],
      ['second', 'Completed'],
    ]);
    expect(await skiff('logs', 'ordered', '-c', 'first')).toBe('');
    expect((await skiff('get', 'pod', 'ordered')).split('\n')[1]).toMatch(/^ordered\s+2\/2\s+Running\s+0\s/);

    await deleteAndWaitGone('ordered');
    expect(lines(`${SHARED}/ordered/order`)).toEqual(['app-stopped', 'sidecar-stopped']);

    await e2e.apply('init-fail.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: init-fails}
spec:
  nodeName: ${NODES[1]}
  terminationGracePeriodSeconds: 1
  initContainers:
  - {name: check, image: ${TEST_IMAGE}, command: [sh, -c, 'echo not ready; exit 1']}
  containers:
  - {name: app, image: ${TEST_IMAGE}, command: [sh, -c, 'exec sleep 3600']}
---
apiVersion: v1
kind: Pod
metadata: {name: init-fails-once}
spec:
  nodeName: ${NODES[1]}
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  initContainers:
  - {name: check, image: ${TEST_IMAGE}, command: [sh, -c, 'exit 2']}
  containers:
  - {name: app, image: ${TEST_IMAGE}, command: [sh, -c, 'exec sleep 3600']}
`);
    // Init:Error shows for a moment before the retry (and stays for the Never pod, checked below).
    await waitFor('Init:CrashLoopBackOff', async () => (await statusColumn('init-fails')) === 'Init:CrashLoopBackOff', { timeoutMs: 30_000, intervalMs: 100 });
    const failing = await pods.get(NS, 'init-fails');
    expect(failing.status?.phase).toBe('Pending');
    expect(failing.status?.containerStatuses.find((c) => c.name === 'app')?.state?.waiting?.reason).toBe('PodInitializing');
    expect(await skiff('logs', 'init-fails', '-c', 'check')).toBe('not ready\n');

    const failed = await waitFor('init-fails-once to fail', async () => {
      const p = await pods.get(NS, 'init-fails-once');
      return p.status?.phase === 'Failed' ? p : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    expect(failed.status?.initContainerStatuses[0]?.state?.terminated?.exitCode).toBe(2);
    expect(await statusColumn('init-fails-once')).toBe('Init:Error');
    expect(failed.status?.containerStatuses[0]?.state?.running).toBeUndefined();
    await Promise.all([deleteAndWaitGone('init-fails'), deleteAndWaitGone('init-fails-once')]);
  }, 120_000);

  it('(7) applies security contexts: user and group, runAsNonRoot refusing a root image, a read-only root file system, dropped capabilities, fsGroup', async () => {
    await e2e.apply('security.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: secured}
spec:
  nodeName: ${NODES[0]}
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000}
  volumes:
  - name: data
    emptyDir: {}
  containers:
  - name: main
    image: ${TEST_IMAGE}
    command: [sh, -c, 'exec sleep 3600']
    volumeMounts: [{name: data, mountPath: /data}]
    securityContext:
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
  - name: root
    image: ${TEST_IMAGE}
    command: [sh, -c, 'exec sleep 3600']
    securityContext:
      runAsUser: 0
      capabilities: {drop: [ALL]}
---
apiVersion: v1
kind: Pod
metadata: {name: non-root}
spec:
  nodeName: ${NODES[1]}
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: main, image: ${TEST_IMAGE}, command: [sh, -c, 'exec sleep 3600']}
`);
    await waitRunning('secured');
    expect(await exec('secured', 'id', 'main')).toBe('uid=1000 gid=3000 groups=2000,3000\n');
    await expect(exec('secured', 'touch /rootfs-write', 'main')).rejects.toThrow(/Read-only file system/);
    expect(await exec('secured', 'touch /data/file && stat -c "%g %a" /data /data/file', 'main')).toMatch(/^2000 2777\n2000 \d+\n$/);
    await expect(exec('secured', 'chown 1:1 /tmp', 'root')).rejects.toThrow(/Operation not permitted/);

    await waitFor('non-root to be refused', async () => (await statusColumn('non-root')) === 'CreateContainerConfigError', { timeoutMs: 20_000, intervalMs: 200 });
    const waiting = (await pods.get(NS, 'non-root')).status?.containerStatuses[0]?.state?.waiting;
    expect(waiting?.message).toMatch(/^container has runAsNonRoot and image will run as root/);
    await Promise.all([deleteAndWaitGone('secured'), deleteAndWaitGone('non-root')]);
  }, 60_000);

  it('(8) runs postStart before the container counts as running, and preStop before SIGTERM, within the grace period', async () => {
    await e2e.apply('hooks.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: hooked}
spec:
  nodeName: ${NODES[1]}
  terminationGracePeriodSeconds: 10
  volumes:
  - name: shared
    hostPath: {path: ${SHARED}/hooked, type: DirectoryOrCreate}
  containers:
  - name: main
    image: ${TEST_IMAGE}
    command: [sh, -c, 'trap "echo term >> /shared/order; exit 0" TERM; while true; do sleep 0.1; done']
    volumeMounts: [{name: shared, mountPath: /shared}]
    lifecycle:
      postStart:
        exec: {command: [sh, -c, 'sleep 1; echo "Hello from the postStart handler" > /tmp/message']}
      preStop:
        exec: {command: [sh, -c, 'echo prestop >> /shared/order; sleep 2']}
`);
    await waitRunning('hooked');
    // Running is reported only once postStart finished: its file is there at the first look.
    expect(await exec('hooked', 'cat /tmp/message')).toBe('Hello from the postStart handler\n');
    const took = await deleteAndWaitGone('hooked');
    expect(lines(`${SHARED}/hooked/order`)).toEqual(['prestop', 'term']);
    expect(took).toBeLessThan(10_000);
  }, 60_000);

  it('(9) pulls from a registry that demands a login only with a dockerconfigjson imagePullSecret, naming the failure without one', async () => {
    const auth = Buffer.from(`${PRIVATE_REGISTRY_LOGIN.username}:${PRIVATE_REGISTRY_LOGIN.password}`).toString('base64');
    const dockerConfig = JSON.stringify({ auths: { [PRIVATE_REGISTRY_LOGIN.registry]: { auth } } });
    await e2e.apply('private.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: no-login}
spec:
  nodeName: ${NODES[0]}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: ${PRIVATE_IMAGE}, imagePullPolicy: Always, command: [sh, -c, 'exec sleep 3600']}
---
apiVersion: v1
kind: Secret
metadata: {name: regcred}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: ${Buffer.from(dockerConfig).toString('base64')}
---
apiVersion: v1
kind: Pod
metadata: {name: with-login}
spec:
  nodeName: ${NODES[1]}
  terminationGracePeriodSeconds: 1
  imagePullSecrets: [{name: regcred}]
  containers:
  - {name: main, image: ${PRIVATE_IMAGE}, imagePullPolicy: Always, command: [sh, -c, 'exec sleep 3600']}
`);
    await waitRunning('with-login');
    await waitFor('ErrImagePull for no-login', async () => (await pods.get(NS, 'no-login')).status?.containerStatuses[0]?.state?.waiting?.reason === 'ErrImagePull', { timeoutMs: 20_000, intervalMs: 50 });
    const events = await skiff('get', 'events', '--field-selector', 'involvedObject.name=no-login');
    expect(events).toMatch(/Failed to pull image "127.0.0.1:5001\/skiff\/private-busybox:latest": .*(no basic auth credentials|unauthorized)/);
    await Promise.all([deleteAndWaitGone('no-login'), deleteAndWaitGone('with-login')]);
  }, 90_000);

  it('(10) gives every namespace the ServiceAccount default, runs pods as it, and refuses a pod naming an account that does not exist', async () => {
    await e2e.apply('team.yaml', `
apiVersion: v1
kind: Namespace
metadata: {name: team-${run}}
`);
    await waitFor('the default ServiceAccount', async () => (await skiff('get', 'sa', '-n', `team-${run}`)).includes('default'), { timeoutMs: 10_000, intervalMs: 100 });
    expect((await skiff('get', 'sa', '-n', `team-${run}`)).split('\n')[1]).toMatch(/^default\s+0\s+\S+$/);
    await e2e.apply('as-default.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: team-${run}}
spec:
  nodeName: ${NODES[0]}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: ${TEST_IMAGE}, command: [sh, -c, 'exec sleep 3600']}
`);
    expect((await pods.get(`team-${run}`, 'plain')).spec?.serviceAccountName).toBe('default');
    await expect(e2e.apply('as-nobody.yaml', `
apiVersion: v1
kind: Pod
metadata: {name: nobody, namespace: team-${run}}
spec:
  serviceAccountName: robot
  containers:
  - {name: main, image: ${TEST_IMAGE}}
`)).rejects.toThrow(`pods "nobody" is forbidden: error looking up service account team-${run}/robot: serviceaccount "robot" not found`);
    await skiff('delete', 'ns', `team-${run}`, '--wait=false');
  }, 60_000);
});
