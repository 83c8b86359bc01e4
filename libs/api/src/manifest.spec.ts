import { InvalidError } from './errors';
import { EXAMPLE_MANIFESTS, POD_EXAMPLE, SECRET_EXAMPLE, SERVICE_EXAMPLE } from './examples';
import { KINDS, unwrap, wrap, kindFor } from './kinds';
import { Pod, Service, Secret } from './gen';
import { manifestFromObject, objectFromManifest, parseManifestDocuments, parseManifests, toYaml } from './manifest';

function fieldErrors(fn: () => unknown): InvalidError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidError) return err;
    throw err;
  }
  throw new Error('expected an InvalidError');
}

const clone = <T>(v: T): T => structuredClone(v);

describe('round trip of every kind', () => {
  it('has one example per kind', () => {
    expect(Object.keys(EXAMPLE_MANIFESTS).sort()).toEqual(KINDS.map((k) => k.kind).sort());
  });

  it.each(Object.entries(EXAMPLE_MANIFESTS))('%s: manifest -> object -> manifest gives the same fields', (kind, manifest) => {
    const object = objectFromManifest(clone(manifest), 'example.yaml');
    expect(unwrap(object).info.kind).toBe(kind);
    expect(manifestFromObject(object)).toEqual(manifest);
  });

  it.each(Object.entries(EXAMPLE_MANIFESTS))('%s: YAML text -> objects -> YAML text is stable', (_kind, manifest) => {
    const text = toYaml(objectFromManifest(clone(manifest)));
    const [parsed] = parseManifests(text, 'x.yaml');
    expect(manifestFromObject(parsed.object)).toEqual(manifest);
    expect(toYaml(parsed.object)).toBe(text);
  });

  it('survives protobuf encoding too', () => {
    for (const manifest of Object.values(EXAMPLE_MANIFESTS)) {
      const { info, object } = unwrap(objectFromManifest(clone(manifest)));
      const decoded = info.codec.decode(info.codec.encode(object as never).finish());
      expect(manifestFromObject(wrap(info, decoded))).toEqual(manifest);
    }
  });
});

