import { findKind, type KubeObject } from '@skiff/api';
import { isSubset, mergeJson, planApply, type ApplyPlan } from './apply-plan';

const pods = findKind('pod')!;
const services = findKind('svc')!;
const configmaps = findKind('cm')!;
const secrets = findKind('secret')!;

function decode(kind: string, json: unknown): KubeObject {
  return findKind(kind)!.codec.fromJSON(json) as KubeObject;
}

function objectOf(plan: ApplyPlan): KubeObject {
  if (plan.action === 'unchanged') throw new Error('expected an object');
  return plan.object;
}

const serverMeta = { uid: 'u-1', resourceVersion: '42', generation: 1, creationTimestamp: '2024-05-01T12:00:00Z' };

describe('planApply', () => {
  const manifest = { metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } };
  // What the server stores: server metadata, defaults filled in, a status.
  const stored = {
    metadata: { ...manifest.metadata, ...serverMeta },
    spec: { containers: [{ name: 'web', image: 'nginx:1', imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always' },
    status: { phase: 'Pending' },
  };

  it('creates what is not stored', () => {
    const plan = planApply(pods, decode('pod', manifest), undefined);
    expect(plan.action).toBe('create');
  });

  it('is unchanged when the stored object holds the manifest (server defaults tolerated)', () => {
    expect(planApply(pods, decode('pod', manifest), decode('pod', stored))).toEqual({ action: 'unchanged' });
  });

  it('configures a changed image, keeping server metadata and status', () => {
    const changed = { ...manifest, spec: { containers: [{ name: 'web', image: 'nginx:2' }] } };
    const plan = planApply(pods, decode('pod', changed), decode('pod', stored));
    expect(plan.action).toBe('configure');
    const json = pods.codec.toJSON(objectOf(plan) as never) as { metadata: unknown; spec: { containers: unknown; restartPolicy: string }; status: unknown };
    expect(json.metadata).toMatchObject({ uid: 'u-1', resourceVersion: '42', labels: { app: 'web' } });
    expect(json.spec.containers).toEqual([{ name: 'web', image: 'nginx:2' }]);
    expect(json.spec.restartPolicy).toBe('Always');
    expect(json.status).toEqual({ phase: 'Pending' });
  });

  it('configures when labels or annotations are added or removed', () => {
    const relabeled = { ...manifest, metadata: { ...manifest.metadata, labels: { app: 'web', tier: 'fe' } } };
    expect(planApply(pods, decode('pod', relabeled), decode('pod', stored)).action).toBe('configure');
    const unlabeled = { ...manifest, metadata: { name: 'web', namespace: 'default' } };
    const plan = planApply(pods, decode('pod', unlabeled), decode('pod', stored));
    expect(plan.action).toBe('configure');
    expect(objectOf(plan).metadata?.labels).toEqual({});
    const annotated = { ...manifest, metadata: { ...manifest.metadata, annotations: { note: 'x' } } };
    expect(planApply(pods, decode('pod', annotated), decode('pod', stored)).action).toBe('configure');
  });

  it('keeps a service clusterIP the manifest leaves out', () => {
    const svc = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
    const storedSvc = { metadata: { ...svc.metadata, ...serverMeta }, spec: { ...svc.spec, clusterIP: '10.96.0.10', type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }] } };
    expect(planApply(services, decode('svc', svc), decode('svc', storedSvc))).toEqual({ action: 'unchanged' });
    const more = { ...svc, spec: { ...svc.spec, ports: [{ port: 80 }, { port: 443, name: 'https' }] } };
    const plan = planApply(services, decode('svc', more), decode('svc', storedSvc));
    expect(plan.action).toBe('configure');
    expect((objectOf(plan) as { spec: { clusterIP: string } }).spec.clusterIP).toBe('10.96.0.10');
  });

  it('replaces configmap data whole', () => {
    const cm = { metadata: { name: 'c', namespace: 'default' }, data: { a: '1' } };
    const storedCm = { metadata: { ...cm.metadata, ...serverMeta }, data: { a: '1', b: '2' } };
    const plan = planApply(configmaps, decode('cm', cm), decode('cm', storedCm));
    expect(plan.action).toBe('configure');
    expect((objectOf(plan) as { data: unknown }).data).toEqual({ a: '1' });
    expect(planApply(configmaps, decode('cm', cm), decode('cm', { ...storedCm, data: { a: '1' } }))).toEqual({ action: 'unchanged' });
  });

  it('compares a secret stringData with the stored data', () => {
    const secret = { metadata: { name: 's', namespace: 'default' }, stringData: { password: 'hunter2' } };
    const storedSecret = { metadata: { ...secret.metadata, ...serverMeta }, data: { password: Buffer.from('hunter2').toString('base64') }, type: 'Opaque' };
    expect(planApply(secrets, decode('secret', secret), decode('secret', storedSecret))).toEqual({ action: 'unchanged' });
    const changed = { ...secret, stringData: { password: 'other' } };
    expect(planApply(secrets, decode('secret', changed), decode('secret', storedSecret)).action).toBe('configure');
  });
});

describe('json helpers', () => {
  it('merges objects and replaces arrays', () => {
    expect(mergeJson({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { b: { c: 5 }, e: [9] })).toEqual({ a: 1, b: { c: 5, d: 3 }, e: [9] });
  });

  it('checks subsets with equal-length arrays', () => {
    expect(isSubset({ a: [{ x: 1 }] }, { a: [{ x: 1, y: 2 }], b: 1 })).toBe(true);
    expect(isSubset({ a: [{ x: 1 }] }, { a: [{ x: 1 }, { x: 2 }] })).toBe(false);
    expect(isSubset({ a: 1 }, { a: 2 })).toBe(false);
  });
});
