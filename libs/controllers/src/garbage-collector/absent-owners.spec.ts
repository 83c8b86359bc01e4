import { AbsentOwners } from './absent-owners';

describe('AbsentOwners', () => {
  it('remembers uids up to its capacity, forgetting the least recently used first', () => {
    const absent = new AbsentOwners(2);
    absent.add('a');
    absent.add('b');
    expect(absent.has('a')).toBe(true); // a is now the most recent
    absent.add('c');
    expect(absent.has('b')).toBe(false);
    expect(absent.has('a')).toBe(true);
    expect(absent.has('c')).toBe(true);
    expect(absent.size).toBe(2);
  });
});
