import { ConfigMap, kindFor, Pod } from '@skiff/api';
import { checkPreconditions, decideDelete } from './deletion';

const now = new Date('2024-05-01T00:00:00Z');
const pods = kindFor('pods');
const cms = kindFor('configmaps');
const boundPod = (extra: object = {}) => Pod.fromPartial({ metadata: { name: 'p', generation: 1 }, spec: { nodeName: 'n1' }, status: { phase: 'Running' }, ...extra });

describe('decideDelete', () => {
  it('removes plain objects at once', () => {
    expect(decideDelete(cms, ConfigMap.fromPartial({ metadata: { name: 'c' } }), {}, now)).toEqual({ action: 'remove' });
  });

  it('marks objects with finalizers, and adds policy finalizers', () => {
    const fin = decideDelete(cms, ConfigMap.fromPartial({ metadata: { name: 'c', finalizers: ['x'] } }), {}, now);
    expect(fin).toMatchObject({ action: 'mark', object: { metadata: { deletionTimestamp: now, deletionGracePeriodSeconds: 0 } } });
    const fg = decideDelete(cms, ConfigMap.fromPartial({ metadata: { name: 'c' } }), { propagationPolicy: 'Foreground' }, now);
    expect(fg).toMatchObject({ action: 'mark', object: { metadata: { finalizers: ['foregroundDeletion'] } } });
    const orphan = decideDelete(cms, ConfigMap.fromPartial({ metadata: { name: 'c' } }), { propagationPolicy: 'Orphan' }, now);
    expect(orphan).toMatchObject({ action: 'mark', object: { metadata: { finalizers: ['orphan'] } } });
  });

  it('deletes bound pods gracefully with the request, pod or default grace period', () => {
    const at = (s: number) => new Date(now.getTime() + s * 1000);
    expect(decideDelete(pods, boundPod(), {}, now)).toMatchObject({ action: 'mark', object: { metadata: { deletionGracePeriodSeconds: 30, deletionTimestamp: at(30), generation: 2 } } });
    expect(decideDelete(pods, boundPod({ spec: { nodeName: 'n1', terminationGracePeriodSeconds: 5 } }), {}, now)).toMatchObject({ object: { metadata: { deletionGracePeriodSeconds: 5 } } });
    expect(decideDelete(pods, boundPod(), { gracePeriodSeconds: 7 }, now)).toMatchObject({ object: { metadata: { deletionGracePeriodSeconds: 7 } } });
    expect(decideDelete(pods, boundPod(), { gracePeriodSeconds: 0 }, now)).toEqual({ action: 'remove' });
  });

  it('removes unbound and terminal pods at once', () => {
    expect(decideDelete(pods, Pod.fromPartial({ metadata: { name: 'p' } }), {}, now)).toEqual({ action: 'remove' });
    expect(decideDelete(pods, boundPod({ status: { phase: 'Failed' } }), {}, now)).toEqual({ action: 'remove' });
  });

  it('on a marked pod: a shorter grace shortens it, grace 0 removes it, the same grace changes nothing', () => {
    const marked = boundPod({ metadata: { name: 'p', deletionTimestamp: now, deletionGracePeriodSeconds: 30 } });
    expect(decideDelete(pods, marked, {}, now)).toEqual({ action: 'none' });
    expect(decideDelete(pods, marked, { gracePeriodSeconds: 10 }, now)).toMatchObject({ action: 'mark', object: { metadata: { deletionGracePeriodSeconds: 10 } } });
    expect(decideDelete(pods, marked, { gracePeriodSeconds: 0 }, now)).toEqual({ action: 'remove' });
    const withFinalizer = boundPod({ metadata: { name: 'p', deletionTimestamp: now, deletionGracePeriodSeconds: 30, finalizers: ['x'] } });
    expect(decideDelete(pods, withFinalizer, { gracePeriodSeconds: 0 }, now)).toMatchObject({ action: 'mark', object: { metadata: { deletionGracePeriodSeconds: 0 } } });
  });
});

describe('checkPreconditions', () => {
  const stored = ConfigMap.fromPartial({ metadata: { name: 'c', uid: 'u1', resourceVersion: '7' } });
  it('passes when they hold or are absent, throws ConflictError otherwise', () => {
    expect(() => checkPreconditions(stored, undefined, 'c')).not.toThrow();
    expect(() => checkPreconditions(stored, { uid: 'u1', resourceVersion: '7' }, 'c')).not.toThrow();
    expect(() => checkPreconditions(stored, { uid: 'u2' }, 'c')).toThrow(expect.objectContaining({ name: 'ConflictError' }));
    expect(() => checkPreconditions(stored, { resourceVersion: '6' }, 'c')).toThrow(expect.objectContaining({ name: 'ConflictError' }));
  });
});
