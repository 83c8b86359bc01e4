import { GRPC_CODE, type WatchEvent } from '@skiff/api';
import { startEtcd, startNats } from '@skiff/testing';
import { configMap, edit, meta, startTestEnv, type TestEnv } from './apiserver-test-env.spec-helper';

let env: TestEnv;
beforeAll(async () => {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  env = await startTestEnv({ etcd, nats });
}, 30_000);
afterAll(async () => {
  await env?.stop();
}, 30_000);

const summary = (events: WatchEvent[]) => events.map((e) => `${e.type} ${e.name}`);

describe('gRPC Watch (acceptance 5)', () => {
  it('replays the changes since an old resourceVersion, in order', async () => {
    const { resourceVersion: from } = await env.api.list({ resource: 'configmaps', namespace: 'default' });
    const a = await env.api.create(configMap('w-a', { v: '1' }));
    await env.api.create(configMap('w-b'));
    await env.api.update(edit(a, (o) => (o.data = { v: '2' })));
    await env.api.delete({ resource: 'configmaps', namespace: 'default', name: 'w-b' });
    await env.api.create(configMap('other', {}, { namespace: 'skiff-system' }));

    const events = await env.api.watch({ resource: 'configmaps', namespace: 'default', resourceVersion: from }, (evs) => evs.length >= 4);
    expect(summary(events)).toEqual(['ADDED w-a', 'ADDED w-b', 'MODIFIED w-a', 'DELETED w-b']);
    const revisions = events.map((e) => e.revision);
    expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
    expect(revisions[0]).toBeGreaterThan(Number(from));
    for (const e of events) expect(meta(e.object!).resourceVersion).toBe(String(e.revision));
  });

  it('filters by label selector: entering the selection is ADDED, leaving it DELETED', async () => {
    const { resourceVersion: from } = await env.api.list({ resource: 'configmaps' });
    const red = await env.api.create(configMap('sel-0', {}, { labels: { team: 'red' } }));
    const blue = await env.api.create(configMap('sel-1', {}, { labels: { team: 'blue' } }));
    const modified = await env.api.update(edit(blue, (o) => (o.data = { v: '1' })));
    await env.api.update(edit(modified, (o) => (o.metadata.labels = { team: 'red' })));
    await env.api.update(edit(red, (o) => (o.metadata.labels = { team: 'blue' })));
    const events = await env.api.watch({ resource: 'configmaps', labelSelector: 'team=blue', resourceVersion: from }, (evs) => evs.length >= 4);
    expect(summary(events)).toEqual(['ADDED sel-1', 'MODIFIED sel-1', 'DELETED sel-1', 'ADDED sel-0']);
  });

  it('without a resourceVersion, streams only changes made after the watch started', async () => {
    await env.api.create(configMap('before-watch'));
    let n = 0;
    const writer = setInterval(() => void env.api.create(configMap(`after-${n++}`)).catch(() => undefined), 20);
    try {
      const events = await env.api.watch({ resource: 'configmaps', namespace: 'default' }, (evs) => evs.length >= 2);
      expect(events.map((e) => e.name)).not.toContain('before-watch');
      expect(events.every((e) => e.type === 'ADDED' && e.name.startsWith('after-'))).toBe(true);
    } finally {
      clearInterval(writer);
    }
  });

  it('answers OUT_OF_RANGE for a compacted resourceVersion', async () => {
    const { resourceVersion: old } = await env.api.list({ resource: 'configmaps' });
    await env.api.create(configMap('compact-1'));
    await env.api.create(configMap('compact-2'));
    await env.storage.compact(await env.storage.currentRevision());
    await expect(env.api.watch({ resource: 'configmaps', resourceVersion: old }, () => false)).rejects.toMatchObject({ code: GRPC_CODE.OUT_OF_RANGE });
  });
});
