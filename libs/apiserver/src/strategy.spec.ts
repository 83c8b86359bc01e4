import { ConfigMap, Deployment, InvalidError, Job, kindFor, Node, Pod } from '@skiff/api';
import { prepareForCreate, prepareForUpdate, prepareForUpdateStatus, readyToRemove, type StrategyEnv } from './strategy';

const env: StrategyEnv = { now: () => new Date('2024-05-01T00:00:00Z'), uid: () => 'uid-1', nameSuffix: () => 'x7k2p' };
const deployments = kindFor('deployments');
const deployment = (replicas: number, extra: object = {}) =>
  Deployment.fromPartial({ metadata: { name: 'web', namespace: 'default', uid: 'u', generation: 4, creationTimestamp: new Date(0) }, spec: { replicas }, status: { replicas: 1 }, ...extra });

describe('prepareForCreate', () => {
  it('sets server-owned metadata and resets status', () => {
    const pod = Pod.fromPartial({
      metadata: { generateName: 'web-', uid: 'client', generation: 9, resourceVersion: '5', deletionTimestamp: new Date(), deletionGracePeriodSeconds: 3 },
      status: { phase: 'Running', podIP: '1.2.3.4' },
    });
    prepareForCreate(kindFor('pods'), pod, env);
    expect(pod.metadata).toMatchObject({ name: 'web-x7k2p', uid: 'uid-1', generation: 1, resourceVersion: '', creationTimestamp: env.now() });
    expect(pod.metadata!.deletionTimestamp).toBeUndefined();
    expect(pod.metadata!.deletionGracePeriodSeconds).toBeUndefined();
    expect(pod.status).toMatchObject({ phase: 'Pending', podIP: '' });
  });

  it('generates a Job selector and refuses a template label that contradicts it (validateGeneratedSelector)', () => {
    const jobOf = (labels: Record<string, string>) =>
      Job.fromPartial({ metadata: { name: 'pi', namespace: 'default' }, spec: { template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } });
    const ok = jobOf({ app: 'pi' });
    prepareForCreate(kindFor('jobs'), ok, env);
    expect(ok.spec?.selector?.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': 'uid-1' });
    expect(ok.spec?.template?.metadata?.labels).toMatchObject({ 'batch.kubernetes.io/controller-uid': 'uid-1', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'uid-1', 'job-name': 'pi' });

    let error: unknown;
    try {
      prepareForCreate(kindFor('jobs'), jobOf({ 'batch.kubernetes.io/controller-uid': 'X' }), env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as InvalidError).fields).toEqual([{ field: 'spec.template.metadata.labels[batch.kubernetes.io/controller-uid]', detail: `Invalid value: "X": must be 'uid-1'` }]);
    expect(() => prepareForCreate(kindFor('jobs'), jobOf({ 'job-name': 'other' }), env)).toThrow(`spec.template.metadata.labels[job-name]: Invalid value: "other": must be 'pi'`);
  });

  it('keeps a node status', () => {
    const node = Node.fromPartial({ metadata: { name: 'n1' }, status: { capacity: { cpu: '4' } } });
    prepareForCreate(kindFor('nodes'), node, env);
    expect(node.status!.capacity).toEqual({ cpu: '4' });
  });
});

describe('prepareForUpdate', () => {
  it('bumps generation on spec changes only and keeps status and identity', () => {
    const stored = deployment(1);
    const scaled = prepareForUpdate(deployments, deployment(3, { metadata: { name: 'web', namespace: 'default', uid: 'other', generation: 1 }, status: { replicas: 7 } }), stored) as Deployment;
    expect(scaled.metadata).toMatchObject({ uid: 'u', generation: 5, creationTimestamp: new Date(0) });
    expect(scaled.status!.replicas).toBe(1);
    const labelled = prepareForUpdate(deployments, deployment(1, { metadata: { name: 'web', labels: { a: 'b' } } }), stored) as Deployment;
    expect(labelled.metadata!.generation).toBe(4);
    expect(labelled.metadata!.labels).toEqual({ a: 'b' });
  });

  it('bumps generation on data changes of kinds without spec', () => {
    const cms = kindFor('configmaps');
    const stored = ConfigMap.fromPartial({ metadata: { name: 'c', generation: 1 }, data: { a: '1' } });
    expect(prepareForUpdate(cms, ConfigMap.fromPartial({ metadata: { name: 'c' }, data: { a: '2' } }), stored).metadata!.generation).toBe(2);
    expect(prepareForUpdate(cms, ConfigMap.fromPartial({ metadata: { name: 'c' }, data: { a: '1' } }), stored).metadata!.generation).toBe(1);
  });

  it('refuses new finalizers on an object being deleted', () => {
    const stored = deployment(1, { metadata: { name: 'web', finalizers: ['a'], deletionTimestamp: new Date() } });
    expect(() => prepareForUpdate(deployments, deployment(1, { metadata: { name: 'web', finalizers: ['a', 'b'] } }), stored)).toThrow(/metadata.finalizers/);
    expect(prepareForUpdate(deployments, deployment(1, { metadata: { name: 'web', finalizers: [] } }), stored).metadata!.finalizers).toEqual([]);
  });
});

describe('prepareForUpdateStatus', () => {
  it('changes only the status', () => {
    const next = prepareForUpdateStatus(deployments, deployment(9, { metadata: { name: 'x', labels: { a: 'b' } }, status: { replicas: 3 } }), deployment(1)) as Deployment;
    expect(next.spec!.replicas).toBe(1);
    expect(next.metadata!.labels).toEqual({});
    expect(next.status!.replicas).toBe(3);
    expect(next.metadata!.generation).toBe(4);
  });

  it('refuses kinds without status', () => {
    expect(() => prepareForUpdateStatus(kindFor('configmaps'), ConfigMap.fromPartial({}), ConfigMap.fromPartial({}))).toThrow(/status/);
  });
});

describe('readyToRemove', () => {
  it('needs a deletion timestamp, no finalizers and no pending grace', () => {
    expect(readyToRemove(ConfigMap.fromPartial({ metadata: { finalizers: [] } }))).toBe(false);
    expect(readyToRemove(ConfigMap.fromPartial({ metadata: { deletionTimestamp: new Date(), finalizers: ['x'] } }))).toBe(false);
    expect(readyToRemove(Pod.fromPartial({ metadata: { deletionTimestamp: new Date(), deletionGracePeriodSeconds: 30 } }))).toBe(false);
    expect(readyToRemove(ConfigMap.fromPartial({ metadata: { deletionTimestamp: new Date(), deletionGracePeriodSeconds: 0 } }))).toBe(true);
  });
});
