/**
 * An informer whose field selector pins the kind's watch shard (a kubelet's
 * `spec.nodeName=<node>`) against real etcd, NATS and the built apiserver: its NATS consumer
 * filters on that shard's subjects, so other nodes' pod events never reach it, yet it sees its
 * pods created, bound to its node, changed and deleted, without relisting.
 */
import { Pod, PodStatus } from '@skiff/api';
import { shardFilter, WATCH_STREAM } from '@skiff/bus';
import { waitFor } from '@skiff/testing';
import { Informer } from './informer';
import { useInformerSpecEnv } from './informer-spec-env.spec-helper';
import { typed } from './typed-client';

const ctx = useInformerSpecEnv('informer-shard-spec');

const NS = 'default';
const pod = (name: string, nodeName = '') => Pod.fromPartial({ metadata: { namespace: NS, name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } });

async function consumerFor(filter: string) {
  for await (const info of await ctx.bus.manager.consumers.list(WATCH_STREAM)) if (info.config.filter_subject === filter) return info;
  return undefined;
}

describe('Informer of one watch shard (spec.nodeName=<node>)', () => {
  it("receives its node's pod events only, including a binding to its node, and never relists", async () => {
    const pods = typed(ctx.client, 'pod');
    await pods.create(pod('a-listed', 'node-a'));
    await pods.create(pod('b-listed', 'node-b'));

    const informer = new Informer({ client: ctx.client, bus: ctx.bus, resource: 'pod', fieldSelector: 'spec.nodeName=node-a', heartbeatMs: 500 });
    const seen: string[] = [];
    informer.addHandler({
      onAdd: (p) => seen.push(`add ${p.metadata?.name}`),
      onUpdate: (_old, p) => seen.push(`update ${p.metadata?.name} ${p.status?.phase ?? ''}`.trim()),
      onDelete: (p) => seen.push(`delete ${p.metadata?.name}`),
    });
    const done = informer.start(ctx.stop.signal);
    await informer.synced();
    expect(informer.keys()).toEqual(['default/a-listed']);
    expect(await consumerFor(shardFilter('pods', 'node-a'))).toBeDefined();
    expect(await consumerFor('skiff.watch.pods.>')).toBeUndefined();

    // Between node-a's events, many on node-b and on unscheduled pods.
    let other = await pods.create(pod('b-busy', 'node-b'));
    await pods.create(pod('pending'));
    for (let i = 0; i < 10; i++) other = await pods.updateStatus(Pod.fromPartial({ ...other, status: PodStatus.fromPartial({ phase: i % 2 ? 'Running' : 'Pending' }) }));
    const created = await pods.create(pod('a-new', 'node-a'));
    await ctx.client.bind({ namespace: NS, name: 'pending', nodeName: 'node-a', uid: '', resourceVersion: '' });
    await pods.updateStatus(Pod.fromPartial({ ...created, status: PodStatus.fromPartial({ phase: 'Running' }) }));
    for (let i = 0; i < 10; i++) other = await pods.updateStatus(Pod.fromPartial({ ...other, status: PodStatus.fromPartial({ phase: i % 2 ? 'Running' : 'Pending' }) }));
    await pods.delete(NS, 'a-listed', { gracePeriodSeconds: 0 });
    await pods.delete(NS, 'b-listed', { gracePeriodSeconds: 0 });

    await waitFor('a-listed deleted', () => !informer.get('default/a-listed'));
    expect(informer.keys()).toEqual(['default/a-new', 'default/pending']);
    expect(seen).toEqual(['add a-listed', 'add a-new', 'add pending', 'update a-new Running', 'delete a-listed']);
    expect(informer.listCount).toBe(1);
    // NATS sent this consumer node-a's 4 events and nothing else.
    const consumer = await consumerFor(shardFilter('pods', 'node-a'));
    expect(consumer?.delivered.consumer_seq).toBe(4);

    ctx.stop.abort();
    await done;
  }, 60_000);
});
