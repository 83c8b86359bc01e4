/**
 * Test hosts: several "machines" on this one, for multi-host tests. A test network is a Linux
 * bridge in the root network namespace with its own /24 of 10.123.0.0/16 (the bridge holds .1);
 * each host is a network namespace joined to the bridge by a veth pair, with its own address,
 * `lo` up and a default route via the bridge. Processes run inside a host with
 * `nsenter --net=/var/run/netns/NAME` (never `ip netns exec`, which remounts /sys and hides the
 * cgroup mounts dockerd needs); they share the machine's filesystem, so a host's files live
 * under its own directory (`host.dir`).
 *
 *   const network = await createTestNetwork();
 *   const a = await network.addHost('a');             // a.ip = 10.123.X.2
 *   const web = a.spawn('web', 'busybox', ['httpd', '-f', '-p', '8080']);
 *   const socket = await a.startDockerd();            // its own dockerd; pulls from network.registry
 *   ...
 *   await network.destroy();                          // every host, the bridge, the registry
 *
 * Images: the machine's registry serves 127.0.0.1:5000 in the root namespace only, which hosts
 * cannot reach. The network serves the same storage read-only at `network.registry`
 * ("10.123.X.1:5000", a second docker-registry process on the bridge address); hosts' dockerds
 * trust it over HTTP, so pods use `${network.registry}/skiff/busybox:latest`.
 *
 * Names are per run (run = 6 hex digits): bridge `sktb<run>`, veths `sktv<run><n>`, namespaces
 * `skt<run>-<host>`, cgroups `skt<run>-<host>`, files under `<tmpdir>/skiff-test-hosts/<run>/`,
 * iptables rules commented `skiff-test-hosts:<run>`. The run directory records its owner
 * process; `sweepTestHosts()` (called by every createTestNetwork) removes everything of runs
 * whose owner is gone, and only those, so crashed runs leave nothing behind for long.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, TestProcess } from './process';
import { waitFor } from './wait-for';

/** Where test networks keep their files: one directory per run. */
export const TEST_HOSTS_DIR = join(tmpdir(), 'skiff-test-hosts');
const PREFIX = 'skt';
const RUN_RE = /^[0-9a-f]{6}$/;
const NETNS_DIR = '/var/run/netns';

/** Where the machine's registry (tools/images/ensure-registry.sh) keeps its blobs. */
function registryStorage(): string {
  return join(process.env['SKIFF_REGISTRY_DIR'] ?? '/var/lib/skiff-registry', 'data');
}

/** Runs a command to completion; resolves with stdout, rejects with its stderr. */
export function runCommand(command: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((done, fail) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) fail(Object.assign(new Error(`${command} ${args.join(' ')}: ${stderr.toString().trim() || err.message}`, { cause: err }), { stdout, stderr }));
      else done(stdout.toString());
    });
  });
}

/** runCommand that ignores failure (for cleanup of what may already be gone). */
async function tryCommand(command: string, args: string[]): Promise<void> {
  await runCommand(command, args).catch(() => undefined);
}

export interface TestNetworkOptions {
  /** The bridge's name (at most 15 characters); default `sktb<run>`. */
  name?: string;
  /** The network's /24, e.g. "10.123.7.0/24"; default a /24 of 10.123.0.0/16 no route or address here uses. */
  subnet?: string;
  /** Serve the machine's registry storage at `<bridge address>:5000` (default true). */
  registry?: boolean;
}

export interface SpawnOptions {
  /** The environment (default this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface StartDockerdOptions {
  /** dockerd --bip: the default bridge's address and subnet (default Docker's 172.17.0.1/16, private to the host). */
  bip?: string;
  /** More dockerd flags. */
  args?: string[];
  timeoutMs?: number;
}

