import { RecentObjects } from './recent-objects';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('RecentObjects', () => {
  it('remembers the newest state of a key and ignores an older answer arriving late', () => {
    const recent = new RecentObjects();
    recent.remember('/k', 5, bytes(3, 5));
    recent.remember('/k', 7, bytes(3, 7));
    recent.remember('/k', 6, bytes(3, 6));
    expect(recent.get('/k')).toEqual({ revision: 7, bytes: bytes(3, 7) });
    recent.forget('/k');
    expect(recent.get('/k')).toBeUndefined();
    expect(recent.heldBytes).toBe(0);
  });

  it('stays within its byte budget, dropping the least recently used first', () => {
    const recent = new RecentObjects(10);
    recent.remember('/a', 1, bytes(4));
    recent.remember('/b', 2, bytes(4));
    recent.get('/a'); // /a is now more recent than /b
    recent.remember('/c', 3, bytes(4));
    expect([recent.get('/a')?.revision, recent.get('/b'), recent.get('/c')?.revision]).toEqual([1, undefined, 3]);
    expect(recent.heldBytes).toBe(8);
    recent.remember('/huge', 4, bytes(11));
    expect(recent.get('/huge')).toBeUndefined();
    expect(recent.size).toBe(2);
  });
});
