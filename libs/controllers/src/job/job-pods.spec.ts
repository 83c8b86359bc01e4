import { JOB_TRACKING_FINALIZER } from '@skiff/api';
import { isPodFailed, podFinishedAt, podForJob, withoutTrackingFinalizer } from './job-pods';
import { failed, job, pod, succeeded, T0 } from './job-fixtures.spec-helper';

describe('job pods', () => {
  it('creates a NonIndexed pod from the template with the finalizer and the Job as controller', () => {
    const p = podForJob(job());
    expect(p.metadata).toMatchObject({
      generateName: 'pi-',
      namespace: 'default',
      finalizers: [JOB_TRACKING_FINALIZER],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(p.metadata?.labels).toEqual({ 'batch.kubernetes.io/controller-uid': 'job-uid' });
    expect(p.spec?.hostname).toBe('');
  });

  it('creates an Indexed pod: name, annotation, label, env from the downward API, hostname', () => {
    const p = podForJob(job({ completionMode: 'Indexed', completions: 5 }), 3);
    expect(p.metadata?.generateName).toBe('pi-3-');
    expect(p.metadata?.annotations['batch.kubernetes.io/job-completion-index']).toBe('3');
    expect(p.metadata?.labels['batch.kubernetes.io/job-completion-index']).toBe('3');
    expect(p.spec?.hostname).toBe('pi-3');
    expect(p.spec?.containers[0].env).toEqual([{ name: 'JOB_COMPLETION_INDEX', value: '', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }]);
  });

  it('counts Failed pods, and deleted pods that did not succeed, as failed', () => {
    expect(isPodFailed(failed('a'), job())).toBe(true);
    expect(isPodFailed(pod('b', { deleting: true }), job())).toBe(true);
    expect(isPodFailed(succeeded('c', { deleting: true }), job())).toBe(false);
    expect(isPodFailed(pod('d'), job())).toBe(false);
  });

  it('with a podFailurePolicy a deleted pod counts once Failed, its grace period over, or when never bound to a node', () => {
    const j = job({ podFailurePolicy: { rules: [] } });
    expect(isPodFailed(pod('b', { deleting: true }), j)).toBe(false);
    expect(isPodFailed(pod('b', { deleting: true, nodeName: '' }), j)).toBe(true);
    const confirmed = pod('c', { deleting: true });
    confirmed.metadata!.deletionGracePeriodSeconds = 0;
    expect(isPodFailed(confirmed, j)).toBe(true);
    confirmed.metadata!.deletionGracePeriodSeconds = 30;
    expect(isPodFailed(confirmed, j)).toBe(false);
  });

  it('finish time: latest container finishedAt, else the deletion, else the creation', () => {
    expect(podFinishedAt(failed('a', { finishedAt: T0 + 5 }))).toBe(T0 + 5);
    expect(podFinishedAt(pod('b', { deleting: true }))).toBe(T0 + 1000);
    expect(podFinishedAt(pod('c', { createdAt: T0 + 7 }))).toBe(T0 + 7);
  });

  it('drops only the tracking finalizer, in a copy', () => {
    const p = pod('a');
    p.metadata!.finalizers.push('other');
    expect(withoutTrackingFinalizer(p).metadata?.finalizers).toEqual(['other']);
    expect(p.metadata?.finalizers).toContain(JOB_TRACKING_FINALIZER);
  });
});
