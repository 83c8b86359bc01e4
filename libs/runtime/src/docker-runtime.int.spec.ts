// DockerRuntime against the real dockerd and the local registry (started when missing). Every
// container, image and registry tag this file creates carries or names its test label and is
// removed at the end.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Container, Pod } from '@skiff/api';
import {
  TEST_IMAGE,
  ensureTestImages,
  freePort,
  labelledContainers,
  randomClusterCidr,
  removeLabelledDockerObjects,
  testLabel,
  waitFor,
} from '@skiff/testing';
import { toContainerState } from './container-state';
import { DockerRuntime } from './docker-runtime';
import { ContainerStartError, ImageInspectError, ImageNeverPullError, ImagePullError, PodNetworkError } from './errors';
import { podBridgeName } from './pod-network';
import type { CreateContainerOptions, LogChunk, RuntimeEvent } from './runtime';

const run = promisify(execFile);
const docker = async (...args: string[]) => (await run('docker', args)).stdout.trim();

const label = testLabel();
const nodeName = `test-${label.value}`;
/** This run's pod CIDR: the first /24 of a random cluster CIDR (parallel runs share dockerd). */
const podCIDR = randomClusterCidr().replace(/\/\d+$/, '/24');
let runtime: DockerRuntime;

function container(name: string, command: string[], extra: Partial<Container> = {}): Container {
  return {
    name,
    image: TEST_IMAGE,
    command,
    args: [],
    workingDir: '',
    ports: [],
    env: [],
    imagePullPolicy: 'IfNotPresent',
    volumeMounts: [],
    stdin: false,
    stdinOnce: false,
    tty: false,
    envFrom: [],
    terminationMessagePath: '',
    terminationMessagePolicy: '',
    ...extra,
  };
}

function pod(name: string, containers: Container[]): Pod {
  return {
    metadata: { name, namespace: 'default', uid: randomUUID() } as Pod['metadata'],
    spec: { containers } as Pod['spec'],
  };
}

/**
 * Creates the sandbox and starts each container (with its `options`, else attempt 0); returns the
 * sandbox and the container ids by name.
 */
async function startPod(p: Pod, options: Record<string, CreateContainerOptions> = {}) {
  const sandbox = await runtime.runPodSandbox(p);
  const ids: Record<string, string> = {};
  for (const c of p.spec?.containers ?? []) {
    ids[c.name] = await runtime.createContainer(sandbox, c, options[c.name] ?? { attempt: 0 });
    await runtime.startContainer(ids[c.name]);
  }
  return { sandbox, ids };
}

async function text(chunks: AsyncIterable<LogChunk>): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  for await (const c of chunks) out[c.stream] += c.data.toString();
  return out;
}

/** The registry on 127.0.0.1:5001 that demands a login (tools/images/ensure-auth-registry.sh). */
const PRIVATE_IMAGE = '127.0.0.1:5001/skiff/private-busybox:latest';
const PRIVATE_LOGIN = { registry: '127.0.0.1:5001', username: 'skiff', password: 'skiff-test-password' };
/** Host directories bound into this file's containers; removed at the end. */
let hostDir: string;

beforeAll(async () => {
  await ensureTestImages();
  await run('bash', [resolve(__dirname, '../../../tools/images/ensure-auth-registry.sh')], { timeout: 300_000 });
  runtime = new DockerRuntime({ nodeName, extraLabels: label.labels });
  await runtime.configurePodNetwork(podCIDR);
  hostDir = await mkdtemp(join(tmpdir(), 'skiff-runtime-int-'));
}, 300_000);

