import { ageOf, humanDuration } from './age';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration', () => {
  it.each([
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [2 * m + 5 * s, '2m5s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [5 * h + 12 * m, '5h12m'],
    [20 * h, '20h'],
    [2 * d, '2d'],
    [2 * d + 3 * h, '2d3h'],
    [45 * d, '45d'],
    [(365 * 2 + 10) * d, '2y10d'],
    [365 * 9 * d, '9y'],
    [-1500, '0s'],
    [-5 * s, '<invalid>'],
  ])('%d ms -> %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });

  it('says <unknown> for a missing timestamp', () => {
    expect(ageOf(undefined, new Date())).toBe('<unknown>');
    expect(ageOf(new Date(0), new Date(3 * m))).toBe('3m');
  });
});
