import { BackendPicker } from './backend-picker';

const a = { host: '10.0.0.1', port: 80 };
const b = { host: '10.0.0.2', port: 80 };
const c = { host: '10.0.0.3', port: 80 };
const first = (p: BackendPicker, client = '1.1.1.1', now = 0) => p.attemptOrder(client, now, 3)[0];

describe('BackendPicker', () => {
  it('goes round robin and offers the next backends as fallbacks, bounded by maxAttempts', () => {
    const p = new BackendPicker();
    p.update([a, b, c]);
    expect([first(p), first(p), first(p), first(p)]).toEqual([a, b, c, a]);
    expect(p.attemptOrder('x', 0, 3)).toEqual([b, c, a]);
    expect(p.attemptOrder('x', 0, 2)).toEqual([c, a]);
    expect(p.attemptOrder('x', 0, 0)).toEqual([]);
  });

  it('offers nothing without backends and keeps going after the set changes', () => {
    const p = new BackendPicker();
    expect(p.attemptOrder('x', 0, 3)).toEqual([]);
    p.update([a, b, c]);
    first(p);
    first(p);
    p.update([a]);
    expect([first(p), first(p)]).toEqual([a, a]);
  });

  it('with ClientIP affinity keeps a client on its backend until the timeout, per client', () => {
    const p = new BackendPicker('ClientIP', 1000);
    p.update([a, b, c]);
    const got = first(p, 'client-1', 0);
    if (!got) throw new Error('no backend');
    p.connected('client-1', got, 0);
    expect(first(p, 'client-1', 500)).toEqual(got);
    expect(first(p, 'client-2', 500)).not.toEqual(undefined);
    p.connected('client-1', got, 900);
    expect(first(p, 'client-1', 1800)).toEqual(got);
    // Expired: back to round robin (which has moved on).
    expect(p.attemptOrder('client-1', 5000, 3)).toHaveLength(3);
  });

  it('drops the affinity to a removed backend and falls back to round robin', () => {
    const p = new BackendPicker('ClientIP', 1000);
    p.update([a, b]);
    p.connected('client-1', b, 0);
    expect(first(p, 'client-1', 1)).toEqual(b);
    p.update([a, c]);
    expect(p.attemptOrder('client-1', 2, 3).sort((x, y) => x.host.localeCompare(y.host))).toEqual([a, c]);
  });

  it('needs the client address only with ClientIP affinity, following update()', () => {
    const p = new BackendPicker();
    expect(p.needsClientIP).toBe(false);
    p.update([a], 'ClientIP');
    expect(p.needsClientIP).toBe(true);
    p.update([a], 'None');
    expect(p.needsClientIP).toBe(false);
  });

  it('puts the sticky backend first and the others after it, each once', () => {
    const p = new BackendPicker('ClientIP', 1000);
    p.update([a, b, c]);
    p.connected('client-1', c, 0);
    expect(p.attemptOrder('client-1', 1, 3)).toEqual([c, a, b]);
  });
});
