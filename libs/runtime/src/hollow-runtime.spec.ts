import type { Container, Pod } from '@skiff/api';
import { ContainerNotFoundError, ContainerStartError, ImageInspectError, ImageNeverPullError, ImagePullError, PodNetworkError, SandboxError } from './errors';
import { HollowRuntime } from './hollow-runtime';
import type { LogChunk, RuntimeEvent } from './runtime';

const web: Container = {
  name: 'web',
  image: 'example/web:1',
  command: [],
  args: [],
  workingDir: '',
  ports: [{ name: 'http', containerPort: 80, hostPort: 0, protocol: 'TCP', hostIP: '' }],
  env: [{ name: 'A', value: '1' }],
  imagePullPolicy: 'IfNotPresent',
  volumeMounts: [],
  stdin: false,
  stdinOnce: false,
  tty: false,
  envFrom: [],
  terminationMessagePath: '',
  terminationMessagePolicy: '',
};
const pod = (uid: string): Pod => ({
  metadata: { name: `p-${uid}`, namespace: 'default', uid } as Pod['metadata'],
  spec: { containers: [web] } as Pod['spec'],
});

describe('HollowRuntime', () => {
  it('honours pull policies without a registry', async () => {
    const rt = new HollowRuntime({ nodeName: 'n1', pullable: (image) => !image.includes('missing') });
    await expect(rt.ensureImage('a:1', 'Never')).rejects.toBeInstanceOf(ImageNeverPullError);
    await expect(rt.ensureImage('missing:1', 'IfNotPresent')).rejects.toBeInstanceOf(ImagePullError);
    const pulls: string[] = [];
    const onPull = (image: string) => ({ onPull: () => pulls.push(image) });
    const ref = await rt.ensureImage('a:1', 'IfNotPresent', undefined, onPull('a:1'));
    expect(await rt.ensureImage('a:1', 'Never', undefined, onPull('never'))).toEqual(ref);
    await rt.ensureImage('a:1', 'IfNotPresent', undefined, onPull('present'));
    await rt.ensureImage('a:1', 'Always', undefined, onPull('always'));
    expect(pulls).toEqual(['a:1', 'always']); // onPull only when a pull starts
  });

  it('hands the logins to pullable, and reports each image\'s user (root by default)', async () => {
    const rt = new HollowRuntime({
      nodeName: 'n1',
      pullable: (image, credentials) => !image.startsWith('private/') || credentials.some((c) => c.password === 'right'),
      imageUser: (image) => (image.includes('nonroot') ? '1000:1000' : ''),
    });
    await expect(rt.ensureImage('private/a:1', 'IfNotPresent')).rejects.toBeInstanceOf(ImagePullError);
    const credentials = [{ registry: 'docker.io', username: 'u', password: 'right' }];
    await rt.ensureImage('private/a:1', 'IfNotPresent', undefined, { credentials });
    await rt.ensureImage('nonroot:1', 'IfNotPresent');
    expect(await rt.imageUser('private/a:1')).toBe('');
    expect(await rt.imageUser('nonroot:1')).toBe('1000:1000');
    await expect(rt.imageUser('absent:1')).rejects.toBeInstanceOf(ImageInspectError);
  });

  it('keeps what a container was created with: the kubelet\'s environment list replaces the spec\'s', async () => {
    const rt = new HollowRuntime({ nodeName: 'n1' });
    const sandbox = await rt.runPodSandbox(pod('u1'));
    const options = { attempt: 4, env: [{ name: 'B', value: '2' }], command: ['sh'], mounts: [{ hostPath: '/h', containerPath: '/c', readOnly: true }], security: { user: 1000 } };
    const id = await rt.createContainer(sandbox, web, options);
    expect(rt.environment(id)).toEqual(['B=2']);
    expect(rt.createOptions(id)).toEqual(options);
  });

  it('hands out pod IPs from the configured pod CIDR (never the gateway or broadcast), reusing those of stopped sandboxes', async () => {
    const rt = new HollowRuntime({ nodeName: 'n1' });
    await expect(rt.configurePodNetwork('10.0.0.0/31')).rejects.toBeInstanceOf(PodNetworkError);
    await rt.configurePodNetwork('10.244.7.0/29');
    const ips: string[] = [];
    for (let i = 0; i < 5; i++) ips.push((await rt.runPodSandbox(pod(`u${i}`))).ip);
    expect(ips).toEqual(['10.244.7.2', '10.244.7.3', '10.244.7.4', '10.244.7.5', '10.244.7.6']);
    await expect(rt.runPodSandbox(pod('full'))).rejects.toThrow(/no free pod IP/);
    const [first] = await rt.listPodSandboxes({ podUid: 'u0' });
    await rt.stopPodSandbox(first.id);
    expect((await rt.runPodSandbox(pod('again'))).ip).toBe('10.244.7.2');
  });

  it('publishes only ports with a hostPort', async () => {
    const rt = new HollowRuntime({ nodeName: 'n1' });
    const withHostPort = { ...pod('h'), spec: { ...pod('h').spec, containers: [{ ...web, ports: [{ name: 'http', containerPort: 80, hostPort: 8080, protocol: 'TCP', hostIP: '' }] }] } } as Pod;
    expect((await rt.runPodSandbox(withHostPort)).ports).toEqual([{ containerPort: 80, protocol: 'TCP', hostIP: '127.0.0.1', hostPort: 8080 }]);
  });

  it('runs a pod: sandbox with IP, container running until it exits, events in order', async () => {
    const rt = new HollowRuntime({ nodeName: 'n1', now: () => 1_000 });
    const watch = new AbortController();
    const events: RuntimeEvent[] = [];
    const watching = (async () => {
      for await (const e of rt.events(watch.signal)) events.push(e);
    })();
    const sandbox = await rt.runPodSandbox(pod('u1'));
    expect(sandbox).toMatchObject({ node: 'n1', state: 'ready', hostIP: '', pod: { uid: 'u1', namespace: 'default', name: 'p-u1' } });
    expect(sandbox.ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
    // Port 80 has no hostPort: nothing is published on the node.
    expect(sandbox.ports).toEqual([]);
    await expect(rt.runPodSandbox(pod('u1'))).rejects.toBeInstanceOf(SandboxError);

    const id = await rt.createContainer(sandbox, web, { attempt: 3 });
    expect(rt.environment(id)).toEqual(['A=1']);
    expect((await rt.containerStatus(id)).state).toBe('created');
    await rt.startContainer(id);
    expect(await rt.containerStatus(id)).toMatchObject({ state: 'running', restartCount: 3, startedAt: new Date(1_000) });
    expect(await rt.exec(id, ['true'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    rt.exit(id, 137, { oomKilled: true });
    expect(await rt.containerStatus(id)).toMatchObject({ state: 'exited', exitCode: 137, oomKilled: true, reason: 'OOMKilled' });

    watch.abort();
    await watching;
    expect(events.map((e) => `${e.kind}:${e.type}`)).toEqual(['sandbox:started', 'container:started', 'container:oom', 'container:died']);
    expect(events[3]).toMatchObject({ id, exitCode: 137, containerName: 'web', attempt: 3 });
  });

  it('finishes a container whose command is `true` or `false` alone at once, with exit code 0 or 1 (a Job pod); any other keeps running', async () => {
    const rt = new HollowRuntime({ nodeName: 'n1', now: () => 1_000 });
    const sandbox = await rt.runPodSandbox(pod('u-job'));
    const started = async (command: string[], viaOptions = false) => {
      const id = await rt.createContainer(sandbox, { ...web, name: command.join('-'), command: viaOptions ? ['sh'] : command }, viaOptions ? { attempt: 0, command } : { attempt: 0 });
      await rt.startContainer(id);
      await new Promise((resolve) => setImmediate(resolve));
      return rt.containerStatus(id);
    };
    expect(await started(['true'])).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
    expect(await started(['/bin/false'])).toMatchObject({ state: 'exited', exitCode: 1, reason: 'Error' });
    expect(await started(['true'], true)).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(await started(['sleep', '1'])).toMatchObject({ state: 'running' });
    expect(await started(['true', 'x'])).toMatchObject({ state: 'running' });
  });

  it('lists by pod, stops, removes a sandbox with the containers in it (not those in its other sandboxes)', async () => {
    const rt = new HollowRuntime({ nodeName: 'n1' });
    const a = await rt.runPodSandbox(pod('a'));
    const b = await rt.runPodSandbox(pod('b'));
    const ca = await rt.createContainer(a, web, { attempt: 0 });
    const cb = await rt.createContainer(b, web, { attempt: 0 });
    await rt.startContainer(ca);
    await rt.startContainer(cb);
    expect((await rt.listContainers({ podUid: 'a' })).map((c) => [c.id, c.sandboxId])).toEqual([[ca, a.id]]);
    expect((await rt.listPodSandboxes()).map((s) => s.pod.uid).sort()).toEqual(['a', 'b']);
    await rt.stopContainer(cb, 30);
    expect(await rt.containerStatus(cb)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed', sandboxId: b.id });
    const a1 = await rt.runPodSandbox(pod('a'), { attempt: 1 });
    const ca1 = await rt.createContainer(a1, web, { attempt: 1 });
    await rt.removePodSandbox(a.id);
    await expect(rt.containerStatus(ca)).rejects.toBeInstanceOf(ContainerNotFoundError);
    expect((await rt.listContainers({ podUid: 'a' })).map((c) => c.id)).toEqual([ca1]);
    expect((await rt.listPodSandboxes()).map((s) => `${s.pod.uid}${s.attempt}`).sort()).toEqual(['a1', 'b0']);
    await rt.removePodSandbox(a.id); // absent is fine
  });

  it('fails a start as Docker does when told to: exited 128 StartError, no event, never started again', async () => {
    const rt = new HollowRuntime({ nodeName: 'n1', startError: (c) => (c.name === 'bad' ? 'exec: "nope": executable file not found in $PATH' : undefined), now: () => 5_000 });
    const s = await rt.runPodSandbox(pod('f'));
    const watch = new AbortController();
    const events: string[] = [];
    const watching = (async () => {
      for await (const e of rt.events(watch.signal)) events.push(`${e.kind}:${e.type}`);
    })();
    const id = await rt.createContainer(s, { ...web, name: 'bad' }, { attempt: 0 });
    await expect(rt.startContainer(id)).rejects.toBeInstanceOf(ContainerStartError);
    const status = await rt.containerStatus(id);
    expect(status).toMatchObject({ state: 'exited', exitCode: 128, reason: 'StartError', message: expect.stringContaining('executable file not found'), finishedAt: new Date(5_000) });
    expect(status.startedAt).toBeUndefined();
    await expect(rt.startContainer(id)).rejects.toBeInstanceOf(ContainerStartError);
    const ok = await rt.createContainer(s, web, { attempt: 0 });
    await rt.startContainer(ok);
    watch.abort();
    await watching;
    expect(events).toEqual(['container:started']);
  });

  it('serves written output as logs: tail, and follow until the container exits', async () => {
    const rt = new HollowRuntime({ nodeName: 'n1' });
    const s = await rt.runPodSandbox(pod('l'));
    const id = await rt.createContainer(s, web, { attempt: 0 });
    await rt.startContainer(id);
    rt.write(id, 'stdout', 'one\n');
    rt.write(id, 'stderr', 'two\n');
    const read = async (it: AsyncIterable<LogChunk>) => {
      const out: string[] = [];
      for await (const c of it) out.push(`${c.stream}:${c.data}`);
      return out;
    };
    expect(await read(rt.logs(id, { tail: 1 }))).toEqual(['stderr:two\n']);
    const following = read(rt.logs(id, { follow: true }));
    rt.write(id, 'stdout', 'three\n');
    rt.exit(id, 0);
    expect(await following).toEqual(['stdout:one\n', 'stderr:two\n', 'stdout:three\n']);
  });
});

describe('HollowRuntime usage', () => {
  it('reports a steady usage of running containers: a fraction of the requests, or what setUsage says', async () => {
    let now = 10_000;
    const rt = new HollowRuntime({ nodeName: 'n1', now: () => now });
    const p = pod('u1');
    const sandbox = await rt.runPodSandbox(p);
    const limited = { ...web, name: 'limited', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: {} } };
    const a = await rt.createContainer(sandbox, web, { attempt: 0 });
    const b = await rt.createContainer(sandbox, limited, { attempt: 0 });
    await rt.startContainer(a);
    await rt.startContainer(b);
    const first = await rt.listContainerStats();
    expect(first.map((s) => [s.name, s.pod.uid, s.cpuUsageNanos])).toEqual([
      ['web', 'u1', 0],
      ['limited', 'u1', 0],
    ]);
    const bMemory = first[1].memoryWorkingSetBytes;
    expect(bMemory).toBeGreaterThanOrEqual(0.3 * 2 ** 30);
    expect(bMemory).toBeLessThan(0.7 * 2 ** 30);

    now += 2_000;
    const bCpu = (await rt.stats(b)).cpuUsageNanos;
    expect(bCpu / 2e9).toBeGreaterThanOrEqual(0.1); // cores over the 2 s
    expect(bCpu / 2e9).toBeLessThan(0.5);

    rt.setUsage(a, { cpuMillis: 250, memoryBytes: 100 * 2 ** 20 });
    const before = (await rt.stats(a)).cpuUsageNanos;
    now += 1_000;
    expect(await rt.stats(a)).toEqual({ cpuUsageNanos: before + 250_000_000, memoryWorkingSetBytes: 100 * 2 ** 20, timestamp: new Date(now) });

    rt.exit(a, 0);
    await expect(rt.stats(a)).rejects.toBeInstanceOf(ContainerNotFoundError);
    expect((await rt.listContainerStats()).map((s) => s.id)).toEqual([b]);
  });
});
