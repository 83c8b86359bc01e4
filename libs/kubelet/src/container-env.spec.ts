import { ConfigMap, Pod, Secret, type Container } from '@skiff/api';

type DeepPartial<T> = T extends Buffer ? T : T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
type PartialContainer = DeepPartial<Container>;
type PartialPod = DeepPartial<Pod>;
import { containerEnvironment, ContainerConfigError, type ContainerEnvContext, type ContainerEnvironment } from './container-env';

const configMap = (namespace: string, name: string, data: Record<string, string>) => ConfigMap.fromPartial({ metadata: { namespace, name }, data });
const secret = (namespace: string, name: string, data: Record<string, string>) =>
  Secret.fromPartial({ metadata: { namespace, name }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8')])) });

function context(objects: { configMaps?: ConfigMap[]; secrets?: Secret[]; serviceEnv?: Record<string, string> } = {}): ContainerEnvContext {
  const find = <T extends { metadata?: { namespace: string; name: string } }>(list: T[] | undefined, ns: string, name: string) =>
    list?.find((o) => o.metadata?.namespace === ns && o.metadata?.name === name);
  return {
    serviceEnv: objects.serviceEnv ?? {},
    podIP: '10.244.1.7',
    hostIP: '192.0.2.10',
    nodeAllocatable: { cpu: '2', memory: '4Gi' },
    configMap: (ns, name) => find(objects.configMaps, ns, name),
    secret: (ns, name) => find(objects.secrets, ns, name),
  };
}

function podWith(container: PartialContainer, extra: PartialPod = {}): { pod: Pod; container: Container } {
  const partial: PartialPod = {
    metadata: { name: 'dapi-test-pod', namespace: 'default', uid: 'uid-1', labels: { app: 'web' }, annotations: { build: '42' } },
    spec: { nodeName: 'node-a', serviceAccountName: 'default', containers: [{ name: 'test-container', image: 'busybox', ...container }] },
    ...extra,
  };
  const pod = Pod.fromPartial(partial as Parameters<typeof Pod.fromPartial>[0]);
  return { pod, container: pod.spec!.containers[0] };
}

function ok(result: ContainerEnvironment | ContainerConfigError): ContainerEnvironment {
  if (result instanceof ContainerConfigError) throw new Error(`unexpected ContainerConfigError: ${result.message}`);
  return result;
}

const asRecord = (env: { name: string; value: string }[]) => Object.fromEntries(env.map((e) => [e.name, e.value]));

describe('containerEnvironment: the Kubernetes docs examples', () => {
  it('Define Dependent Environment Variables: references to later variables stay, $$ escapes', () => {
    const { pod, container } = podWith({
      command: ['sh', '-c'],
      args: ['printenv UNCHANGED_REFERENCE SERVICE_ADDRESS ESCAPED_REFERENCE'],
      env: [
        { name: 'SERVICE_PORT', value: '80' },
        { name: 'SERVICE_IP', value: '172.17.0.1' },
        { name: 'UNCHANGED_REFERENCE', value: '$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)' },
        { name: 'PROTOCOL', value: 'https' },
        { name: 'SERVICE_ADDRESS', value: '$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)' },
        { name: 'ESCAPED_REFERENCE', value: '$$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)' },
      ],
    });
    const result = ok(containerEnvironment(pod, container, context()));
    expect(result.env).toEqual([
      { name: 'SERVICE_PORT', value: '80' },
      { name: 'SERVICE_IP', value: '172.17.0.1' },
      { name: 'UNCHANGED_REFERENCE', value: '$(PROTOCOL)://172.17.0.1:80' },
      { name: 'PROTOCOL', value: 'https' },
      { name: 'SERVICE_ADDRESS', value: 'https://172.17.0.1:80' },
      { name: 'ESCAPED_REFERENCE', value: '$(PROTOCOL)://172.17.0.1:80' },
    ]);
    expect(result.command).toEqual(['sh', '-c']);
    expect(result.args).toEqual(['printenv UNCHANGED_REFERENCE SERVICE_ADDRESS ESCAPED_REFERENCE']);
    expect(result.invalidEnvNames).toEqual([]);
  });

  it('Configure a Pod to Use a ConfigMap: configMapKeyRef from two ConfigMaps, and the variables in the command', () => {
    const ctx = context({
      configMaps: [configMap('default', 'special-config', { 'special.how': 'very', 'special.type': 'charm' }), configMap('default', 'env-config', { log_level: 'INFO' })],
    });
    const { pod, container } = podWith({
      command: ['/bin/echo', '$(SPECIAL_LEVEL_KEY) $(SPECIAL_TYPE_KEY)'],
      env: [
        { name: 'SPECIAL_LEVEL_KEY', valueFrom: { configMapKeyRef: { name: 'special-config', key: 'special.how' } } },
        { name: 'SPECIAL_TYPE_KEY', valueFrom: { configMapKeyRef: { name: 'special-config', key: 'special.type' } } },
        { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'env-config', key: 'log_level' } } },
      ],
    });
    const result = ok(containerEnvironment(pod, container, ctx));
    expect(asRecord(result.env)).toEqual({ SPECIAL_LEVEL_KEY: 'very', SPECIAL_TYPE_KEY: 'charm', LOG_LEVEL: 'INFO' });
    expect(result.command).toEqual(['/bin/echo', 'very charm']);
    expect(result.args).toBeUndefined();
  });

  it('Configure a Pod to Use a ConfigMap: envFrom takes every key as a variable', () => {
    const ctx = context({ configMaps: [configMap('default', 'special-config', { SPECIAL_LEVEL: 'very', SPECIAL_TYPE: 'charm' })] });
    const { pod, container } = podWith({ command: ['/bin/sh', '-c', 'env'], envFrom: [{ configMapRef: { name: 'special-config' } }] });
    expect(ok(containerEnvironment(pod, container, ctx)).env).toEqual([
      { name: 'SPECIAL_LEVEL', value: 'very' },
      { name: 'SPECIAL_TYPE', value: 'charm' },
    ]);
  });

  it('Configure a Pod to Use a ConfigMap: invalid keys are skipped and reported with the docs message', () => {
    const ctx = context({ configMaps: [configMap('default', 'myconfig', { '1badkey': 'x', '2alsobad': 'y', good: 'z' })] });
    const { pod, container } = podWith({ envFrom: [{ configMapRef: { name: 'myconfig' } }] });
    const result = ok(containerEnvironment(pod, container, ctx));
    expect(result.env).toEqual([{ name: 'good', value: 'z' }]);
    expect(result.invalidEnvNames).toEqual([
      {
        source: 'configMap',
        namespace: 'default',
        name: 'myconfig',
        keys: ['1badkey', '2alsobad'],
        message: 'Keys [1badkey, 2alsobad] from the EnvFrom configMap default/myconfig were skipped since they are considered invalid environment variable names.',
      },
    ]);
  });

  it('Distribute Credentials Securely Using Secrets: secretKeyRef and envFrom secretRef, values decoded as UTF-8', () => {
    const ctx = context({
      secrets: [secret('default', 'backend-user', { 'backend-username': 'backend-admin' }), secret('default', 'test-secret', { username: 'my-app', password: '39528$vdg7Jb' })],
    });
    const { pod, container } = podWith({
      envFrom: [{ secretRef: { name: 'test-secret' } }],
      env: [{ name: 'SECRET_USERNAME', valueFrom: { secretKeyRef: { name: 'backend-user', key: 'backend-username' } } }],
    });
    expect(asRecord(ok(containerEnvironment(pod, container, ctx)).env)).toEqual({ password: '39528$vdg7Jb', username: 'my-app', SECRET_USERNAME: 'backend-admin' });
  });

  it('Expose Pod Information Through Environment Variables: fieldRef and resourceFieldRef', () => {
    const { pod, container } = podWith({
      resources: { requests: { cpu: '125m', memory: '32Mi' }, limits: { cpu: '250m', memory: '64Mi' } },
      env: [
        { name: 'MY_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'MY_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'MY_POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'MY_POD_UID', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.uid' } } },
        { name: 'MY_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'MY_POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
        { name: 'MY_HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'MY_POD_SERVICE_ACCOUNT', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'MY_APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'MY_BUILD', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['build']" } } },
        { name: 'MY_MISSING_LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['nope']" } } },
        { name: 'MY_CPU_REQUEST', valueFrom: { resourceFieldRef: { containerName: 'test-container', resource: 'requests.cpu' } } },
        { name: 'MY_CPU_LIMIT_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
        { name: 'MY_MEM_REQUEST', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
        { name: 'MY_MEM_LIMIT_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'MY_STORAGE_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage' } } },
      ],
    });
    const ctx = { ...context(), nodeAllocatable: { cpu: '2', memory: '4Gi', 'ephemeral-storage': '10Gi' } };
    expect(asRecord(ok(containerEnvironment(pod, container, ctx)).env)).toEqual({
      MY_NODE_NAME: 'node-a',
      MY_POD_NAME: 'dapi-test-pod',
      MY_POD_NAMESPACE: 'default',
      MY_POD_UID: 'uid-1',
      MY_POD_IP: '10.244.1.7',
      MY_POD_IPS: '10.244.1.7',
      MY_HOST_IP: '192.0.2.10',
      MY_POD_SERVICE_ACCOUNT: 'default',
      MY_APP: 'web',
      MY_BUILD: '42',
      MY_MISSING_LABEL: '',
      MY_CPU_REQUEST: '1',
      MY_CPU_LIMIT_M: '250',
      MY_MEM_REQUEST: '33554432',
      MY_MEM_LIMIT_MI: '64',
      MY_STORAGE_LIMIT: String(10 * 1024 ** 3),
    });
  });
});

describe('containerEnvironment: errors (CreateContainerConfigError with the kubelet messages)', () => {
  const ctx = context({ configMaps: [configMap('default', 'cm', { present: 'v' })], secrets: [secret('default', 's', { present: 'v' })] });
  const cases: [string, PartialContainer, string][] = [
    ['configMapKeyRef to a missing ConfigMap', { env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'x', key: 'k' } } }] }, 'configmap "x" not found'],
    ['configMapKeyRef to a missing key', { env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }] }, "couldn't find key k in ConfigMap default/cm"],
    ['secretKeyRef to a missing Secret', { env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'x', key: 'k' } } }] }, 'secret "x" not found'],
    ['secretKeyRef to a missing key', { env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, "couldn't find key k in Secret default/s"],
    ['envFrom a missing ConfigMap', { envFrom: [{ configMapRef: { name: 'x' } }] }, 'configmap "x" not found'],
    ['envFrom a missing Secret', { envFrom: [{ secretRef: { name: 'x' } }] }, 'secret "x" not found'],
    ['an unsupported fieldPath', { env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }] }, 'unsupported fieldPath: spec.hostname'],
    ['an unsupported fieldRef apiVersion', { env: [{ name: 'A', valueFrom: { fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } } }] }, 'unsupported pod version: v2'],
    ['resourceFieldRef to an unknown container', { env: [{ name: 'A', valueFrom: { resourceFieldRef: { containerName: 'nope', resource: 'limits.cpu' } } }] }, 'container nope not found'],
  ];

  it.each(cases)('%s', (_name, spec, message) => {
    const { pod, container } = podWith(spec);
    const result = containerEnvironment(pod, container, ctx);
    expect(result).toBeInstanceOf(ContainerConfigError);
    expect((result as ContainerConfigError).message).toBe(message);
    expect((result as ContainerConfigError).reason).toBe('CreateContainerConfigError');
  });

  it('reports the first failure in the kubelet order: envFrom before env', () => {
    const { pod, container } = podWith({
      envFrom: [{ secretRef: { name: 'missing-secret' } }],
      env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'missing-cm', key: 'k' } } }],
    });
    expect((containerEnvironment(pod, container, ctx) as ContainerConfigError).message).toBe('secret "missing-secret" not found');
  });

  it('uses the pod namespace to look objects up and in messages', () => {
    const { pod, container } = podWith({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'present' } } }] });
    pod.metadata!.namespace = 'other';
    expect((containerEnvironment(pod, container, ctx) as ContainerConfigError).message).toBe('configmap "cm" not found');
    const ctxOther = context({ configMaps: [configMap('other', 'cm', { k: 'v' })] });
    const { container: c2 } = podWith({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'present' } } }] });
    expect((containerEnvironment(pod, c2, ctxOther) as ContainerConfigError).message).toBe("couldn't find key present in ConfigMap other/cm");
  });

  it('never puts a secret value in an error', () => {
    const secretCtx = context({ secrets: [secret('default', 's', { password: 'hunter2' })] });
    const { pod, container } = podWith({
      envFrom: [{ secretRef: { name: 's' } }],
      env: [{ name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'other' } } }],
    });
    const result = containerEnvironment(pod, container, secretCtx) as ContainerConfigError;
    expect(result.message).not.toContain('hunter2');
  });
});