/** One "machine" of a test network: a network namespace with its own address. */
export interface TestHost {
  /** The name given to addHost. */
  readonly name: string;
  /** Its address on the network, e.g. "10.123.7.2". */
  readonly ip: string;
  /** The network namespace's name (`skt<run>-<name>`). */
  readonly netns: string;
  /** /var/run/netns/<netns>. */
  readonly netnsPath: string;
  /** A directory for this host's files (removed by remove()); dockerd's data lives under it. */
  readonly dir: string;
  /** The socket of its dockerd once startDockerd() resolved. */
  readonly dockerSocket: string | undefined;
  /** The processes spawn() started, in order. */
  readonly processes: readonly TestProcess[];
  /**
   * Starts `command args` inside the host's network namespace (nsenter --net=...); output is
   * kept by the TestProcess, stop()/kill() work as for any test process. remove() kills it.
   */
  spawn(name: string, command: string, args: string[], options?: SpawnOptions): TestProcess;
  /** Runs `command args` inside the host to completion (e.g. `ip route`); resolves with stdout, rejects on failure. */
  exec(command: string, args: string[], timeoutMs?: number): Promise<string>;
  /**
   * Starts a dockerd of its own inside the host (own --data-root, --exec-root, --pidfile,
   * socket, cgroup parent; trusts network.registry over HTTP) and resolves with its socket path
   * once it answers /_ping. Rejects with dockerd's last output when it does not answer in time.
   */
  startDockerd(options?: StartDockerdOptions): Promise<string>;
  /** Runs the docker CLI against the host's dockerd (`docker -H unix://<socket> args`); resolves with stdout. */
  docker(args: string[], timeoutMs?: number): Promise<string>;
  /**
   * Removes the host as a machine that died: SIGKILLs every process in its namespace (and their
   * children: containers), unmounts what they mounted under `dir`, deletes the namespace, the
   * veth pair, dockerd's cgroups and `dir`. Safe to call twice.
   */
  remove(): Promise<void>;
}

/** A bridge with hosts on it; destroy() it in afterAll. */
export interface TestNetwork {
  /** This run's id (6 hex digits) in every name the network makes. */
  readonly run: string;
  /** The bridge's name. */
  readonly bridge: string;
  /** The bridge's (the root namespace's) address on the network, e.g. "10.123.7.1". */
  readonly gateway: string;
  /** The network's CIDR, e.g. "10.123.7.0/24". */
  readonly subnet: string;
  /** The registry hosts pull from, "10.123.X.1:5000" (empty when options.registry is false). */
  readonly registry: string;
  /** The hosts by name (removed ones are gone). */
  readonly hosts: ReadonlyMap<string, TestHost>;
  /** Adds a host with the next free address; its name must be unique in the network (short: it goes into interface names). */
  addHost(name: string): Promise<TestHost>;
  /** Adds a route in the root namespace (`ip route add cidr via <host address>`), removed by destroy(). */
  addRootRoute(cidr: string, via: string): Promise<void>;
  /** Removes every host, the registry, root routes, the iptables rule and the bridge. Safe to call twice. */
  destroy(): Promise<void>;
}

// --- processes --------------------------------------------------------------------------------

interface ProcInfo {
  pid: number;
  ppid: number;
}

function listProcs(): ProcInfo[] {
  const procs: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.push({ pid: Number(entry), ppid: Number(fields[1]) });
    } catch {
      // gone meanwhile
    }
  }
  return procs;
}

