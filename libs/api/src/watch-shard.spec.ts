import { KINDS, findKind } from './kinds';
import { fieldValue, parseFieldSelector, selectableFields } from './selectors';
import { readStringAtPath, selectedWatchShard, watchShardOf } from './watch-shard';

describe('watch shards', () => {
  const sharded = KINDS.filter((k) => k.watchShard);

  it('pods are sharded by spec.nodeName', () => {
    expect(sharded.map((k) => `${k.kind}:${k.watchShard?.field}`)).toEqual(['Pod:spec.nodeName']);
  });

  it.each(sharded.map((k) => [k.kind, k] as const))('%s: the path reads the field off the encoded object, whatever else it holds', (_kind, info) => {
    const field = info.watchShard!.field;
    expect(selectableFields(info)).toContain(field);
    const partial: Record<string, unknown> = { metadata: { name: 'p', namespace: 'ns', labels: { a: 'b' } } };
    const [outer, inner] = field.split('.');
    partial[outer] = { [inner]: 'node-7.example' };
    const object = info.codec.fromPartial(partial);
    const bytes = info.codec.encode(object as never).finish();
    expect(watchShardOf(info, bytes)).toBe('node-7.example');
    expect(fieldValue(object as never, field)).toBe('node-7.example');
    expect(watchShardOf(info, info.codec.encode(info.codec.fromPartial({ metadata: { name: 'p' } }) as never).finish())).toBe('');
  });

  it('reads a pod with a full spec and status', () => {
    const pod = findKind('pods')!;
    const bytes = pod.codec.encode(pod.codec.fromPartial({
      metadata: { name: 'web', namespace: 'default', uid: 'u', annotations: { x: 'y'.repeat(300) } },
      spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }], nodeName: 'n1', restartPolicy: 'Always', priority: 5 },
      status: { phase: 'Running', podIP: '10.244.0.3' },
    }) as never).finish();
    expect(watchShardOf(pod, bytes)).toBe('n1');
    expect(readStringAtPath(bytes, [1, 1])).toBe('web');
    expect(readStringAtPath(bytes, [9, 9])).toBe('');
  });

  it('a field selector pins a shard only with spec.nodeName=<value>', () => {
    const pod = findKind('pods')!;
    expect(selectedWatchShard(pod, parseFieldSelector(pod, 'spec.nodeName=n1'))).toBe('n1');
    expect(selectedWatchShard(pod, parseFieldSelector(pod, 'status.phase=Running,spec.nodeName=n1'))).toBe('n1');
    expect(selectedWatchShard(pod, parseFieldSelector(pod, 'spec.nodeName='))).toBe('');
    expect(selectedWatchShard(pod, parseFieldSelector(pod, 'spec.nodeName!=n1'))).toBeUndefined();
    expect(selectedWatchShard(pod, parseFieldSelector(pod, 'status.phase=Running'))).toBeUndefined();
    expect(selectedWatchShard(pod, undefined)).toBeUndefined();
    const cm = findKind('configmaps')!;
    expect(selectedWatchShard(cm, parseFieldSelector(cm, 'metadata.name=x'))).toBeUndefined();
  });
});
