import type { Container, Pod } from '@skiff/api';
import { AsyncQueue } from './async-queue';
import { toContainerState } from './container-state';
import { runtimeEventFromDocker } from './docker-runtime';
import { containerCreateBody, dockerUser, resolvConfText, sandboxCreateBody, type NodeRuntimeSettings } from './docker-specs';
import { credentialsForImage, dockerServerAddress, imageRegistry, normalizeRegistry, registryKey } from './registry-auth';
import { containerInfoFromSummary, containerStatusFromInspect, sandboxFromSummary, type DockerInspect } from './docker-status';
import { containerLabels, containerSpecHash, labelFilters, parseLabels, sandboxLabels } from './labels';
import { dockerLimits } from './limits';
import { pullDecision, splitImage } from './pull-policy';

const settings: NodeRuntimeSettings = {
  nodeName: 'node-1',
  hostIP: '127.0.0.1',
  network: 'bridge',
  sandboxImage: 'sandbox:1',
  extraLabels: { 'io.skiff.test': 'x' },
};
const ref = { uid: 'u1', namespace: 'ns', name: 'web' };
const base: Container = {
  name: 'app',
  image: 'img:1',
  command: [],
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
};

describe('pull policy', () => {
  it('decides as Kubernetes does', () => {
    expect(pullDecision('Always', true)).toBe('pull');
    expect(pullDecision('Always', false)).toBe('pull');
    expect(pullDecision('IfNotPresent', true)).toBe('use-local');
    expect(pullDecision('IfNotPresent', false)).toBe('pull');
    expect(pullDecision('Never', true)).toBe('use-local');
    expect(pullDecision('Never', false)).toBe('never-pull-missing');
    expect(pullDecision('', false)).toBe('pull');
  });
  it('splits image references', () => {
    expect(splitImage('127.0.0.1:5000/skiff/busybox')).toEqual({ repo: '127.0.0.1:5000/skiff/busybox', tag: 'latest' });
    expect(splitImage('127.0.0.1:5000/skiff/busybox:v2')).toEqual({ repo: '127.0.0.1:5000/skiff/busybox', tag: 'v2' });
    expect(splitImage('a/b@sha256:00')).toEqual({ repo: 'a/b', tag: 'sha256:00' });
  });
});

