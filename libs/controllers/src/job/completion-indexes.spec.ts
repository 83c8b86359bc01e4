import { Pod } from '@skiff/api';
import { completionIndexOf, firstPendingIndexes, formatIndexes, hasIndex, indexCount, indexedPodGenerateName, parseIndexes, validIndexOf, withIndexes } from './completion-indexes';

const withAnnotation = (value?: string) => Pod.fromPartial({ metadata: { annotations: value === undefined ? {} : { 'batch.kubernetes.io/job-completion-index': value } } });

describe('completion indexes', () => {
  it('reads the index annotation; anything but a non-negative integer is no index', () => {
    expect(completionIndexOf(withAnnotation('3'))).toBe(3);
    expect(completionIndexOf(withAnnotation())).toBeUndefined();
    expect(completionIndexOf(withAnnotation('-1'))).toBeUndefined();
    expect(completionIndexOf(withAnnotation('x'))).toBeUndefined();
    expect(validIndexOf(withAnnotation('4'), 5)).toBe(4);
    expect(validIndexOf(withAnnotation('5'), 5)).toBeUndefined();
  });

  it('parses and formats "0-2,4" as merged, ordered intervals', () => {
    expect(parseIndexes('0-2,4', 10)).toEqual([{ first: 0, last: 2 }, { first: 4, last: 4 }]);
    expect(parseIndexes('4,0,1,2-3', 10)).toEqual([{ first: 0, last: 4 }]);
    expect(parseIndexes('', 10)).toEqual([]);
    expect(parseIndexes('1,bad,8-12', 10)).toEqual([{ first: 1, last: 1 }, { first: 8, last: 9 }]);
    expect(formatIndexes(parseIndexes('0-2,4', 10))).toBe('0-2,4');
    expect(formatIndexes([{ first: 1, last: 2 }])).toBe('1-2');
  });

  it('adds indexes, counts and looks them up', () => {
    const iv = withIndexes(parseIndexes('0,4', 10), [3, 1, 2, 2, 7]);
    expect(formatIndexes(iv)).toBe('0-4,7');
    expect(indexCount(iv)).toBe(6);
    expect(hasIndex(iv, 3)).toBe(true);
    expect(hasIndex(iv, 5)).toBe(false);
  });

  it('picks the first indexes neither succeeded nor active', () => {
    expect(firstPendingIndexes(parseIndexes('0,2', 6), new Set([1, 3]), 2, 6)).toEqual([4, 5]);
    expect(firstPendingIndexes([], new Set(), 3, 2)).toEqual([0, 1]);
    expect(firstPendingIndexes([{ first: 3, last: 4 }, { first: 0, last: 1 }], new Set(), 2, 8)).toEqual([2, 5]);
  });

  it('walks 100 000 indexes against 50 000 succeeded intervals in one pass (not indexes x intervals)', () => {
    const n = 100_000;
    const succeeded = Array.from({ length: n / 2 }, (_, i) => ({ first: 2 * i, last: 2 * i }));
    const active = new Set(Array.from({ length: n / 2 - 1 }, (_, i) => 2 * i + 1));
    const started = performance.now();
    expect(firstPendingIndexes(succeeded, active, 5, n)).toEqual([n - 1]);
    // Indexes x intervals would be ~2.5e9 steps (tens of seconds); one pass is milliseconds.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('names indexed pods "<job>-<index>-", cutting long job names to stay within 58 characters', () => {
    expect(indexedPodGenerateName('pi', 3)).toBe('pi-3-');
    const long = 'a'.repeat(60);
    expect(indexedPodGenerateName(long, 12)).toBe(`${'a'.repeat(54)}-12-`);
  });
});
