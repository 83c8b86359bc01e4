/**
 * An informer of one object (InformerOptions.name) against real etcd, NATS and the built
 * apiserver: its NATS consumer filters on that object's subject alone, it follows every change of
 * the object while other objects of the kind change in between (no relist per change: the
 * per-resource previous-revision check is off), and it sees deletion and re-creation.
 */
import { ConfigMap } from '@skiff/api';
import { objectFilter, WATCH_STREAM } from '@skiff/bus';
import { waitFor } from '@skiff/testing';
import { Informer } from './informer';
import { useInformerSpecEnv } from './informer-spec-env.spec-helper';
import { typed } from './typed-client';

const ctx = useInformerSpecEnv('informer-object-spec');

describe('Informer of one object (name)', () => {
  it('follows its object through interleaved writes to others, without relisting, on a consumer of its subject only', async () => {
    const configMaps = typed(ctx.client, 'configMap');
    let target = await configMaps.create(ConfigMap.fromPartial({ metadata: { namespace: 'default', name: 'target' }, data: { k: 'v0' } }));
    let other = await configMaps.create(ConfigMap.fromPartial({ metadata: { namespace: 'default', name: 'other' }, data: { k: 'o0' } }));

    const informer = new Informer({ client: ctx.client, bus: ctx.bus, resource: 'configMap', namespace: 'default', name: 'target', heartbeatMs: 500 });
    const seen: string[] = [];
    informer.addHandler({
      onAdd: (cm) => seen.push(`add ${cm.data.k}`),
      onUpdate: (_old, cm) => seen.push(`update ${cm.data.k}`),
      onDelete: (cm) => seen.push(`delete ${cm.data.k}`),
    });
    const done = informer.start(ctx.stop.signal);
    await informer.synced();
    expect(informer.keys()).toEqual(['default/target']);

    const filters: string[] = [];
    for await (const info of await ctx.bus.manager.consumers.list(WATCH_STREAM)) filters.push(info.config.filter_subject ?? '');
    expect(filters).toContain(objectFilter('configmaps', 'default', 'target'));
    expect(filters).not.toContain('skiff.watch.configmaps.>');

    for (let i = 1; i <= 20; i++) {
      other = await configMaps.update(ConfigMap.fromPartial({ ...other, data: { k: `o${i}` } }));
      target = await configMaps.update(ConfigMap.fromPartial({ ...target, data: { k: `v${i}` } }));
    }
    await waitFor('the last update of target', () => informer.get('default/target')?.data.k === 'v20');
    expect(informer.get('default/target')?.metadata?.resourceVersion).toBe(target.metadata?.resourceVersion);
    expect(informer.size).toBe(1);
    expect(informer.listCount).toBe(1);

    await configMaps.delete('default', 'target');
    await waitFor('target deleted', () => informer.size === 0);
    await configMaps.create(ConfigMap.fromPartial({ metadata: { namespace: 'default', name: 'target' }, data: { k: 'again' } }));
    await waitFor('target re-created', () => informer.get('default/target')?.data.k === 'again');
    expect(seen).toEqual(['add v0', ...Array.from({ length: 20 }, (_, i) => `update v${i + 1}`), 'delete v20', 'add again']);
    expect(informer.listCount).toBe(1);

    ctx.stop.abort();
    await done;
  }, 60_000);
});