describe('limits', () => {
  it('maps cpu and memory to NanoCpus, CpuShares and Memory without swap', () => {
    expect(dockerLimits({ limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m' } })).toEqual({
      NanoCpus: 500_000_000,
      CpuShares: 256,
      Memory: 67_108_864,
      MemorySwap: 67_108_864,
    });
    expect(dockerLimits({ limits: { cpu: '2' }, requests: {} })).toEqual({ NanoCpus: 2_000_000_000, CpuShares: 2048 });
    expect(dockerLimits({ limits: {}, requests: { cpu: '1m' } })).toEqual({ CpuShares: 2 });
    expect(dockerLimits(undefined)).toEqual({});
  });
});

describe('labels', () => {
  it('round-trips sandbox and container labels and refuses incomplete ones', () => {
    expect(parseLabels(sandboxLabels('node-1', ref, 2, { extra: 'y' }))).toEqual({ kind: 'sandbox', node: 'node-1', pod: ref, attempt: 2 });
    const labels = containerLabels('node-1', ref, { name: 'app', attempt: 4, hash: 'h' });
    expect(parseLabels(labels)).toEqual({ kind: 'container', node: 'node-1', pod: ref, containerName: 'app', attempt: 4, hash: 'h' });
    expect(parseLabels({ ...labels, 'io.skiff.container.attempt': '-1' })).toBeUndefined();
    expect(parseLabels({ ...labels, 'io.skiff.managed': 'false' })).toBeUndefined();
    expect(parseLabels({ ...labels, 'io.skiff.pod.uid': '' })).toBeUndefined();
    expect(parseLabels(undefined)).toBeUndefined();
    expect(labelFilters('node-1', { kind: 'sandbox', podUid: 'u1' })).toEqual([
      'io.skiff.managed=true',
      'io.skiff.node=node-1',
      'io.skiff.kind=sandbox',
      'io.skiff.pod.uid=u1',
    ]);
  });
  it('hashes what a container runs, not how maps are ordered', () => {
    const a = containerSpecHash({ ...base, resources: { limits: { cpu: '1', memory: '1Gi' }, requests: {} } });
    const b = containerSpecHash({ ...base, resources: { limits: { memory: '1Gi', cpu: '1' }, requests: {} } });
    expect(a).toBe(b);
    expect(containerSpecHash({ ...base, image: 'img:2' })).not.toBe(containerSpecHash(base));
  });
});

describe('docker create bodies', () => {
  it('builds a sandbox publishing on the node address only the ports with a hostPort', () => {
    const pod: Pod = {
      metadata: { name: 'web', namespace: 'ns', uid: 'u1' } as Pod['metadata'],
      spec: {
        containers: [
          { ...base, ports: [{ name: 'http', containerPort: 80, hostPort: 0, protocol: 'TCP', hostIP: '' }] },
          { ...base, name: 'dns', ports: [
            { name: 'dns', containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '' },
            { name: 'again', containerPort: 80, hostPort: 0, protocol: '', hostIP: '' },
          ] },
        ],
      } as unknown as Pod['spec'],
    };
    const body = sandboxCreateBody(pod, settings, 1);
    expect(body).toMatchObject({
      name: 'skiff_POD_web_ns_u1_1',
      Image: 'sandbox:1',
      Hostname: 'web',
      ExposedPorts: { '53/udp': {} },
      HostConfig: {
        NetworkMode: 'bridge',
        PortBindings: { '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }] },
      },
    });
    // Port 80 has no hostPort: it is reached at the pod IP only.
    expect(Object.keys(body.HostConfig.PortBindings ?? {})).toEqual(['53/udp']);
    expect(parseLabels(body.Labels)).toEqual({ kind: 'sandbox', node: 'node-1', pod: ref, attempt: 1 });
    expect(body.Labels['io.skiff.test']).toBe('x');
    expect(body.Domainname).toBeUndefined();
    // A pod with spec.subdomain: its own hostname, and the domain for /etc/hosts' FQDN.
    const named = { ...pod, spec: { ...pod.spec!, hostname: 'web-0', subdomain: 'nginx' } } as Pod;
    expect(sandboxCreateBody(named, settings, 0, undefined, 'nginx.ns.svc.cluster.local')).toMatchObject({ Hostname: 'web-0', Domainname: 'nginx.ns.svc.cluster.local' });
  });

  it('publishes nothing for a pod whose ports have no hostPort, and honours a port\'s own hostIP', () => {
    const pod = (ports: NonNullable<Pod['spec']>['containers'][number]['ports']) =>
      ({ metadata: { name: 'web', namespace: 'ns', uid: 'u1' }, spec: { containers: [{ ...base, ports }] } }) as unknown as Pod;
    const none = sandboxCreateBody(pod([{ name: 'http', containerPort: 8080, hostPort: 0, protocol: 'TCP', hostIP: '' }]), settings);
    expect(none.ExposedPorts).toEqual({});
    expect(none.HostConfig.PortBindings).toEqual({});
    const own = sandboxCreateBody(pod([{ name: 'http', containerPort: 8080, hostPort: 18080, protocol: 'TCP', hostIP: '10.0.0.5' }]), settings);
    expect(own.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '10.0.0.5', HostPort: '18080' }] });
  });

  it('writes the resolv.conf text of the pod DNS settings, none without nameservers', () => {
    expect(resolvConfText({ servers: ['10.96.0.10'], searches: ['ns.svc.cluster.local', 'cluster.local'], options: ['ndots:5'] })).toBe(
      "# Generated by the Skiff kubelet from the pod's DNS settings.\nnameserver 10.96.0.10\nsearch ns.svc.cluster.local cluster.local\noptions ndots:5\n",
    );
    expect(resolvConfText({ servers: ['10.0.0.53'], searches: [], options: [] })?.split('\n').slice(1)).toEqual(['nameserver 10.0.0.53', '']);
    expect(resolvConfText({ servers: [], searches: ['a'], options: [] })).toBeUndefined();
    expect(resolvConfText(undefined)).toBeUndefined();
  });

  it('sets the sandbox resolv.conf from the pod DNS settings, and leaves Docker default without them', () => {
    const pod = { metadata: { name: 'web', namespace: 'ns', uid: 'u1' }, spec: { containers: [base] } } as unknown as Pod;
    const dns = { servers: ['10.96.0.10'], searches: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] };
    expect(sandboxCreateBody(pod, settings, 0, dns).HostConfig).toMatchObject({
      Dns: ['10.96.0.10'],
      DnsSearch: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      DnsOptions: ['ndots:5'],
    });
    const plain = sandboxCreateBody(pod, settings).HostConfig;
    expect([plain.Dns, plain.DnsSearch, plain.DnsOptions]).toEqual([undefined, undefined, undefined]);
    // No search domains (dnsPolicy None without searches) is Docker's ".", else Docker would copy the host's.
    expect(sandboxCreateBody(pod, settings, 0, { servers: ['10.0.0.53'], searches: [], options: [] }).HostConfig).toMatchObject({ Dns: ['10.0.0.53'], DnsSearch: ['.'], DnsOptions: [] });
  });

  it('builds an app container joined to the sandbox: command/args as Kubernetes, env, limits, labels', () => {
    const c: Container = {
      ...base,
      command: ['sh', '-c'],
      args: ['echo $A'],
      workingDir: '/w',
      env: [{ name: 'A', value: '1' }, { name: 'B', value: '', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'x' } } }, { name: 'C', value: 'c' }],
      resources: { limits: { memory: '64Mi' }, requests: {} },
    };
    const body = containerCreateBody(ref, 'sandbox-id', c, { attempt: 2 }, settings);
    expect(body).toMatchObject({
      name: 'skiff_app_web_ns_u1_2',
      Image: 'img:1',
      Entrypoint: ['sh', '-c'],
      Cmd: ['echo $A'],
      WorkingDir: '/w',
      Env: ['A=1', 'C=c'], // without the kubelet's list: the plain values, valueFrom left out
      HostConfig: { NetworkMode: 'container:sandbox-id', Memory: 67_108_864, MemorySwap: 67_108_864 },
    });
    expect([body.User, body.Tty, body.OpenStdin, body.HostConfig.Mounts, body.HostConfig.CapDrop]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    // The kubelet's final environment (in order, duplicates kept) and expanded command and args replace the spec's.
    const resolved = containerCreateBody(
      ref,
      'sandbox-id',
      c,
      { attempt: 2, env: [{ name: 'C', value: 'svc' }, { name: 'B', value: 'from-kubelet' }, { name: 'C', value: 'c' }], command: ['/bin/x'], args: ['a', 'b'] },
      settings,
    );
    expect(resolved).toMatchObject({ Env: ['C=svc', 'B=from-kubelet', 'C=c'], Entrypoint: ['/bin/x'], Cmd: ['a', 'b'] });
    expect(containerCreateBody(ref, 's', c, { attempt: 0, env: [], args: [] }, settings)).toMatchObject({ Env: [], Entrypoint: ['sh', '-c'], Cmd: [] });
    expect(parseLabels(body.Labels)).toMatchObject({ kind: 'container', containerName: 'app', attempt: 2, hash: containerSpecHash(c) });
    // command without args drops the image's CMD; args alone keep its ENTRYPOINT; neither keeps both.
    expect(containerCreateBody(ref, 's', { ...c, args: [] }, { attempt: 0 }, settings)).toMatchObject({ Entrypoint: ['sh', '-c'], Cmd: [] });
    const argsOnly = containerCreateBody(ref, 's', { ...c, command: [] }, { attempt: 0 }, settings);
    expect(argsOnly.Entrypoint).toBeUndefined();
    expect(argsOnly.Cmd).toEqual(['echo $A']);
    const neither = containerCreateBody(ref, 's', base, { attempt: 0 }, settings);
    expect([neither.Entrypoint, neither.Cmd, neither.WorkingDir]).toEqual([undefined, undefined, undefined]);
  });

  it('binds the kubelet\'s host paths, read-only when asked, with private propagation', () => {
    const body = containerCreateBody(ref, 's', base, {
      attempt: 0,
      mounts: [{ hostPath: '/var/lib/skiff/pods/u1/volumes/data', containerPath: '/data' }, { hostPath: '/h/config', containerPath: '/etc/config', readOnly: true }],
    }, settings);
    expect(body.HostConfig.Mounts).toEqual([
      { Type: 'bind', Source: '/var/lib/skiff/pods/u1/volumes/data', Target: '/data', ReadOnly: false, BindOptions: { Propagation: 'rprivate' } },
      { Type: 'bind', Source: '/h/config', Target: '/etc/config', ReadOnly: true, BindOptions: { Propagation: 'rprivate' } },
    ]);
  });

  it('maps the security settings to User, GroupAdd, capabilities, Privileged, ReadonlyRootfs and no-new-privileges', () => {
    const security = { user: 1000, group: 3000, supplementalGroups: [2000, 4000], capAdd: ['NET_ADMIN'], capDrop: ['ALL'], readOnlyRootFilesystem: true, noNewPrivileges: true };
    const body = containerCreateBody(ref, 's', base, { attempt: 0, security }, settings);
    expect(body.User).toBe('1000:3000');
    expect(body.HostConfig).toMatchObject({ GroupAdd: ['2000', '4000'], CapAdd: ['NET_ADMIN'], CapDrop: ['ALL'], ReadonlyRootfs: true, SecurityOpt: ['no-new-privileges'] });
    expect(body.HostConfig.Privileged).toBeUndefined();
    expect(containerCreateBody(ref, 's', base, { attempt: 0, security: { privileged: true } }, settings).HostConfig.Privileged).toBe(true);
    expect(containerCreateBody(ref, 's', base, { attempt: 0, security: {} }, settings).HostConfig).toEqual({ NetworkMode: 'container:s', RestartPolicy: { Name: 'no' } });
    // User alone; a group alone keeps the image's user (its user part), root when the image names none.
    expect(dockerUser({ user: 0 })).toBe('0');
    expect(dockerUser({ group: 5 }, 'app:staff')).toBe('app:5');
    expect(dockerUser({ group: 5 }, '1000')).toBe('1000:5');
    expect(dockerUser({ group: 5 })).toBe('0:5');
    expect(dockerUser(undefined)).toBeUndefined();
    expect(containerCreateBody(ref, 's', base, { attempt: 0, security: { group: 5 }, imageUser: 'nobody' }, settings).User).toBe('nobody:5');
  });

  it('opens stdin and allocates a tty as the spec says', () => {
    expect(containerCreateBody(ref, 's', { ...base, stdin: true, stdinOnce: true, tty: true }, { attempt: 0 }, settings)).toMatchObject({
      AttachStdin: true, OpenStdin: true, StdinOnce: true, Tty: true,
    });
    const plain = containerCreateBody(ref, 's', { ...base, tty: true }, { attempt: 0 }, settings);
    expect([plain.Tty, plain.OpenStdin, plain.AttachStdin, plain.StdinOnce]).toEqual([true, undefined, undefined, undefined]);
  });
});

