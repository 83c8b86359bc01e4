import { DaemonSet, findKind, Pod, type KubeObject } from '@skiff/api';
import { describeObject } from './describe';
import { daemonPodsStatus } from './describe-daemonset';

const now = new Date('2024-05-01T12:00:00Z');
const ds = DaemonSet.fromPartial({
  metadata: { name: 'fluentd-elasticsearch', namespace: 'kube-system', uid: 'u1', labels: { 'k8s-app': 'fluentd-logging' }, annotations: { 'deprecated.daemonset.template.generation': '1' } },
  spec: {
    selector: { matchLabels: { name: 'fluentd-elasticsearch' } },
    template: { metadata: { labels: { name: 'fluentd-elasticsearch' } }, spec: { containers: [{ name: 'fluentd-elasticsearch', image: 'quay.io/fluentd_elasticsearch/fluentd:v2.5.2' }] } },
  },
  status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 1, numberAvailable: 1, numberMisscheduled: 0 },
});
const podOf = (phase: string, uid = 'u1') => Pod.fromPartial({ metadata: { ownerReferences: [{ kind: 'DaemonSet', name: 'x', uid, controller: true }] }, status: { phase } });

describe('describe daemonset', () => {
  it('counts the pods it controls by phase (Pending as Waiting)', () => {
    expect(daemonPodsStatus(ds, [podOf('Running'), podOf('Pending'), podOf('Failed'), podOf('Running', 'other')])).toBe('1 Running / 1 Waiting / 0 Succeeded / 1 Failed');
  });

  it("prints kubectl's describeDaemonSet layout", () => {
    const text = describeObject(findKind('ds')!, ds as KubeObject, [], now, [podOf('Running'), podOf('Running')]);
    expect(text.split('\n').slice(0, 13)).toEqual([
      'Name:           fluentd-elasticsearch',
      'Selector:       name=fluentd-elasticsearch',
      'Node-Selector:  <none>',
      'Labels:         k8s-app=fluentd-logging',
      'Annotations:    deprecated.daemonset.template.generation: 1',
      'Desired Number of Nodes Scheduled: 2',
      'Current Number of Nodes Scheduled: 2',
      'Number of Nodes Scheduled with Up-to-date Pods: 1',
      'Number of Nodes Scheduled with Available Pods: 1',
      'Number of Nodes Misscheduled: 0',
      'Pods Status:  2 Running / 0 Waiting / 0 Succeeded / 0 Failed',
      'Pod Template:',
      '  Labels:           name=fluentd-elasticsearch',
    ]);
    expect(text).toContain('    Image:');
    expect(text).toMatch(/Events:\s+<none>/);
  });
});