/** Removes the local references to and the registry's manifests of this run's test repositories. */
async function removeTestRepositories(): Promise<void> {
  const refs = (await docker('images', '--digests', '--format', '{{.Repository}}@{{.Digest}}'))
    .split('\n')
    .filter((ref) => ref.startsWith('127.0.0.1:5000/skiff-test/') && ref.includes(label.value) && !ref.endsWith('@<none>'));
  for (const ref of refs) {
    const [repo, digest] = ref.replace('127.0.0.1:5000/', '').split('@');
    await fetch(`http://127.0.0.1:5000/v2/${repo}/manifests/${digest}`, { method: 'DELETE' });
    await docker('rmi', ref).catch(() => undefined);
  }
}

afterAll(async () => {
  await removeLabelledDockerObjects(label.filter);
  await removeTestRepositories();
  await docker('image', 'prune', '-f', '--filter', `label=${label.filter}`);
  expect(await labelledContainers(label.filter)).toEqual([]);
  await docker('rmi', PRIVATE_IMAGE).catch(() => undefined); // left by a failed run of the login test
  await rm(hostDir, { recursive: true, force: true });
}, 60_000);

describe('DockerRuntime with a real dockerd', () => {
  it('pulls from the local registry as the pull policy says', async () => {
    const repo = `127.0.0.1:5000/skiff-test/pull-${label.value}`;
    const image = `${repo}:v1`;
    const original = await docker('image', 'inspect', '-f', '{{.Id}}', TEST_IMAGE);
    // The registry gets a different image B under the tag; the node keeps A under it.
    await docker('tag', TEST_IMAGE, image);
    await docker('push', '-q', image);
    await docker('rmi', image);
    await expect(runtime.ensureImage(image, 'Never')).rejects.toBeInstanceOf(ImageNeverPullError);
    expect(await runtime.ensureImage(image, 'IfNotPresent')).toEqual({ image, imageId: original });
    const holder = await docker('create', '--label', label.filter, TEST_IMAGE);
    const changed = await docker('commit', '-c', `LABEL ${label.key}=${label.value}`, '-c', 'LABEL variant=b', holder, image);
    await docker('push', '-q', image);
    await docker('tag', TEST_IMAGE, image);
    expect(await runtime.ensureImage(image, 'IfNotPresent')).toEqual({ image, imageId: original });
    expect(await runtime.ensureImage(image, 'Never')).toEqual({ image, imageId: original });
    expect(await runtime.ensureImage(image, 'Always')).toEqual({ image, imageId: changed });
    await docker('rmi', image);

    const missing = runtime.ensureImage(`127.0.0.1:5000/skiff-test/missing-${label.value}:nope`, 'IfNotPresent');
    await expect(missing).rejects.toBeInstanceOf(ImagePullError);
    await expect(missing).rejects.toMatchObject({ reason: 'ErrImagePull' });
  }, 60_000);

  it('runs a pod: sandbox on the pod network publishing only hostPorts, app container on the pod IP, exec, stats, adoption by labels', async () => {
    const hostPort = await freePort();
    const web = container('web', ['httpd', '-f', '-p', '8080', '-h', '/www'], {
      ports: [
        { name: 'http', containerPort: 8080, hostPort, protocol: 'TCP', hostIP: '' },
        { name: 'metrics', containerPort: 9090, hostPort: 0, protocol: 'TCP', hostIP: '' },
      ],
      env: [{ name: 'GREETING', value: 'hello' }],
      workingDir: '/www',
    });
    const p = pod('web', [web]);
    const { sandbox, ids } = await startPod(p);
    expect(sandbox).toMatchObject({ node: nodeName, state: 'ready', hostIP: '127.0.0.1', pod: { name: 'web', uid: p.metadata?.uid } });
    // The pod IP is from the pod CIDR (after the gateway .1).
    expect(sandbox.ip.split('.').slice(0, 3).join('.')).toBe(podCIDR.split('.').slice(0, 3).join('.'));
    expect(Number(sandbox.ip.split('.')[3])).toBeGreaterThan(1);
    expect(sandbox.ports).toEqual([{ containerPort: 8080, protocol: 'TCP', hostIP: '127.0.0.1', hostPort }]);
    // Docker was asked to publish the hostPort only.
    expect(JSON.parse(await docker('inspect', '-f', '{{json .HostConfig.PortBindings}}', sandbox.id))).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] });

    const get = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).text();
    expect(await waitFor('httpd on the host port', () => get(`http://127.0.0.1:${sandbox.ports[0].hostPort}/`))).toBe('skiff\n');
    expect(await get(`http://${sandbox.ip}:8080/`)).toBe('skiff\n');

    const result = await runtime.exec(ids.web, ['sh', '-c', 'echo $GREETING; pwd; echo oops >&2; exit 3']);
    expect(result).toEqual({ exitCode: 3, stdout: 'hello\n/www\n', stderr: 'oops\n' });
    expect(await runtime.exec(ids.web, ['cat'], { stdin: 'from stdin' })).toEqual({ exitCode: 0, stdout: 'from stdin', stderr: '' });

    const status = await runtime.containerStatus(ids.web);
    expect(status).toMatchObject({ state: 'running', name: 'web', attempt: 0, restartCount: 0, oomKilled: false, image: TEST_IMAGE });
    expect(status.startedAt).toBeInstanceOf(Date);
    expect(toContainerState(status).running?.startedAt).toEqual(status.startedAt);
    const stats = await runtime.stats(ids.web);
    expect(stats.cpuUsageNanos).toBeGreaterThan(0);
    expect(stats.memoryWorkingSetBytes).toBeGreaterThan(0);

    // A restarted kubelet (a new runtime for the same node) finds the pod; another node does not.
    const restarted = new DockerRuntime({ nodeName });
    expect(await restarted.listPodSandboxes({ podUid: p.metadata?.uid })).toEqual([sandbox]);
    expect(await restarted.listContainers({ podUid: p.metadata?.uid })).toEqual([
      expect.objectContaining({ id: ids.web, name: 'web', attempt: 0, state: 'running', pod: sandbox.pod }),
    ]);
    expect(await new DockerRuntime({ nodeName: `${nodeName}-other` }).listPodSandboxes()).toEqual([]);

    await runtime.removePodSandbox(sandbox.id);
    expect(await restarted.listPodSandboxes({ podUid: p.metadata?.uid })).toEqual([]);
    expect(await restarted.listContainers({ podUid: p.metadata?.uid })).toEqual([]);
  }, 60_000);

  it('keeps the pod network: reused when it matches, refused while pods use it with another subnet, replaced when free', async () => {
    const network = `skiff-${nodeName}`;
    const inspect = async (name: string) => JSON.parse(await docker('network', 'inspect', name))[0] as { Id: string; IPAM: { Config: { Subnet: string; Gateway: string }[] }; Options: Record<string, string>; Labels: Record<string, string> };
    const before = await inspect(network);
    expect(before.IPAM.Config).toEqual([{ Subnet: podCIDR, Gateway: podCIDR.replace(/0\/24$/, '1') }]);
    expect(before.Options).toMatchObject({ 'com.docker.network.bridge.name': podBridgeName(nodeName), 'com.docker.network.bridge.enable_ip_masquerade': 'false' });
    expect(before.Labels).toMatchObject({ 'io.skiff.node': nodeName, [label.key]: label.value });
    // The bridge interface exists under its short name with the gateway address.
    expect(await run('ip', ['-br', 'addr', 'show', 'dev', podBridgeName(nodeName)]).then((r) => r.stdout)).toContain(`${podCIDR.replace(/0\/24$/, '1')}/24`);

    // A restarted kubelet's runtime reuses it (same network id).
    const restarted = new DockerRuntime({ nodeName, extraLabels: label.labels });
    await restarted.configurePodNetwork(podCIDR);
    expect((await inspect(network)).Id).toBe(before.Id);

    // Another subnet while a sandbox is attached: refused, nothing changed.
    const other = podCIDR.replace(/\.\d+\.0\/24$/, (m) => `.${(Number(m.split('.')[1]) + 1) % 256}.0/24`);
    const { sandbox } = await startPod(pod('holder', [container('c', ['sleep', '60'])]));
    await expect(restarted.configurePodNetwork(other)).rejects.toBeInstanceOf(PodNetworkError);
    expect((await inspect(network)).Id).toBe(before.Id);
    await runtime.removePodSandbox(sandbox.id);

    // Free: replaced with the new subnet, then back (the other tests use podCIDR).
    await restarted.configurePodNetwork(other);
    expect((await inspect(network)).IPAM.Config).toEqual([{ Subnet: other, Gateway: other.replace(/0\/24$/, '1') }]);
    await runtime.configurePodNetwork(podCIDR);
    expect((await inspect(network)).IPAM.Config[0].Subnet).toBe(podCIDR);
    await expect(runtime.configurePodNetwork('10.0.0.0/33')).rejects.toBeInstanceOf(PodNetworkError);
  }, 60_000);

  it('applies memory and CPU limits in the cgroup, and reports an OOM kill', async () => {
    const resources = { limits: { memory: '64Mi', cpu: '500m' }, requests: {} };
    const p = pod('limits', [container('sleeper', ['sleep', 'infinity'], { resources })]);
    const { sandbox, ids } = await startPod(p);
    const memory = await runtime.exec(ids.sleeper, [
      'sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
    ]);
    expect(memory.stdout.trim()).toBe(String(64 * 1024 * 1024));
    const cpu = await runtime.exec(ids.sleeper, [
      'sh', '-c', 'cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us',
    ]);
    expect(cpu.stdout.trim().split(/\s+/)).toEqual(['50000', '100000']);

    const events = new AbortController();
    const seen: RuntimeEvent[] = [];
    const watching = (async () => {
      for await (const e of runtime.events(events.signal)) seen.push(e);
    })();
    const hog = container('hog', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'], { resources });
    const id = await runtime.createContainer(sandbox, hog, { attempt: 2 });
    await runtime.startContainer(id);
    await waitFor('the died event', () => seen.some((e) => e.id === id && e.type === 'died'), { timeoutMs: 20_000 });
    events.abort();
    await watching;
    expect(seen.find((e) => e.id === id && e.type === 'died')).toMatchObject({
      kind: 'container',
      containerName: 'hog',
      attempt: 2,
      exitCode: 137,
      pod: sandbox.pod,
    });
    const status = await runtime.containerStatus(id);
    expect(status).toMatchObject({ state: 'exited', exitCode: 137, oomKilled: true, reason: 'OOMKilled', restartCount: 2 });
    expect(toContainerState(status).terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled', containerID: `docker://${id}` });
  }, 60_000);

  it('stops with the grace period: SIGTERM handled exits early, SIGTERM ignored gets SIGKILL', async () => {
    const p = pod('graceful', [
      container('handles', ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo up; while true; do sleep 0.1; done']),
      container('ignores', ['sh', '-c', 'trap "" TERM; echo up; while true; do sleep 0.1; done']),
    ]);
    const { ids } = await startPod(p);
    for (const id of Object.values(ids)) {
      await waitFor('the container to be up', async () => (await text(runtime.logs(id))).stdout.includes('up'));
    }
    let started = Date.now();
    await runtime.stopContainer(ids.handles, 20);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await runtime.containerStatus(ids.handles)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
    expect((await text(runtime.logs(ids.handles))).stdout).toBe('up\nbye\n');

    started = Date.now();
    await runtime.stopContainer(ids.ignores, 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(await runtime.containerStatus(ids.ignores)).toMatchObject({ state: 'exited', exitCode: 137, reason: 'Error' });
    await runtime.stopContainer(ids.ignores, 1); // stopping a stopped container is fine
  }, 60_000);

  it('streams logs (stdout and stderr apart, tail, follow until exit, abort) and fails a bad command at start', async () => {
    const p = pod('logs', [
      container('printer', ['sh', '-c', 'echo one; echo two >&2; echo three']),
      container('counter', ['sh', '-c', 'echo 1; echo 2; echo 3']),
      container('ticker', ['sh', '-c', 'echo first; exec sleep infinity']),
    ]);
    const { sandbox, ids } = await startPod(p);
    const followed = await text(runtime.logs(ids.printer, { follow: true }));
    expect(followed).toEqual({ stdout: 'one\nthree\n', stderr: 'two\n' });
    expect(await text(runtime.logs(ids.printer))).toEqual({ stdout: 'one\nthree\n', stderr: 'two\n' });
    // Docker orders lines across stdout and stderr only by timestamp, so tail is tested on one stream.
    await waitFor('the counter to finish', async () => (await runtime.containerStatus(ids.counter)).state === 'exited');
    expect(await text(runtime.logs(ids.counter, { tail: 2 }))).toEqual({ stdout: '2\n3\n', stderr: '' });

    const abort = new AbortController();
    const chunks: string[] = [];
    for await (const chunk of runtime.logs(ids.ticker, { follow: true, signal: abort.signal })) {
      chunks.push(chunk.data.toString());
      abort.abort();
    }
    expect(chunks).toEqual(['first\n']);

    const bad = await runtime.createContainer(sandbox, container('bad', ['/no/such/command']), { attempt: 0 });
    await expect(runtime.startContainer(bad)).rejects.toBeInstanceOf(ContainerStartError);
    // As Kubernetes shows it: terminated, exit code 128, reason StartError, Docker's error as the message.
    const failed = await runtime.containerStatus(bad);
    expect(failed).toMatchObject({ state: 'exited', exitCode: 128, reason: 'StartError', message: expect.stringContaining('/no/such/command'), sandboxId: sandbox.id });
    expect(failed.startedAt).toBeUndefined();
    expect(failed.finishedAt).toEqual(failed.createdAt);
  }, 60_000);

  it('removes a sandbox with the containers that joined it, leaving the pod\'s containers in its next sandbox', async () => {
    const sleeper = container('sleeper', ['sleep', 'infinity']);
    const p = pod('resandboxed', [sleeper]);
    const { sandbox: first, ids } = await startPod(p);
    await runtime.stopContainer(ids.sleeper, 0);
    await runtime.stopPodSandbox(first.id);
    const second = await runtime.runPodSandbox(p, { attempt: 1 });
    const next = await runtime.createContainer(second, sleeper, { attempt: 1 });
    await runtime.startContainer(next);
    expect((await runtime.listContainers({ podUid: p.metadata?.uid })).map((c) => [c.attempt, c.sandboxId]).sort()).toEqual([
      [0, first.id],
      [1, second.id],
    ]);
    await runtime.removePodSandbox(first.id);
    expect((await runtime.listContainers({ podUid: p.metadata?.uid })).map((c) => [c.id, c.state])).toEqual([[next, 'running']]);
    expect((await runtime.listPodSandboxes({ podUid: p.metadata?.uid })).map((s) => s.id)).toEqual([second.id]);
    await runtime.removePodSandbox(second.id);
    expect(await runtime.listContainers({ podUid: p.metadata?.uid })).toEqual([]);
  }, 60_000);

  it('binds host paths into a container, read-only when asked, shared with the host', async () => {
    const data = join(hostDir, 'data');
    const config = join(hostDir, 'config');
    await mkdir(data);
    await mkdir(config);
    await writeFile(join(config, 'greeting'), 'hello from the host\n');
    const p = pod('mounts', [container('app', ['sleep', 'infinity'])]);
    const { ids } = await startPod(p, {
      app: { attempt: 0, mounts: [{ hostPath: data, containerPath: '/data' }, { hostPath: config, containerPath: '/etc/config', readOnly: true }] },
    });
    expect(await runtime.exec(ids.app, ['cat', '/etc/config/greeting'])).toMatchObject({ exitCode: 0, stdout: 'hello from the host\n' });
    const denied = await runtime.exec(ids.app, ['sh', '-c', 'echo x > /etc/config/new']);
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toContain('Read-only file system');
    expect(await runtime.exec(ids.app, ['sh', '-c', 'echo written > /data/out'])).toMatchObject({ exitCode: 0 });
    expect(await readFile(join(data, 'out'), 'utf8')).toBe('written\n');

    // A missing host path is the kubelet's mistake: Docker refuses the container.
    const sandbox = (await runtime.listPodSandboxes({ podUid: p.metadata?.uid }))[0];
    await expect(
      runtime.createContainer(sandbox, container('lost', ['true']), { attempt: 0, mounts: [{ hostPath: join(hostDir, 'absent'), containerPath: '/x' }] }),
    ).rejects.toMatchObject({ reason: 'CreateContainerError', message: expect.stringContaining('absent') });
  }, 60_000);

  it('runs as the security settings say: user and groups, capabilities dropped, read-only root, no new privileges', async () => {
    const data = join(hostDir, 'writable');
    await mkdir(data);
    const p = pod('secure', [
      container('user', ['sleep', 'infinity']),
      container('nocaps', ['sleep', 'infinity']),
      container('rootcaps', ['sleep', 'infinity']),
      container('readonly', ['sleep', 'infinity']),
    ]);
    const { ids } = await startPod(p, {
      user: { attempt: 0, security: { user: 1000, group: 3000, supplementalGroups: [2000, 4000], noNewPrivileges: true } },
      nocaps: { attempt: 0, security: { capDrop: ['ALL'] } },
      rootcaps: { attempt: 0, security: { capDrop: ['CAP_NET_RAW'], capAdd: ['SYS_TIME'] } },
      readonly: { attempt: 0, security: { readOnlyRootFilesystem: true }, mounts: [{ hostPath: data, containerPath: '/data' }] },
    });
    const id = (await runtime.exec(ids.user, ['id'])).stdout.trim();
    expect(id).toMatch(/^uid=1000 gid=3000 groups=/);
    expect(id.replace(/.*groups=/, '').split(',').sort()).toEqual(['2000', '3000', '4000']);
    expect((await runtime.exec(ids.user, ['grep', 'NoNewPrivs', '/proc/self/status'])).stdout).toMatch(/NoNewPrivs:\s+1/);
    expect((await runtime.exec(ids.nocaps, ['grep', 'NoNewPrivs', '/proc/self/status'])).stdout).toMatch(/NoNewPrivs:\s+0/);

    // Root without capabilities cannot chown; root with Docker's defaults can.
    const chown = await runtime.exec(ids.nocaps, ['sh', '-c', 'touch /tmp/f && chown 1:1 /tmp/f']);
    expect(chown.exitCode).not.toBe(0);
    expect(chown.stderr).toContain('Operation not permitted');
    expect(await runtime.exec(ids.rootcaps, ['sh', '-c', 'touch /tmp/f && chown 1:1 /tmp/f'])).toMatchObject({ exitCode: 0 });
    const caps = (await runtime.exec(ids.rootcaps, ['grep', 'CapEff', '/proc/self/status'])).stdout;
    const effective = BigInt(`0x${caps.trim().split(/\s+/)[1]}`);
    expect([(effective >> 13n) & 1n, (effective >> 25n) & 1n]).toEqual([0n, 1n]); // CAP_NET_RAW dropped, CAP_SYS_TIME added

    const write = await runtime.exec(ids.readonly, ['sh', '-c', 'echo x > /file']);
    expect(write.exitCode).not.toBe(0);
    expect(write.stderr).toContain('Read-only file system');
    expect(await runtime.exec(ids.readonly, ['sh', '-c', 'echo x > /data/file'])).toMatchObject({ exitCode: 0 });
  }, 60_000);

  it('runs a tty container with stdin open: its logs are raw (not demultiplexed), exec still works', async () => {
    const p = pod('tty', [
      container('term', ['sh', '-c', 'echo out; echo err >&2; test -t 0 && echo tty; exec sleep infinity'], { tty: true, stdin: true }),
    ]);
    const { ids } = await startPod(p);
    const logs = await waitFor('the tty output', async () => {
      const got = await text(runtime.logs(ids.term));
      return got.stdout.includes('tty') ? got : undefined;
    });
    // A tty merges both streams into one, with the terminal's line endings.
    expect(logs).toEqual({ stdout: 'out\r\nerr\r\ntty\r\n', stderr: '' });
    expect(await runtime.exec(ids.term, ['sh', '-c', 'echo in exec; echo oops >&2'])).toEqual({ exitCode: 0, stdout: 'in exec\n', stderr: 'oops\n' });
    const abort = new AbortController();
    const followed: string[] = [];
    for await (const chunk of runtime.logs(ids.term, { follow: true, signal: abort.signal })) {
      followed.push(chunk.data.toString());
      if (followed.join('').includes('tty')) abort.abort();
    }
    expect(followed.join('')).toBe('out\r\nerr\r\ntty\r\n');
  }, 60_000);

  it('reports the user an image runs as', async () => {
    expect(await runtime.imageUser(TEST_IMAGE)).toBe('');
    const holder = await docker('create', '--label', label.filter, TEST_IMAGE);
    const image = await docker('commit', '-c', 'USER 1000:1000', '-c', `LABEL ${label.key}=${label.value}`, holder);
    expect(await runtime.imageUser(image)).toBe('1000:1000');
    await docker('rmi', image);
    await expect(runtime.imageUser(image)).rejects.toBeInstanceOf(ImageInspectError);
  }, 60_000);

  it('pulls from a registry that demands a login only with the right credential, naming the failure', async () => {
    await docker('rmi', PRIVATE_IMAGE).catch(() => undefined);
    const anonymous = runtime.ensureImage(PRIVATE_IMAGE, 'Always');
    await expect(anonymous).rejects.toBeInstanceOf(ImagePullError);
    await expect(anonymous).rejects.toMatchObject({ reason: 'ErrImagePull', message: expect.stringContaining('no basic auth credentials') });
    // A login for another registry does not apply: still anonymous.
    const elsewhere = { ...PRIVATE_LOGIN, registry: '127.0.0.1:5000' };
    await expect(runtime.ensureImage(PRIVATE_IMAGE, 'Always', undefined, { credentials: [elsewhere] })).rejects.toThrow('no basic auth credentials');
    const wrong = { ...PRIVATE_LOGIN, password: 'not-the-password' };
    const refused = runtime.ensureImage(PRIVATE_IMAGE, 'Always', undefined, { credentials: [wrong] });
    await expect(refused).rejects.toBeInstanceOf(ImagePullError);
    await expect(refused).rejects.toThrow(`failed to pull image "${PRIVATE_IMAGE}": unauthorized: authentication required`);
    await expect(refused).rejects.not.toThrow('not-the-password');
    // Every wrong one is named; the first that works wins.
    await expect(runtime.ensureImage(PRIVATE_IMAGE, 'Always', undefined, { credentials: [wrong, wrong] })).rejects.toThrow(
      `failed to pull image "${PRIVATE_IMAGE}": [unauthorized: authentication required, unauthorized: authentication required]`,
    );
    const pulled = await runtime.ensureImage(PRIVATE_IMAGE, 'Always', undefined, { credentials: [wrong, { ...PRIVATE_LOGIN, registry: 'http://127.0.0.1:5001/v2/' }] });
    expect(pulled).toEqual({ image: PRIVATE_IMAGE, imageId: await docker('image', 'inspect', '-f', '{{.Id}}', TEST_IMAGE) });
    await docker('rmi', PRIVATE_IMAGE);
  }, 60_000);
});
