import type { Secret } from '@skiff/api';
import { PullSecretError, credentialsFromPullSecrets } from './pull-secrets';

const secret = (name: string, type: string, data: Record<string, string>): Secret => ({
  metadata: { name, namespace: 'team' } as Secret['metadata'],
  type,
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])),
  stringData: {},
});
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('credentialsFromPullSecrets (a pod\'s imagePullSecrets)', () => {
  it('reads dockerconfigjson secrets: username/password or auth, registry keys as host[:port][/path]', () => {
    const config = {
      auths: {
        '127.0.0.1:5001': { username: 'skiff', password: 'pw' },
        'https://index.docker.io/v1/': { auth: b64('hub-user:p:with:colons'), email: 'x@example.com' },
        'http://Registry.Example.com/some/path': { username: 'ignored', password: 'ignored', auth: b64('real:secret') },
      },
    };
    expect(credentialsFromPullSecrets([secret('regcred', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': JSON.stringify(config) })])).toEqual([
      { registry: '127.0.0.1:5001', username: 'skiff', password: 'pw' },
      { registry: 'docker.io', username: 'hub-user', password: 'p:with:colons' },
      { registry: 'registry.example.com/some/path', username: 'real', password: 'secret' },
    ]);
  });

  it('reads the old dockercfg form, keeps secret order, and skips other secrets', () => {
    const secrets = [
      secret('old', 'kubernetes.io/dockercfg', { '.dockercfg': JSON.stringify({ 'quay.io': { auth: b64('q:1') } }) }),
      secret('opaque', 'Opaque', { '.dockerconfigjson': JSON.stringify({ auths: { 'x.io': { username: 'no', password: 'no' } } }) }),
      secret('wrong-key', 'kubernetes.io/dockerconfigjson', { '.dockercfg': JSON.stringify({ 'x.io': { username: 'no', password: 'no' } }) }),
      secret('empty', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': '' }),
      secret('no-auths', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': '{}' }),
      secret('new', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': JSON.stringify({ auths: { 'quay.io': { username: 'q', password: '2' } } }) }),
    ];
    expect(credentialsFromPullSecrets(secrets)).toEqual([
      { registry: 'quay.io', username: 'q', password: '1' },
      { registry: 'quay.io', username: 'q', password: '2' },
    ]);
    expect(credentialsFromPullSecrets([])).toEqual([]);
  });

  it('refuses unreadable secrets, naming the secret and never its content', () => {
    const bad = (data: string) => () => credentialsFromPullSecrets([secret('bad', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': data })]);
    expect(bad('{"auths": {"x.io": {"password": "hunter2"')).toThrow(PullSecretError);
    expect(bad('{"auths": {"x.io": {"password": "hunter2"')).toThrow('image pull secret "team/bad": .dockerconfigjson is not valid JSON');
    expect(bad('{"auths": {"x.io": {"password": "hunter2"')).not.toThrow(/hunter2/);
    expect(bad(JSON.stringify({ auths: { 'x.io': { auth: b64('no-colon') } } }))).toThrow(
      'image pull secret "team/bad": unable to parse auth field, must be formatted as base64(username:password)',
    );
    expect(bad(JSON.stringify({ auths: ['x.io'] }))).toThrow('image pull secret "team/bad": .dockerconfigjson does not map registries to logins');
  });
});
