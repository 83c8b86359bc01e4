import type { ConfigMap, Pod, Secret, Volume } from '@skiff/api';
import { fsGroupMode, volumePayload, volumeReferences, VolumeSourceError, type Payload, type ProjectionContext } from './projection';

const configMaps: Record<string, ConfigMap> = {
  web: { metadata: { name: 'web' }, data: { 'app.conf': 'port=80', color: 'blue' }, binaryData: { 'logo.png': Buffer.from([137, 80]) } } as unknown as ConfigMap,
};
const secrets: Record<string, Secret> = {
  db: { metadata: { name: 'db' }, data: { username: Buffer.from('admin'), password: Buffer.from('s3cr3t') }, stringData: {}, type: 'Opaque' } as unknown as Secret,
};
const pod = {
  metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1', labels: { app: 'web' }, annotations: {} },
  spec: { containers: [{ name: 'app', resources: { limits: { memory: '64Mi' }, requests: {} } }] },
} as unknown as Pod;
const ctx: ProjectionContext = {
  pod,
  objects: { configMap: (n) => configMaps[n], secret: (n) => secrets[n] },
  nodeAllocatable: { cpu: '2', memory: '4Gi' },
};

/** The payload as { path: [text, mode] } for readable expectations. */
function show(payload: Payload): Record<string, [string, string]> {
  return Object.fromEntries(Object.entries(payload).map(([p, f]) => [p, [f.data.toString('latin1'), f.mode.toString(8)]]));
}
const vol = (v: Partial<Volume>) => ({ name: 'v', ...v }) as Volume;
const cm = (s: Partial<NonNullable<Volume['configMap']>>) => vol({ configMap: { name: 'web', items: [], ...s } });
const sec = (s: Partial<NonNullable<Volume['secret']>>) => vol({ secret: { secretName: 'db', items: [], ...s } });

describe('configMap volumes', () => {
  it('project every key of data and binaryData with mode 0644 by default', () => {
    expect(show(volumePayload(cm({}), ctx))).toEqual({ 'app.conf': ['port=80', '644'], color: ['blue', '644'], 'logo.png': ['\x89P', '644'] });
  });

  it('project only the items, at their paths, with their own mode or the defaultMode', () => {
    const v = cm({ defaultMode: 0o400, items: [{ key: 'color', path: 'colors/main' }, { key: 'logo.png', path: 'logo', mode: 0o600 }] });
    expect(show(volumePayload(v, ctx))).toEqual({ 'colors/main': ['blue', '400'], logo: ['\x89P', '600'] });
  });

  it("fail with Kubernetes' messages for a missing ConfigMap or key, unless optional", () => {
    expect(() => volumePayload(cm({ name: 'nope' }), ctx)).toThrow(new VolumeSourceError('configmap "nope" not found'));
    expect(() => volumePayload(cm({ items: [{ key: 'size', path: 's' }] }), ctx)).toThrow(new VolumeSourceError('configmap references non-existent config key: size'));
    expect(volumePayload(cm({ name: 'nope', optional: true }), ctx)).toEqual({});
    expect(volumePayload(cm({ name: 'nope', optional: true, items: [{ key: 'a', path: 'a' }] }), ctx)).toEqual({});
    expect(show(volumePayload(cm({ optional: true, items: [{ key: 'size', path: 's' }, { key: 'color', path: 'c' }] }), ctx))).toEqual({ c: ['blue', '644'] });
  });
});

describe('secret volumes', () => {
  it('project every key, or the items', () => {
    expect(show(volumePayload(sec({}), ctx))).toEqual({ username: ['admin', '644'], password: ['s3cr3t', '644'] });
    expect(show(volumePayload(sec({ defaultMode: 0o400, items: [{ key: 'password', path: 'db/pw' }] }), ctx))).toEqual({ 'db/pw': ['s3cr3t', '400'] });
  });

  it("fail with Kubernetes' messages, unless optional", () => {
    expect(() => volumePayload(sec({ secretName: 'nope' }), ctx)).toThrow(new VolumeSourceError('secret "nope" not found'));
    expect(() => volumePayload(sec({ items: [{ key: 'token', path: 't' }] }), ctx)).toThrow(new VolumeSourceError('references non-existent secret key: token'));
    expect(volumePayload(sec({ secretName: 'nope', optional: true }), ctx)).toEqual({});
  });
});

