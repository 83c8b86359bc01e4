import { Pod, type BindRequest } from '@skiff/api';
import { bindPod, validateBinding } from './bind';

const now = new Date('2024-05-01T00:00:00Z');
const pod = (extra: object = {}) => Pod.fromPartial({ metadata: { name: 'p', namespace: 'default', uid: 'u1', resourceVersion: '5' }, spec: {}, ...extra });
const req = (r: Partial<BindRequest>): BindRequest => ({ namespace: 'default', name: 'p', nodeName: 'n1', uid: '', resourceVersion: '', ...r });

describe('bindPod', () => {
  it('sets nodeName and PodScheduled=True', () => {
    const next = bindPod(pod(), req({ uid: 'u1', resourceVersion: '5' }), now) as Pod;
    expect(next.spec!.nodeName).toBe('n1');
    expect(next.status!.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True', lastTransitionTime: now })]);
  });

  it('leaves the stored object as it was (pure) and replaces an earlier PodScheduled condition', () => {
    const stored = pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } });
    const before = structuredClone(stored);
    const next = bindPod(stored, req({}), now) as Pod;
    next.metadata!.resourceVersion = '6';
    expect(stored).toEqual(before);
    expect(next.status!.phase).toBe('Pending');
    expect(next.status!.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
  });

  it('is a no-op for the same node and a conflict for another or a deleting pod', () => {
    expect(bindPod(pod({ spec: { nodeName: 'n1' } }), req({}), now)).toBeUndefined();
    expect(() => bindPod(pod({ spec: { nodeName: 'n2' } }), req({}), now)).toThrow(/already assigned/);
    expect(() => bindPod(pod({ metadata: { name: 'p', deletionTimestamp: now } }), req({}), now)).toThrow(/being deleted/);
  });

  it('checks uid and resourceVersion, and requires a node', () => {
    expect(() => bindPod(pod(), req({ uid: 'u2' }), now)).toThrow(expect.objectContaining({ name: 'ConflictError' }));
    expect(() => bindPod(pod(), req({ resourceVersion: '4' }), now)).toThrow(expect.objectContaining({ name: 'ConflictError' }));
    expect(() => bindPod(pod(), req({ nodeName: '' }), now)).toThrow(expect.objectContaining({ name: 'InvalidError' }));
  });
});

describe('validateBinding', () => {
  it('wants a valid node name', () => {
    expect(() => validateBinding(req({ nodeName: 'node-1.example.com' }))).not.toThrow();
    expect(() => validateBinding(req({ nodeName: 'Node_1' }))).toThrow(expect.objectContaining({ name: 'InvalidError', message: expect.stringContaining('nodeName') }));
  });
});
