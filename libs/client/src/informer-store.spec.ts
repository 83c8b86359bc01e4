import { Pod } from '@skiff/api';
import { InformerStore } from './informer-store';
import { applyWatchEvent, type ApplierState } from './watch-applier';

const pod = (name: string, rv: number, extra: { node?: string; ns?: string; labels?: Record<string, string> } = {}): Pod =>
  Pod.fromPartial({
    metadata: { name, namespace: extra.ns ?? 'default', resourceVersion: String(rv), labels: extra.labels ?? {} },
    spec: { nodeName: extra.node ?? '' },
  });

const byNode = { node: (p: Readonly<Pod>) => (p.spec?.nodeName ? [p.spec.nodeName] : []) };

describe('InformerStore', () => {
  it('indexes by namespace and by custom index functions, following updates and deletes', () => {
    const store = new InformerStore<Pod>(byNode);
    store.upsert(pod('a', 1, { node: 'n1' }));
    store.upsert(pod('b', 2, { node: 'n1', ns: 'other' }));
    store.upsert(pod('c', 3));
    expect(store.byIndex('node', 'n1').map((p) => p.metadata?.name).sort()).toEqual(['a', 'b']);
    expect(store.byIndex('namespace', 'default').map((p) => p.metadata?.name).sort()).toEqual(['a', 'c']);
    store.upsert(pod('a', 4, { node: 'n2' }));
    expect(store.byIndex('node', 'n1').map((p) => p.metadata?.name)).toEqual(['b']);
    expect(store.byIndex('node', 'n2').map((p) => p.metadata?.name)).toEqual(['a']);
    store.remove('other/b');
    expect(store.byIndex('node', 'n1')).toEqual([]);
    expect(() => store.byIndex('nope', 'x')).toThrow('no index named "nope"');
  });

  it('adds an index later, indexing what is already cached, and refuses a name in use', () => {
    const store = new InformerStore<Pod>();
    store.upsert(pod('a', 1, { node: 'n1' }));
    store.addIndexers(byNode);
    expect(store.byIndex('node', 'n1').map((p) => p.metadata?.name)).toEqual(['a']);
    store.upsert(pod('b', 2, { node: 'n1' }));
    expect(store.byIndex('node', 'n1').map((p) => p.metadata?.name).sort()).toEqual(['a', 'b']);
    expect(() => store.addIndexers(byNode)).toThrow('index node already exists');
  });

  it('reports add, update and delete deltas, and nothing for an unchanged resourceVersion', () => {
    const store = new InformerStore<Pod>();
    expect(store.upsert(pod('a', 1))).toMatchObject({ type: 'add', key: 'default/a' });
    expect(store.upsert(pod('a', 1))).toBeUndefined();
    const update = store.upsert(pod('a', 2));
    expect(update).toMatchObject({ type: 'update', key: 'default/a' });
    expect(update?.type === 'update' && update.old.metadata?.resourceVersion).toBe('1');
    expect(store.remove('default/a')).toMatchObject({ type: 'delete', key: 'default/a' });
    expect(store.remove('default/a')).toBeUndefined();
  });

  it('replace diffs a relist against the cache: synthetic adds, updates and deletes', () => {
    const store = new InformerStore<Pod>();
    store.replace([pod('keep', 1), pod('change', 2), pod('gone', 3)]);
    const deltas = store.replace([pod('keep', 1), pod('change', 5), pod('new', 6)]);
    expect(deltas.map((d) => `${d.type} ${d.key}`).sort()).toEqual(['add default/new', 'delete default/gone', 'update default/change']);
    expect(store.keys().sort()).toEqual(['default/change', 'default/keep', 'default/new']);
  });
});

describe('applyWatchEvent', () => {
  const event = (type: string, p: Pod, revision: number) => ({
    type,
    object: { kind: { $case: 'pod' as const, value: p } },
    revision,
    resource: 'pods',
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
  });

  function setup(lastRevision: number, matches: (p: Readonly<Pod>) => boolean = () => true) {
    const store = new InformerStore<Pod>();
    const state: ApplierState = { lastRevision };
    const ctx = { store, state, unwrap: (e: { object?: { kind?: { value: unknown } } }) => e.object?.kind?.value as Pod, matches };
    return { store, state, apply: (e: ReturnType<typeof event>, prev: number) => applyWatchEvent(ctx, e as never, prev) };
  }

  it('applies newer events in order and skips those already covered by the List', () => {
    const { store, state, apply } = setup(10);
    expect(apply(event('ADDED', pod('old', 9), 9), 0)).toEqual({ kind: 'skipped' });
    expect(apply(event('ADDED', pod('x', 10), 10), 9)).toEqual({ kind: 'skipped' });
    expect(apply(event('ADDED', pod('a', 11), 11), 10)).toMatchObject({ kind: 'applied', delta: { type: 'add' } });
    expect(apply(event('MODIFIED', pod('a', 12), 12), 11)).toMatchObject({ kind: 'applied', delta: { type: 'update' } });
    expect(state.lastRevision).toBe(12);
    expect(apply(event('DELETED', pod('a', 12), 14), 12)).toMatchObject({ kind: 'applied', delta: { type: 'delete', key: 'default/a' } });
    expect(store.size).toBe(0);
    // A delete of an object never seen changes nothing but the revision.
    expect(apply(event('DELETED', pod('zz', 3), 15), 14)).toEqual({ kind: 'applied', delta: undefined });
    expect(state.lastRevision).toBe(15);
  });

  it('detects a missed event through the previous revision and changes nothing', () => {
    const { store, state, apply } = setup(10);
    apply(event('ADDED', pod('a', 11), 11), 8);
    const outcome = apply(event('MODIFIED', pod('a', 14), 14), 13);
    expect(outcome).toEqual({ kind: 'gap', prevRevision: 13, lastRevision: 11 });
    expect(state.lastRevision).toBe(11);
    expect(store.get('default/a')?.metadata?.resourceVersion).toBe('11');
  });

  it('treats an object leaving the selection as a delete, and entering it as an add', () => {
    const { store, apply } = setup(0, (p) => p.metadata?.labels?.app === 'web');
    expect(apply(event('ADDED', pod('a', 1, { labels: { app: 'web' } }), 1), 0)).toMatchObject({ delta: { type: 'add' } });
    expect(apply(event('MODIFIED', pod('a', 2, { labels: { app: 'db' } }), 2), 1)).toMatchObject({ delta: { type: 'delete' } });
    expect(apply(event('ADDED', pod('b', 3, { labels: { app: 'db' } }), 3), 2)).toEqual({ kind: 'applied', delta: undefined });
    expect(apply(event('MODIFIED', pod('b', 4, { labels: { app: 'web' } }), 4), 3)).toMatchObject({ delta: { type: 'add' } });
    expect(store.keys()).toEqual(['default/b']);
  });
});
