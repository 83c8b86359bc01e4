import { formatDuration, parseDurationMs, splitHostPort, t } from './config-types';

describe('config value types', () => {
  it('bool: Go strconv.ParseBool words, YAML booleans; anything else is an error', () => {
    const bool = t.bool();
    expect(['1', 't', 'true', 'TRUE', 'True'].map(bool.fromText)).toEqual([true, true, true, true, true]);
    expect(['0', 'f', 'false', 'FALSE', 'False'].map(bool.fromText)).toEqual([false, false, false, false, false]);
    expect(bool.fromYaml(false)).toBe(false);
    expect(() => bool.fromText('yes')).toThrow('not a boolean (true or false)');
    expect(() => bool.fromText('')).toThrow('not a boolean');
    expect(() => bool.fromYaml(['true'])).toThrow('want bool, not a list');
    expect(bool.bare).toBe('true');
  });

  it('int: digits only, within the range', () => {
    const int = t.int({ min: 8, max: 30 });
    expect(int.name).toBe('int 8..30');
    expect(int.fromText('24')).toBe(24);
    expect(int.fromYaml(8)).toBe(8);
    expect(() => int.fromText('abc')).toThrow('not an integer');
    expect(() => int.fromText('2.5')).toThrow('not an integer');
    expect(() => int.fromText('')).toThrow('not an integer');
    expect(() => int.fromText('31')).toThrow('out of range: must be 8..30');
    expect(() => int.fromText('7')).toThrow('out of range: must be 8..30');
    expect(() => t.int({ min: 1 }).fromText('0')).toThrow('out of range: must be >= 1');
    expect(() => int.fromText('99999999999999999999')).toThrow('too large');
  });

  it('number: decimals and exponents, with an exclusive minimum', () => {
    const n = t.number({ min: 0, aboveMin: true });
    expect(n.fromText('0.1')).toBe(0.1);
    expect(n.fromText('1e3')).toBe(1000);
    expect(() => n.fromText('0')).toThrow('out of range: must be > 0');
    expect(() => n.fromText('NaN')).toThrow('not a number');
    expect(() => n.fromText('0x10')).toThrow('not a number');
    expect(() => n.fromText(' ')).toThrow('not a number');
  });

  it('duration: a bare number is seconds, otherwise Go syntax; whole milliseconds', () => {
    expect(parseDurationMs('10')).toBe(10_000);
    expect(parseDurationMs('0.5')).toBe(500);
    expect(parseDurationMs('10s')).toBe(10_000);
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('1.5h')).toBe(5_400_000);
    expect(parseDurationMs('1500us')).toBe(2);
    for (const bad of ['', '-1', '-5s', '10 s', '10x', 's', '1m30', '1d', '1e3']) expect(() => parseDurationMs(bad)).toThrow('not a duration');
    const d = t.duration({ min: 0, aboveMin: true });
    expect(d.fromYaml(15)).toBe(15_000);
    expect(d.fromYaml('2m')).toBe(120_000);
    expect(() => d.fromText('0')).toThrow('out of range: must be > 0s');
    expect(() => d.fromText('1ns')).toThrow('out of range');
    expect(d.name).toBe('duration > 0s');
  });

  it('formats durations as Go does, without zero parts', () => {
    expect([0, 250, 1500, 15_000, 90_000, 300_000, 3_600_000, 3_690_000].map(formatDuration)).toEqual(['0s', '250ms', '1.5s', '15s', '1m30s', '5m', '1h', '1h1m30s']);
    for (const ms of [250, 1500, 90_000, 3_690_000]) expect(parseDurationMs(formatDuration(ms))).toBe(ms);
  });

  it('quantity: Kubernetes quantities, via the api parser', () => {
    const q = t.quantity();
    expect(q.fromText('500m')).toBe('500m');
    expect(q.fromText('8Gi')).toBe('8Gi');
    expect(q.fromYaml(4)).toBe('4');
    expect(() => q.fromText('8GB')).toThrow('not a quantity');
    expect(() => q.fromText('lots')).toThrow('not a quantity');
  });

  it('enum: only the listed words', () => {
    const level = t.enum(['debug', 'info']);
    expect(level.fromText('info')).toBe('info');
    expect(() => level.fromText('bogus')).toThrow('not one of debug, info');
    expect(() => level.fromText('INFO')).toThrow('not one of');
  });

  it('address: host:port with an IP or host name and a port 0..65535', () => {
    const a = t.address();
    for (const ok of ['127.0.0.1:6443', '0.0.0.0:0', 'localhost:80', 'api.example.com:6443', '[::1]:10250', '[::]:65535']) expect(a.fromText(ok)).toBe(ok);
    expect(splitHostPort('[fe80::1]:80')).toEqual({ host: 'fe80::1', port: 80 });
    expect(() => a.fromText('127.0.0.1')).toThrow('not a host:port address');
    expect(() => a.fromText('127.0.0.1:70000')).toThrow('port 70000 is out of range 0..65535');
    expect(() => a.fromText('bad_host:80')).toThrow('"bad_host" is not an IP address or host name');
    expect(() => a.fromText(':80')).toThrow('"" is not an IP address or host name');
    expect(() => a.fromText('::1:80')).toThrow('not a host:port address');
    expect(() => a.fromText('[1.2.3.4]:80')).toThrow('is not an IPv6 address');
    expect(() => a.fromText('http://a:80')).toThrow('not a host:port address');
  });

  it('ip and cidr', () => {
    expect(t.ip().fromText('10.0.0.5')).toBe('10.0.0.5');
    expect(t.ip().fromText('::1')).toBe('::1');
    expect(() => t.ip().fromText('10.0.0.256')).toThrow('not an IP address');
    const cidr = t.cidr();
    expect(cidr.fromText('10.244.0.0/16')).toBe('10.244.0.0/16');
    expect(cidr.fromText('fd00::/64')).toBe('fd00::/64');
    for (const bad of ['10.244.0.0', '10.244.0.0/', 'x/16', '10.244.0.0/16/1']) expect(() => cidr.fromText(bad)).toThrow('not a CIDR');
    expect(() => cidr.fromText('10.244.0.0/33')).toThrow('prefix length "33" is out of range 0..32');
    expect(() => cidr.fromText('10.244.0.0/ab')).toThrow('prefix length "ab"');
  });

  it('url lists: each item of the scheme; blanks dropped; a minimum count', () => {
    const etcd = t.urls(['http', 'https'], { minItems: 1, itemName: 'etcd URL' });
    expect(etcd.fromText('http://a:2379, https://b:2379,')).toEqual(['http://a:2379', 'https://b:2379']);
    expect(etcd.fromYaml(['http://a:2379'])).toEqual(['http://a:2379']);
    expect(() => etcd.fromText('notaurl')).toThrow(/^not an http\(s\) URL$/);
    expect(() => etcd.fromText('http://a:1,notaurl')).toThrow('item "notaurl": not an http(s) URL');
    expect(() => etcd.fromText('nats://a:4222')).toThrow('not an http(s) URL');
    expect(() => etcd.fromText('')).toThrow('needs at least 1 etcd URL');
    expect(() => etcd.fromYaml({ a: 1 })).toThrow('want a list, not a mapping');
    expect(() => t.urls(['nats']).fromText('http://a:4222')).toThrow('not a nats URL');
    expect(etcd.format(['http://a:1', 'http://b:2'])).toBe('http://a:1,http://b:2');
  });

  it('address lists (--server)', () => {
    const servers = t.addresses({ minItems: 1 });
    expect(servers.fromText('10.0.0.1:6443,10.0.0.2:6443')).toEqual(['10.0.0.1:6443', '10.0.0.2:6443']);
    expect(() => servers.fromText('10.0.0.1:6443,nope')).toThrow('item "nope": not a host:port address');
  });

  it('maps: key=value text or a YAML mapping; allowed keys and typed values', () => {
    const reserved = t.map({ keys: ['cpu', 'memory'], value: t.quantity() });
    expect(reserved.fromText('cpu=100m,memory=256Mi')).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(reserved.fromText('')).toEqual({});
    expect(reserved.fromYaml({ cpu: '1', memory: '1Gi' })).toEqual({ cpu: '1', memory: '1Gi' });
    expect(() => reserved.fromText('cpu')).toThrow('item "cpu" is not key=value');
    expect(() => reserved.fromText('gpu=1')).toThrow('key "gpu" is not one of cpu, memory');
    expect(() => reserved.fromText('cpu=1,cpu=2')).toThrow('key "cpu" is given twice');
    expect(() => reserved.fromText('cpu=lots')).toThrow('key "cpu": not a quantity');
    expect(() => reserved.fromYaml(['cpu=1'])).toThrow('want a mapping or key=value');
    expect(t.map().format({ a: '1', b: '2' })).toBe('a=1,b=2');
  });

  it('custom types wrap a lib parser; YAML lists and mappings become its text', () => {
    const seen: string[] = [];
    const custom = t.custom('x', (text) => (seen.push(text), text.toUpperCase()));
    expect(custom.fromYaml(['a', 'b'])).toBe('A,B');
    expect(custom.fromYaml({ k: 'v' })).toBe('K=V');
    expect(seen).toEqual(['a,b', 'k=v']);
  });
});