describe('downwardAPI volumes', () => {
  it('project metadata fields and resources', () => {
    const v = vol({
      downwardAPI: {
        defaultMode: 0o444,
        items: [
          { path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
          { path: 'name', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' }, mode: 0o400 },
          { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
          { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '' } },
        ],
      },
    });
    expect(show(volumePayload(v, ctx))).toEqual({ labels: ['app="web"', '444'], name: ['web-0', '400'], mem: ['64', '444'], cpu: ['2', '444'] });
  });

  it('refuse non-metadata field paths (environment variables only) and report every failing item', () => {
    const v = vol({
      downwardAPI: {
        items: [
          { path: 'node', fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } },
          { path: 'x', resourceFieldRef: { containerName: 'ghost', resource: 'limits.cpu', divisor: '' } },
        ],
      },
    });
    expect(() => volumePayload(v, ctx)).toThrow(new VolumeSourceError('[unsupported fieldPath: spec.nodeName, container ghost not found]'));
  });
});

describe('projected volumes', () => {
  it("merge every source into one directory with the projected volume's defaultMode", () => {
    const v = vol({
      projected: {
        defaultMode: 0o440,
        sources: [
          { configMap: { name: 'web', items: [{ key: 'color', path: 'color' }] } },
          { secret: { name: 'db', items: [{ key: 'password', path: 'creds/password', mode: 0o400 }] } },
          { downwardAPI: { items: [{ path: 'podname', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } }] } },
        ],
      },
    });
    expect(show(volumePayload(v, ctx))).toEqual({ color: ['blue', '440'], 'creds/password': ['s3cr3t', '400'], podname: ['web-0', '440'] });
    expect(volumeReferences(v)).toEqual({ configMaps: ['web'], secrets: ['db'] });
  });

  it('default to 0644, skip optional missing sources, and report every failing source', () => {
    const ok = vol({ projected: { sources: [{ configMap: { name: 'web', items: [{ key: 'color', path: 'c' }] } }, { secret: { name: 'gone', items: [], optional: true } }] } });
    expect(show(volumePayload(ok, ctx))).toEqual({ c: ['blue', '644'] });
    const bad = vol({ projected: { sources: [{ configMap: { name: 'gone', items: [] } }, { secret: { name: 'db', items: [{ key: 'k', path: 'k' }] } }] } });
    expect(() => volumePayload(bad, ctx)).toThrow(new VolumeSourceError('[configmap "gone" not found, references non-existent secret key: k]'));
  });
});

describe('fsGroup', () => {
  it("adds Kubernetes' SetVolumeOwnership bits", () => {
    expect(fsGroupMode(0o400, { dir: false, readOnly: true }).toString(8)).toBe('440');
    expect(fsGroupMode(0o600, { dir: false, readOnly: false }).toString(8)).toBe('660');
    expect(fsGroupMode(0o755, { dir: true, readOnly: true }).toString(8)).toBe('2755');
    expect(fsGroupMode(0o777, { dir: true, readOnly: false }).toString(8)).toBe('2777');
    expect(fsGroupMode(0o700, { dir: true, readOnly: false }).toString(8)).toBe('2770');
  });

  it('gives projected files the group read bit', () => {
    expect(show(volumePayload(sec({ defaultMode: 0o400 }), ctx, 2000))).toEqual({ username: ['admin', '440'], password: ['s3cr3t', '440'] });
  });
});

it('gives volumes of other kinds no files', () => {
  expect(volumePayload(vol({ emptyDir: { medium: '', sizeLimit: '' } }), ctx)).toEqual({});
});
