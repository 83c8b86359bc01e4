import { ConfigMap, kindFor, parseFieldSelector, parseLabelSelector } from '@skiff/api';
import type { StorageEvent } from '@skiff/storage';
import { encodeObject } from './object-access';
import { toWatchEvent } from './watch-filter';

const cms = kindFor('configmaps');
const bytes = (labels: Record<string, string>) => encodeObject(cms, ConfigMap.fromPartial({ metadata: { name: 'c', namespace: 'default', labels } }));
const change = (type: 'put' | 'delete', value?: Uint8Array, prevValue?: Uint8Array, created = false): StorageEvent => ({ type, key: '/registry/configmaps/default/c', value, prevValue, revision: 42, created });

describe('toWatchEvent', () => {
  const blue = { label: parseLabelSelector('team=blue') };

  it('maps puts and deletes to ADDED / MODIFIED / DELETED with resourceVersion = revision', () => {
    const added = toWatchEvent(change('put', bytes({}), undefined, true))!;
    expect(added).toMatchObject({ type: 'ADDED', revision: 42, resource: 'configmaps', namespace: 'default', name: 'c' });
    expect((added.object!.kind!.value as ConfigMap).metadata!.resourceVersion).toBe('42');
    expect(toWatchEvent(change('put', bytes({}), bytes({})))!.type).toBe('MODIFIED');
    const deleted = toWatchEvent(change('delete', undefined, bytes({ a: 'b' })))!;
    expect(deleted.type).toBe('DELETED');
    expect((deleted.object!.kind!.value as ConfigMap).metadata!.labels).toEqual({ a: 'b' });
  });

  it('turns entering and leaving a selection into ADDED and DELETED', () => {
    expect(toWatchEvent(change('put', bytes({ team: 'blue' }), bytes({ team: 'red' })), blue)!.type).toBe('ADDED');
    const left = toWatchEvent(change('put', bytes({ team: 'red' }), bytes({ team: 'blue' })), blue)!;
    expect(left.type).toBe('DELETED');
    expect((left.object!.kind!.value as ConfigMap).metadata!.labels).toEqual({ team: 'blue' });
    expect(toWatchEvent(change('put', bytes({ team: 'red' }), bytes({ team: 'red' })), blue)).toBeUndefined();
    expect(toWatchEvent(change('delete', undefined, bytes({ team: 'red' })), blue)).toBeUndefined();
  });

  it('filters by namespace and field selector, ignores foreign keys', () => {
    expect(toWatchEvent(change('put', bytes({}), undefined, true), { namespace: 'other' })).toBeUndefined();
    expect(toWatchEvent(change('put', bytes({}), undefined, true), { field: parseFieldSelector(cms, 'metadata.name=d') })).toBeUndefined();
    expect(toWatchEvent({ ...change('put', bytes({})), key: '/registry/widgets/default/c' })).toBeUndefined();
    expect(toWatchEvent({ ...change('put', bytes({})), key: '/elsewhere' })).toBeUndefined();
  });
});
