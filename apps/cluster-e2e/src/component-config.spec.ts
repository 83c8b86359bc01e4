/**
 * The configuration scheme of the five built components (dist/apps/<name>/main.js, as processes):
 * every kind of configuration mistake stops the component at once with exit code 1 and ONE line
 * on stderr naming the key; and a config file alone (no other flag) starts each component
 * against a real etcd and NATS (the kubelet with the hollow runtime); the files are the examples
 * of deploy/config/ with this machine's addresses, so every example key is checked too.
 */
import { connect, typed, type SkiffClient } from '@skiff/client';
import { ensureAppBuilt, freePort, startEtcd, startNats, startProcess, tempDir, waitFor, type EtcdServer, type NatsServer, type TestProcess } from '@skiff/testing';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

const COMPONENTS = ['apiserver', 'scheduler', 'controller-manager', 'kubelet', 'proxy'] as const;
type Component = (typeof COMPONENTS)[number];

const REPO = join(__dirname, '../../..');
const dir = tempDir('component-config');
const mains = {} as Record<Component, string>;

/** This process's environment without SKIFF_* variables (a stray one would change the outcome). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SKIFF_'))), ...extra };
}

/** Writes a file in the test's temp dir; returns its path. */
function file(name: string, text: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a built component to its end (killed after 15 s). */
function run(component: Component, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [mains[component], ...args], { env: cleanEnv(env), timeout: 15_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

beforeAll(() => {
  for (const c of COMPONENTS) mains[c] = ensureAppBuilt(c);
}, 300_000);

afterAll(() => dir.remove());

describe('configuration mistakes', () => {
  const cases: { what: string; component: Component; args: () => string[]; env?: () => Record<string, string>; line: string | RegExp }[] = [
    { what: 'an unknown key in the file', component: 'apiserver', args: () => ['--config', file('unknown-key.yaml', 'etcdd: http://127.0.0.1:2379\n')], line: /^skiff-apiserver: config file \/.*\/unknown-key\.yaml: unknown key "etcdd"$/ },
    { what: 'an unknown flag', component: 'scheduler', args: () => ['--leader-elect-identiy', 'a'], line: 'skiff-scheduler: config: unknown flag --leader-elect-identiy (did you mean --leader-elect-identity?)' },
    { what: 'a stray argument', component: 'proxy', args: () => ['serve'], line: 'skiff-proxy: config: unexpected argument (settings are flags: --name value)' },
    { what: 'a bad address', component: 'kubelet', args: () => ['--node-name', 'n1', '--listen', '127.0.0.1'], line: 'skiff-kubelet: config: --listen "127.0.0.1": not a host:port address' },
    { what: 'a port out of range', component: 'apiserver', args: () => ['--metrics-listen', '127.0.0.1:70000'], line: 'skiff-apiserver: config: --metrics-listen "127.0.0.1:70000": port 70000 is out of range 0..65535' },
    { what: 'a bad apiserver address in --server', component: 'controller-manager', args: () => ['--server', '127.0.0.1:6443,nohost'], line: 'skiff-controller-manager: config: --server "127.0.0.1:6443,nohost": item "nohost": not a host:port address' },
    { what: 'a bad etcd URL', component: 'apiserver', args: () => ['--etcd', 'notaurl'], line: 'skiff-apiserver: config: --etcd "notaurl": not an http(s) URL' },
    { what: 'a bad NATS URL from the environment', component: 'scheduler', args: () => [], env: () => ({ SKIFF_NATS: 'http://127.0.0.1:4222' }), line: 'skiff-scheduler: config: SKIFF_NATS "http://127.0.0.1:4222": not a nats URL' },
    { what: 'no etcd endpoint', component: 'apiserver', args: () => ['--etcd', ''], line: 'skiff-apiserver: config: --etcd "": needs at least 1 etcd endpoint' },
    { what: 'a bad duration', component: 'controller-manager', args: () => ['--node-monitor-grace-period', '40x'], line: /^skiff-controller-manager: config: --node-monitor-grace-period "40x": not a duration/ },
    { what: 'a zero duration where it must be positive', component: 'kubelet', args: () => ['--node-name', 'n1', '--housekeeping-interval', '0s'], line: 'skiff-kubelet: config: --housekeeping-interval "0s": out of range: must be > 0s' },
    { what: 'a bad quantity', component: 'kubelet', args: () => ['--node-name', 'n1', '--memory', '8GB'], line: /^skiff-kubelet: config: --memory "8GB": not a quantity/ },
    { what: 'a bad int', component: 'kubelet', args: () => ['--node-name', 'n1', '--pods', 'abc'], line: 'skiff-kubelet: config: --pods "abc": not an integer' },
    { what: 'an int out of range', component: 'apiserver', args: () => ['--watch-stream-replicas', '6'], line: 'skiff-apiserver: config: --watch-stream-replicas "6": out of range: must be 1..5' },
    { what: 'a bad log level', component: 'proxy', args: () => ['--log-level', 'bogus'], line: 'skiff-proxy: config: --log-level "bogus": not one of trace, debug, info, warn, error, fatal, silent' },
    { what: 'a bad log level in SKIFF_LOG_LEVEL', component: 'scheduler', args: () => [], env: () => ({ SKIFF_LOG_LEVEL: 'loud' }), line: /^skiff-scheduler: config: SKIFF_LOG_LEVEL "loud": not one of / },
    { what: 'a bad CIDR', component: 'controller-manager', args: () => ['--cluster-cidr', '10.244.0.0/33'], line: 'skiff-controller-manager: config: --cluster-cidr "10.244.0.0/33": prefix length "33" is out of range 0..32' },
    { what: 'a bad bool', component: 'proxy', args: () => ['--manage-pod-network', 'maybe'], line: 'skiff-proxy: config: --manage-pod-network "maybe": not a boolean (true or false)' },
    { what: 'a listen host other than the node IP', component: 'kubelet', args: () => ['--node-name', 'n1', '--node-ip', '127.0.0.1', '--listen', '127.0.0.2:10250'], line: 'skiff-kubelet: config: --listen "127.0.0.2:10250" (flag) and --node-ip "127.0.0.1" (flag) disagree: the listen host must be the node IP, 0.0.0.0 or ::' },
    { what: 'a node CIDR mask shorter than the cluster CIDR', component: 'controller-manager', args: () => ['--cluster-cidr', '10.244.0.0/16', '--node-cidr-mask-size', '12'], line: 'skiff-controller-manager: config: --node-cidr-mask-size "12" (flag) is shorter than the prefix of --cluster-cidr "10.244.0.0/16" (flag)' },
    { what: 'a renew deadline longer than the lease', component: 'scheduler', args: () => ['--leader-elect-renew-deadline', '20s'], line: 'skiff-scheduler: config: --leader-elect-renew-deadline "20s" (flag) must be shorter than --leader-elect-lease-duration "15s" (default)' },
    { what: 'a missing required key', component: 'kubelet', args: () => [], line: 'skiff-kubelet: config: --node-name is required (flag --node-name, env SKIFF_NODE_NAME or config file key nodeName)' },
    { what: 'an unknown admission plugin', component: 'apiserver', args: () => ['--disable-admission-plugins', 'Nope'], line: /^skiff-apiserver: config: --disable-admission-plugins "Nope": admission plugin "Nope" is not known/ },
    { what: 'an unreadable file', component: 'scheduler', args: () => ['--config', join(dir.path, 'missing.yaml')], line: /^skiff-scheduler: config file \/.*\/missing\.yaml: cannot read: ENOENT: no such file or directory/ },
    { what: 'a directory as the file', component: 'controller-manager', args: () => (mkdirSync(join(dir.path, 'a-dir'), { recursive: true }), ['--config', join(dir.path, 'a-dir')]), line: /^skiff-controller-manager: config file \/.*\/a-dir: cannot read: EISDIR/ },
    { what: 'invalid YAML (from SKIFF_CONFIG)', component: 'proxy', args: () => [], env: () => ({ SKIFF_CONFIG: file('invalid.yaml', 'nodes: [a, b\nserver: x\n') }), line: /^skiff-proxy: config file \/.*\/invalid\.yaml: invalid YAML: / },
    { what: 'a wrong YAML type in the file', component: 'kubelet', args: () => ['--config', file('wrong-type.yaml', 'nodeName: n1\npods: [1, 2]\n')], line: /^skiff-kubelet: config file \/.*\/wrong-type\.yaml: pods \[1,2\]: want int >= 1, not a list$/ },
    { what: 'a flag with no value', component: 'apiserver', args: () => ['--listen'], line: 'skiff-apiserver: config: --listen needs a value' },
  ];

  it.each(cases)('$what ($component): exit 1, one line on stderr', async ({ component, args, env, line }) => {
    const outcome = await run(component, args(), env?.() ?? {});
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr.endsWith('\n')).toBe(true);
    const lines = outcome.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    if (typeof line === 'string') expect(lines[0]).toBe(line);
    else expect(lines[0]).toMatch(line);
    // At once: no connection attempt, no retry (the machine is shared, hence the margin).
    expect(outcome.ms).toBeLessThan(10_000);
  }, 20_000);

  it('covers at least 15 kinds of mistake across all five components', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    expect(new Set(cases.map((c) => c.component))).toEqual(new Set(COMPONENTS));
  });

  it.each(COMPONENTS)('%s: --help lists its keys with env vars and file keys; --version prints the version', async (component) => {
    const help = await run(component, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`Usage: skiff-${component} `);
    expect(help.stdout).toContain('  --log-level <trace|debug|info|warn|error|fatal|silent>\n      log level (default info; env SKIFF_LOG_LEVEL; file logLevel)');
    expect(help.stdout).toContain('  --config <path>');
    const version = await run(component, ['--version']);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^skiff-${component} \\d+\\.\\d+\\.\\d+\\n$`)) });
  }, 20_000);
});

describe('a config file alone', () => {
  let etcd: EtcdServer;
  let nats: NatsServer;
  let client: SkiffClient | undefined;
  const started: TestProcess[] = [];

  beforeAll(async () => {
    [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    for (const p of started.reverse()) await p.stop();
    await Promise.all([etcd?.stop(), nats?.stop()]);
  }, 60_000);

  /**
   * Starts the component with only --config (or only SKIFF_CONFIG) naming a file: its example in
   * deploy/config/ with `settings` over it (this machine's addresses instead of the example's).
   */
  function start(component: Component, settings: Record<string, unknown>, via: 'flag' | 'env'): TestProcess {
    const example = parse(readFileSync(join(REPO, 'deploy/config', `${component}.yaml`), 'utf8')) as Record<string, unknown>;
    const path = file(`${component}.yaml`, stringify({ ...example, logLevel: 'warn', ...settings }));
    const args = via === 'flag' ? ['--config', path] : [];
    const child = startProcess(component, process.execPath, ['--enable-source-maps', mains[component], ...args], undefined, cleanEnv(via === 'env' ? { SKIFF_CONFIG: path } : {}));
    started.push(child);
    return child;
  }

  async function healthy(child: TestProcess, metrics: string): Promise<void> {
    await waitFor(`${child.name} /healthz at ${metrics}`, async () => {
      if (!child.running) throw new Error(`${child.name} exited with ${child.child.exitCode}:\n${child.recentOutput}`);
      return (await fetch(`http://${metrics}/healthz`, { signal: AbortSignal.timeout(1_000) })).ok;
    }, { timeoutMs: 30_000, intervalMs: 100 });
  }

  it('starts all five components (healthz answers; the hollow kubelet registers its Node)', async () => {
    const ports = async () => `127.0.0.1:${await freePort()}`;
    const [api, apiMetrics, schedulerMetrics, cmMetrics, proxyMetrics, kubeletMetrics] = await Promise.all(Array.from({ length: 6 }, ports));
    const apiserver = start('apiserver', { listen: api, etcd: [etcd.endpoint], nats: [nats.url], metricsListen: apiMetrics, disableAdmissionPlugins: ['ServiceAccount'] }, 'flag');
    await healthy(apiserver, apiMetrics);

    const common = { server: api, nats: nats.url };
    const scheduler = start('scheduler', { ...common, metricsListen: schedulerMetrics }, 'env');
    const cm = start('controller-manager', { ...common, metricsListen: cmMetrics }, 'flag');
    // No kernel changes from this test: no service route, no DNS listener, no pod network.
    const proxy = start('proxy', { ...common, metricsListen: proxyMetrics, nodes: ['config-node'], nodeIps: ['127.0.0.1'], manageRoute: false, clusterDns: '', managePodNetwork: false }, 'env');
    const root = join(dir.path, 'kubelet-root');
    const kubelet = start('kubelet', {
      ...common, nodeName: 'config-node', nodeIp: '127.0.0.1', listen: '127.0.0.1:0', runtime: 'hollow', rootDir: root, metricsListen: kubeletMetrics, clusterDns: [], leaseInterval: '1s', cpu: '2', memory: '4Gi',
    }, 'flag');
    await Promise.all([healthy(scheduler, schedulerMetrics), healthy(cm, cmMetrics), healthy(proxy, proxyMetrics), healthy(kubelet, kubeletMetrics)]);

    client = connect(api);
    const node = await waitFor('the Node config-node', () => typed(client!, 'node').get('', 'config-node'), { timeoutMs: 30_000, intervalMs: 100 });
    expect(node.status?.capacity).toMatchObject({ cpu: '2', memory: '4Gi' });
    expect(node.status?.addresses).toContainEqual(expect.objectContaining({ type: 'InternalIP', address: '127.0.0.1' }));
    expect(node.metadata?.labels).toMatchObject({ zone: 'a' }); // from the example file
    for (const p of [apiserver, scheduler, cm, proxy, kubelet]) expect(p.running).toBe(true);
  }, 120_000);
});
