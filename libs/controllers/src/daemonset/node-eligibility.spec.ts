import { daemonSetOf, nodeOf } from './daemonset-fixtures.spec-helper';
import { nodeShouldRunDaemonPod } from './node-eligibility';

const req = (key: string, operator: string, ...values: string[]) => ({ key, operator, values });
const YES = { shouldRun: true, shouldContinueRunning: true };
const NO = { shouldRun: false, shouldContinueRunning: false };

describe('nodeShouldRunDaemonPod', () => {
  it('runs on any node without a selector or taints', () => {
    expect(nodeShouldRunDaemonPod(daemonSetOf(), nodeOf('n1'))).toEqual(YES);
  });

  it('follows spec.nodeSelector', () => {
    const ds = daemonSetOf({ spec: { nodeSelector: { disk: 'ssd' } } });
    expect(nodeShouldRunDaemonPod(ds, nodeOf('n1', { disk: 'ssd' }))).toEqual(YES);
    expect(nodeShouldRunDaemonPod(ds, nodeOf('n2', { disk: 'hdd' }))).toEqual(NO);
    expect(nodeShouldRunDaemonPod(ds, nodeOf('n3'))).toEqual(NO);
  });

  it('follows required node affinity (terms ORed), and a template nodeName', () => {
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [req('zone', 'In', 'a')], matchFields: [] }, { matchExpressions: [], matchFields: [req('metadata.name', 'In', 'n9')] }] } } };
    const ds = daemonSetOf({ spec: { affinity } });
    expect(nodeShouldRunDaemonPod(ds, nodeOf('n1', { zone: 'a' }))).toEqual(YES);
    expect(nodeShouldRunDaemonPod(ds, nodeOf('n9', { zone: 'b' }))).toEqual(YES);
    expect(nodeShouldRunDaemonPod(ds, nodeOf('n2', { zone: 'b' }))).toEqual(NO);
    const pinned = daemonSetOf({ spec: { nodeName: 'n1' } });
    expect(nodeShouldRunDaemonPod(pinned, nodeOf('n1'))).toEqual(YES);
    expect(nodeShouldRunDaemonPod(pinned, nodeOf('n2'))).toEqual(NO);
  });

  it('does not start on an untolerated NoSchedule taint but lets a running pod stay; NoExecute removes it', () => {
    const ds = daemonSetOf();
    expect(nodeShouldRunDaemonPod(ds, nodeOf('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]))).toEqual({ shouldRun: false, shouldContinueRunning: true });
    expect(nodeShouldRunDaemonPod(ds, nodeOf('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]))).toEqual(NO);
    expect(nodeShouldRunDaemonPod(ds, nodeOf('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'PreferNoSchedule' }]))).toEqual(YES);
  });

  it("honours the template's tolerations and the daemon tolerations (not-ready, unreachable, pressure, unschedulable)", () => {
    const ds = daemonSetOf({ spec: { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] } });
    expect(nodeShouldRunDaemonPod(ds, nodeOf('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]))).toEqual(YES);
    for (const [key, effect] of [
      ['node.kubernetes.io/not-ready', 'NoExecute'],
      ['node.kubernetes.io/unreachable', 'NoExecute'],
      ['node.kubernetes.io/memory-pressure', 'NoSchedule'],
      ['node.kubernetes.io/disk-pressure', 'NoSchedule'],
      ['node.kubernetes.io/pid-pressure', 'NoSchedule'],
      ['node.kubernetes.io/unschedulable', 'NoSchedule'],
    ]) {
      expect(nodeShouldRunDaemonPod(daemonSetOf(), nodeOf('n1', {}, [{ key, effect }]))).toEqual(YES);
    }
    expect(nodeShouldRunDaemonPod(daemonSetOf(), nodeOf('n1', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]))).toEqual({ shouldRun: false, shouldContinueRunning: true });
  });
});
