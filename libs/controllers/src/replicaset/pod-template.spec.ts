import { ReplicaSet } from '@skiff/api';
import { podFromTemplate, podNamePrefix } from './pod-template';

describe('podFromTemplate', () => {
  const rs = ReplicaSet.fromPartial({
    metadata: { name: 'web', namespace: 'shop', uid: 'rs-uid', labels: { owner: 'label-not-copied' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' }, annotations: { note: 'kept' }, finalizers: ['example.com/keep'] },
        spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '60'] }], restartPolicy: 'Always' },
      },
    },
  });

  it('copies labels, annotations, finalizers and spec; names by generateName; the RS controls it', () => {
    const pod = podFromTemplate(rs);
    expect(pod.metadata).toMatchObject({
      name: '',
      generateName: 'web-',
      namespace: 'shop',
      labels: { app: 'web' },
      annotations: { note: 'kept' },
      finalizers: ['example.com/keep'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(pod.spec?.containers).toEqual([expect.objectContaining({ name: 'main', image: 'busybox', command: ['sleep', '60'] })]);
    pod.spec!.containers[0].command.push('changed');
    pod.metadata!.labels.app = 'changed';
    expect(rs.spec?.template?.spec?.containers[0].command).toEqual(['sleep', '60']);
    expect(rs.spec?.template?.metadata?.labels).toEqual({ app: 'web' });
  });

  it('cuts a long prefix to 58 characters, so that generated names stay within 63', () => {
    expect(podNamePrefix('x'.repeat(80))).toHaveLength(58);
    expect(podNamePrefix('web')).toBe('web-');
  });
});
