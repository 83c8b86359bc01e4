import { PersistentVolume, PersistentVolumeClaim, Pod } from '@skiff/api';
import { podUsesClaim, releasedClaim, releasedVolume } from './storage-protection';

const deleting = new Date('2026-12-07T12:00:00Z');
const claim = (deletionTimestamp?: Date) => PersistentVolumeClaim.fromPartial({ metadata: { name: 'data', namespace: 'default', deletionTimestamp, finalizers: ['kubernetes.io/pvc-protection', 'other'] } });
const pod = (phase: string, claimName = 'data', namespace = 'default', nodeName = 'node-1') =>
  Pod.fromPartial({ metadata: { name: 'p', namespace }, spec: { nodeName, volumes: [{ name: 'v', persistentVolumeClaim: { claimName, readOnly: false } }] }, status: { phase } });

describe('pvc protection', () => {
  it('keeps the finalizer while a pod that is not finished uses the claim', () => {
    expect(podUsesClaim(pod('Running'), 'data')).toBe(true);
    expect(podUsesClaim(pod('Pending'), 'data')).toBe(true);
    expect(podUsesClaim(pod('Succeeded'), 'data')).toBe(false);
    expect(releasedClaim(claim(deleting), [pod('Running')])).toBeUndefined();
  });

  it('does not count a pod that is not scheduled (the scheduler and the kubelet refuse a claim being deleted)', () => {
    expect(podUsesClaim(pod('Pending', 'data', 'default', ''), 'data')).toBe(false);
    expect(releasedClaim(claim(deleting), [pod('Pending', 'data', 'default', '')])?.metadata?.finalizers).toEqual(['other']);
  });

  it('removes only its finalizer once no pod of the namespace uses the claim, and only while deleting', () => {
    expect(releasedClaim(claim(deleting), [pod('Failed'), pod('Running', 'other'), pod('Running', 'data', 'elsewhere')])?.metadata?.finalizers).toEqual(['other']);
    expect(releasedClaim(claim(), [])).toBeUndefined();
  });
});

describe('pv protection', () => {
  const pv = (phase: string, deletionTimestamp?: Date) => PersistentVolume.fromPartial({ metadata: { name: 'v', deletionTimestamp, finalizers: ['kubernetes.io/pv-protection'] }, status: { phase } });
  it('removes the finalizer of a volume being deleted unless it is Bound', () => {
    expect(releasedVolume(pv('Bound', deleting))).toBeUndefined();
    expect(releasedVolume(pv('Released', deleting))?.metadata?.finalizers).toEqual([]);
    expect(releasedVolume(pv('Available'))).toBeUndefined();
  });
});