/** The process start time (clock ticks since boot), to tell a pid from a reused one. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Pids whose network namespace is `netnsPath`'s, or whose command line mentions `pathMarker`, plus all their descendants. */
function processesOf(selectors: { netnsPath?: string; pathMarker?: string }): number[] {
  let nsIno: number | undefined;
  try {
    if (selectors.netnsPath) nsIno = statSync(selectors.netnsPath).ino;
  } catch {
    // the namespace is gone: only the path marker selects
  }
  const procs = listProcs();
  const roots = new Set<number>();
  for (const { pid } of procs) {
    if (pid === process.pid) continue;
    try {
      if (nsIno !== undefined && statSync(`/proc/${pid}/ns/net`).ino === nsIno) roots.add(pid);
      else if (selectors.pathMarker && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(selectors.pathMarker)) roots.add(pid);
    } catch {
      // gone meanwhile
    }
  }
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const all = new Set<number>();
  const visit = (pid: number) => {
    if (all.has(pid) || pid === process.pid) return;
    all.add(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  for (const pid of roots) visit(pid);
  return [...all];
}

/** SIGKILLs the selected processes (and their descendants) until none is left, or throws after 20 s. */
async function killAll(selectors: { netnsPath?: string; pathMarker?: string }): Promise<void> {
  await waitFor(
    'the processes of a test host to be gone',
    () => {
      const pids = processesOf(selectors).filter((pid) => {
        try {
          // zombies are dead already: their parent (often init) reaps them
          return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        } catch {
          return false;
        }
      });
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      return pids.length === 0;
    },
    { timeoutMs: 20_000, intervalMs: 50 },
  );
}

// --- mounts and cgroups -------------------------------------------------------------------------

function mountPointsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((point): point is string => !!point && (point === dir || point.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or under `dir`, deepest first (lazily when busy). */
async function unmountAll(dir: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const points = mountPointsUnder(dir);
    if (points.length === 0) return;
    for (const point of points) await runCommand('umount', [point]).catch(() => tryCommand('umount', ['-l', point]));
  }
}

/** Removes a directory tree that holds no mounts any more (retrying briefly: files of dying processes). */
async function removeDir(dir: string): Promise<void> {
  await unmountAll(dir);
  await waitFor(`${dir} to be removed`, () => {
    rmSync(dir, { recursive: true, force: true });
    return !existsSync(dir);
  }, { timeoutMs: 10_000, intervalMs: 100 });
}

/** Removes the cgroup `name` (and its children) in every hierarchy; they must hold no process. */
async function removeCgroups(match: (name: string) => boolean): Promise<void> {
  const roots: string[] = [];
  try {
    for (const entry of readdirSync('/sys/fs/cgroup', { withFileTypes: true })) if (entry.isDirectory()) roots.push(join('/sys/fs/cgroup', entry.name));
    roots.push('/sys/fs/cgroup');
  } catch {
    return;
  }
  const removeTree = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeTree(join(dir, entry.name));
    rmdirSync(dir);
  };
  await waitFor('the cgroups of a test host to be removed', () => {
    let left = 0;
    for (const root of roots) {
      let entries: string[] = [];
      try {
        entries = readdirSync(root).filter(match);
      } catch {
        continue;
      }
      for (const name of entries) {
        try {
          removeTree(join(root, name));
        } catch {
          left++;
        }
      }
    }
    return left === 0;
  }, { timeoutMs: 10_000, intervalMs: 100 }).catch(() => undefined);
}

// --- run ownership and the sweep ----------------------------------------------------------------

interface Owner {
  pid: number;
  startTime: string | undefined;
}

function ownerAlive(run: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(join(TEST_HOSTS_DIR, run, 'owner.json'), 'utf8')) as Owner;
    return startTime(owner.pid) === owner.startTime;
  } catch {
    // no owner file: a run that crashed while starting (or a stranger's directory): not alive,
    // unless it was made within the last minute (its owner may be writing the file right now)
    try {
      return Date.now() - statSync(join(TEST_HOSTS_DIR, run)).mtimeMs < 60_000;
    } catch {
      return false;
    }
  }
}

