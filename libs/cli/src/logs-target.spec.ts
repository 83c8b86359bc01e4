import { findKind, type KubeObject, type Pod } from '@skiff/api';
import { compareForLogs, podForLogs, podSelectorOf } from './logs-target';

const pod = (name: string, json: Record<string, unknown> = {}, created = '2024-05-01T10:00:00Z'): Pod =>
  findKind('pod')!.codec.fromJSON({ metadata: { name, namespace: 'default', creationTimestamp: created }, ...json }) as Pod;
const ready = (since: string) => ({ conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] });

describe('podSelectorOf (kubectl SelectorsForObject)', () => {
  it('reads the selector of jobs, deployments, replicasets and services', () => {
    const job = findKind('job')!.codec.fromJSON({ metadata: { name: 'pi' }, spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } } } }) as KubeObject;
    expect(podSelectorOf(findKind('job')!, job)).toBe('batch.kubernetes.io/controller-uid=u1');
    const deploy = findKind('deploy')!.codec.fromJSON({ metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] } } }) as KubeObject;
    expect(podSelectorOf(findKind('deploy')!, deploy)).toBe('app=web,tier in (a,b)');
    const svc = findKind('svc')!.codec.fromJSON({ metadata: { name: 'web' }, spec: { selector: { app: 'web', tier: 'fe' } } }) as KubeObject;
    expect(podSelectorOf(findKind('svc')!, svc)).toBe('app=web,tier=fe');
  });

  it('refuses kinds without pods and selectorless objects', () => {
    const cm = findKind('cm')!.codec.fromJSON({ metadata: { name: 'c' } }) as KubeObject;
    expect(() => podSelectorOf(findKind('cm')!, cm)).toThrow('selector for ConfigMap not implemented');
    const svc = findKind('svc')!.codec.fromJSON({ metadata: { name: 'ext' }, spec: {} }) as KubeObject;
    expect(() => podSelectorOf(findKind('svc')!, svc)).toThrow("invalid service 'ext': Service is defined without a selector");
  });
});

describe('podForLogs (kubectl ByLogging)', () => {
  it('prefers scheduled, then running, then ready longer, then more restarts, then older pods', () => {
    const unscheduled = pod('unscheduled', { status: { phase: 'Running' } });
    const pending = pod('pending', { spec: { nodeName: 'n1' }, status: { phase: 'Pending' } });
    const running = pod('running', { spec: { nodeName: 'n1' }, status: { phase: 'Running' } });
    expect(podForLogs([unscheduled, pending, running])?.metadata?.name).toBe('running');
    const readyLate = pod('ready-late', { spec: { nodeName: 'n1' }, status: { phase: 'Running', ...ready('2024-05-01T11:00:00Z') } });
    const readyEarly = pod('ready-early', { spec: { nodeName: 'n1' }, status: { phase: 'Running', ...ready('2024-05-01T10:30:00Z') } });
    expect(podForLogs([running, readyLate, readyEarly])?.metadata?.name).toBe('ready-early');
    const restarted = pod('restarted', { spec: { nodeName: 'n1' }, status: { phase: 'Running', containerStatuses: [{ name: 'c', restartCount: 2 }] } });
    expect(podForLogs([running, restarted])?.metadata?.name).toBe('restarted');
    const older = pod('older', { spec: { nodeName: 'n1' }, status: { phase: 'Running' } }, '2024-05-01T09:00:00Z');
    expect(podForLogs([running, older])?.metadata?.name).toBe('older');
    expect(podForLogs([])).toBeUndefined();
  });

  it('ranks finished pods (Succeeded, Failed) with running ones, as kubectl', () => {
    const succeeded = pod('succeeded', { spec: { nodeName: 'n1' }, status: { phase: 'Succeeded' } }, '2024-05-01T09:00:00Z');
    const pending = pod('pending', { spec: { nodeName: 'n1' }, status: { phase: 'Pending' } }, '2024-05-01T08:00:00Z');
    expect(compareForLogs(succeeded, pending)).toBeLessThan(0);
    expect(podForLogs([pending, succeeded])?.metadata?.name).toBe('succeeded');
  });
});
