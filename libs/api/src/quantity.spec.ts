import {
  compareQuantities,
  formatBytes,
  formatCpuMillis,
  formatMebibytes,
  isQuantity,
  parseCpuMillis,
  parseQuantity,
  parseQuantityCeil,
} from './quantity';

describe('parseQuantity', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['1k', 1000],
    ['1M', 1e6],
    ['1G', 1e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['128Mi', 134217728],
    ['1Ki', 1024],
    ['1Gi', 1073741824],
    ['1.5Gi', 1610612736],
    ['2Ti', 2 * 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['100m', 0.1],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e-3', 0.001],
    ['12e+2', 1200],
    ['.5', 0.5],
    ['5.', 5],
    ['+5', 5],
    ['-5', -5],
    ['250u', 0.00025],
    ['7n', 7e-9],
  ])('%s -> %d', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
    expect(isQuantity(text)).toBe(true);
  });

  it.each(['', ' 1', '1 ', 'abc', '1Mb', '1KB', '1ki', '1.2.3', '--1', '1e', '1e1000', 'Mi', '1 Mi', '0x10', '1m1', '1Kii'])(
    'rejects %j',
    (text) => {
      expect(isQuantity(text)).toBe(false);
      expect(() => parseQuantity(text)).toThrow(/quantit/);
    },
  );

  it('rounds whole units up with parseQuantityCeil', () => {
    expect(parseQuantityCeil('1500m')).toBe(2);
    expect(parseQuantityCeil('1Ki')).toBe(1024);
    expect(parseQuantityCeil('-1500m')).toBe(-1);
  });
});

describe('parseCpuMillis', () => {
  it.each([
    ['500m', 500],
    ['2', 2000],
    ['0.1', 100],
    ['0.3', 300],
    ['1.001', 1001],
    ['0.0001', 1],
    ['100u', 1],
    ['1e-3', 1],
    ['1k', 1_000_000],
    ['0', 0],
  ])('%s -> %d', (text, millis) => {
    expect(parseCpuMillis(text)).toBe(millis);
  });

  it('throws a plain error on bad input', () => {
    expect(() => parseCpuMillis('half')).toThrow(Error);
  });
});

describe('compareQuantities', () => {
  it('compares exactly across suffixes', () => {
    expect(compareQuantities('1Gi', '1G')).toBe(1);
    expect(compareQuantities('1000m', '1')).toBe(0);
    expect(compareQuantities('0.1', '100m')).toBe(0);
    expect(compareQuantities('999m', '1')).toBe(-1);
    expect(compareQuantities('1e3', '1k')).toBe(0);
  });
});

describe('formatting', () => {
  it('prints millicores as Kubernetes does', () => {
    expect(formatCpuMillis(500)).toBe('500m');
    expect(formatCpuMillis(2000)).toBe('2');
    expect(formatCpuMillis(0)).toBe('0');
    expect(formatCpuMillis(1500)).toBe('1500m');
    expect(formatCpuMillis(0.2)).toBe('1m');
  });

  it('prints bytes in the largest exact binary unit', () => {
    expect(formatBytes(134217728)).toBe('128Mi');
    expect(formatBytes(3072)).toBe('3Ki');
    expect(formatBytes(1536)).toBe('1536');
    expect(formatBytes(1000)).toBe('1000');
    expect(formatBytes(0)).toBe('0');
    expect(formatBytes(2 ** 30)).toBe('1Gi');
    expect(parseQuantity(formatBytes(5 * 2 ** 40))).toBe(5 * 2 ** 40);
  });

  it('prints whole mebibytes for top', () => {
    expect(formatMebibytes(134217728)).toBe('128Mi');
    expect(formatMebibytes(134217728 + 1000)).toBe('128Mi');
    expect(formatMebibytes(0)).toBe('0Mi');
  });
});
