import { LeaseManager } from './lease-manager';

describe('LeaseManager', () => {
  let now = 0;
  let granted: number[] = [];
  const manager = () => {
    granted = [];
    return new LeaseManager({ grant: async (ttl) => (granted.push(ttl), `lease-${granted.length}`) }, () => now);
  };

  it('reuses a lease for 5% of the TTL (at most 60 s), granted for TTL + that, so keys live TTL to TTL + 60 s', async () => {
    now = 0;
    const m = manager();
    expect(await m.leaseFor(3600)).toBe('lease-1');
    now = 59_000;
    expect(await m.leaseFor(3600)).toBe('lease-1');
    now = 60_000;
    expect(await m.leaseFor(3600)).toBe('lease-2');
    expect(granted).toEqual([3660, 3660]);
  });

  it('short TTLs get a lease each, different TTLs never share, and 1,000 keys fill a lease', async () => {
    now = 0;
    const m = manager();
    expect(await m.leaseFor(2)).toBe('lease-1');
    expect(await m.leaseFor(2)).toBe('lease-2');
    expect(granted).toEqual([2, 2]);
    expect(await m.leaseFor(600)).toBe('lease-3');
    expect(await m.leaseFor(1200)).toBe('lease-4');
    for (let i = 1; i < 1000; i++) expect(await m.leaseFor(1200)).toBe('lease-4');
    expect(await m.leaseFor(1200)).toBe('lease-5');
  });

  it('a failed grant is asked again; a bad TTL is refused', async () => {
    now = 0;
    let fail = true;
    const m = new LeaseManager({ grant: async () => (fail ? Promise.reject(new Error('etcd down')) : 'ok') }, () => now);
    await expect(m.leaseFor(3600)).rejects.toThrow('etcd down');
    fail = false;
    await expect(m.leaseFor(3600)).resolves.toBe('ok');
    await expect(m.leaseFor(0)).rejects.toThrow(/TTL/);
    await expect(m.leaseFor(1.5)).rejects.toThrow(/TTL/);
  });
});
