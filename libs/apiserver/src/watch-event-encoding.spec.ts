import { fieldValue, findKind, unwrap, WatchEvent, type KubeObject } from '@skiff/api';
import { decodeWatchEvent } from '@skiff/bus';
import type { StorageEvent } from '@skiff/storage';
import { encodeObject } from './object-access';
import { encodeWatchEvent } from './watch-event-encoding';
import { toWatchEvent } from './watch-filter';
import { configMap, inner, obj, pod } from './apiserver-test-env.spec-helper';

function stored(object: ReturnType<typeof obj>): Uint8Array {
  const { info, object: value } = unwrap(object);
  return encodeObject(info, value as never);
}

describe('encodeWatchEvent', () => {
  const web = stored(pod('web', { labels: { app: 'web' }, uid: 'u-1' }));
  const web2 = stored(pod('web', { labels: { app: 'web', v: '2' }, uid: 'u-1' }, { nodeName: 'node-1' }));
  const changes: StorageEvent[] = [
    { type: 'put', key: '/registry/pods/default/web', value: web, revision: 10, created: true },
    { type: 'put', key: '/registry/pods/default/web', value: web2, prevValue: web, revision: 11, created: false },
    { type: 'delete', key: '/registry/pods/default/web', prevValue: web2, revision: 12, created: false },
    { type: 'delete', key: '/registry/pods/default/gone', revision: 13, created: false },
    { type: 'put', key: '/registry/namespaces/prod', value: stored(obj({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } })), revision: 14, created: true },
    { type: 'put', key: '/registry/configmaps/default/c', value: stored(configMap('c', { a: '1' })), prevValue: stored(configMap('c', {})), revision: 15, created: false },
  ];

  it.each(changes.map((c) => [`${c.type} ${c.key} @${c.revision}`, c] as const))('gives the same event as decoding would: %s', (_name, change) => {
    const fast = encodeWatchEvent(change)!;
    expect(decodeWatchEvent(fast.payload)).toEqual(toWatchEvent(change));
    const event = toWatchEvent(change)!;
    const shardField = findKind(event.resource)?.watchShard?.field;
    const shard = shardField ? fieldValue(inner(event.object!) as KubeObject, shardField) : '';
    expect(fast.head).toEqual({ revision: change.revision, resource: event.resource, namespace: event.namespace, name: event.name, shard });
  });

  it("puts a bound pod's node in the head's shard (a binding, and the deletion of a bound pod)", () => {
    expect(changes.map((c) => encodeWatchEvent(c)!.head.shard)).toEqual(['', 'node-1', 'node-1', '', '', '']);
  });

  it('sends the stored bytes without resourceVersion (decodeWatchEvent stamps the revision)', () => {
    const raw = WatchEvent.decode(encodeWatchEvent(changes[0])!.payload);
    expect((inner(raw.object!) as { metadata: { resourceVersion: string } }).metadata.resourceVersion).toBe('');
  });

  it('ignores keys outside the registry layout', () => {
    expect(encodeWatchEvent({ type: 'put', key: '/registry/nothing', value: web, revision: 1, created: true })).toBeUndefined();
  });
});