async function netnsNames(): Promise<string[]> {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

async function linkNames(): Promise<string[]> {
  const out = await runCommand('ip', ['-o', 'link', 'show']).catch(() => '');
  return out.split('\n').map((line) => line.split(': ')[1]?.split('@')[0] ?? '').filter(Boolean);
}

async function iptablesRules(): Promise<string[]> {
  const out = await runCommand('iptables', ['-w', '-S', 'FORWARD']).catch(() => '');
  return out.split('\n').filter((line) => line.includes('skiff-test-hosts:'));
}

/** Deletes one FORWARD rule given as a line of `iptables -S` ("-A FORWARD ..."). */
async function deleteRule(line: string): Promise<void> {
  const args = line.replace(/^-A /, '').match(/"[^"]*"|\S+/g)?.map((a) => a.replace(/^"|"$/g, '')) ?? [];
  await tryCommand('iptables', ['-w', '-D', ...args]);
}

/** Removes everything of one run (any state it was left in). */
async function cleanRun(run: string): Promise<void> {
  const runDir = join(TEST_HOSTS_DIR, run);
  const namespaces = (await netnsNames()).filter((n) => n.startsWith(`${PREFIX}${run}-`));
  for (const ns of namespaces) await killAll({ netnsPath: join(NETNS_DIR, ns) }).catch(() => undefined);
  await killAll({ pathMarker: `${runDir}/` }).catch(() => undefined);
  for (const ns of namespaces) await tryCommand('ip', ['netns', 'del', ns]);
  let bridge = `${PREFIX}b${run}`;
  try {
    bridge = (JSON.parse(readFileSync(join(runDir, 'network.json'), 'utf8')) as { bridge: string }).bridge;
  } catch {
    // not written: the default name
  }
  for (const link of await linkNames()) if (link === bridge || link.startsWith(`${PREFIX}v${run}`)) await tryCommand('ip', ['link', 'del', link]);
  for (const rule of await iptablesRules()) if (rule.includes(`skiff-test-hosts:${run}`)) await deleteRule(rule);
  await removeCgroups((name) => name.startsWith(`${PREFIX}${run}-`));
  if (existsSync(runDir)) await removeDir(runDir).catch(() => undefined);
}

/**
 * Removes the leftovers of test networks whose owning process is gone (a crashed or killed
 * run): their processes, mounts, namespaces, links, iptables rules, cgroups and files. Runs of
 * live processes (other test runs on this machine) are left alone. Only names this module makes
 * are touched. Never throws for a leftover that would not go.
 */
export async function sweepTestHosts(): Promise<string[]> {
  const runs = new Set<string>();
  try {
    for (const entry of readdirSync(TEST_HOSTS_DIR)) if (RUN_RE.test(entry)) runs.add(entry);
  } catch {
    // no directory: no earlier run
  }
  const runOf = (name: string, re: RegExp) => re.exec(name)?.[1];
  for (const ns of await netnsNames()) {
    const run = runOf(ns, /^skt([0-9a-f]{6})-/);
    if (run) runs.add(run);
  }
  for (const link of await linkNames()) {
    const run = runOf(link, /^skt[bv]([0-9a-f]{6})/);
    if (run) runs.add(run);
  }
  for (const rule of await iptablesRules()) {
    const run = runOf(rule, /skiff-test-hosts:([0-9a-f]{6})/);
    if (run) runs.add(run);
  }
  const dead = [...runs].filter((run) => !ownerAlive(run));
  for (const run of dead) await cleanRun(run);
  return dead;
}

// --- the network --------------------------------------------------------------------------------

/** A /24 of 10.123.0.0/16 that no address or route of the root namespace mentions. */
async function freeSubnet(): Promise<string> {
  const used = (await runCommand('ip', ['-4', 'addr'])) + (await runCommand('ip', ['-4', 'route']));
  for (let i = 0; i < 50; i++) {
    const x = randomInt(1, 255);
    if (!used.includes(`10.123.${x}.`)) return `10.123.${x}.0/24`;
  }
  throw new Error('no free /24 in 10.123.0.0/16');
}

function httpStatus(url: string): Promise<number> {
  return fetch(url, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status, () => 0);
}

/** GET /_ping on a dockerd's socket: true when it answers OK. */
function dockerPing(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Creates a test network: a bridge in the root namespace with the .1 address of a /24 of
 * 10.123.0.0/16 (random per run), IPv4 forwarding on, iptables rules in the root namespace's
 * FORWARD chain letting its hosts talk to each other and dropping what they would have the root
 * namespace route elsewhere (test traffic never leaves the machine), and (unless options.registry is
 * false) a read-only registry on `<.1>:5000` serving the machine's registry storage. Sweeps
 * leftovers of dead runs first. On failure it removes what it made and rejects.
 */
export async function createTestNetwork(options: TestNetworkOptions = {}): Promise<TestNetwork> {
  await sweepTestHosts();
  const run = randomBytes(3).toString('hex');
  const runDir = join(TEST_HOSTS_DIR, run);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'owner.json'), JSON.stringify({ pid: process.pid, startTime: startTime(process.pid) } satisfies Owner));
  const bridge = options.name ?? `${PREFIX}b${run}`;
  if (bridge.length > 15) throw new Error(`bridge name ${bridge} is longer than 15 characters`);
  writeFileSync(join(runDir, 'network.json'), JSON.stringify({ bridge }));
  const comment = ['-m', 'comment', '--comment', `skiff-test-hosts:${run}`];
  // br_netfilter passes bridged frames through FORWARD, whose policy is DROP once Docker runs:
  // let the hosts talk; and whatever a host sends to the root namespace to be routed elsewhere
  // (an address no host has) is dropped here, never sent off the machine.
  const rules = [
    ['FORWARD', '-i', bridge, '-o', bridge, ...comment, '-j', 'ACCEPT'],
    ['FORWARD', '-i', bridge, '!', '-o', bridge, ...comment, '-j', 'DROP'],
  ];
  const hosts = new Map<string, TestHost>();
  const rootRoutes: string[][] = [];
  let registryProcess: TestProcess | undefined;
  let nextHost = 2;
  let destroyed = false;

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    // the last added first: workers before the control plane they talk to
    for (const host of [...hosts.values()].reverse()) await host.remove().catch(() => undefined);
    await registryProcess?.kill();
    for (const route of rootRoutes.splice(0)) await tryCommand('ip', ['route', 'del', ...route]);
    for (const rule of rules) await tryCommand('iptables', ['-w', '-D', ...rule]);
    await tryCommand('ip', ['link', 'del', bridge]);
    await cleanRun(run); // whatever a failed step above left, by name
  };

  try {
    const subnet = options.subnet ?? (await freeSubnet());
    const base = subnet.replace(/\.0\/24$/, '');
    if (base === subnet) throw new Error(`subnet ${subnet} is not a /24 ending in .0`);
    const gateway = `${base}.1`;
    await runCommand('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await runCommand('ip', ['addr', 'add', `${gateway}/24`, 'dev', bridge]);
    await runCommand('ip', ['link', 'set', bridge, 'up']);
    await runCommand('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    for (const rule of rules) await runCommand('iptables', ['-w', '-I', ...rule]);

    let registry = '';
    if (options.registry ?? true) {
      registry = `${gateway}:5000`;
      const config = join(runDir, 'registry.yml');
      writeFileSync(
        config,
        [
          'version: 0.1',
          'log:',
          '  level: warn',
          '  accesslog:',
          '    disabled: true',
          'storage:',
          '  filesystem:',
          `    rootdirectory: ${registryStorage()}`,
          '  maintenance:',
          '    uploadpurging:',
          '      enabled: false',
          '    readonly:',
          '      enabled: true',
          'http:',
          `  addr: ${registry}`,
          '',
        ].join('\n'),
      );
      const child = startProcess('registry', 'docker-registry', ['serve', config]);
      registryProcess = child;
      await waitFor('the test network registry to answer', async () => {
        if (!child.running) throw new Error(`docker-registry exited:\n${child.recentOutput}`);
        return (await httpStatus(`http://${registry}/v2/`)) === 200;
      }, { timeoutMs: 20_000, intervalMs: 50 });
    }

    const addHost = async (name: string): Promise<TestHost> => {
      if (destroyed) throw new Error('the test network is destroyed');
      if (hosts.has(name)) throw new Error(`host ${name} already exists`);
      if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name)) throw new Error(`host name ${name}: use lowercase letters, digits and dashes`);
      const index = nextHost++;
      if (index > 254) throw new Error('no address left in the test network');
      const host = makeHost({ run, runDir, bridge, name, index, ip: `${base}.${index}`, gateway, registry, onRemoved: () => hosts.delete(name) });
      hosts.set(name, host);
      try {
        await host.create();
      } catch (err) {
        await host.remove().catch(() => undefined);
        throw err;
      }
      return host;
    };

    return {
      run,
      bridge,
      gateway,
      subnet,
      registry,
      hosts,
      addHost,
      async addRootRoute(cidr, via) {
        const route = [cidr, 'via', via, 'dev', bridge];
        await runCommand('ip', ['route', 'add', ...route]);
        rootRoutes.push(route);
      },
      destroy,
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}

interface HostPlan {
  run: string;
  runDir: string;
  bridge: string;
  name: string;
  index: number;
  ip: string;
  gateway: string;
  registry: string;
  onRemoved(): void;
}

function makeHost(plan: HostPlan): TestHost & { create(): Promise<void> } {
  const netns = `${PREFIX}${plan.run}-${plan.name}`;
  const netnsPath = join(NETNS_DIR, netns);
  const veth = `${PREFIX}v${plan.run}${plan.index}`;
  const dir = join(plan.runDir, plan.name);
  const cgroupParent = netns;
  const processes: TestProcess[] = [];
  let dockerSocket: string | undefined;
  let removed = false;

  const inNs = (command: string, args: string[]) => ['--net=' + netnsPath, '--', command, ...args];
  const host: TestHost & { create(): Promise<void> } = {
    name: plan.name,
    ip: plan.ip,
    netns,
    netnsPath,
    dir,
    get dockerSocket() {
      return dockerSocket;
    },
    processes,
    async create() {
      mkdirSync(dir, { recursive: true });
      await runCommand('ip', ['netns', 'add', netns]);
      await runCommand('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await runCommand('ip', ['link', 'set', veth, 'master', plan.bridge, 'up']);
      const ns = (args: string[]) => runCommand('nsenter', inNs(args[0] as string, args.slice(1)));
      await ns(['ip', 'addr', 'add', `${plan.ip}/24`, 'dev', 'eth0']);
      await ns(['ip', 'link', 'set', 'eth0', 'up']);
      await ns(['ip', 'link', 'set', 'lo', 'up']);
      await ns(['ip', 'route', 'add', 'default', 'via', plan.gateway]);
      // a machine forwards for its pods (sysctls under net. are per namespace)
      await ns(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    },
    spawn(name, command, args, options = {}) {
      if (removed) throw new Error(`host ${plan.name} is removed`);
      const child = spawn('nsenter', inNs(command, args), { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
      const proc = new TestProcess(`${name} (${plan.name})`, child);
      processes.push(proc);
      return proc;
    },
    exec(command, args, timeoutMs) {
      return runCommand('nsenter', inNs(command, args), timeoutMs);
    },
    async startDockerd(options = {}) {
      if (dockerSocket) return dockerSocket;
      const dockerDir = join(dir, 'docker');
      mkdirSync(dockerDir, { recursive: true });
      const socket = join(dockerDir, 'docker.sock');
      const configFile = join(dockerDir, 'daemon.json');
      writeFileSync(configFile, '{}\n');
      const args = [
        '--data-root', join(dockerDir, 'data'),
        '--exec-root', join(dockerDir, 'run'),
        '--pidfile', join(dockerDir, 'dockerd.pid'),
        '--config-file', configFile,
        '-H', `unix://${socket}`,
        '--cgroup-parent', cgroupParent,
        '--log-level', 'warn',
        ...(plan.registry ? ['--insecure-registry', plan.registry] : []),
        ...(options.bip ? ['--bip', options.bip] : []),
        ...(options.args ?? []),
      ];
      const child = host.spawn('dockerd', 'dockerd', args);
      await waitFor(`the dockerd of host ${plan.name} to answer`, async () => {
        if (!child.running) throw new Error(`dockerd exited:\n${child.recentOutput}`);
        return dockerPing(socket);
      }, { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 100 }).catch((err: Error) => {
        throw new Error(`${err.message}\n${child.recentOutput}`, { cause: err });
      });
      dockerSocket = socket;
      return socket;
    },
    docker(args, timeoutMs) {
      if (!dockerSocket) return Promise.reject(new Error(`host ${plan.name} runs no dockerd`));
      return runCommand('docker', ['-H', `unix://${dockerSocket}`, ...args], timeoutMs);
    },
    async remove() {
      if (removed) return;
      removed = true;
      plan.onRemoved();
      await killAll({ netnsPath, pathMarker: `${dir}/` });
      await Promise.all(processes.map((p) => p.kill()));
      await tryCommand('ip', ['netns', 'del', netns]);
      await tryCommand('ip', ['link', 'del', veth]);
      await removeCgroups((name) => name === cgroupParent);
      await removeDir(dir);
      // the namespace goes once its last reference does; its veth end (and so ours) with it
      await waitFor(`the link ${veth} to be gone`, async () => !(await linkNames()).includes(veth), { timeoutMs: 10_000, intervalMs: 100 });
    },
  };
  return host;
}