describe('objectFromManifest', () => {
  it('builds proper ts-proto objects, int-or-string included', () => {
    const pod = unwrap(objectFromManifest(clone(POD_EXAMPLE))).object as Pod;
    expect(pod.spec?.containers[0].livenessProbe?.httpGet?.port).toEqual({ value: { $case: 'strVal', value: 'http' } });
    expect(pod.spec?.containers[0].readinessProbe?.tcpSocket?.port).toEqual({ value: { $case: 'intVal', value: 8080 } });
    expect(pod.status?.startTime).toEqual(new Date('2024-05-01T10:00:00Z'));
    expect(pod.spec?.terminationGracePeriodSeconds).toBe(30);
    const svc = unwrap(objectFromManifest(clone(SERVICE_EXAMPLE))).object as Service;
    expect(svc.spec?.ports[0].targetPort?.value).toEqual({ $case: 'strVal', value: 'http' });
    const secret = unwrap(objectFromManifest(clone(SECRET_EXAMPLE))).object as Secret;
    expect(Buffer.from(secret.data['token']).toString()).toBe('s3cr3t');
  });

  it('accepts int64 as numeric strings and null as unset', () => {
    const m = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', creationTimestamp: null, generation: '3' }, spec: { terminationGracePeriodSeconds: '10', containers: [{ name: 'c', image: 'i' }] }, status: {} };
    const pod = unwrap(objectFromManifest(m)).object as Pod;
    expect(pod.metadata?.generation).toBe(3);
    expect(pod.spec?.terminationGracePeriodSeconds).toBe(10);
    expect(pod.metadata?.creationTimestamp).toBeUndefined();
  });

  it('collects every error with Kubernetes paths, prefixed with the object identity', () => {
    const m = clone(POD_EXAMPLE) as { spec: { containers: Array<Record<string, unknown>> }; [k: string]: unknown };
    m.spec.containers[0]['imagee'] = 'x';
    (m.spec.containers[0]['ports'] as Array<Record<string, unknown>>)[1]['containerPort'] = '80';
    (m.spec.containers[1] as Record<string, unknown>)['env'] = [{ name: 'A', value: 1 }];
    m['extra'] = true;
    const err = fieldErrors(() => objectFromManifest(m, 'pod.yaml#1'));
    expect(err.fields).toEqual([
      { field: 'spec.containers[0].ports[1].containerPort', detail: 'expected integer, got string' },
      { field: 'spec.containers[0].imagee', detail: 'unknown field' },
      { field: 'spec.containers[1].env[0].value', detail: 'expected string, got number' },
      { field: 'extra', detail: 'unknown field' },
    ]);
    expect(err.message).toMatch(/^pod\.yaml#1: Pod "web": spec\.containers\[0\]\.ports\[1\]\.containerPort: expected integer, got string; /);
  });

  it.each([
    [{ spec: { restart_policy: 'Always' } }, 'spec.restart_policy', 'unknown field'],
    [{ spec: { containers: {} } }, 'spec.containers', 'expected array, got object'],
    [{ spec: { containers: [{ name: 'c', image: { name: 'x' } }] } }, 'spec.containers[0].image', 'expected string, got object'],
    [{ spec: { containers: [{ name: 'c', stdin: 'yes' }] } }, 'spec.containers[0].stdin', 'expected boolean, got string'],
    [{ spec: { containers: [{ name: 'c', ports: [{ containerPort: 80.5 }] }] } }, 'spec.containers[0].ports[0].containerPort', 'expected integer, got number'],
    [{ spec: { containers: [{ name: 'c', ports: [{ containerPort: 2 ** 40 }] }] } }, 'spec.containers[0].ports[0].containerPort', 'integer 1099511627776 out of range [-2147483648, 2147483647]'],
    [{ spec: { containers: [{ name: 'c', livenessProbe: { tcpSocket: { port: true } } }] } }, 'spec.containers[0].livenessProbe.tcpSocket.port', 'expected integer or string, got boolean'],
    [{ spec: { nodeSelector: { disk: 1 } } }, 'spec.nodeSelector[disk]', 'expected string, got number'],
    [{ spec: { nodeSelector: ['a'] } }, 'spec.nodeSelector', 'expected object, got array'],
    [{ metadata: { name: 'a', labels: { app: true } } }, 'metadata.labels[app]', 'expected string, got boolean'],
    [{ metadata: { name: 'a', creationTimestamp: 'yesterday' } }, 'metadata.creationTimestamp', 'expected RFC 3339 timestamp, got "yesterday"'],
    [{ metadata: { name: 'a', generation: 'x1' } }, 'metadata.generation', 'expected integer, got string'],
    [{ metadata: 'a' }, 'metadata', 'expected object, got string'],
    [{ spec: { containers: [null] } }, 'spec.containers[0]', 'expected object, got null'],
    [{ spec: { dnsConfig: { nameserver: ['10.0.0.53'] } } }, 'spec.dnsConfig.nameserver', 'unknown field'],
    [{ spec: { dnsConfig: { options: [{ name: 'ndots', value: 2 }] } } }, 'spec.dnsConfig.options[0].value', 'expected string, got number'],
    [{ spec: { dnsConfig: { searches: 'a.example' } } }, 'spec.dnsConfig.searches', 'expected array, got string'],
  ])('%j -> %s: %s', (patch, field, detail) => {
    const err = fieldErrors(() => objectFromManifest({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, ...patch }));
    expect(err.fields).toContainEqual({ field, detail });
  });

  it('checks base64 for bytes fields', () => {
    const err = fieldErrors(() => objectFromManifest({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'not base64!' } }));
    expect(err.fields).toEqual([{ field: 'data[k]', detail: 'illegal base64 data' }]);
  });

  it.each([
    [{ kind: 'Pod' }, 'apiVersion'],
    [{ apiVersion: 'v1' }, 'kind'],
    [{ apiVersion: 'v1', kind: 'Widget' }, 'kind'],
    [{ apiVersion: 'v1', kind: 'Deployment' }, 'apiVersion'],
    [{ apiVersion: 1, kind: 'Pod' }, 'apiVersion'],
    ['just a string', 'apiVersion'],
  ])('%j names %s', (manifest, field) => {
    const err = fieldErrors(() => objectFromManifest(manifest));
    expect(err.fields[0].field).toBe(field);
  });
});