describe('registry logins', () => {
  it('finds the registry of an image as Docker does', () => {
    expect(imageRegistry('busybox')).toBe('docker.io');
    expect(imageRegistry('library/busybox:1')).toBe('docker.io');
    expect(imageRegistry('docker.io/library/busybox')).toBe('docker.io');
    expect(imageRegistry('index.docker.io/library/busybox')).toBe('docker.io');
    expect(imageRegistry('127.0.0.1:5001/skiff/private-busybox:latest')).toBe('127.0.0.1:5001');
    expect(imageRegistry('localhost/app')).toBe('localhost');
    expect(imageRegistry('Registry.Example.com/app@sha256:00')).toBe('registry.example.com');
  });

  it('normalizes docker config keys to host[:port]', () => {
    expect(normalizeRegistry('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeRegistry('registry-1.docker.io')).toBe('docker.io');
    expect(normalizeRegistry('http://127.0.0.1:5001/some/path')).toBe('127.0.0.1:5001');
    expect(normalizeRegistry('Quay.io')).toBe('quay.io');
    expect(dockerServerAddress('docker.io')).toBe('https://index.docker.io/v1/');
    expect(dockerServerAddress('https://127.0.0.1:5001/')).toBe('127.0.0.1:5001');
  });

  it('picks the logins whose registry is the image\'s, in order (globs per host label, ports exact)', () => {
    const login = (registry: string, username = registry) => ({ registry, username, password: 'p' });
    const logins = [login('127.0.0.1:5001', 'a'), login('https://index.docker.io/v1/'), login('*.example.com'), login('127.0.0.1:5000'), login('127.0.0.1:5001', 'b'), login('reg-*.corp.io')];
    const users = (image: string) => credentialsForImage(image, logins).map((c) => c.username);
    expect(users('127.0.0.1:5001/skiff/x')).toEqual(['a', 'b']);
    expect(users('127.0.0.1/skiff/x')).toEqual([]);
    expect(users('busybox')).toEqual(['https://index.docker.io/v1/']);
    expect(users('registry.example.com/app')).toEqual(['*.example.com']);
    expect(users('a.b.example.com/app')).toEqual([]);
    expect(users('reg-eu.corp.io/app')).toEqual(['reg-*.corp.io']);
    expect(users('quay.io/app')).toEqual([]);
  });

  it('matches key paths as prefixes of the repository, most specific key first (Kubernetes\' keyring)', () => {
    expect(registryKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(registryKey('https://ghcr.io/org-a/')).toBe('ghcr.io/org-a');
    expect(registryKey('docker.io/myorg')).toBe('docker.io/myorg');
    expect(registryKey('http://127.0.0.1:5001/v2/')).toBe('127.0.0.1:5001');
    expect(registryKey('https://r.example.com/v1/team')).toBe('r.example.com/team');
    expect(registryKey('r.example.com/v2')).toBe('r.example.com/v2'); // a repository named v2, no trailing slash: kept
    const login = (registry: string) => ({ registry, username: registry, password: 'p' });
    const logins = [login('ghcr.io'), login('ghcr.io/org-a'), login('ghcr.io/org-a/app'), login('docker.io/myorg'), login('https://index.docker.io/v1/')];
    const users = (image: string) => credentialsForImage(image, logins).map((c) => c.username);
    expect(users('ghcr.io/org-a/app:1')).toEqual(['ghcr.io/org-a/app', 'ghcr.io/org-a', 'ghcr.io']);
    expect(users('ghcr.io/org-b/app')).toEqual(['ghcr.io']);
    expect(users('myorg/tool@sha256:00')).toEqual(['docker.io/myorg', 'https://index.docker.io/v1/']);
    expect(users('busybox')).toEqual(['https://index.docker.io/v1/']);
  });
});

describe('docker status mapping', () => {
  const containerLabelSet = containerLabels('node-1', ref, { name: 'app', attempt: 1, hash: 'h' });
  const inspect = (state: Partial<DockerInspect['State']>): DockerInspect => ({
    Id: 'c1',
    Created: '2024-01-01T00:00:00Z',
    Image: 'sha256:abc',
    Config: { Image: 'img:1', Labels: containerLabelSet },
    State: { Status: 'exited', Running: false, OOMKilled: false, ExitCode: 0, StartedAt: '2024-01-01T00:00:01Z', FinishedAt: '2024-01-01T00:00:02Z', ...state },
  });

  it('reads sandboxes and containers from list summaries', () => {
    const sandbox = sandboxFromSummary({
      Id: 's1',
      Image: 'sandbox:1',
      Labels: sandboxLabels('node-1', ref, 0),
      State: 'running',
      Created: 1_700_000_000,
      Ports: [
        { IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 32768, Type: 'tcp' },
        { IP: '::', PrivatePort: 8080, PublicPort: 32768, Type: 'tcp' },
        { PrivatePort: 9090, Type: 'tcp' },
      ],
      NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.5' } } },
    });
    expect(sandbox).toEqual({
      id: 's1', pod: ref, node: 'node-1', attempt: 0, state: 'ready', ip: '172.17.0.5', hostIP: '127.0.0.1',
      ports: [{ containerPort: 8080, protocol: 'TCP', hostIP: '127.0.0.1', hostPort: 32768 }],
      createdAt: new Date(1_700_000_000_000),
    });
    expect(sandboxFromSummary({ Id: 'x', Image: 'i', Labels: containerLabelSet, State: 'running', Created: 0 })).toBeUndefined();
    expect(containerInfoFromSummary({ Id: 'c1', Image: 'img:1', Labels: containerLabelSet, State: 'exited', Created: 0, HostConfig: { NetworkMode: 'container:s1' } })).toEqual({
      id: 'c1', pod: ref, name: 'app', attempt: 1, hash: 'h', image: 'img:1', state: 'exited', createdAt: new Date(0), sandboxId: 's1',
    });
    expect(containerInfoFromSummary({ Id: 'c1', Image: 'img:1', Labels: containerLabelSet, State: 'exited', Created: 0, HostConfig: { NetworkMode: 'bridge' } })?.sandboxId).toBe('');
  });

  it('maps exits to OOMKilled, Completed or Error, and a failed start to exited 128 StartError (as Kubernetes shows it)', () => {
    expect(containerStatusFromInspect(inspect({ OOMKilled: true, ExitCode: 137 }))).toMatchObject({ reason: 'OOMKilled', exitCode: 137, oomKilled: true, restartCount: 1 });
    expect(containerStatusFromInspect(inspect({ ExitCode: 0 }))?.reason).toBe('Completed');
    const failed = containerStatusFromInspect(inspect({ ExitCode: 2 }));
    expect(failed).toMatchObject({ reason: 'Error', exitCode: 2, finishedAt: new Date('2024-01-01T00:00:02Z') });
    expect(toContainerState(failed!)).toEqual({
      terminated: {
        exitCode: 2, signal: 0, reason: 'Error', message: '', containerID: 'docker://c1',
        startedAt: new Date('2024-01-01T00:00:01Z'), finishedAt: new Date('2024-01-01T00:00:02Z'),
      },
    });
    // What Docker leaves after a start that failed: still "created", exit code 127, the error, no times.
    const cannot = containerStatusFromInspect({
      ...inspect({ Status: 'created', ExitCode: 127, StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z', Error: 'exec: not found' }),
      HostConfig: { NetworkMode: 'container:s1' },
    });
    expect(cannot).toMatchObject({ state: 'exited', exitCode: 128, reason: 'StartError', message: 'exec: not found', startedAt: undefined, sandboxId: 's1' });
    expect(cannot?.finishedAt).toEqual(new Date('2024-01-01T00:00:00Z')); // its creation: Docker records no failure time
    expect(toContainerState(cannot!)).toEqual({
      terminated: { exitCode: 128, signal: 0, reason: 'StartError', message: 'exec: not found', containerID: 'docker://c1', startedAt: undefined, finishedAt: new Date('2024-01-01T00:00:00Z') },
    });
    // created and not started yet (no error): waiting
    const fresh = containerStatusFromInspect(inspect({ Status: 'created', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' }));
    expect([fresh?.state, fresh?.exitCode, fresh?.reason]).toEqual(['created', undefined, undefined]);
    expect(toContainerState(fresh!)).toEqual({ waiting: { reason: 'ContainerCreating', message: '' } });
    const running = containerStatusFromInspect(inspect({ Status: 'running', Running: true }));
    expect(toContainerState(running!)).toEqual({ running: { startedAt: new Date('2024-01-01T00:00:01Z') } });
    expect(containerStatusFromInspect({ ...inspect({}), Config: { Image: 'x', Labels: {} } })).toBeUndefined();
  });

  it('maps Docker events of Skiff containers', () => {
    const message = { Type: 'container', Action: 'die', Actor: { ID: 'c1', Attributes: { ...containerLabelSet, exitCode: '137' } }, timeNano: 1_700_000_000_123_000_000 };
    expect(runtimeEventFromDocker(message)).toEqual({
      type: 'died', id: 'c1', kind: 'container', pod: ref, containerName: 'app', attempt: 1, exitCode: 137, time: new Date(1_700_000_000_123),
    });
    expect(runtimeEventFromDocker({ ...message, Action: 'exec_start' })).toBeUndefined();
    expect(runtimeEventFromDocker({ ...message, Actor: { ID: 'c1', Attributes: {} } })).toBeUndefined();
  });
});

describe('AsyncQueue', () => {
  it('delivers queued items, ends, fails after the queued items, and closes once when the reader stops', async () => {
    let closed = 0;
    const q = new AsyncQueue<number>(() => closed++);
    q.push(1);
    const reading = (async () => {
      const got: number[] = [];
      for await (const n of q) got.push(n);
      return got;
    })();
    q.push(2);
    q.end();
    q.push(3);
    expect(await reading).toEqual([1, 2]);
    expect(closed).toBe(1);

    const failing = new AsyncQueue<number>();
    failing.push(1);
    failing.fail(new Error('boom'));
    const got: number[] = [];
    await expect((async () => { for await (const n of failing) got.push(n); })()).rejects.toThrow('boom');
    expect(got).toEqual([1]);

    let stopped = 0;
    const early = new AsyncQueue<number>(() => stopped++);
    early.push(1);
    early.push(2);
    for await (const _n of early) break;
    expect(stopped).toBe(1);
  });
});
