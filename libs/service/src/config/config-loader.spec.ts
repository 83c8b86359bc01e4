import { ConfigError, loadConfig, type ConfigInput } from './config-loader';
import { defineComponent, envName, flagName, key } from './config-schema';
import { t } from './config-types';
import { checkLeaderElection, leaderElectionConfig, leaderElectionKeys, natsKey, serverKey } from './shared-keys';

const schema = defineComponent({
  name: 'demo',
  description: 'A component for tests',
  keys: {
    listen: key(t.address(), { default: '127.0.0.1:6443', help: 'gRPC address' }),
    nodeIp: key(t.ip(), { default: '127.0.0.1', help: 'node address' }),
    etcd: key(t.urls(['http', 'https'], { minItems: 1, itemName: 'etcd endpoint' }), { default: ['http://127.0.0.1:2379'], help: 'etcd URLs' }),
    server: serverKey(),
    nats: natsKey(),
    pods: key(t.int({ min: 1 }), { default: 110, help: 'pod capacity' }),
    leaseInterval: key(t.duration({ min: 0, aboveMin: true }), { default: 10_000, help: 'heartbeat period' }),
    memory: key(t.quantity(), { optional: true, help: 'memory capacity' }),
    metricsListen: key(t.address(), { optional: true, help: 'metrics address' }),
    allocateNodeCidrs: key(t.bool(), { default: true, help: 'allocate pod CIDRs' }),
    clusterCidr: key(t.cidr(), { default: '10.244.0.0/16', help: 'pod network', check: (c) => { if (!c.includes('.')) throw new Error('IPv4 only'); } }),
    systemReserved: key(t.map({ keys: ['cpu', 'memory'], value: t.quantity() }), { default: {}, help: 'reserved resources' }),
    nodeName: key(t.string(), { required: true, help: 'node name' }),
    ...leaderElectionKeys('demo'),
  },
  check: (c, describe) => {
    const host = c.listen.replace(/:\d+$/, '');
    if (host !== c.nodeIp && host !== '0.0.0.0') return `${describe('listen')} and ${describe('nodeIp')} disagree: the listen host must be the node IP or 0.0.0.0`;
    return checkLeaderElection(c, describe);
  },
});

function input(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): ConfigInput {
  return {
    argv: ['--node-name', 'n1', ...argv],
    env,
    readFile: (path) => {
      if (!(path in files)) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return files[path];
    },
  };
}

function load(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) {
  const loaded = loadConfig(schema, input(argv, env, files));
  if (loaded.kind !== 'config') throw new Error(`unexpected ${loaded.kind}`);
  return loaded;
}