describe('parseManifests', () => {
  it('reads multi-document YAML, skipping empty documents and flattening Lists', () => {
    const text = `
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
---
# only a comment
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: b}
- apiVersion: v1
  kind: Secret
  metadata: {name: c}
`;
    const parsed = parseManifests(text, 'all.yaml');
    expect(parsed.map((p) => [unwrap(p.object).object.metadata?.name, p.source])).toEqual([
      ['a', 'all.yaml#1'],
      ['b', 'all.yaml#4.items[0]'],
      ['c', 'all.yaml#4.items[1]'],
    ]);
  });

  it("reads a pod's dnsPolicy and dnsConfig as Kubernetes' documentation writes them", () => {
    const text = `
apiVersion: v1
kind: Pod
metadata:
  namespace: default
  name: dns-example
spec:
  containers:
    - name: test
      image: nginx
  dnsPolicy: "None"
  dnsConfig:
    nameservers:
      - 192.0.2.1 # this is an example
    searches:
      - ns1.svc.cluster-domain.example
      - my.dns.search.suffix
    options:
      - name: ndots
        value: "2"
      - name: edns0
`;
    const [parsed] = parseManifests(text, 'dns.yaml');
    const pod = unwrap(parsed.object).object as Pod;
    expect(pod.spec?.dnsPolicy).toBe('None');
    expect(pod.spec?.dnsConfig).toEqual({ nameservers: ['192.0.2.1'], searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] });
    expect((manifestFromObject(parsed.object).spec as Record<string, unknown>).dnsConfig).toEqual({
      nameservers: ['192.0.2.1'],
      searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix'],
      options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
    });
  });

  it('reads JSON', () => {
    const parsed = parseManifests(JSON.stringify(SERVICE_EXAMPLE));
    expect(manifestFromObject(parsed[0].object)).toEqual(SERVICE_EXAMPLE);
  });

  it('reports YAML syntax errors with the line', () => {
    const err = fieldErrors(() => parseManifests('apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n', 'bad.yaml'));
    expect(err.fields[0].field).toBe('yaml');
    expect(err.fields[0].detail).toMatch(/^line \d+: /);
    expect(err.message).toMatch(/^bad\.yaml#1: yaml: line/);
    const dup = fieldErrors(() => parseManifests('apiVersion: v1\nkind: Pod\nkind: Pod\n'));
    expect(dup.fields[0].detail).toMatch(/line 3/);
  });

  it('reports per document with parseManifestDocuments', () => {
    const docs = parseManifestDocuments('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Nope\n', 'f.yaml');
    expect(docs).toHaveLength(2);
    expect('object' in docs[0]).toBe(true);
    expect('error' in docs[1] && docs[1].error.fields[0].field).toBe('kind');
  });
});

describe('manifestFromObject and toYaml', () => {
  it('omits empty sections and prints int-or-string as scalars', () => {
    const pod = Pod.fromPartial({ metadata: { name: 'a' }, spec: {}, status: {} });
    expect(manifestFromObject(wrap(kindFor('pod'), pod))).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } });
  });

  it('prints several objects as a v1 List', () => {
    const objects = [objectFromManifest(clone(SERVICE_EXAMPLE)), objectFromManifest(clone(SECRET_EXAMPLE))];
    const text = toYaml(objects);
    expect(text.startsWith('apiVersion: v1\nkind: List\nitems:\n')).toBe(true);
    expect(parseManifests(text).map((p) => manifestFromObject(p.object))).toEqual([SERVICE_EXAMPLE, SECRET_EXAMPLE]);
  });
});

describe('YAML as Kubernetes reads it (1.1)', () => {
  it('reads a leading-zero mode as octal, as the Kubernetes docs write them', () => {
    const [doc] = parseManifestDocuments('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: i}]\n  volumes: [{name: v, configMap: {name: c, defaultMode: 0400}}]\n');
    if ('error' in doc) throw doc.error;
    const pod = unwrap(doc.object).object as Pod;
    expect(pod.spec?.volumes[0].configMap?.defaultMode).toBe(0o400);
  });

  it('keeps times and timestamps as strings, as go-yaml does', () => {
    const [doc] = parseManifestDocuments('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {start: 12:30, at: 2026-01-02T03:04:05Z, day: 2026-01-02}\n');
    if ('error' in doc) throw doc.error;
    expect((unwrap(doc.object).object as { data: Record<string, string> }).data).toEqual({ start: '12:30', at: '2026-01-02T03:04:05Z', day: '2026-01-02' });
  });
});