describe('containerEnvironment: optional references', () => {
  it('leaves the variable out for a missing optional object or key, and skips a missing optional envFrom', () => {
    const ctx = context({ configMaps: [configMap('default', 'cm', { a: '1' })], secrets: [secret('default', 's', { a: '1' })] });
    const { pod, container } = podWith({
      envFrom: [{ configMapRef: { name: 'gone', optional: true } }, { secretRef: { name: 'gone', optional: true } }],
      env: [
        { name: 'NO_CM', valueFrom: { configMapKeyRef: { name: 'gone', key: 'a', optional: true } } },
        { name: 'NO_CM_KEY', valueFrom: { configMapKeyRef: { name: 'cm', key: 'zz', optional: true } } },
        { name: 'NO_SECRET', valueFrom: { secretKeyRef: { name: 'gone', key: 'a', optional: true } } },
        { name: 'NO_SECRET_KEY', valueFrom: { secretKeyRef: { name: 's', key: 'zz', optional: true } } },
        { name: 'CM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a', optional: true } } },
        { name: 'REF', value: '[$(NO_CM)]' },
      ],
    });
    expect(ok(containerEnvironment(pod, container, ctx)).env).toEqual([
      { name: 'CM', value: '1' },
      { name: 'REF', value: '[$(NO_CM)]' },
    ]);
  });
});

