import { ConfigMap, type KubeObject, type OwnerReference } from '@skiff/api';
import {
  classifyOwner,
  decideForDependent,
  decideForOwner,
  FOREGROUND_FINALIZER,
  locateOwner,
  ORPHAN_FINALIZER,
  ownerKindOf,
  withoutOwnerReferences,
  type ClassifiedOwner,
  type OwnerClass,
} from './gc-decisions';
import { gcKey, parseGcKey } from './gc-key';
import { kindFor } from '@skiff/api';

const ref = (uid: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${uid}`, uid, ...extra });

function object(name: string, meta: { uid?: string; owners?: OwnerReference[]; finalizers?: string[]; deleting?: boolean; namespace?: string } = {}): KubeObject {
  return ConfigMap.fromPartial({
    metadata: {
      name,
      namespace: meta.namespace ?? 'default',
      uid: meta.uid ?? `uid-${name}`,
      ownerReferences: meta.owners ?? [],
      finalizers: meta.finalizers ?? [],
      deletionTimestamp: meta.deleting ? new Date('2024-01-01T00:00:00Z') : undefined,
    },
  });
}

const owners = (...classes: [string, OwnerClass][]): ClassifiedOwner[] => classes.map(([uid, c]) => ({ ref: ref(uid), class: c }));

describe('locating and classifying owners', () => {
  it('finds the kind by kind and API group, in the dependent namespace for namespaced owners', () => {
    expect(ownerKindOf(ref('a'))?.resource).toBe('replicasets');
    expect(ownerKindOf(ref('a', { apiVersion: 'apps/v1beta2' }))?.resource).toBe('replicasets');
    expect(ownerKindOf(ref('a', { apiVersion: 'v1' }))).toBeUndefined(); // no ReplicaSet in the core group
    expect(locateOwner(ref('a'), 'team')).toEqual({ info: kindFor('replicasets'), key: 'team/rs-a' });
    expect(locateOwner(ref('n', { apiVersion: 'v1', kind: 'Node', name: 'node-1' }), 'team')).toEqual({ info: kindFor('nodes'), key: 'node-1' });
  });

  it('cannot resolve an unknown kind, nor a namespaced owner of a cluster-scoped object', () => {
    expect(locateOwner(ref('a', { kind: 'CronTab', apiVersion: 'stable.example.com/v1' }), 'team')).toEqual({ unresolvable: 'unknown-kind' });
    expect(locateOwner(ref('a'), '')).toEqual({ unresolvable: 'invalid-namespace' });
  });

  it('counts a missing owner, or another uid under its name, as dangling; a foreground deletion as waiting', () => {
    expect(classifyOwner(ref('a'), undefined)).toBe('dangling');
    expect(classifyOwner(ref('a'), object('rs-a', { uid: 'other' }))).toBe('dangling');
    expect(classifyOwner(ref('a'), object('rs-a', { uid: 'a' }))).toBe('solid');
    expect(classifyOwner(ref('a'), object('rs-a', { uid: 'a', deleting: true, finalizers: [FOREGROUND_FINALIZER] }))).toBe('waiting');
    // Being deleted otherwise (orphan, other finalizers): still there, still an owner.
    expect(classifyOwner(ref('a'), object('rs-a', { uid: 'a', deleting: true, finalizers: [ORPHAN_FINALIZER] }))).toBe('solid');
  });
});

describe('decideForDependent', () => {
  const pod = object('p', { owners: [ref('a'), ref('b')] });

  it('does nothing while some owner is solid and none is gone, or for an object already being deleted', () => {
    expect(decideForDependent(pod, owners(['a', 'solid'], ['b', 'solid']), false)).toEqual({ action: 'none' });
    expect(decideForDependent(object('p', { owners: [ref('a')], deleting: true }), owners(['a', 'dangling']), false)).toEqual({ action: 'none' });
    expect(decideForDependent(object('p'), [], false)).toEqual({ action: 'none' });
  });

  it('drops references to owners that are gone or waiting when another owner stays', () => {
    expect(decideForDependent(pod, owners(['a', 'solid'], ['b', 'dangling']), false)).toEqual({ action: 'removeOwnerReferences', uids: ['b'] });
    expect(decideForDependent(pod, owners(['a', 'waiting'], ['b', 'solid']), true)).toEqual({ action: 'removeOwnerReferences', uids: ['a'] });
  });

  it('deletes it in the background when every owner is gone', () => {
    expect(decideForDependent(pod, owners(['a', 'dangling'], ['b', 'dangling']), false)).toEqual({ action: 'delete', propagationPolicy: 'Background' });
    expect(decideForDependent(pod, owners(['a', 'waiting']), false)).toEqual({ action: 'delete', propagationPolicy: 'Background' });
  });

  it('deletes it in the foreground when an owner waits for it and it has dependents of its own', () => {
    expect(decideForDependent(pod, owners(['a', 'waiting'], ['b', 'dangling']), true)).toEqual({ action: 'delete', propagationPolicy: 'Foreground' });
  });

  it('honours a propagation finalizer the object already carries', () => {
    const orphaning = object('p', { owners: [ref('a')], finalizers: [ORPHAN_FINALIZER] });
    expect(decideForDependent(orphaning, owners(['a', 'dangling']), true)).toEqual({ action: 'delete', propagationPolicy: 'Orphan' });
    const foreground = object('p', { owners: [ref('a')], finalizers: [FOREGROUND_FINALIZER] });
    expect(decideForDependent(foreground, owners(['a', 'dangling']), false)).toEqual({ action: 'delete', propagationPolicy: 'Foreground' });
  });

  it('never collects an object with an unresolvable owner', () => {
    expect(decideForDependent(pod, owners(['a', 'unresolvable'], ['b', 'dangling']), false)).toEqual({ action: 'none' });
  });
});

describe('decideForOwner', () => {
  const owner = (finalizers: string[], deleting = true) => object('rs-a', { uid: 'a', finalizers, deleting });
  const blocking = object('p1', { owners: [ref('a', { blockOwnerDeletion: true })] });
  const loose = object('p2', { owners: [ref('a')] });
  const stranger = object('p3', { owners: [ref('z', { blockOwnerDeletion: true })] });

  it('does nothing for an owner not being deleted or without a propagation finalizer', () => {
    expect(decideForOwner(owner([FOREGROUND_FINALIZER], false), [blocking])).toEqual({ action: 'none' });
    expect(decideForOwner(owner(['example.com/keep']), [blocking])).toEqual({ action: 'none' });
  });

  it('orphans the dependents that reference it (only those)', () => {
    expect(decideForOwner(owner([ORPHAN_FINALIZER]), [blocking, loose, stranger])).toEqual({ action: 'orphan', dependents: [blocking, loose] });
    expect(decideForOwner(owner([ORPHAN_FINALIZER, FOREGROUND_FINALIZER]), [])).toEqual({ action: 'orphan', dependents: [] });
  });

  it('waits in the foreground while a dependent blocks it, processing those not yet being deleted', () => {
    const terminating = object('p4', { owners: [ref('a', { blockOwnerDeletion: true })], deleting: true });
    expect(decideForOwner(owner([FOREGROUND_FINALIZER]), [blocking, loose, terminating])).toEqual({ action: 'waitForDependents', process: [blocking, loose], blocking: 2 });
  });

  it('drops the foreground finalizer once no dependent blocks (non-blocking ones do not count)', () => {
    expect(decideForOwner(owner([FOREGROUND_FINALIZER]), [loose, stranger])).toEqual({ action: 'removeFinalizer', finalizer: FOREGROUND_FINALIZER });
  });

  it('removes only the references to the given owners, leaving the object unchanged', () => {
    const both = object('p', { owners: [ref('a'), ref('b')] });
    expect(withoutOwnerReferences(both, ['a']).map((r) => r.uid)).toEqual(['b']);
    expect(both.metadata?.ownerReferences).toHaveLength(2);
  });
});

describe('gc keys', () => {
  it('name the kind and the object, and parse back', () => {
    const key = gcKey(kindFor('pods'), { namespace: 'default', name: 'web-1' });
    expect(key).toBe('pods:default/web-1');
    expect(parseGcKey(key)).toEqual({ info: kindFor('pods'), objectKey: 'default/web-1' });
    expect(parseGcKey(gcKey(kindFor('namespaces'), { name: 'team' }))).toEqual({ info: kindFor('namespaces'), objectKey: 'team' });
    expect(parseGcKey('po:default/x')).toBeUndefined();
    expect(parseGcKey('nonsense')).toBeUndefined();
  });
});
