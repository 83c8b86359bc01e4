import { resolveServer, type ConfigInputs } from './config';

function inputs(files: Record<string, string>, extra: Partial<ConfigInputs> = {}): ConfigInputs {
  return { env: {}, home: '/home/u', readFile: (p) => files[p], ...extra };
}

describe('resolveServer', () => {
  const files = { '/home/u/.skiff/config': 'server: 10.0.0.1:7000\n', '/etc/other': 'server: "grpc://other:1/"' };

  it('prefers --server, then SKIFF_SERVER, then the config file, then the default', () => {
    expect(resolveServer(inputs(files, { server: 'a:1', env: { SKIFF_SERVER: 'b:2' } }))).toEqual({ server: 'a:1', source: '--server' });
    expect(resolveServer(inputs(files, { env: { SKIFF_SERVER: 'b:2' } }))).toEqual({ server: 'b:2', source: 'SKIFF_SERVER' });
    expect(resolveServer(inputs(files))).toEqual({ server: '10.0.0.1:7000', source: '/home/u/.skiff/config' });
    expect(resolveServer(inputs({}))).toEqual({ server: '127.0.0.1:6443', source: 'default' });
  });

  it('reads the file named by --config or SKIFF_CONFIG', () => {
    expect(resolveServer(inputs(files, { config: '/etc/other' })).server).toBe('other:1');
    expect(resolveServer(inputs(files, { env: { SKIFF_CONFIG: '/etc/other' } })).server).toBe('other:1');
  });

  it('fails on a missing explicit config file or a bad one', () => {
    expect(() => resolveServer(inputs(files, { config: '/nope' }))).toThrow('config file /nope does not exist');
    expect(() => resolveServer(inputs({ '/x': 'server: [1, 2]' }, { config: '/x' }))).toThrow('expected "server: host:port"');
    expect(() => resolveServer(inputs({ '/x': 'server: [' }, { config: '/x' }))).toThrow('config file /x');
  });
});