/** The ConfigError's one line (fails when loading succeeds or throws something else). */
function problem(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): string {
  try {
    loadConfig(schema, input(argv, env, files));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('no ConfigError');
}

describe('loadConfig', () => {
  it('names keys: flag kebab-case, env SKIFF_ upper snake, file camelCase', () => {
    expect(flagName('nodeIp')).toBe('--node-ip');
    expect(envName('nodeIp')).toBe('SKIFF_NODE_IP');
    expect(envName('logLevel')).toBe('SKIFF_LOG_LEVEL');
    expect(flagName('horizontalPodAutoscalerCpuInitializationPeriod')).toBe('--horizontal-pod-autoscaler-cpu-initialization-period');
    expect(() => defineComponent({ name: 'x', description: '', keys: { nodeIP: key(t.ip(), { default: '1.2.3.4', help: '' }) } })).toThrow('camelCase');
    expect(() => defineComponent({ name: 'x', description: '', keys: { config: key(t.string(), { default: '', help: '' }) } })).toThrow('reserved');
  });

  it('uses the defaults when nothing is set, parsed to their types', () => {
    const { values, sources } = load([]);
    expect(values).toMatchObject({
      listen: '127.0.0.1:6443', etcd: ['http://127.0.0.1:2379'], server: ['127.0.0.1:6443'], nats: ['nats://127.0.0.1:4222'], pods: 110, leaseInterval: 10_000,
      memory: undefined, metricsListen: undefined, allocateNodeCidrs: true, logLevel: 'info', leaderElect: true, leaderElectLeaseDuration: 15_000,
    });
    expect(sources.listen).toEqual({ kind: 'default' });
    expect(sources.nodeName).toEqual({ kind: 'flag' });
  });

  it('takes a flag over the env var over the file over the default, key by key', () => {
    const files = { '/c.yaml': 'pods: 10\nleaseInterval: 3s\nmemory: 1Gi\nnodeIp: 10.0.0.9\nlisten: 0.0.0.0:1\n' };
    const env = { SKIFF_PODS: '20', SKIFF_LEASE_INTERVAL: '4', SKIFF_CONFIG: '/c.yaml' };
    const { values, sources } = load(['--pods', '30'], env, files);
    expect(values).toMatchObject({ pods: 30, leaseInterval: 4_000, memory: '1Gi', nodeIp: '10.0.0.9', listen: '0.0.0.0:1' });
    expect(sources).toMatchObject({ pods: { kind: 'flag' }, leaseInterval: { kind: 'env', name: 'SKIFF_LEASE_INTERVAL' }, memory: { kind: 'file', path: '/c.yaml' }, etcd: { kind: 'default' } });
    // --config wins over SKIFF_CONFIG
    const other = load(['--config', '/d.yaml'], env, { ...files, '/d.yaml': 'memory: 2Gi' });
    expect(other.values.memory).toBe('2Gi');
    expect(other.configFile).toBe('/d.yaml');
  });

  it('keeps SKIFF_LOG_LEVEL working, and --log-level over it', () => {
    expect(load([], { SKIFF_LOG_LEVEL: 'debug' }).values.logLevel).toBe('debug');
    expect(load(['--log-level', 'warn'], { SKIFF_LOG_LEVEL: 'debug' }).values.logLevel).toBe('warn');
    expect(problem([], { SKIFF_LOG_LEVEL: 'bogus' })).toBe('config: SKIFF_LOG_LEVEL "bogus": not one of trace, debug, info, warn, error, fatal, silent');
  });

  it('accepts --flag=value, the last of a repeated flag, and bare or valued bool flags', () => {
    expect(load(['--pods=7', '--pods', '8']).values.pods).toBe(8);
    expect(load(['--allocate-node-cidrs', 'false']).values.allocateNodeCidrs).toBe(false);
    expect(load(['--allocate-node-cidrs=false']).values.allocateNodeCidrs).toBe(false);
    expect(load(['--allocate-node-cidrs', '--pods', '3']).values).toMatchObject({ allocateNodeCidrs: true, pods: 3 });
    expect(load(['--leader-elect', 'false']).values.leaderElect).toBe(false);
  });

  it('reads YAML types and lists from the file', () => {
    const file = 'etcd:\n  - http://a:2379\n  - https://b:2379\nallocateNodeCidrs: false\nsystemReserved:\n  cpu: 100m\n  memory: 256Mi\nserver: 10.0.0.1:6443,10.0.0.2:6443\n';
    expect(load(['--config', '/c.yaml'], {}, { '/c.yaml': file }).values).toMatchObject({
      etcd: ['http://a:2379', 'https://b:2379'], allocateNodeCidrs: false, systemReserved: { cpu: '100m', memory: '256Mi' }, server: ['10.0.0.1:6443', '10.0.0.2:6443'],
    });
    expect(load(['--config', '/e.yaml'], {}, { '/e.yaml': '' }).values.pods).toBe(110);
  });

  it('lets an empty value unset an optional key', () => {
    expect(load(['--metrics-listen', '127.0.0.1:1', '--metrics-listen=']).values.metricsListen).toBeUndefined();
    expect(load(['--config', '/c.yaml'], {}, { '/c.yaml': 'memory:\n' }).values.memory).toBeUndefined();
  });

  it('names the flag, its value and the problem in one line', () => {
    expect(problem(['--etcd', 'notaurl'])).toBe('config: --etcd "notaurl": not an http(s) URL');
    expect(problem(['--etcd', ''])).toBe('config: --etcd "": needs at least 1 etcd endpoint');
    expect(problem(['--pods', 'abc'])).toBe('config: --pods "abc": not an integer');
    expect(problem(['--pods', '0'])).toBe('config: --pods "0": out of range: must be >= 1');
    expect(problem(['--lease-interval', '10x'])).toMatch(/^config: --lease-interval "10x": not a duration/);
    expect(problem(['--memory', '8GB'])).toMatch(/^config: --memory "8GB": not a quantity/);
    expect(problem(['--listen', '127.0.0.1:99999'])).toBe('config: --listen "127.0.0.1:99999": port 99999 is out of range 0..65535');
    expect(problem(['--server', 'a:1,b'])).toBe('config: --server "a:1,b": item "b": not a host:port address');
    expect(problem(['--nats', 'http://n:4222'])).toBe('config: --nats "http://n:4222": not a nats URL');
    expect(problem(['--cluster-cidr', '10.0.0.0/40'])).toBe('config: --cluster-cidr "10.0.0.0/40": prefix length "40" is out of range 0..32');
    expect(problem(['--cluster-cidr', 'fd00::/64'])).toBe('config: --cluster-cidr "fd00::/64": IPv4 only');
    expect(problem(['--allocate-node-cidrs', 'maybe'])).toBe('config: --allocate-node-cidrs "maybe": not a boolean (true or false)');
    expect(problem(['--system-reserved', 'gpu=1'])).toBe('config: --system-reserved "gpu=1": key "gpu" is not one of cpu, memory');
  });

  it('names the env var when the value came from one', () => {
    expect(problem([], { SKIFF_PODS: 'abc' })).toBe('config: SKIFF_PODS "abc": not an integer');
    expect(problem([], { SKIFF_PODS: '' })).toBe('config: SKIFF_PODS "": not an integer');
  });

  it('names the file and its key for file values, and refuses unknown keys', () => {
    const bad = (text: string) => problem(['--config', '/x.yaml'], {}, { '/x.yaml': text });
    expect(bad('etcdd: http://a:1')).toBe('config file /x.yaml: unknown key "etcdd"');
    expect(bad('node-ip: 10.0.0.1')).toBe('config file /x.yaml: unknown key "node-ip" (did you mean nodeIp?)');
    expect(bad('config: /y.yaml')).toBe('config file /x.yaml: unknown key "config"');
    expect(bad('pods: many')).toBe('config file /x.yaml: pods "many": not an integer');
    expect(bad('pods: [1]')).toBe('config file /x.yaml: pods [1]: want int >= 1, not a list');
    expect(bad('etcd: [notaurl]')).toBe('config file /x.yaml: etcd ["notaurl"]: not an http(s) URL');
    expect(bad('- a\n- b')).toBe('config file /x.yaml: want a mapping of keys (nodeIp: 10.0.0.5), not a list');
    expect(bad('pods: 1\npods: 2')).toMatch(/^config file \/x\.yaml: invalid YAML: Map keys must be unique/);
    expect(bad('pods: [1\n')).toMatch(/^config file \/x\.yaml: invalid YAML: /);
    expect(problem(['--config', '/missing.yaml'])).toBe("config file /missing.yaml: cannot read: ENOENT: no such file or directory, open '/missing.yaml'");
  });

  it('refuses unknown flags (with a suggestion), stray arguments and missing values', () => {
    expect(problem(['--etcdd', 'http://a:1'])).toBe('config: unknown flag --etcdd (did you mean --etcd?)');
    expect(problem(['--bogus'])).toBe('config: unknown flag --bogus');
    expect(problem(['stray'])).toBe('config: unexpected argument (settings are flags: --name value)');
    expect(problem(['--etcd'])).toBe('config: --etcd needs a value');
  });

  it('requires required keys, naming every way to set them', () => {
    expect(() => loadConfig(schema, { ...input([]), argv: [] })).toThrow('config: --node-name is required (flag --node-name, env SKIFF_NODE_NAME or config file key nodeName)');
    expect(loadConfig(schema, { ...input([], { SKIFF_NODE_NAME: 'from-env' }), argv: [] })).toMatchObject({ values: { nodeName: 'from-env' } });
  });

  it('runs the cross-key check, naming both keys and their sources', () => {
    expect(problem(['--listen', '10.0.0.5:10250'])).toBe(
      'config: --listen "10.0.0.5:10250" (flag) and --node-ip "127.0.0.1" (default) disagree: the listen host must be the node IP or 0.0.0.0',
    );
    expect(problem(['--config', '/x.yaml'], { SKIFF_NODE_IP: '10.0.0.6' }, { '/x.yaml': 'listen: 10.0.0.5:1' })).toBe(
      'config: --listen "10.0.0.5:1" (config file /x.yaml) and --node-ip "10.0.0.6" (env SKIFF_NODE_IP) disagree: the listen host must be the node IP or 0.0.0.0',
    );
    expect(load(['--listen', '10.0.0.5:1', '--node-ip', '10.0.0.5']).values.listen).toBe('10.0.0.5:1');
    expect(problem(['--leader-elect-renew-deadline', '20s'])).toBe(
      'config: --leader-elect-renew-deadline "20s" (flag) must be shorter than --leader-elect-lease-duration "15s" (default)',
    );
    expect(load(['--leader-elect=false', '--leader-elect-renew-deadline', '20s']).values.leaderElectRenewDeadline).toBe(20_000);
  });

  it('maps leader election keys to the libs settings', () => {
    const { values } = load(['--leader-elect-identity', 'me', '--leader-elect-retry-period', '0.5']);
    expect(leaderElectionConfig(values)).toEqual({ identity: 'me', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 500 });
    expect(leaderElectionConfig(load(['--leader-elect', 'false']).values)).toBe(false);
  });

  it('answers --help and --version before checking values (but not before unknown flags)', () => {
    expect(loadConfig(schema, { ...input(['--pods', 'abc', '--help']), argv: ['--pods', 'abc', '--help'] }).kind).toBe('help');
    expect(loadConfig(schema, { ...input([]), argv: ['-h'] }).kind).toBe('help');
    expect(loadConfig(schema, { ...input([]), argv: ['--version'] }).kind).toBe('version');
    expect(() => loadConfig(schema, { ...input([]), argv: ['--help', '--nope'] })).toThrow('unknown flag --nope');
  });

  it('lists every key in --help with its type, default, env var and file key', () => {
    const loaded = loadConfig(schema, { ...input([]), argv: ['--help'] });
    const text = loaded.kind === 'help' ? loaded.text : '';
    for (const name of [...Object.keys(schema.keys), 'logLevel']) {
      const at = text.indexOf(`\n  ${flagName(name)} `);
      expect(at).toBeGreaterThan(0);
      const entry = text.slice(at, text.indexOf('\n  --', at + 3));
      expect(entry).toContain(`env ${envName(name)}; file ${name})`);
    }
    expect(text).toContain('  --etcd <http(s) URL,...>\n      etcd URLs (default http://127.0.0.1:2379; env SKIFF_ETCD; file etcd)');
    expect(text).toContain('  --lease-interval <duration > 0s>\n      heartbeat period (default 10s;');
    expect(text).toContain('  --allocate-node-cidrs [bool]\n');
    expect(text).toContain('  --node-name <string>\n      node name (required;');
    expect(text).toContain('  --memory <quantity>\n      memory capacity (default unset;');
    expect(text).toContain('  --log-level <trace|debug|info|warn|error|fatal|silent>');
    expect(text).toContain('  --config <path>');
    expect(text).toContain('Usage: skiff-demo ');
  });
});
