import { AlreadyExistsError, CompactedError, ConflictError, NotFoundError, UnavailableError } from '@skiff/api';
import { startEtcd, type EtcdServer } from '@skiff/testing';
import { EtcdStorage } from './etcd-storage';
import { SideKeyExistsError, type StorageEvent } from './storage';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b?: Uint8Array) => (b ? new TextDecoder().decode(b) : undefined);

describe('EtcdStorage (real etcd)', () => {
  let etcd: EtcdServer;
  let storage: EtcdStorage;

  beforeAll(async () => {
    etcd = await startEtcd();
    storage = new EtcdStorage({ endpoints: [etcd.endpoint] });
  }, 30_000);
  afterAll(async () => {
    await storage.close();
    await etcd.stop();
  });

  it('creates once, updates by compare-and-swap, deletes', async () => {
    const rev1 = await storage.create('/registry/pods/default/a', bytes('one'));
    await expect(storage.create('/registry/pods/default/a', bytes('again'))).rejects.toBeInstanceOf(AlreadyExistsError);
    const rev2 = await storage.update('/registry/pods/default/a', bytes('two'), rev1);
    expect(rev2).toBeGreaterThan(rev1);
    await expect(storage.update('/registry/pods/default/a', bytes('stale'), rev1)).rejects.toBeInstanceOf(ConflictError);
    expect(text((await storage.get('/registry/pods/default/a'))?.value)).toBe('two');
    await expect(storage.delete('/registry/pods/default/a', rev1)).rejects.toBeInstanceOf(ConflictError);
    const deleted = await storage.delete('/registry/pods/default/a', rev2);
    expect(text(deleted.value)).toBe('two');
    await expect(storage.delete('/registry/pods/default/a')).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.update('/registry/pods/default/a', bytes('x'), rev2)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('creates only while a guard key is unchanged', async () => {
    const guardRev = await storage.create('/registry/namespaces/g', bytes('ns'));
    await storage.create('/registry/pods/g/a', bytes('a'), { key: '/registry/namespaces/g', revision: guardRev });
    const moved = await storage.update('/registry/namespaces/g', bytes('ns2'), guardRev);
    await expect(storage.create('/registry/pods/g/b', bytes('b'), { key: '/registry/namespaces/g', revision: guardRev })).rejects.toBeInstanceOf(ConflictError);
    await expect(storage.create('/registry/pods/g/a', bytes('a'), { key: '/registry/namespaces/g', revision: moved })).rejects.toBeInstanceOf(AlreadyExistsError);
    await storage.delete('/registry/namespaces/g');
    await expect(storage.create('/registry/pods/g/c', bytes('c'), { key: '/registry/namespaces/g', revision: moved })).rejects.toBeInstanceOf(ConflictError);
    expect(await storage.get('/registry/pods/g/b')).toBeUndefined();
  });

  it('commits side writes in the same transaction, or nothing when a side key exists', async () => {
    const side = (key: string) => ({ create: [{ key, value: bytes('owner') }] });
    const rev = await storage.create('/registry/services/default/s1', bytes('s1'), undefined, side('/alloc/ip/1'));
    expect(text((await storage.get('/alloc/ip/1'))?.value)).toBe('owner');
    const taken = storage.create('/registry/services/default/s2', bytes('s2'), undefined, side('/alloc/ip/1'));
    await expect(taken).rejects.toBeInstanceOf(SideKeyExistsError);
    await expect(taken).rejects.toMatchObject({ key: '/alloc/ip/1' });
    expect(await storage.get('/registry/services/default/s2')).toBeUndefined();
    // The object's own key existing is still plain AlreadyExistsError.
    const again = storage.create('/registry/services/default/s1', bytes('s1'), undefined, side('/alloc/ip/9'));
    await expect(again).rejects.not.toBeInstanceOf(SideKeyExistsError);
    await expect(again).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(await storage.get('/alloc/ip/9')).toBeUndefined();

    // update: a taken side key fails the whole write; a stale revision stays ConflictError
    await expect(storage.update('/registry/services/default/s1', bytes('x'), rev, { create: [{ key: '/alloc/ip/1', value: bytes('x') }] })).rejects.toBeInstanceOf(SideKeyExistsError);
    await expect(storage.update('/registry/services/default/s1', bytes('x'), rev - 1, { create: [{ key: '/alloc/ip/1', value: bytes('x') }] })).rejects.toBeInstanceOf(ConflictError);
    expect(text((await storage.get('/registry/services/default/s1'))?.value)).toBe('s1');
    const rev2 = await storage.update('/registry/services/default/s1', bytes('s1b'), rev, { create: [{ key: '/alloc/port/2', value: bytes('o') }], delete: ['/alloc/ip/1'] });
    expect(await storage.get('/alloc/ip/1')).toBeUndefined();
    expect(await storage.get('/alloc/port/2')).toBeDefined();

    // delete releases side keys with the object
    await storage.delete('/registry/services/default/s1', rev2, { delete: ['/alloc/port/2'] });
    expect(await storage.get('/alloc/port/2')).toBeUndefined();
  });

  it('lists a prefix at one revision', async () => {
    await storage.create('/registry/things/ns/x', bytes('x'));
    await storage.create('/registry/things/ns/y', bytes('y'));
    await storage.create('/registry/thingsmore/ns/z', bytes('z'));
    const list = await storage.list('/registry/things/');
    expect(list.items.map((kv) => kv.key)).toEqual(['/registry/things/ns/x', '/registry/things/ns/y']);
    expect(list.revision).toBe(await storage.currentRevision());
  });

  it('lists a prefix larger than one page (and than a gRPC message) at one revision', async () => {
    const value = bytes('v'.repeat(2_000));
    const keys = Array.from({ length: 2_500 }, (_, i) => `/registry/many/ns/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 250) await Promise.all(keys.slice(i, i + 250).map((k) => storage.create(k, value)));
    const list = await storage.list('/registry/many/');
    expect(list.items.map((kv) => kv.key)).toEqual(keys);
    expect(list.revision).toBe(await storage.currentRevision());
  }, 30_000);

  it('watches changes after a revision, in order, with the last state of deletes', async () => {
    const from = await storage.currentRevision();
    const r1 = await storage.create('/registry/w/ns/a', bytes('1'));
    const r2 = await storage.update('/registry/w/ns/a', bytes('2'), r1);
    await storage.delete('/registry/w/ns/a', r2);
    const abort = new AbortController();
    const seen: StorageEvent[] = [];
    for await (const batch of storage.watch('/registry/w/', from, abort.signal)) {
      seen.push(...batch);
      if (seen.length >= 3) abort.abort();
    }
    expect(seen.map((e) => [e.type, text(e.value), text(e.prevValue), e.created])).toEqual([
      ['put', '1', undefined, true],
      ['put', '2', '1', false],
      ['delete', undefined, '2', false],
    ]);
    expect(seen.map((e) => e.revision)).toEqual([r1, r2, r2 + 1]);
  });

  it('keys written with a TTL are deleted by etcd after it (an update renews it), and watches see the deletion with the last state', async () => {
    const from = await storage.currentRevision();
    const r1 = await storage.create('/registry/ttl/ns/a', bytes('1'), undefined, undefined, 2);
    await storage.create('/registry/ttl/ns/keep', bytes('k'));
    const started = Date.now();
    await storage.update('/registry/ttl/ns/a', bytes('2'), r1, undefined, 3);
    const abort = new AbortController();
    const seen: StorageEvent[] = [];
    const timer = setTimeout(() => abort.abort(), 15_000);
    for await (const batch of storage.watch('/registry/ttl/', from, abort.signal)) {
      seen.push(...batch);
      if (seen.some((e) => e.type === 'delete')) abort.abort();
    }
    clearTimeout(timer);
    const elapsed = Date.now() - started;
    expect(seen.map((e) => [e.type, e.key, text(e.prevValue)]).at(-1)).toEqual(['delete', '/registry/ttl/ns/a', '2']);
    // The renewed TTL (3 s) counts, not the first (2 s); etcd expires leases within about a second.
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(await storage.get('/registry/ttl/ns/a')).toBeUndefined();
    expect(text((await storage.get('/registry/ttl/ns/keep'))?.value)).toBe('k');
  }, 30_000);

  it('refuses to watch from a compacted revision', async () => {
    const old = await storage.currentRevision();
    await storage.create('/registry/c/ns/a', bytes('1'));
    const r = await storage.create('/registry/c/ns/b', bytes('2'));
    await storage.compact(r);
    const iterate = async () => {
      for await (const _ of storage.watch('/registry/c/', old - 1, new AbortController().signal)) break;
    };
    await expect(iterate()).rejects.toBeInstanceOf(CompactedError);
  });

  it('ends a watch whose connection breaks with UnavailableError, after the events it delivered', async () => {
    const from = await storage.currentRevision();
    const r1 = await storage.create('/registry/d/ns/a', bytes('1'));
    const seen: number[] = [];
    const iterate = async () => {
      for await (const batch of storage.watch('/registry/d/', from, new AbortController().signal)) {
        seen.push(...batch.map((e) => e.revision));
        if (seen.includes(r1)) await etcd.process.kill(); // the store goes away mid-watch
      }
    };
    await expect(iterate()).rejects.toBeInstanceOf(UnavailableError);
    expect(seen).toEqual([r1]);
    await etcd.restart();
  }, 30_000);

  it('reports etcd being down as UnavailableError', async () => {
    const impatient = new EtcdStorage({ endpoints: [etcd.endpoint], timeoutMs: 1_000 });
    await etcd.process.kill();
    try {
      await expect(impatient.get('/registry/pods/default/a')).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      await impatient.close();
      await etcd.restart();
    }
  }, 30_000);
});
