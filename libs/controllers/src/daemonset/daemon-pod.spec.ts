import { Pod } from '@skiff/api';
import { CONTROLLER_REVISION_HASH_LABEL, DAEMON_POD_TOLERATIONS, newDaemonPod, POD_TEMPLATE_GENERATION_LABEL, targetNodeName, withDaemonTolerations, withNodeNameAffinity } from './daemon-pod';
import { daemonSetOf } from './daemonset-fixtures.spec-helper';

const req = (key: string, operator: string, ...values: string[]) => ({ key, operator, values });

describe('daemon pod tolerations', () => {
  it('adds the six tolerations Kubernetes gives daemon pods, NoExecute ones without tolerationSeconds', () => {
    const out = withDaemonTolerations([]);
    expect(out.map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    expect(out.every((t) => t.operator === 'Exists' && t.tolerationSeconds === undefined)).toBe(true);
  });

  it("keeps the user's tolerations and replaces one with the same key, operator and effect", () => {
    const mine = { key: 'dedicated', operator: 'Equal', value: 'logs', effect: 'NoSchedule' };
    const limited = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', value: '', effect: 'NoExecute', tolerationSeconds: 300 };
    const out = withDaemonTolerations([mine, limited]);
    expect(out).toContainEqual(mine);
    expect(out.filter((t) => t.key === 'node.kubernetes.io/not-ready')).toEqual([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', value: '', effect: 'NoExecute' }]);
    expect(out).toHaveLength(1 + DAEMON_POD_TOLERATIONS.length);
  });
});

describe('withNodeNameAffinity', () => {
  it('gives a pod without affinity one required term matchFields metadata.name In [node]', () => {
    expect(withNodeNameAffinity(undefined, 'n1').nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([{ matchExpressions: [], matchFields: [req('metadata.name', 'In', 'n1')] }]);
  });

  it("replaces a node-name field requirement and keeps the user's other requirements and preferences", () => {
    const preferred = [{ weight: 5, preference: { matchExpressions: [req('disk', 'In', 'ssd')], matchFields: [] } }];
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [req('zone', 'In', 'a')], matchFields: [req('metadata.name', 'In', 'old')] },
            { matchExpressions: [req('zone', 'In', 'b')], matchFields: [] },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: preferred,
      },
    };
    const out = withNodeNameAffinity(affinity, 'n2');
    expect(out.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
      { matchExpressions: [req('zone', 'In', 'a')], matchFields: [req('metadata.name', 'In', 'n2')] },
      { matchExpressions: [req('zone', 'In', 'b')], matchFields: [req('metadata.name', 'In', 'n2')] },
    ]);
    expect(out.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toEqual(preferred);
    expect(affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values).toEqual(['old']);
  });
});

describe('newDaemonPod / targetNodeName', () => {
  it('makes an unbound pod aimed at the node, labelled with the hash and generation, owned by the DaemonSet', () => {
    const ds = daemonSetOf({ generation: 3 });
    const pod = newDaemonPod(ds, 'n1', 'abc');
    expect(pod.spec?.nodeName).toBe('');
    expect(pod.metadata?.generateName).toBe('agent-');
    expect(pod.metadata?.labels).toEqual({ app: 'agent', [CONTROLLER_REVISION_HASH_LABEL]: 'abc', [POD_TEMPLATE_GENERATION_LABEL]: '3' });
    expect(pod.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'uid-agent', controller: true, blockOwnerDeletion: true }]);
    expect(pod.spec?.tolerations).toHaveLength(DAEMON_POD_TOLERATIONS.length);
    expect(targetNodeName(pod)).toBe('n1');
    expect(ds.spec?.template?.spec?.tolerations).toEqual([]);
  });

  it('reads the bound node first, and nothing from a pod with no node-name affinity', () => {
    const pod = newDaemonPod(daemonSetOf(), 'n1', 'h');
    pod.spec!.nodeName = 'n9';
    expect(targetNodeName(pod)).toBe('n9');
    expect(targetNodeName(Pod.fromPartial({ spec: {} }))).toBeUndefined();
  });
});
