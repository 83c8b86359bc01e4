/** Test helper: Jobs and their pods as plain data for the Job controller's pure specs. */
import { JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER, Job, Pod, type JobSpec, type JobStatus } from '@skiff/api';

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

export function job(spec: Partial<JobSpec> = {}, status: Partial<JobStatus> = {}, name = 'pi'): Job {
  return Job.fromPartial({
    metadata: { name, namespace: 'default', uid: 'job-uid' },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'job-uid' } },
      template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'job-uid' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
      ...spec,
    },
    status: { startTime: new Date(T0), ...status },
  });
}

export interface PodOptions {
  phase?: string;
  ready?: boolean;
  index?: number;
  finalizer?: boolean;
  deleting?: boolean;
  nodeName?: string;
  exitCode?: number;
  finishedAt?: number;
  createdAt?: number;
  restarts?: number;
  conditions?: { type: string; status: string }[];
}

let seq = 0;
export function pod(uid: string, o: PodOptions = {}): Pod {
  seq++;
  const annotations: Record<string, string> = o.index === undefined ? {} : { [JOB_COMPLETION_INDEX]: String(o.index) };
  return Pod.fromPartial({
    metadata: {
      name: `pi-${uid}`,
      namespace: 'default',
      uid,
      annotations,
      finalizers: o.finalizer === false ? [] : [JOB_TRACKING_FINALIZER],
      creationTimestamp: new Date(o.createdAt ?? T0 + seq),
      deletionTimestamp: o.deleting ? new Date(T0 + 1000) : undefined,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true, blockOwnerDeletion: true }],
    },
    spec: { nodeName: o.nodeName ?? 'n1', containers: [{ name: 'main', image: 'busybox' }] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [...(o.ready ? [{ type: 'Ready', status: 'True' }] : []), ...(o.conditions ?? [])],
      containerStatuses: [
        {
          name: 'main',
          restartCount: o.restarts ?? 0,
          state: o.exitCode === undefined ? { running: {} } : { terminated: { exitCode: o.exitCode, finishedAt: new Date(o.finishedAt ?? T0), reason: '', message: '', signal: 0, containerID: '' } },
        },
      ],
    },
  });
}

export const succeeded = (uid: string, o: PodOptions = {}) => pod(uid, { phase: 'Succeeded', exitCode: 0, ...o });
export const failed = (uid: string, o: PodOptions = {}) => pod(uid, { phase: 'Failed', exitCode: 1, ...o });
