import { formatMilliQuantity } from './milli-quantity';

describe('formatMilliQuantity', () => {
  it('prints milli-units as Kubernetes prints a DecimalSI milli quantity', () => {
    expect(formatMilliQuantity(250)).toBe('250m');
    expect(formatMilliQuantity(1500)).toBe('1500m');
    expect(formatMilliQuantity(2000)).toBe('2');
    expect(formatMilliQuantity(0)).toBe('0');
    expect(formatMilliQuantity(3_000_000)).toBe('3k');
    expect(formatMilliQuantity(5_000_000_000)).toBe('5M');
    expect(formatMilliQuantity(104_857_600_000)).toBe('104857600');
    expect(formatMilliQuantity(60_668_586_666)).toBe('60668586666m');
    expect(formatMilliQuantity(99.6)).toBe('100m');
  });
});
