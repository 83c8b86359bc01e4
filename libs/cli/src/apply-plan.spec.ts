import { applyDefaults, findKind, type KubeObject } from '@skiff/api';
import { isSubset, LAST_APPLIED_ANNOTATION, planApply, threeWayMerge, type ApplyPlan } from './apply-plan';

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test data

function decode(kind: string, json: unknown): KubeObject {
  return findKind(kind)!.codec.fromJSON(json) as KubeObject;
}

function objectOf(plan: ApplyPlan): KubeObject {
  if (plan.action === 'unchanged') throw new Error('expected an object');
  return plan.object;
}

const serverMeta = { uid: 'u-1', resourceVersion: '42', generation: 1, creationTimestamp: '2024-05-01T12:00:00Z' };

/** What the server stores after a create or update: its metadata, defaults, and `extra` (status, clusterIP...). */
function stored(kind: string, object: KubeObject, extra: (json: Loose) => void = () => undefined): KubeObject {
  const info = findKind(kind)!;
  const json = info.codec.toJSON(object as never) as Loose;
  json.metadata = { ...json.metadata, ...serverMeta };
  extra(json);
  const result = info.codec.fromJSON(json) as KubeObject;
  applyDefaults(info, result);
  return result;
}

/** Applies `manifest` over what is stored (or creates it) and returns the plan. */
function apply(kind: string, manifest: unknown, live?: KubeObject): ApplyPlan {
  return planApply(findKind(kind)!, decode(kind, manifest), live);
}

function json(kind: string, object: KubeObject): Loose {
  return findKind(kind)!.codec.toJSON(object as never) as Loose;
}

describe('planApply', () => {
  const manifest = { metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1', command: ['nginx'] }] } };
  const created = () => stored('pod', objectOf(apply('pod', manifest)), (j) => (j.status = { phase: 'Pending' }));

  it('creates what is not stored, recording the manifest it applied', () => {
    const plan = apply('pod', manifest);
    expect(plan.action).toBe('create');
    const record = JSON.parse(objectOf(plan).metadata!.annotations[LAST_APPLIED_ANNOTATION]);
    expect(record).toMatchObject(manifest);
  });

  it('is unchanged when applied again (server metadata, defaults and status tolerated)', () => {
    expect(apply('pod', manifest, created())).toEqual({ action: 'unchanged' });
  });

  it('configures a changed image, keeping server metadata and status', () => {
    const plan = apply('pod', { ...manifest, spec: { containers: [{ name: 'web', image: 'nginx:2', command: ['nginx'] }] } }, created());
    const out = json('pod', objectOf(plan));
    expect(plan.action).toBe('configure');
    expect(out.metadata).toMatchObject({ uid: 'u-1', resourceVersion: '42', labels: { app: 'web' } });
    expect(out.spec.containers[0]).toMatchObject({ name: 'web', image: 'nginx:2', imagePullPolicy: 'IfNotPresent' });
    expect(out.status).toEqual({ phase: 'Pending' });
  });

  it('removes a field deleted from the manifest, also inside a list item', () => {
    const plan = apply('pod', { ...manifest, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } }, created());
    expect(plan.action).toBe('configure');
    expect(json('pod', objectOf(plan)).spec.containers[0].command).toBeUndefined();
  });

  it('removes labels deleted from the manifest but keeps labels added by someone else', () => {
    const live = stored('pod', objectOf(apply('pod', manifest)), (j) => (j.metadata.labels['pod-template-hash'] = 'abc'));
    const plan = apply('pod', { ...manifest, metadata: { name: 'web', namespace: 'default', labels: { tier: 'fe' } } }, live);
    expect(objectOf(plan).metadata!.labels).toEqual({ tier: 'fe', 'pod-template-hash': 'abc' });
  });

  it('keeps a service clusterIP and nodePorts the manifest leaves out', () => {
    const svc = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, type: 'NodePort', ports: [{ port: 80 }] } };
    const live = stored('svc', objectOf(apply('svc', svc)), (j) => ((j.spec.clusterIP = '10.96.0.10'), (j.spec.ports[0].nodePort = 30080)));
    expect(apply('svc', svc, live)).toEqual({ action: 'unchanged' });
    const plan = apply('svc', { ...svc, spec: { ...svc.spec, ports: [{ port: 80 }, { port: 443, name: 'https' }] } }, live);
    expect(plan.action).toBe('configure');
    const out = json('svc', objectOf(plan));
    expect(out.spec.clusterIP).toBe('10.96.0.10');
    expect(out.spec.ports.map((p: Loose) => [p.port, p.nodePort])).toEqual([
      [80, 30080],
      [443, undefined],
    ]);
  });

  it('removes configmap keys deleted from the manifest', () => {
    const cm = { metadata: { name: 'c', namespace: 'default' }, data: { a: '1', b: '2' } };
    const live = stored('cm', objectOf(apply('cm', cm)));
    const plan = apply('cm', { ...cm, data: { a: '1' } }, live);
    expect((objectOf(plan) as { data: unknown }).data).toEqual({ a: '1' });
    expect(apply('cm', cm, live)).toEqual({ action: 'unchanged' });
  });

  it('configures an object created without apply (it gets the record) and removes nothing then', () => {
    const live = stored('cm', decode('cm', { metadata: { name: 'c', namespace: 'default' }, data: { a: '1', b: '2' } }));
    const plan = apply('cm', { metadata: { name: 'c', namespace: 'default' }, data: { a: '1' } }, live);
    expect(plan.action).toBe('configure');
    expect((objectOf(plan) as { data: unknown }).data).toEqual({ a: '1', b: '2' });
  });

  it('compares a secret stringData with the stored data', () => {
    const secret = { metadata: { name: 's', namespace: 'default' }, stringData: { password: 'hunter2' } };
    const live = stored('secret', objectOf(apply('secret', secret)));
    expect(json('secret', live).data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
    expect(apply('secret', secret, live)).toEqual({ action: 'unchanged' });
    expect(apply('secret', { ...secret, stringData: { password: 'other' } }, live).action).toBe('configure');
  });
});

describe('threeWayMerge', () => {
  it('sets desired fields, removes fields only the last apply had, keeps the rest', () => {
    expect(threeWayMerge({ a: 1, b: 2, c: 3 }, { a: 1, b: 2 }, { a: 5 })).toEqual({ a: 5, c: 3 });
  });

  it('replaces lists without a merge key and merges keyed lists item by item', () => {
    expect(threeWayMerge({ args: ['a', 'b'] }, {}, { args: ['c'] })).toEqual({ args: ['c'] });
    const live = { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'INJECTED', value: 'x' }] };
    const last = { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] };
    expect(threeWayMerge(live, last, { env: [{ name: 'A', value: '9' }] })).toEqual({ env: [{ name: 'A', value: '9' }, { name: 'INJECTED', value: 'x' }] });
  });
});

describe('isSubset', () => {
  it('checks subsets with equal-length arrays', () => {
    expect(isSubset({ a: [{ x: 1 }] }, { a: [{ x: 1, y: 2 }], b: 1 })).toBe(true);
    expect(isSubset({ a: [{ x: 1 }] }, { a: [{ x: 1 }, { x: 2 }] })).toBe(false);
    expect(isSubset({ a: 1 }, { a: 2 })).toBe(false);
  });
});