describe('containerEnvironment: envFrom prefixes, precedence, order and service variables', () => {
  it('applies the prefix, checks the prefixed name, lets a later source and env win', () => {
    const ctx = context({
      configMaps: [configMap('default', 'a', { '1234': 'abc', key: 'from-a', SHARED: 'a' }), configMap('default', 'b', { SHARED: 'b' })],
      secrets: [secret('default', 's', { 'bad key': 'x', token: 't' })],
    });
    const { pod, container } = podWith({
      envFrom: [
        { prefix: 'p_', configMapRef: { name: 'a' } },
        { configMapRef: { name: 'a' } },
        { configMapRef: { name: 'b' } },
        { prefix: 'S_', secretRef: { name: 's' } },
      ],
      env: [{ name: 'key', value: 'from-env' }],
    });
    const result = ok(containerEnvironment(pod, container, ctx));
    expect(result.env).toEqual([
      { name: 'p_1234', value: 'abc' },
      { name: 'p_SHARED', value: 'a' },
      { name: 'p_key', value: 'from-a' },
      { name: 'SHARED', value: 'b' },
      { name: 'key', value: 'from-env' },
      { name: 'S_token', value: 't' },
    ]);
    expect(result.invalidEnvNames.map((i) => i.message)).toEqual([
      'Keys [1234] from the EnvFrom configMap default/a were skipped since they are considered invalid environment variable names.',
      'Keys [S_bad key] from the EnvFrom secret default/s were skipped since they are considered invalid environment variable names.',
    ]);
  });

  it('expands env values against envFrom, earlier env and the service variables; service variables come last unless redefined', () => {
    const ctx = context({
      configMaps: [configMap('default', 'cfg', { HOST: 'db' })],
      serviceEnv: { DB_SERVICE_HOST: '10.96.0.5', DB_SERVICE_PORT: '5432', KUBERNETES_SERVICE_HOST: '10.96.0.1' },
    });
    const { pod, container } = podWith({
      envFrom: [{ configMapRef: { name: 'cfg' } }],
      env: [
        { name: 'URL', value: 'postgres://$(HOST):$(DB_SERVICE_PORT)/$(LATER)' },
        { name: 'DB_SERVICE_HOST', value: 'overridden' },
        { name: 'LATER', value: 'x' },
        { name: 'EMPTY', value: '' },
      ],
      args: ['--db=$(DB_SERVICE_HOST)', '--k8s=$(KUBERNETES_SERVICE_HOST)', '--url=$(URL)', '$$(URL)', '$(UNDEFINED)'],
    });
    const result = ok(containerEnvironment(pod, container, ctx));
    expect(result.env).toEqual([
      { name: 'HOST', value: 'db' },
      { name: 'URL', value: 'postgres://db:5432/$(LATER)' },
      { name: 'DB_SERVICE_HOST', value: 'overridden' },
      { name: 'LATER', value: 'x' },
      { name: 'EMPTY', value: '' },
      { name: 'DB_SERVICE_PORT', value: '5432' },
      { name: 'KUBERNETES_SERVICE_HOST', value: '10.96.0.1' },
    ]);
    expect(result.command).toBeUndefined();
    expect(result.args).toEqual(['--db=overridden', '--k8s=10.96.0.1', '--url=postgres://db:5432/$(LATER)', '$(URL)', '$(UNDEFINED)']);
  });

  it('expands a value before a later env entry redefines a service variable (service value seen)', () => {
    const ctx = context({ serviceEnv: { DB_SERVICE_HOST: '10.96.0.5' } });
    const { pod, container } = podWith({
      env: [
        { name: 'BEFORE', value: '$(DB_SERVICE_HOST)' },
        { name: 'DB_SERVICE_HOST', value: 'mine' },
        { name: 'AFTER', value: '$(DB_SERVICE_HOST)' },
      ],
    });
    expect(asRecord(ok(containerEnvironment(pod, container, ctx)).env)).toEqual({ BEFORE: '10.96.0.5', DB_SERVICE_HOST: 'mine', AFTER: 'mine' });
  });

  it('does not expand values that come from valueFrom or envFrom', () => {
    const ctx = context({ configMaps: [configMap('default', 'cm', { RAW: '$(X)', k: '$(X)' })] });
    const { pod, container } = podWith({
      envFrom: [{ configMapRef: { name: 'cm' } }],
      env: [
        { name: 'X', value: 'x' },
        { name: 'FROM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
      ],
    });
    expect(asRecord(ok(containerEnvironment(pod, container, ctx)).env)).toEqual({ RAW: '$(X)', k: '$(X)', X: 'x', FROM: '$(X)' });
  });

  it('takes status.podIP from the pod status when the kubelet passes none', () => {
    const { pod, container } = podWith(
      { env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] },
      { status: { podIP: '10.244.0.9' } },
    );
    const ctx = { ...context(), podIP: '' };
    expect(ok(containerEnvironment(pod, container, ctx)).env).toEqual([{ name: 'IP', value: '10.244.0.9' }]);
  });
});
